//! The HTML report: one self-contained file (inline CSS and SVG charts, no network requests).
//! Every name and value printed is HTML-escaped. It carries no clock time, so the same inputs
//! give the same bytes.

use std::fmt::Write as _;

use super::charts::{BarChart, Scale, Series};
use super::compare::ChannelComparison;
use super::credits::SegmentResults;
use super::spend::Efficiency;
use crate::attribution::bootstrap::Intervals;
use crate::attribution::Attribution;
use crate::identity::StitchStats;
use crate::ingest::Accounting;
use crate::journey::{JourneyStats, PathTable};

/// Everything a report shows; the optional parts appear when known.
pub struct Page<'a> {
    pub results: &'a [Attribution],
    pub comparison: &'a [ChannelComparison],
    pub baseline: &'a str,
    pub table: &'a PathTable,
    pub accounting: Option<&'a Accounting>,
    pub people: Option<&'a StitchStats>,
    pub journeys: Option<JourneySummary<'a>>,
    pub spend: Option<&'a [Efficiency]>,
    /// Bootstrap intervals per model and channel, drawn as error bars.
    pub intervals: Option<&'a Intervals>,
    /// What the report covers (window, lookback, models, config), in one line.
    pub context: Option<&'a str>,
    /// Indices into `results` of the models the page draws ([`page_models`]).
    pub models: Vec<usize>,
    /// Credits per period, for the period view.
    pub periods: Option<PeriodView<'a>>,
    /// Lift tests beside the models' credit in their windows (`[[experiments]]`).
    pub lift: &'a [crate::attribution::calibration::LiftCheck],
    /// Each model calibrated to the lift tests, in `results` order.
    pub calibrated: &'a [Attribution],
}

/// Credits per period: each segment's results for the page's models, in their order.
pub struct PeriodView<'a> {
    /// `day`, `week` or `month`.
    pub period: &'a str,
    pub segments: &'a [SegmentResults],
    /// Keys of the periods cut by the window or the data's ends.
    pub partial: &'a std::collections::BTreeSet<String>,
}

/// Journey counts and the time-to-conversion buckets.
#[derive(Clone, Copy)]
pub struct JourneySummary<'a> {
    pub stats: &'a JourneyStats,
    pub time_to_conversion: &'a [(&'static str, usize)],
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A page of its own in the report's style: `title` as its heading, `body` (HTML) below.
pub fn standalone_page(title: &str, subtitle: &str, body: &str) -> String {
    shell(
        &escape(title),
        &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(subtitle)),
        body,
    )
}

/// A whole page in the report's style: `title` (escaped) for the browser, `header` and `body`
/// as HTML.
fn shell(title: &str, header: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><style>{STYLE}</style></head><body><header>{header}</header><main>{body}</main></body></html>\n"
    )
}

