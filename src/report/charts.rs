//! Bar charts as inline SVG, laid out so that a browser can check them: every element has a
//! class (`chart-title`, `axis-title`, `tick`, `category`, `legend`, `bar`, `whisker`), the
//! legend sits in its own band above the plot, category names are shortened or thinned rather
//! than overlapped, and a value axis spanning decades can be logarithmic.
//!
//! Written here rather than with plotters (used until December 2026): its SVG backend gives
//! elements no classes or groups, so the page's layout could not be asserted on the DOM, and
//! it draws legends inside the plot area. Dropping it removed three crates (plotters,
//! plotters-backend, plotters-svg) from the build.
//! Text widths are estimated (0.64 em a character, DejaVu Sans' widest lower-case average),
//! and `tests/html_report.rs` checks the estimate against Chromium's real boxes.

use std::fmt::Write as _;

use super::html::escape;

/// One series of a bar chart: a name and one value per category.
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    /// An interval (low, high) per category, drawn as an error bar (grouped layout only).
    pub errors: Option<Vec<(f64, f64)>>,
}

impl Series {
    /// A series without error bars.
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Series {
        Series {
            name: name.into(),
            values,
            errors: None,
        }
    }
}

/// How series share a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Side by side.
    Grouped,
    /// On top of each other.
    Stacked,
}

/// How values map to lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Proportional, from zero.
    Linear,
    /// Logarithmic, for values spanning decades (ROAS); values ≤ 0 draw no bar.
    Log,
}

/// A bar chart of categories × series. Build with [`BarChart::new`], adjust, then
/// [`BarChart::svg`].
pub struct BarChart<'a> {
    title: &'a str,
    category_title: &'a str,
    value_title: &'a str,
    categories: &'a [String],
    series: &'a [Series],
    layout: Layout,
    scale: Scale,
    horizontal: bool,
    counts: bool,
    limit: Option<f64>,
}

const WIDTH: f64 = 960.0;
const FONT: f64 = 12.0;
/// Estimated advance of one character, in em (see the module note).
const EM_PER_CHAR: f64 = 0.64;
/// Longest category name drawn in full; longer ones end in `…` (the full name is the
/// tooltip).
const LONGEST_CATEGORY: usize = 28;
const LONGEST_ROW_LABEL: usize = 64;

fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * EM_PER_CHAR
}

/// The widest of `texts` at `size`.
fn widest(texts: &[String], size: f64) -> f64 {
    texts
        .iter()
        .map(|t| text_width(t, size))
        .fold(0.0, f64::max)
}

fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(chars.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

fn color(i: usize) -> &'static str {
    // Okabe–Ito without its pale yellow, then darker distinct hues: nothing pale on white.
    const PALETTE: [&str; 16] = [
        "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#8C564B",
        "#7F3C8D", "#999933", "#882255", "#332288", "#44AA99", "#888888", "#661100", "#F0C05A",
    ];
    PALETTE[i % PALETTE.len()]
}

/// An axis tick as people write numbers: `5000`, not `5000.0`; `0.25` with the digits the
/// step needs.
fn tick(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let text = format!("{v:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Round numbers from `lo` to `hi` in about five steps of 1, 2 or 5 × 10ⁿ (at least 1 when
/// the values are counts).
fn linear_ticks(lo: f64, hi: f64, counts: bool) -> Vec<f64> {
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let raw = span / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let mut step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    if counts {
        step = step.max(1.0).round();
    }
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last)
        .map(|k| {
            // Round away the float noise of k × step (0.30000000000000004).
            let v = k as f64 * step;
            (v / step).round() * step
        })
        .collect()
}

/// Powers of ten spanning `lo`..`hi` (both > 0), with 2 and 5 between them when the span is
/// short.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let b = b.max(a + 1);
    let mut ticks = Vec::new();
    for e in a..=b {
        let p = 10f64.powi(e);
        ticks.push(p);
        if b - a <= 2 && e < b {
            ticks.extend([2.0 * p, 5.0 * p]);
        }
    }
    ticks
}

