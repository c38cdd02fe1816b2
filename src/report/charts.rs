//! Charts as inline SVG, drawn with plotters. Every chart is a bar chart of categories ×
//! series, grouped or stacked; the callers only supply data.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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

const WIDTH: u32 = 960;
const HEIGHT: u32 = 420;

fn color(i: usize) -> RGBColor {
    // A colour-blind-friendly palette (Okabe–Ito), then plotters' own.
    const OKABE_ITO: [RGBColor; 8] = [
        RGBColor(0, 114, 178),
        RGBColor(230, 159, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(86, 180, 233),
        RGBColor(213, 94, 0),
        RGBColor(240, 228, 66),
        RGBColor(0, 0, 0),
    ];
    if i < OKABE_ITO.len() {
        OKABE_ITO[i]
    } else {
        let c = Palette99::pick(i).to_rgba();
        RGBColor(c.0, c.1, c.2)
    }
}

/// The y range: from the lowest value (or 0) to 8 % above the highest bar, whisker or
/// stack.
fn value_range(series: &[Series], layout: Layout, n: usize) -> (f64, f64) {
    let top = match layout {
        Layout::Grouped => series
            .iter()
            .flat_map(|s| {
                s.values
                    .iter()
                    .copied()
                    .chain(s.errors.iter().flatten().map(|e| e.1))
            })
            .fold(0.0f64, f64::max),
        Layout::Stacked => (0..n)
            .map(|i| series.iter().map(|s| s.values[i].max(0.0)).sum::<f64>())
            .fold(0.0f64, f64::max),
    };
    let bottom = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0f64, f64::min);
    let top = if top <= bottom {
        bottom + 1.0
    } else {
        top * 1.08
    };
    (bottom, top)
}

/// Room below the axis and the style of category names: long names are written downwards
/// from the axis; short ones stay level.
/// An axis tick as people write it: `5000`, not `5000.0`; `0.25` with the digits it needs.
fn tick(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let text = format!("{v:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn category_labels(categories: &[String]) -> (u32, TextStyle<'static>) {
    let longest = categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let rotate = longest > 6;
    let label_area = if rotate {
        14 + 7 * longest.min(24) as u32
    } else {
        40
    };
    let label_style: TextStyle = if rotate {
        TextStyle::from(
            ("sans-serif", 12)
                .into_font()
                .transform(FontTransform::Rotate90),
        )
        .pos(Pos::new(HPos::Left, VPos::Center))
    } else {
        TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Center, VPos::Top))
    };
    (label_area, label_style)
}

/// A bar chart of `categories` × `series` as an SVG document. Labels are escaped by the SVG
/// backend.
pub fn bar_chart(
    title: &str,
    y_desc: &str,
    categories: &[String],
    series: &[Series],
    layout: Layout,
) -> Result<String, String> {
    let n = categories.len();
    let m = series.len().max(1);
    // Grouped: each category takes m bar slots and one gap slot; stacked: one bar, one gap.
    let per = match layout {
        Layout::Grouped => m + 1,
        Layout::Stacked => 2,
    };
    let (bottom, top) = value_range(series, layout, n);
    let err = |e: &dyn std::fmt::Display| format!("chart \"{title}\": {e}");
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let slots = (n * per).max(1) as i32;
        let (label_area, label_style) = category_labels(categories);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(label_area)
            .y_label_area_size(60)
            .build_cartesian_2d((0..slots).into_segmented(), bottom..top)
            .map_err(|e| err(&e))?;
        let label_slot = match layout {
            Layout::Grouped => (m / 2) as i32,
            Layout::Stacked => 0,
        };
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(k) if k % per as i32 == label_slot => categories
                .get((k / per as i32) as usize)
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        };
        // Category names are drawn below, anchored at the axis: plotters centres mesh labels
        // on their tick, which would push rotated names into the plot.
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(slots as usize)
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|v: &f64| tick(*v))
            .y_desc(y_desc)
            .draw()
            .map_err(|e| err(&e))?;
        for k in 0..slots {
            let text = label(&SegmentValue::CenterOf(k));
            if text.is_empty() {
                continue;
            }
            let (x, y) = chart.backend_coord(&(SegmentValue::CenterOf(k), bottom));
            root.draw(&Text::new(text, (x, y + 8), label_style.clone()))
                .map_err(|e| err(&e))?;
        }
        let mut base = vec![0.0f64; n];
        for (j, s) in series.iter().enumerate() {
            let c = color(j);
            let bars: Vec<Rectangle<(SegmentValue<i32>, f64)>> = (0..n)
                .map(|i| {
                    let (slot, y0, y1) = match layout {
                        Layout::Grouped => ((i * per + j) as i32, 0.0, s.values[i]),
                        Layout::Stacked => {
                            let y0 = base[i];
                            base[i] += s.values[i].max(0.0);
                            ((i * per) as i32, y0, base[i])
                        }
                    };
                    Rectangle::new(
                        [
                            (SegmentValue::Exact(slot), y0),
                            (SegmentValue::Exact(slot + 1), y1),
                        ],
                        c.filled(),
                    )
                })
                .collect();
            chart
                .draw_series(bars)
                .map_err(|e| err(&e))?
                .label(s.name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled()));
            if let (Layout::Grouped, Some(errors)) = (layout, &s.errors) {
                let whiskers = errors.iter().enumerate().flat_map(|(i, (lo, hi))| {
                    let slot = (i * per + j) as i32;
                    let (x, _) = chart.backend_coord(&(SegmentValue::CenterOf(slot), *lo));
                    let (_, y_lo) = chart.backend_coord(&(SegmentValue::CenterOf(slot), *lo));
                    let (_, y_hi) = chart.backend_coord(&(SegmentValue::CenterOf(slot), *hi));
                    let line = BLACK.stroke_width(1);
                    [
                        PathElement::new(vec![(x, y_lo), (x, y_hi)], line),
                        PathElement::new(vec![(x - 3, y_lo), (x + 3, y_lo)], line),
                        PathElement::new(vec![(x - 3, y_hi), (x + 3, y_hi)], line),
                    ]
                });
                for w in whiskers.collect::<Vec<_>>() {
                    root.draw(&w).map_err(|e| err(&e))?;
                }
            }
        }
        if series.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
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
    }

    #[test]
    fn a_grouped_chart_has_bars_labels_and_escaped_names() {
        let svg = bar_chart(
            "Credit",
            "share %",
            &["<b>Email</b>".to_string(), "Search".to_string()],
            &[
                Series::new("linear", vec![40.0, 60.0]),
                Series::new("markov", vec![55.0, 45.0]),
            ],
            Layout::Grouped,
        )
        .expect("draws");
        assert!(svg.starts_with("<svg"));
        assert!(svg.matches("<rect").count() >= 4, "bars drawn");
        assert!(svg.contains("&lt;b&gt;Email&lt;/b&gt;"), "names escaped");
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("markov"), "legend");
    }

    #[test]
    fn a_stacked_chart_and_an_empty_one_draw() {
        let stacked = bar_chart(
            "Rows",
            "rows",
            &["web".to_string()],
            &[
                Series::new("loaded", vec![90.0]),
                Series::new("rejected", vec![10.0]),
            ],
            Layout::Stacked,
        )
        .expect("draws");
        assert!(stacked.contains("<rect"));
        assert!(bar_chart("Nothing", "x", &[], &[], Layout::Grouped).is_ok());
    }
}