const STYLE: &str = "tr.outside td{color:#b42318;font-weight:600}
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2433;background:#f5f6f8}
header{background:#1d2433;color:#fff;padding:20px 32px}header h1{margin:0;font-size:24px}header p{margin:4px 0 0;color:#c5cbd6}
main{max-width:1040px;margin:0 auto;padding:16px 32px 48px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:16px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:18px;margin:0 0 8px}p.help{color:#5b6475;margin:0 0 12px;font-size:14px}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{flex:1 1 150px;background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.card b{display:block;font-size:22px}.card span{color:#5b6475;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin-top:8px;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #e3e6eb;text-align:right}
th:first-child,td:first-child{text-align:left}tr.disputed td:first-child{font-weight:600}
svg{display:block;width:100%;height:auto}.chart-box{overflow-x:auto;margin:8px 0}.chart-box svg{min-width:640px}.scroll{overflow-x:auto}
@media (max-width:600px){header{padding:16px}main{padding:8px 8px 32px}section{padding:12px}}
header p.models{font-size:13px}.note{color:#8a4b00;font-size:13px}";

fn card(out: &mut String, value: &str, label: &str) {
    let _ = write!(
        out,
        "<div class=\"card\"><b>{}</b><span>{}</span></div>",
        escape(value),
        escape(label)
    );
}

fn section(out: &mut String, title: &str, help: &str, body: &str) {
    let _ = write!(
        out,
        "<section><h2>{}</h2><p class=\"help\">{}</p>{body}</section>",
        escape(title),
        escape(help)
    );
}

fn table(header: &[String], rows: &[Vec<String>], classes: &[&str]) -> String {
    let mut s = String::from("<div class=\"scroll\"><table><thead><tr>");
    for h in header {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s.push_str("</tr></thead><tbody>");
    for (i, r) in rows.iter().enumerate() {
        let class = classes.get(i).copied().unwrap_or("");
        if class.is_empty() {
            s.push_str("<tr>");
        } else {
            let _ = write!(s, "<tr class=\"{class}\">");
        }
        for c in r {
            let _ = write!(s, "<td>{}</td>", escape(c));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// The headline figures: conversions, value, rows, people, journeys.
fn headline_cards(page: &Page, body: &mut String) {
    body.push_str("<div class=\"cards\">");
    card(
        body,
        &page.table.conversions().to_string(),
        "attributed conversions",
    );
    card(
        body,
        &format!("{:.2}", page.table.value()),
        "attributed value",
    );
    card(
        body,
        &page.table.nulls().to_string(),
        "non-converting journeys",
    );
    if let Some(a) = page.accounting {
        let t = a.total();
        card(body, &t.rows_read.to_string(), "rows read");
        card(
            body,
            &format!(
                "{} ({})",
                t.rejected_total(),
                pct(t.rejected_total() as f64 / (t.rows_read.max(1)) as f64)
            ),
            "rows rejected",
        );
    }
    if let Some(p) = page.people {
        card(body, &p.people.to_string(), "people");
    }
    if let Some(j) = page.journeys {
        card(
            body,
            &j.stats.unattributed.to_string(),
            "unattributed conversions",
        );
        card(
            body,
            &j.stats.cross_device.to_string(),
            "cross-device journeys",
        );
        card(
            body,
            &j.stats.online_to_offline.to_string(),
            "online → offline journeys",
        );
    }
    body.push_str("</div>");
}

/// The models the page draws, as indices into `models` (name, base model): the ones asked for
/// (`all` for every model), or else every model when there are at most six, or else one of
/// each of [`DEFAULT_PAGE_MODELS`] (the model of that name, else the first with that base)
/// and the baseline. `Err` names a model asked for that did not run.
pub fn page_models(
    models: &[(&str, &str)],
    baseline: &str,
    asked: Option<&[String]>,
) -> Result<Vec<usize>, String> {
    let named = |name: &str| models.iter().position(|m| m.0 == name);
    match asked {
        Some(names) if names.iter().any(|n| n == "all") => Ok((0..models.len()).collect()),
        Some(names) => names
            .iter()
            .map(|n| {
                named(n).ok_or_else(|| {
                    let run: Vec<&str> = models.iter().map(|m| m.0).collect();
                    format!(
                        "\"{n}\" did not run; the models run are: {}",
                        run.join(", ")
                    )
                })
            })
            .collect(),
        None if models.len() <= 6 => Ok((0..models.len()).collect()),
        None => {
            let mut shown: Vec<usize> = DEFAULT_PAGE_MODELS
                .iter()
                .filter_map(|base| named(base).or_else(|| models.iter().position(|m| m.1 == *base)))
                .chain(named(baseline))
                .collect();
            shown.sort_unstable();
            shown.dedup();
            if shown.is_empty() {
                shown = (0..models.len().min(DEFAULT_PAGE_MODELS.len())).collect();
            }
            Ok(shown)
        }
    }
}

/// The models a planner compares first: two single-touch rules, an even split, a decay and
/// the data-driven chain.
pub const DEFAULT_PAGE_MODELS: [&str; 5] = [
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "markov",
];

/// The share of conversions or value each shown model gives each channel, in percent.
fn shares(page: &Page, channels: &[String], value: bool) -> Vec<Series> {
    page.models
        .iter()
        .map(|&m| {
            let a = &page.results[m];
            let credit = if value { &a.value } else { &a.conversions };
            let total: f64 = credit.iter().sum();
            let scale = if total != 0.0 { 100.0 / total } else { 0.0 };
            let of = |c: &String| {
                a.channels
                    .iter()
                    .position(|x| x == c)
                    .map_or(0.0, |k| credit[k] * scale)
            };
            Series {
                name: a.model.clone(),
                values: channels.iter().map(of).collect(),
                errors: page
                    .intervals
                    .and_then(|iv| iv.get(m))
                    .filter(|iv| iv.len() == channels.len())
                    .map(|iv| {
                        iv.iter()
                            .map(|i| {
                                if value {
                                    (i.value_low * scale, i.value_high * scale)
                                } else {
                                    (i.conversions_low * scale, i.conversions_high * scale)
                                }
                            })
                            .collect()
                    }),
            }
        })
        .collect()
}

/// Each shown model's share of conversions and of value per channel: two charts and a table.
fn credit_section(page: &Page, channels: &[String], body: &mut String) {
    let conversions = shares(page, channels, false);
    let value = shares(page, channels, true);
    let conversion_chart = BarChart::new(
        "Conversion share by channel and model",
        "channel",
        "share of conversions (%)",
        channels,
        &conversions,
    )
    .figure();
    let value_chart = BarChart::new(
        "Value share by channel and model",
        "channel",
        "share of value (%)",
        channels,
        &value,
    )
    .figure();
    let mut header = vec!["channel".to_string()];
    for s in &conversions {
        header.push(format!("{} conversions", s.name));
        header.push(format!("{} value", s.name));
    }
    let rows: Vec<Vec<String>> = page
        .comparison
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut r = vec![if c.disputed {
                format!("{} *", c.channel)
            } else {
                c.channel.clone()
            }];
            for (conv, val) in conversions.iter().zip(&value) {
                r.push(format!("{:.1}%", conv.values[i]));
                r.push(format!("{:.1}%", val.values[i]));
            }
            r
        })
        .collect();
    let classes: Vec<&str> = page
        .comparison
        .iter()
        .map(|c| if c.disputed { "disputed" } else { "" })
        .collect();
    section(
        body,
        "Credit by channel and model",
        &format!(
            "Each model's share of the attributed conversions and of their value{}. Value share differs from conversion share where a channel's conversions are worth more or less than the average. * marks the channels the models disagree on most; the baseline is {}.",
            if page.intervals.is_some() { ", with 90 % bootstrap intervals as error bars" } else { "" },
            page.baseline
        ),
        &format!("{conversion_chart}{value_chart}{}", table(&header, &rows, &classes)),
    );
}

/// The spread of each channel's share across the shown models, and each model's change
/// against the baseline.
fn disagreement_section(page: &Page, channels: &[String], body: &mut String) {
    let spread_of = |c: &ChannelComparison| {
        let shown = page.models.iter().filter_map(|&m| c.shares.get(m).copied());
        let (lo, hi) = shown.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
            (lo.min(s), hi.max(s))
        });
        if hi >= lo {
            100.0 * (hi - lo)
        } else {
            0.0
        }
    };
    let spread = [Series::new(
        "spread",
        page.comparison.iter().map(spread_of).collect(),
    )];
    let delta_header: Vec<String> = std::iter::once("channel".to_string())
        .chain(
            page.models
                .iter()
                .map(|&m| format!("{} vs {}", page.results[m].model, page.baseline)),
        )
        .collect();
    let delta_rows: Vec<Vec<String>> = page
        .comparison
        .iter()
        .map(|c| {
            std::iter::once(c.channel.clone())
                .chain(page.models.iter().map(|&m| {
                    format!(
                        "{:+.1} pp",
                        100.0 * c.delta_vs_baseline.get(m).copied().unwrap_or(0.0)
                    )
                }))
                .collect()
        })
        .collect();
    section(
        body,
        "Where the models disagree",
        "The largest minus the smallest share each channel gets across the models shown, and each model's change against the baseline.",
        &format!(
            "{}{}",
            BarChart::new(
                "Spread of conversion share across models",
                "channel",
                "percentage points",
                channels,
                &spread
            )
            .figure(),
            table(&delta_header, &delta_rows, &[])
        ),
    );
}

/// Each channel's share per period under each shown model: one stacked chart per model.
fn period_section(page: &Page, channels: &[String], body: &mut String) {
    let Some(view) = &page.periods else {
        section(
            body,
            "Shares per period",
            "Shares per period need each journey's time, which this run does not keep: a path table (--paths), a run in shards, or a --by breakdown. Run on the exports (--config) without them to see each channel's share per week here.",
            "",
        );
        return;
    };
    let keys: Vec<String> = view
        .segments
        .iter()
        .map(|s| {
            if view.partial.contains(&s.key) {
                format!("{}*", s.key)
            } else {
                s.key.clone()
            }
        })
        .collect();
    let mut charts = String::new();
    for (k, &m) in page.models.iter().enumerate() {
        let model = &page.results[m].model;
        let series: Vec<Series> = channels
            .iter()
            .map(|c| {
                let values = view
                    .segments
                    .iter()
                    .map(|s| {
                        s.results.get(k).map_or(0.0, |a| {
                            let total = a.total_conversions();
                            let credit = a
                                .channels
                                .iter()
                                .position(|x| x == c)
                                .map_or(0.0, |k| a.conversions[k]);
                            if total > 0.0 {
                                100.0 * credit / total
                            } else {
                                0.0
                            }
                        })
                    })
                    .collect();
                Series::new(c.clone(), values)
            })
            .collect();
        charts.push_str(
            &BarChart::new(
                &format!("Share per {} under {model}", view.period),
                view.period,
                "share of conversions (%)",
                &keys,
                &series,
            )
            .stacked()
            .up_to(100.0)
            .figure(),
        );
    }
    section(
        body,
        "Shares per period",
        &format!(
            "Each channel's share of the conversions in each {0}, one chart per model; * marks a partial {0}, cut by the report window or the data's first or last day.",
            view.period
        ),
        &charts,
    );
}

/// The paths with most conversions, named.
fn top_paths_section(page: &Page, body: &mut String) {
    let top = page.table.top_rows(10);
    let names: Vec<String> = top.iter().map(|r| page.table.path_text(&r.path)).collect();
    let series = [Series::new(
        "conversions",
        top.iter().map(|r| r.conversions as f64).collect(),
    )];
    let top_chart = BarChart::new(
        "Top paths by conversions",
        "path",
        "conversions",
        &names,
        &series,
    )
    .horizontal()
    .counts()
    .figure();
    let top_rows: Vec<Vec<String>> = top
        .iter()
        .zip(&names)
        .map(|(r, name)| {
            vec![
                name.clone(),
                r.conversions.to_string(),
                format!("{:.2}", r.value),
                r.nulls.to_string(),
                pct(r.conversions as f64 / ((r.conversions + r.nulls).max(1)) as f64),
            ]
        })
        .collect();
    section(
        body,
        "Top paths",
        "The paths with most conversions, with their non-converting journeys.",
        &format!(
            "{top_chart}{}",
            table(
                &[
                    "path",
                    "conversions",
                    "value",
                    "non-converting",
                    "conversion rate"
                ]
                .map(String::from),
                &top_rows,
                &[]
            )
        ),
    );
}

/// Touches per journey, converting and not.
fn path_length_section(page: &Page, body: &mut String) {
    let lengths = super::journeys::path_lengths(page.table);
    let (conv, nulls) = (
        page.table.conversions().max(1) as f64,
        page.table.nulls().max(1) as f64,
    );
    let categories: Vec<String> = lengths.iter().map(|l| l.0.clone()).collect();
    let series = [
        Series::new(
            "converting",
            lengths.iter().map(|l| 100.0 * l.1 as f64 / conv).collect(),
        ),
        Series::new(
            "non-converting",
            lengths.iter().map(|l| 100.0 * l.2 as f64 / nulls).collect(),
        ),
    ];
    section(
        body,
        "Path length",
        "Touches per journey after path transforms, as a share of converting and of non-converting journeys.",
        &BarChart::new(
            "Path length",
            "touches in the journey",
            "share of journeys (%)",
            &categories,
            &series,
        )
        .figure(),
    );
}

/// Time from first touch to conversion.
fn time_to_conversion_section(page: &Page, body: &mut String) {
    if let Some(j) = page.journeys {
        let buckets = j.time_to_conversion;
        let categories: Vec<String> = buckets.iter().map(|b| b.0.to_string()).collect();
        let series = [Series::new(
            "conversions",
            buckets.iter().map(|b| b.1 as f64).collect(),
        )];
        section(
            body,
            "Time to conversion",
            "Time from a journey's first touch to its conversion.",
            &BarChart::new(
                "Time to conversion",
                "time from first touch",
                "conversions",
                &categories,
                &series,
            )
            .counts()
            .figure(),
        );
    }
}

/// Rows per source loaded, ignored and rejected, and the reasons.
fn data_quality_section(page: &Page, body: &mut String) {
    if let Some(a) = page.accounting {
        let sources: Vec<String> = a.sources.iter().map(|s| s.source.clone()).collect();
        let series = [
            (
                "loaded",
                a.sources
                    .iter()
                    .map(|s| s.loaded() as f64)
                    .collect::<Vec<_>>(),
            ),
            (
                "ignored",
                a.sources.iter().map(|s| s.ignored as f64).collect(),
            ),
            (
                "rejected",
                a.sources
                    .iter()
                    .map(|s| s.rejected_total() as f64)
                    .collect(),
            ),
        ]
        .map(|(n, v)| Series::new(n, v));
        let reasons: Vec<Vec<String>> = a
            .sources
            .iter()
            .flat_map(|s| {
                s.rejected
                    .iter()
                    .map(move |(r, n)| vec![s.source.clone(), r.name().to_string(), n.to_string()])
            })
            .collect();
        section(
            body,
            "Data quality",
            "Every input row is loaded, deliberately ignored, or rejected with a reason.",
            &format!(
                "{}{}",
                BarChart::new("Rows per source", "source", "rows", &sources, &series)
                    .stacked()
                    .counts()
                    .figure(),
                table(
                    &["source", "reason", "rows rejected"].map(String::from),
                    &reasons,
                    &[]
                )
            ),
        );
    }
}

/// ROAS values spanning more than this ratio are drawn on a log scale, so that a 0.1 sits
/// visibly beside a 240.
const LOG_SCALE_RATIO: f64 = 20.0;

/// ROAS and CPA per channel and shown model.
/// The lift tests beside each model's credit in their windows, and the model that agrees
/// best; without tests, what the evaluation found.
fn lift_section(page: &Page, body: &mut String) {
    if page.lift.is_empty() {
        let line = super::lift::without_tests(page.table);
        section(
            body,
            "Which model to believe",
            "",
            &format!("<p>{}</p>", escape(&line)),
        );
        return;
    }
    let (header, rows) = super::lift::rows(page.lift);
    let classes: Vec<&str> = page
        .lift
        .iter()
        .map(|c| {
            if c.inside == Some(false) {
                "outside"
            } else {
                ""
            }
        })
        .collect();
    let mut inner = table(&header, &rows, &classes);
    if let Some(line) = super::lift::recommendation(page.lift) {
        let _ = write!(inner, "<p>{}</p>", escape(&line));
    }
    // Each drawn model's conversion shares beside its calibrated ones.
    let mut header = vec!["channel".to_string()];
    let mut columns: Vec<&Attribution> = Vec::new();
    for &m in &page.models {
        let model = &page.results[m];
        if let Some(c) = page
            .calibrated
            .iter()
            .find(|c| c.model == format!("calibrated:{}", model.model))
        {
            header.push(model.model.clone());
            header.push(c.model.clone());
            columns.push(model);
            columns.push(c);
        }
    }
    if !columns.is_empty() {
        let channels = &columns[0].channels;
        let rows: Vec<Vec<String>> = channels
            .iter()
            .enumerate()
            .map(|(i, ch)| {
                let mut row = vec![ch.clone()];
                for a in &columns {
                    let total = a.total_conversions();
                    let share = if total > 0.0 {
                        a.conversions[i] / total
                    } else {
                        0.0
                    };
                    row.push(pct(share));
                }
                row
            })
            .collect();
        let _ = write!(inner, "<h3>Calibrated credit (conversion shares)</h3>");
        inner.push_str(&table(&header, &rows, &[]));
    }
    section(
        body,
        "Lift tests beside the models",
        "Each [[experiments]] entry measured a channel's incremental conversions; beside it, the credit each model gives that channel for the conversions of the test's window. OUTSIDE: the credit falls outside the test's interval.",
        &inner,
    );
}

fn spend_section(page: &Page, body: &mut String) {
    let Some(spend) = page.spend else {
        return;
    };
    let models: Vec<&str> = page
        .models
        .iter()
        .map(|&m| page.results[m].model.as_str())
        .collect();
    let mut spend_channels: Vec<String> = spend.iter().map(|e| e.channel.clone()).collect();
    spend_channels.sort();
    spend_channels.dedup();
    let roas: Vec<Series> = models
        .iter()
        .map(|m| {
            Series::new(
                *m,
                spend_channels
                    .iter()
                    .map(|c| {
                        spend
                            .iter()
                            .find(|e| e.model == *m && &e.channel == c)
                            .and_then(|e| e.roas)
                            .unwrap_or(0.0)
                    })
                    .collect(),
            )
        })
        .collect();
    let positive = roas.iter().flat_map(|s| &s.values).filter(|v| **v > 0.0);
    let (lo, hi) = positive.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(*v), hi.max(*v))
    });
    let scale = if hi > 0.0 && hi / lo > LOG_SCALE_RATIO {
        Scale::Log
    } else {
        Scale::Linear
    };
    let rows: Vec<Vec<String>> = spend
        .iter()
        .filter(|e| models.contains(&e.model.as_str()))
        .map(|e| {
            vec![
                e.channel.clone(),
                e.model.clone(),
                format!("{:.2}", e.cost),
                format!("{:.2}", e.conversions),
                e.cpa.map_or("-".into(), |x| format!("{x:.2}")),
                format!("{:.2}", e.value),
                e.roas.map_or("-".into(), |x| format!("{x:.2}")),
            ]
        })
        .collect();
    section(
        body,
        "Spend and return",
        &format!(
            "Attributed value per unit of cost (ROAS) and cost per attributed conversion (CPA), by model.{}",
            if scale == Scale::Log {
                " ROAS spans more than a factor of 20, so its axis is logarithmic: each gridline is ten times the one below."
            } else {
                ""
            }
        ),
        &format!(
            "{}{}",
            BarChart::new(
                "ROAS by channel and model",
                "channel",
                "attributed value / cost",
                &spend_channels,
                &roas
            )
            .scale(scale)
            .figure(),
            table(
                &["channel", "model", "cost", "conversions", "CPA", "value", "ROAS"]
                    .map(String::from),
                &rows,
                &[]
            )
        ),
    );
}