/// Maps values to positions along the value axis (0 = axis start, 1 = end).
struct ValueAxis {
    ticks: Vec<f64>,
    scale: Scale,
}

impl ValueAxis {
    fn lo(&self) -> f64 {
        self.ticks.first().copied().unwrap_or(0.0)
    }

    fn hi(&self) -> f64 {
        self.ticks.last().copied().unwrap_or(1.0)
    }

    /// The fraction of the axis at `v`, clamped to the axis.
    fn fraction(&self, v: f64) -> f64 {
        let f = match self.scale {
            Scale::Linear => (v - self.lo()) / (self.hi() - self.lo()),
            Scale::Log => {
                (v.max(self.lo()).log10() - self.lo().log10())
                    / (self.hi().log10() - self.lo().log10())
            }
        };
        if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Where bars start: zero on a linear axis, the axis start on a log one.
    fn base(&self) -> f64 {
        match self.scale {
            Scale::Linear => 0.0,
            Scale::Log => self.lo(),
        }
    }
}

/// A rectangle in chart coordinates: x, y, width, height.
type Bar = (f64, f64, f64, f64);

/// Where one bar lies: its category, the fractions of the value axis it spans, and its lane
/// among the category's `lanes` (grouped series side by side).
#[derive(Clone, Copy)]
struct Span {
    category: usize,
    from: f64,
    to: f64,
    lane: f64,
    lanes: f64,
}

impl<'a> BarChart<'a> {
    /// A grouped, linear, vertical bar chart.
    pub fn new(
        title: &'a str,
        category_title: &'a str,
        value_title: &'a str,
        categories: &'a [String],
        series: &'a [Series],
    ) -> BarChart<'a> {
        BarChart {
            title,
            category_title,
            value_title,
            categories,
            series,
            layout: Layout::Grouped,
            scale: Scale::Linear,
            horizontal: false,
            counts: false,
            limit: None,
        }
    }

    /// Series stacked on each other.
    pub fn stacked(mut self) -> Self {
        self.layout = Layout::Stacked;
        self
    }

    /// A logarithmic value axis.
    pub fn scale(mut self, scale: Scale) -> Self {
        self.scale = scale;
        self
    }

    /// Bars running left to right, one row per category: for long names (paths).
    pub fn horizontal(mut self) -> Self {
        self.horizontal = true;
        self
    }

    /// The values are counts: ticks are whole numbers.
    pub fn counts(mut self) -> Self {
        self.counts = true;
        self
    }

