//! The HTML report: one self-contained file (inline CSS and SVG charts, no network requests).
//! Every name and value printed is HTML-escaped. It carries no clock time, so the same inputs
//! give the same bytes.

use std::fmt::Write as _;

use super::charts::{bar_chart, Layout, Series};
use super::compare::ChannelComparison;
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

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2433;background:#f5f6f8}
header{background:#1d2433;color:#fff;padding:20px 32px}header h1{margin:0;font-size:24px}header p{margin:4px 0 0;color:#c5cbd6}
main{max-width:1040px;margin:0 auto;padding:16px 32px 48px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:16px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:18px;margin:0 0 8px}p.help{color:#5b6475;margin:0 0 12px;font-size:14px}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{flex:1 1 150px;background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.card b{display:block;font-size:22px}.card span{color:#5b6475;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin-top:8px;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #e3e6eb;text-align:right}
th:first-child,td:first-child{text-align:left}tr.disputed td:first-child{font-weight:600}
svg{max-width:100%;height:auto}.note{color:#8a4b00;font-size:13px}";

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
    let mut s = String::from("<table><thead><tr>");
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
    s.push_str("</tbody></table>");
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

/// Each model's share per channel, as a grouped chart and a table.
fn credit_section(
    page: &Page,
    channels: &[String],
    models: &[String],
    body: &mut String,
) -> Result<(), String> {
    let shares: Vec<Series> = models
        .iter()
        .enumerate()
        .map(|(m, name)| {
            let total = page.results[m].total_conversions();
            let scale = if total != 0.0 { 100.0 / total } else { 0.0 };
            Series {
                name: name.clone(),
                values: page
                    .comparison
                    .iter()
                    .map(|c| 100.0 * c.shares[m])
                    .collect(),
                errors: page.intervals.and_then(|iv| iv.get(m)).map(|iv| {
                    iv.iter()
                        .map(|i| (i.conversions_low * scale, i.conversions_high * scale))
                        .collect()
                }),
            }
        })
        .collect();
    let chart = bar_chart(
        "Conversion share by channel and model",
        "share of conversions (%)",
        channels,
        &shares,
        Layout::Grouped,
    )?;
    let mut header = vec!["channel".to_string()];
    header.extend(models.iter().cloned());
    header.push("spread".into());
    let rows: Vec<Vec<String>> = page
        .comparison
        .iter()
        .map(|c| {
            let mut r = vec![if c.disputed {
                format!("{} *", c.channel)
            } else {
                c.channel.clone()
            }];
            r.extend(c.shares.iter().map(|s| pct(*s)));
            r.push(format!("{:.1} pp", 100.0 * c.spread));
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
            "Each model's share of the attributed conversions{}. * marks the channels the models disagree on most; the baseline is {}.",
            if page.intervals.is_some() { ", with 90 % bootstrap intervals as error bars" } else { "" },
            page.baseline
        ),
        &format!("{chart}{}", table(&header, &rows, &classes)),
    );
    Ok(())
}

/// The spread of each channel's share across models, and each model's change against the baseline.
fn disagreement_section(
    page: &Page,
    channels: &[String],
    models: &[String],
    body: &mut String,
) -> Result<(), String> {
    let spread = Series {
        errors: None,
        name: "spread".into(),
        values: page.comparison.iter().map(|c| 100.0 * c.spread).collect(),
    };
    let delta_header: Vec<String> = std::iter::once("channel".to_string())
        .chain(models.iter().map(|m| format!("{m} vs {}", page.baseline)))
        .collect();
    let delta_rows: Vec<Vec<String>> = page
        .comparison
        .iter()
        .map(|c| {
            std::iter::once(c.channel.clone())
                .chain(
                    c.delta_vs_baseline
                        .iter()
                        .map(|d| format!("{:+.1} pp", 100.0 * d)),
                )
                .collect()
        })
        .collect();
    section(
        body,
        "Where the models disagree",
        "The largest minus the smallest share each channel gets across models, and each model's change against the baseline.",
        &format!(
            "{}{}",
            bar_chart("Spread of conversion share across models", "percentage points", channels, std::slice::from_ref(&spread), Layout::Grouped)?,
            table(&delta_header, &delta_rows, &[])
        ),
    );
    Ok(())
}

/// The paths with most conversions.
fn top_paths_section(page: &Page, body: &mut String) -> Result<(), String> {
    let top = page.table.top_rows(10);
    let ranks: Vec<String> = (1..=top.len()).map(|i| format!("#{i}")).collect();
    let top_chart = bar_chart(
        "Top paths by conversions",
        "conversions",
        &ranks,
        &[Series {
            errors: None,
            name: "conversions".into(),
            values: top.iter().map(|r| r.conversions as f64).collect(),
        }],
        Layout::Grouped,
    )?;
    let top_rows: Vec<Vec<String>> = top
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                format!("#{} {}", i + 1, page.table.path_text(&r.path)),
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
    Ok(())
}

/// Touches per journey, converting and not.
fn path_length_section(page: &Page, body: &mut String) -> Result<(), String> {
    let lengths = super::journeys::path_lengths(page.table);
    let (conv, nulls) = (
        page.table.conversions().max(1) as f64,
        page.table.nulls().max(1) as f64,
    );
    section(
        body,
        "Path length",
        "Touches per journey after path transforms, as a share of converting and of non-converting journeys.",
        &bar_chart(
            "Path length",
            "share of journeys (%)",
            &lengths.iter().map(|l| l.0.clone()).collect::<Vec<_>>(),
            &[
                Series { errors: None, name: "converting".into(), values: lengths.iter().map(|l| 100.0 * l.1 as f64 / conv).collect() },
                Series { errors: None, name: "non-converting".into(), values: lengths.iter().map(|l| 100.0 * l.2 as f64 / nulls).collect() },
            ],
            Layout::Grouped,
        )?,
    );
    Ok(())
}

/// Time from first touch to conversion.
fn time_to_conversion_section(page: &Page, body: &mut String) -> Result<(), String> {
    if let Some(j) = page.journeys {
        let buckets = j.time_to_conversion;
        section(
            body,
            "Time to conversion",
            "Time from a journey's first touch to its conversion.",
            &bar_chart(
                "Time to conversion",
                "conversions",
                &buckets.iter().map(|b| b.0.to_string()).collect::<Vec<_>>(),
                &[Series {
                    errors: None,
                    name: "conversions".into(),
                    values: buckets.iter().map(|b| b.1 as f64).collect(),
                }],
                Layout::Grouped,
            )?,
        );
    }
    Ok(())
}

/// Rows per source loaded, ignored and rejected, and the reasons.
fn data_quality_section(page: &Page, body: &mut String) -> Result<(), String> {
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
        .map(|(n, v)| Series {
            errors: None,
            name: n.into(),
            values: v,
        });
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
                bar_chart(
                    "Rows per source",
                    "rows",
                    &sources,
                    &series,
                    Layout::Stacked
                )?,
                table(
                    &["source", "reason", "rows rejected"].map(String::from),
                    &reasons,
                    &[]
                )
            ),
        );
    }
    Ok(())
}