/// The models' notes.
fn notes_section(page: &Page, body: &mut String) {
    let notes: Vec<String> = page
        .results
        .iter()
        .flat_map(|a| a.notes.iter().map(move |n| format!("{}: {n}", a.model)))
        .collect();
    if !notes.is_empty() {
        let list: String = notes
            .iter()
            .map(|n| format!("<p class=\"note\">{}</p>", escape(n)))
            .collect();
        section(body, "Notes", "What the models want you to know.", &list);
    }
}

/// Renders the report: a header, then one section after another.
pub fn render(page: &Page) -> String {
    let channels: Vec<String> = page.comparison.iter().map(|c| c.channel.clone()).collect();
    let mut body = String::new();
    headline_cards(page, &mut body);
    credit_section(page, &channels, &mut body);
    disagreement_section(page, &channels, &mut body);
    period_section(page, &channels, &mut body);
    top_paths_section(page, &mut body);
    path_length_section(page, &mut body);
    time_to_conversion_section(page, &mut body);
    data_quality_section(page, &mut body);
    spend_section(page, &mut body);
    lift_section(page, &mut body);
    notes_section(page, &mut body);
    let shown: Vec<&str> = page
        .models
        .iter()
        .map(|&m| page.results[m].model.as_str())
        .collect();
    let models_line = if shown.len() < page.results.len() {
        format!(
            "Charts show {} of the {} models run: {}. Every model is in credits.csv and compare.md; --page-models all draws them all.",
            shown.len(),
            page.results.len(),
            shown.join(", ")
        )
    } else {
        format!("Models: {}.", shown.join(", "))
    };
    let header = format!(
        "<h1>Attribution report</h1><p>{} models, {} channels · omnitouch {}</p>{}<p class=\"models\">{}</p>",
        page.results.len(),
        channels.len(),
        escape(env!("CARGO_PKG_VERSION")),
        page.context
            .map(|c| format!("<p class=\"context\">{}</p>", escape(c)))
            .unwrap_or_default(),
        escape(&models_line)
    );
    shell("omnitouch attribution report", &header, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x')&\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;"
        );
    }
}