    /// The value axis ends at `limit` when no value passes it but for rounding (shares that
    /// sum to 100.000001 %).
    pub fn up_to(mut self, limit: f64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The value at category `i` of series `j`.
    fn value(&self, j: usize, i: usize) -> f64 {
        self.series[j].values.get(i).copied().unwrap_or(0.0)
    }

    fn value_axis(&self) -> ValueAxis {
        let n = self.categories.len();
        let values = || {
            self.series.iter().flat_map(|s| {
                s.values
                    .iter()
                    .copied()
                    .chain(s.errors.iter().flatten().map(|e| e.1))
            })
        };
        let ticks = match (self.scale, self.layout) {
            (Scale::Log, _) => {
                let positive = values().filter(|v| *v > 0.0 && v.is_finite());
                let lo = positive.clone().fold(f64::INFINITY, f64::min);
                let hi = positive.fold(0.0f64, f64::max);
                if hi > 0.0 {
                    log_ticks(lo, hi)
                } else {
                    vec![1.0, 10.0]
                }
            }
            (Scale::Linear, layout) => {
                let hi = match layout {
                    Layout::Grouped => values().fold(0.0f64, f64::max),
                    Layout::Stacked => (0..n)
                        .map(|i| {
                            (0..self.series.len())
                                .map(|j| self.value(j, i).max(0.0))
                                .sum::<f64>()
                        })
                        .fold(0.0f64, f64::max),
                };
                let lo = values().fold(0.0f64, f64::min);
                let hi = match self.limit {
                    Some(limit) if hi <= limit * (1.0 + 1e-9) => limit,
                    _ if hi <= lo => lo + 1.0,
                    _ => hi,
                };
                linear_ticks(lo, hi, self.counts)
            }
        };
        ValueAxis {
            ticks,
            scale: self.scale,
        }
    }

    /// Each series' bars as spans of the value axis, stacked or in lanes; on a log axis, values
    /// ≤ 0 have none.
    fn bar_spans(&self, axis: &ValueAxis) -> Vec<Vec<Span>> {
        let m = self.series.len().max(1);
        let mut stack = vec![0.0f64; self.categories.len()];
        self.series
            .iter()
            .enumerate()
            .map(|(j, _)| {
                (0..self.categories.len())
                    .filter_map(|i| {
                        let v = self.value(j, i);
                        let (from, to, lane, lanes) = match self.layout {
                            Layout::Grouped => (axis.base(), v, j, m),
                            Layout::Stacked => {
                                let from = stack[i];
                                stack[i] += v.max(0.0);
                                (from, stack[i], 0, 1)
                            }
                        };
                        if self.scale == Scale::Log && v <= 0.0 || !v.is_finite() {
                            return None;
                        }
                        let (a, b) = (axis.fraction(from), axis.fraction(to));
                        Some(Span {
                            category: i,
                            from: a.min(b),
                            to: a.max(b),
                            lane: lane as f64,
                            lanes: lanes as f64,
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// The chart in a box that scrolls sideways rather than shrink it below legibility.
    pub fn figure(&self) -> String {
        format!("<div class=\"chart-box\">{}</div>", self.svg())
    }

    /// The chart as an `<svg>` element (no XML prologue), 960 units wide, scaling to its
    /// container.
    pub fn svg(&self) -> String {
        let mut out = String::new();
        let legend = self.legend_items();
        let legend_rows = legend.iter().map(|l| l.2).max().map_or(0, |r| r + 1);
        let top = 36.0 + 20.0 * legend_rows as f64 + 10.0;
        let axis = self.value_axis();
        let tick_texts: Vec<String> = axis.ticks.iter().map(|t| tick(*t)).collect();
        let body = if self.horizontal {
            self.horizontal_body(top, &axis, &tick_texts)
        } else {
            self.vertical_body(top, &axis, &tick_texts)
        };
        let height = body.height;
        let _ = write!(
            out,
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height:.0}\" width=\"{WIDTH}\" height=\"{height:.0}\" font-family=\"sans-serif\" font-size=\"{FONT}\" role=\"img\" aria-label=\"{}\">",
            escape(self.title)
        );
        let _ = write!(
            out,
            "<rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height:.0}\" fill=\"#fff\"/><text class=\"chart-title\" x=\"{:.1}\" y=\"22\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"600\">{}</text>",
            WIDTH / 2.0,
            escape(self.title)
        );
        if !legend.is_empty() {
            out.push_str("<g class=\"legend\">");
            for (j, x, row) in &legend {
                let y = 36.0 + 20.0 * *row as f64;
                let _ = write!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" dominant-baseline=\"central\">{}</text>",
                    y,
                    color(*j),
                    x + 16.0,
                    y + 6.0,
                    escape(&self.series[*j].name)
                );
            }
            out.push_str("</g>");
        }
        out.push_str(&body.svg);
        out.push_str("</svg>");
        out
    }

    /// Legend entries (series, x, row), wrapped into rows across the chart's width; none for
    /// a single series (the title names it).
    fn legend_items(&self) -> Vec<(usize, f64, usize)> {
        if self.series.len() < 2 {
            return Vec::new();
        }
        let (left, right) = (16.0, WIDTH - 16.0);
        let (mut x, mut row) = (left, 0);
        let mut items = Vec::new();
        for (j, s) in self.series.iter().enumerate() {
            let w = 16.0 + text_width(&s.name, FONT) + 18.0;
            if x + w > right && x > left {
                x = left;
                row += 1;
            }
            items.push((j, x, row));
            x += w;
        }
        items
    }

    fn vertical_body(&self, top: f64, axis: &ValueAxis, ticks: &[String]) -> Body {
        let n = self.categories.len().max(1);
        let left = 28.0 + widest(ticks, 11.0) + 8.0;
        let right = WIDTH - 16.0;
        let plot_h = 280.0;
        let bottom = top + plot_h;
        let slot = (right - left) / n as f64;
        let names = self.names(LONGEST_CATEGORY);
        let widest = widest(&names, 11.0);
        let level = widest <= slot - 6.0;
        // Rotated names need 14 units each; with less room only every k-th is named.
        let every = if level {
            1
        } else {
            (16.0 / slot).ceil().max(1.0) as usize
        };
        let band = if level { 20.0 } else { widest + 12.0 };
        let height = bottom + band + 32.0;
        let mut svg = String::new();
        let y_of = |f: f64| bottom - f * plot_h;
        self.value_grid(&mut svg, axis, ticks, |f, text, s| {
            let y = y_of(f);
            let _ = write!(
                s,
                "<line class=\"grid\" x1=\"{left:.1}\" x2=\"{right:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e3e6eb\"/><text class=\"tick\" x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"end\" dominant-baseline=\"central\" font-size=\"11\">{text}</text>",
                left - 6.0
            );
        });
        let bars = self.bar_spans(axis);
        let to_rect = |s: Span| -> Bar {
            let w = slot * 0.8 / s.lanes;
            let x = left + s.category as f64 * slot + slot * 0.1 + s.lane * w;
            (x, y_of(s.to), w, (s.to - s.from) * plot_h)
        };
        self.draw_bars(&mut svg, &bars, to_rect, |lo, hi, r| {
            let x = r.0 + r.2 / 2.0;
            let (y0, y1) = (y_of(axis.fraction(lo)), y_of(axis.fraction(hi)));
            format!(
                "M{:.1} {y0:.1}V{y1:.1}M{:.1} {y0:.1}h6M{:.1} {y1:.1}h6",
                x,
                x - 3.0,
                x - 3.0
            )
        });
        let zero = y_of(axis.fraction(axis.base()));
        let _ = write!(
            svg,
            "<line class=\"axis\" x1=\"{left:.1}\" x2=\"{right:.1}\" y1=\"{zero:.1}\" y2=\"{zero:.1}\" stroke=\"#5b6475\"/>"
        );
        for (i, (name, full)) in names.iter().zip(self.categories).enumerate() {
            if i % every != 0 {
                continue;
            }
            let cx = left + (i as f64 + 0.5) * slot;
            let label = if level {
                format!(
                    "<text class=\"category\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" dominant-baseline=\"hanging\" font-size=\"11\">",
                    bottom + 6.0
                )
            } else {
                let y = bottom + 6.0;
                format!(
                    "<text class=\"category\" x=\"{cx:.1}\" y=\"{y:.1}\" transform=\"rotate(-90 {cx:.1} {y:.1})\" text-anchor=\"end\" dominant-baseline=\"central\" font-size=\"11\">"
                )
            };
            let _ = write!(
                svg,
                "{label}<title>{}</title>{}</text>",
                escape(full),
                escape(name)
            );
        }
        let _ = write!(
            svg,
            "<text class=\"axis-title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text class=\"axis-title\" x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text>",
            (left + right) / 2.0,
            bottom + band + 22.0,
            escape(self.category_title),
            top + plot_h / 2.0,
            top + plot_h / 2.0,
            escape(&self.value_title_with_scale())
        );
        Body { svg, height }
    }

    fn horizontal_body(&self, top: f64, axis: &ValueAxis, ticks: &[String]) -> Body {
        let n = self.categories.len().max(1);
        let names = self.names(LONGEST_ROW_LABEL);
        let left = 28.0 + widest(&names, 11.0) + 10.0;
        let right = WIDTH - 24.0;
        let row = 26.0;
        let bottom = top + n as f64 * row;
        let height = bottom + 20.0 + 32.0;
        let plot_w = right - left;
        let x_of = |f: f64| left + f * plot_w;
        let mut svg = String::new();
        self.value_grid(&mut svg, axis, ticks, |f, text, s| {
            let x = x_of(f);
            let _ = write!(
                s,
                "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top:.1}\" y2=\"{bottom:.1}\" stroke=\"#e3e6eb\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" dominant-baseline=\"hanging\" font-size=\"11\">{text}</text>",
                bottom + 6.0
            );
        });
        let bars = self.bar_spans(axis);
        let to_rect = |s: Span| -> Bar {
            let h = row * 0.7 / s.lanes;
            let y = top + s.category as f64 * row + row * 0.15 + s.lane * h;
            (x_of(s.from), y, (s.to - s.from) * plot_w, h)
        };
        self.draw_bars(&mut svg, &bars, to_rect, |lo, hi, r| {
            let y = r.1 + r.3 / 2.0;
            let (x0, x1) = (x_of(axis.fraction(lo)), x_of(axis.fraction(hi)));
            format!(
                "M{x0:.1} {y:.1}H{x1:.1}M{x0:.1} {:.1}v6M{x1:.1} {:.1}v6",
                y - 3.0,
                y - 3.0
            )
        });
        let _ = write!(
            svg,
            "<line class=\"axis\" x1=\"{left:.1}\" x2=\"{left:.1}\" y1=\"{top:.1}\" y2=\"{bottom:.1}\" stroke=\"#5b6475\"/>"
        );
        for (i, (name, full)) in names.iter().zip(self.categories).enumerate() {
            let _ = write!(
                svg,
                "<text class=\"category\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" dominant-baseline=\"central\" font-size=\"11\"><title>{}</title>{}</text>",
                left - 8.0,
                top + (i as f64 + 0.5) * row,
                escape(full),
                escape(name)
            );
        }
        let _ = write!(
            svg,
            "<text class=\"axis-title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text class=\"axis-title\" x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text>",
            (left + right) / 2.0,
            bottom + 42.0,
            escape(&self.value_title_with_scale()),
            (top + bottom) / 2.0,
            (top + bottom) / 2.0,
            escape(self.category_title)
        );
        Body { svg, height }
    }

    /// Category names shortened to `chars` characters.
    fn names(&self, chars: usize) -> Vec<String> {
        self.categories.iter().map(|c| shorten(c, chars)).collect()
    }

    fn value_title_with_scale(&self) -> String {
        match self.scale {
            Scale::Linear => self.value_title.to_string(),
            Scale::Log => format!("{} (log scale)", self.value_title),
        }
    }

    /// Grid lines and tick labels, drawn by `line(fraction, text, svg)`.
    fn value_grid(
        &self,
        svg: &mut String,
        axis: &ValueAxis,
        ticks: &[String],
        line: impl Fn(f64, &str, &mut String),
    ) {
        svg.push_str("<g class=\"ticks\">");
        for (t, text) in axis.ticks.iter().zip(ticks) {
            line(axis.fraction(*t), &escape(text), svg);
        }
        svg.push_str("</g>");
    }

    /// The bars, each with its value as a tooltip, and the error bars.
    fn draw_bars(
        &self,
        svg: &mut String,
        bars: &[Vec<Span>],
        to_rect: impl Fn(Span) -> Bar,
        whisker: impl Fn(f64, f64, Bar) -> String,
    ) {
        svg.push_str("<g class=\"bars\">");
        for (j, spans) in bars.iter().enumerate() {
            let s = &self.series[j];
            for span in spans {
                let r = to_rect(*span);
                let i = span.category;
                let _ = write!(
                    svg,
                    "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} · {}: {}</title></rect>",
                    r.0,
                    r.1,
                    r.2,
                    r.3,
                    color(j),
                    escape(&s.name),
                    escape(&self.categories[i]),
                    tick((self.value(j, i) * 100.0).round() / 100.0)
                );
                if let (Layout::Grouped, Some((lo, hi))) =
                    (self.layout, s.errors.as_ref().and_then(|e| e.get(i)))
                {
                    let _ = write!(
                        svg,
                        "<path class=\"whisker\" d=\"{}\" stroke=\"#1d2433\" fill=\"none\"/>",
                        whisker(*lo, *hi, r)
                    );
                }
            }
        }
        svg.push_str("</g>");
    }
}

/// The part of a chart below its title and legend.
struct Body {
    svg: String,
    height: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_written_without_a_needless_decimal() {
        assert_eq!(tick(5000.0), "5000");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(0.0), "0");
        assert_eq!(
            linear_ticks(0.0, 0.7, false)
                .iter()
                .map(|t| tick(*t))
                .collect::<Vec<_>>(),
            ["0", "0.2", "0.4", "0.6", "0.8"]
        );
    }

    #[test]
    fn counts_get_whole_ticks_and_round_steps() {
        assert_eq!(linear_ticks(0.0, 2.0, true), [0.0, 1.0, 2.0]);
        assert_eq!(linear_ticks(0.0, 2.0, false), [0.0, 0.5, 1.0, 1.5, 2.0]);
        assert_eq!(
            linear_ticks(0.0, 4321.0, true),
            [0.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0]
        );
        assert_eq!(linear_ticks(-3.0, 8.0, false), [-5.0, 0.0, 5.0, 10.0]);
    }

    #[test]
    fn a_log_axis_spans_whole_decades() {
        assert_eq!(
            log_ticks(0.04, 243.0),
            [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
        );
        assert_eq!(
            log_ticks(1.5, 30.0),
            [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        );
        let axis = ValueAxis {
            ticks: log_ticks(1.0, 100.0),
            scale: Scale::Log,
        };
        assert!((axis.fraction(10.0) - 0.5).abs() < 1e-12);
        assert_eq!(axis.fraction(0.0), 0.0, "clamped, not NaN");
    }

    fn two_series() -> Vec<Series> {
        vec![
            Series::new("linear", vec![40.0, 60.0]),
            Series::new("markov", vec![55.0, 45.0]),
        ]
    }

    #[test]
    fn a_grouped_chart_has_classed_bars_labels_legend_and_escaped_names() {
        let categories = ["<b>Email</b>".to_string(), "Search".to_string()];
        let series = two_series();
        let svg = BarChart::new("Credit", "channel", "share %", &categories, &series).svg();
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("class=\"bar\"").count(), 4);
        assert!(svg.contains("&lt;b&gt;Email&lt;/b&gt;"), "names escaped");
        assert!(!svg.contains("<b>"));
        assert_eq!(svg.matches("class=\"axis-title\"").count(), 2);
        assert!(svg.contains("class=\"chart-title\""));
        let legend = svg.split("<g class=\"legend\">").nth(1).expect("legend");
        assert!(legend
            .split("</g>")
            .next()
            .expect("group")
            .contains("markov"));
    }

    #[test]
    fn the_legend_sits_above_the_plot() {
        let categories = ["Email".to_string(), "Search".to_string()];
        let series = two_series();
        let chart = BarChart::new("Credit", "channel", "share %", &categories, &series);
        let legend = chart.legend_items();
        assert_eq!(legend.len(), 2);
        let legend_bottom =
            36.0 + 20.0 * (legend.iter().map(|l| l.2).max().unwrap_or(0) + 1) as f64;
        let axis = chart.value_axis();
        let tops = chart.bar_spans(&axis);
        let highest = tops.iter().flatten().map(|s| s.to).fold(0.0, f64::max);
        assert!(highest <= 1.0);
        // The plot starts 10 units under the legend; the highest bar reaches at most the top.
        let svg = chart.svg();
        let min_bar_y = svg
            .split("class=\"bar\" x=\"")
            .skip(1)
            .filter_map(|s| {
                s.split("y=\"")
                    .nth(1)?
                    .split('"')
                    .next()?
                    .parse::<f64>()
                    .ok()
            })
            .fold(f64::INFINITY, f64::min);
        assert!(min_bar_y >= legend_bottom, "{min_bar_y} < {legend_bottom}");
    }

    #[test]
    fn many_legend_entries_wrap_into_rows_inside_the_width() {
        let series: Vec<Series> = (0..16)
            .map(|i| Series::new(format!("a model with a long name {i}"), vec![1.0]))
            .collect();
        let chart = BarChart::new("t", "c", "v", &[], &series);
        let items = chart.legend_items();
        assert!(items.iter().map(|i| i.2).max() > Some(2));
        for (j, x, _) in items {
            assert!(x + 34.0 + text_width(&series[j].name, FONT) <= WIDTH);
        }
    }

    #[test]
    fn a_log_chart_skips_bars_it_cannot_draw_and_says_so() {
        let categories = ["A".to_string(), "B".to_string(), "C".to_string()];
        let series = [Series::new("roas", vec![0.04, 243.0, 0.0])];
        let svg = BarChart::new("ROAS", "channel", "value / cost", &categories, &series)
            .scale(Scale::Log)
            .svg();
        assert_eq!(
            svg.matches("class=\"bar\"").count(),
            2,
            "zero draws nothing"
        );
        assert!(svg.contains("value / cost (log scale)"));
        assert!(svg.contains(">0.01<") && svg.contains(">1000<"));
    }

    #[test]
    fn long_names_are_shortened_and_crowded_ones_thinned() {
        let categories: Vec<String> = (0..200).map(|i| format!("2026-day-{i:03}")).collect();
        let series = [Series::new("n", vec![1.0; 200])];
        let svg = BarChart::new("Days", "day", "n", &categories, &series)
            .counts()
            .svg();
        let named = svg.matches("class=\"category\"").count();
        assert!((40..200).contains(&named), "{named} names");
        let long = ["Paid Search > Email > Direct > Organic Search > Email > Direct".to_string()];
        let series = [Series::new("n", vec![3.0])];
        let svg = BarChart::new("Paths", "path", "n", &long, &series)
            .horizontal()
            .svg();
        assert!(svg.contains(&format!("<title>{}</title>", escape(&long[0]))));
        let stacked = BarChart::new("Rows", "source", "rows", &long, &series)
            .stacked()
            .svg();
        assert!(
            stacked.contains('…'),
            "shortened to {LONGEST_CATEGORY} characters"
        );
    }

    #[test]
    fn shares_that_sum_to_a_hundred_end_the_axis_at_a_hundred() {
        let categories = ["W1".to_string()];
        let series = [
            Series::new("a", vec![100.0 / 3.0]),
            Series::new("b", vec![200.0 / 3.0 + 1e-7]),
        ];
        let chart = BarChart::new("Shares", "week", "%", &categories, &series).stacked();
        assert_eq!(
            chart.value_axis().ticks.last(),
            Some(&150.0),
            "without a limit"
        );
        assert_eq!(chart.up_to(100.0).value_axis().ticks.last(), Some(&100.0));
    }

    #[test]
    fn a_stacked_chart_and_an_empty_one_draw() {
        let categories = ["web".to_string()];
        let series = [
            Series::new("loaded", vec![90.0]),
            Series::new("rejected", vec![10.0]),
        ];
        let stacked = BarChart::new("Rows", "source", "rows", &categories, &series)
            .stacked()
            .svg();
        assert_eq!(stacked.matches("class=\"bar\"").count(), 2);
        assert!(BarChart::new("Nothing", "x", "y", &[], &[])
            .svg()
            .contains("Nothing"));
    }
}