/// ROAS and CPA per channel and model.
fn spend_section(page: &Page, models: &[String], body: &mut String) -> Result<(), String> {
    if let Some(spend) = page.spend {
        let mut spend_channels: Vec<String> = spend.iter().map(|e| e.channel.clone()).collect();
        spend_channels.sort();
        spend_channels.dedup();
        let roas: Vec<Series> = models
            .iter()
            .map(|m| Series {
                errors: None,
                name: m.clone(),
                values: spend_channels
                    .iter()
                    .map(|c| {
                        spend
                            .iter()
                            .find(|e| &e.model == m && &e.channel == c)
                            .and_then(|e| e.roas)
                            .unwrap_or(0.0)
                    })
                    .collect(),
            })
            .collect();
        let rows: Vec<Vec<String>> = spend
            .iter()
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
            "Attributed value per unit of cost (ROAS) and cost per attributed conversion (CPA), by model.",
            &format!(
                "{}{}",
                bar_chart("ROAS by channel and model", "attributed value / cost", &spend_channels, &roas, Layout::Grouped)?,
                table(&["channel", "model", "cost", "conversions", "CPA", "value", "ROAS"].map(String::from), &rows, &[])
            ),
        );
    }
    Ok(())
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
pub fn render(page: &Page) -> Result<String, String> {
    let channels: Vec<String> = page.comparison.iter().map(|c| c.channel.clone()).collect();
    let models: Vec<String> = page.results.iter().map(|a| a.model.clone()).collect();
    let mut body = String::new();
    headline_cards(page, &mut body);
    credit_section(page, &channels, &models, &mut body)?;
    disagreement_section(page, &channels, &models, &mut body)?;
    top_paths_section(page, &mut body)?;
    path_length_section(page, &mut body)?;
    time_to_conversion_section(page, &mut body)?;
    data_quality_section(page, &mut body)?;
    spend_section(page, &models, &mut body)?;
    notes_section(page, &mut body);

    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>omnitouch attribution report</title><style>{STYLE}</style></head><body><header><h1>Attribution report</h1><p>{} models, {} channels · omnitouch {}</p>{}</header><main>{body}</main></body></html>\n",
        models.len(),
        channels.len(),
        escape(env!("CARGO_PKG_VERSION")),
        page.context
            .map(|c| format!("<p class=\"context\">{}</p>", escape(c)))
            .unwrap_or_default()
    ))
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