#[cfg(test)]
mod page_model_tests {
    use super::*;

    const RUN: [(&str, &str); 8] = [
        ("last_touch", "last_touch"),
        ("first_touch", "first_touch"),
        ("linear", "linear"),
        ("u_shaped", "position_based"),
        ("time_decay_7d", "time_decay"),
        ("markov", "markov"),
        ("markov_order_2", "markov"),
        ("shapley", "shapley"),
    ];

    #[test]
    fn the_page_draws_about_five_models_unless_asked() {
        // time_decay_7d stands in for time_decay; shapley only when it is the baseline.
        assert_eq!(
            page_models(&RUN, "last_touch", None),
            Ok(vec![0, 1, 2, 4, 5])
        );
        assert_eq!(
            page_models(&RUN, "shapley", None),
            Ok(vec![0, 1, 2, 4, 5, 7])
        );
        assert_eq!(
            page_models(&RUN[..6], "last_touch", None),
            Ok((0..6).collect())
        );
        let all = ["all".to_string()];
        assert_eq!(
            page_models(&RUN, "last_touch", Some(&all)),
            Ok((0..8).collect())
        );
        let two = ["shapley".to_string(), "linear".to_string()];
        assert_eq!(page_models(&RUN, "last_touch", Some(&two)), Ok(vec![7, 2]));
        let typo = ["shapely".to_string()];
        let err = page_models(&RUN, "last_touch", Some(&typo)).expect_err("not run");
        assert!(err.contains("\"shapely\" did not run") && err.contains("markov_order_2"));
    }
}
