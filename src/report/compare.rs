//! Side-by-side model comparison: one row per channel, one column per model.

use comfy_table::{Cell, Table};
use serde::Serialize;

use super::table::{self, right};
use crate::attribution::Attribution;

/// How many channels are marked as most disputed.
const MARKED: usize = 3;

/// One channel across models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelComparison {
    pub channel: String,
    /// Conversion share under each model, in model order.
    pub shares: Vec<f64>,
    /// Largest minus smallest share.
    pub spread: f64,
    /// Share under each model minus the baseline's share.
    pub delta_vs_baseline: Vec<f64>,
    /// Rank (1 = most credited) under each model.
    pub ranks: Vec<usize>,
    /// Among the channels the models disagree on most.
    pub disputed: bool,
}

/// Compares `results` (same channels in the same order, as from one path table).
pub fn compare(results: &[Attribution], baseline: &str) -> Vec<ChannelComparison> {
    let Some(first) = results.first() else {
        return Vec::new();
    };
    let shares: Vec<Vec<f64>> = results
        .iter()
        .map(|a| {
            let t = a.total_conversions();
            a.conversions
                .iter()
                .map(|c| if t != 0.0 { c / t } else { 0.0 })
                .collect()
        })
        .collect();
    let base = results
        .iter()
        .position(|a| a.model == baseline)
        .unwrap_or(0);
    let ranks: Vec<Vec<usize>> = shares
        .iter()
        .map(|s| {
            let mut order: Vec<usize> = (0..s.len()).collect();
            order.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b)));
            let mut rank = vec![0; s.len()];
            for (r, i) in order.into_iter().enumerate() {
                rank[i] = r + 1;
            }
            rank
        })
        .collect();
    let mut rows: Vec<ChannelComparison> = first
        .channels
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let s: Vec<f64> = shares.iter().map(|m| m[i]).collect();
            let (lo, hi) = s
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                    (lo.min(*x), hi.max(*x))
                });
            ChannelComparison {
                channel: c.clone(),
                delta_vs_baseline: s.iter().map(|x| x - s[base]).collect(),
                spread: hi - lo,
                shares: s,
                ranks: ranks.iter().map(|r| r[i]).collect(),
                disputed: false,
            }
        })
        .collect();
    let mut by_spread: Vec<usize> = (0..rows.len()).collect();
    by_spread.sort_by(|&a, &b| rows[b].spread.total_cmp(&rows[a].spread).then(a.cmp(&b)));
    for &i in by_spread.iter().take(MARKED) {
        if rows[i].spread > 0.0 {
            rows[i].disputed = true;
        }
    }
    rows
}

/// The comparison as a terminal table: shares per model, spread, and the baseline.
pub fn compare_table(results: &[Attribution], rows: &[ChannelComparison], baseline: &str) -> Table {
    let mut header: Vec<String> = vec!["channel".into()];
    header.extend(results.iter().map(|a| a.model.clone()));
    header.push("spread".into());
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = table::new(&header_refs);
    for r in rows {
        let mut cells = vec![Cell::new(if r.disputed {
            format!("{} *", r.channel)
        } else {
            r.channel.clone()
        })];
        for (i, s) in r.shares.iter().enumerate() {
            let d = r.delta_vs_baseline[i];
            let text = if results[i].model == baseline || d.abs() < 0.0005 {
                format!("{:.1}%", 100.0 * s)
            } else {
                format!("{:.1}% ({:+.1})", 100.0 * s, 100.0 * d)
            };
            cells.push(right(text));
        }
        cells.push(right(format!("{:.1} pp", 100.0 * r.spread)));
        t.add_row(cells);
    }
    t
}

/// Renders a comparison as CSV (one row per channel and model), JSON or Markdown.
pub fn render(
    results: &[Attribution],
    rows: &[ChannelComparison],
    baseline: &str,
    format: super::credits::OutputFormat,
) -> std::result::Result<String, crate::output::WriteError> {
    use super::credits::OutputFormat;
    let models: Vec<&str> = results.iter().map(|a| a.model.as_str()).collect();
    Ok(match format {
        OutputFormat::Table => format!("{}\n", compare_table(results, rows, baseline)),
        // Parquet is written from the CSV form (see cli::emit).
        OutputFormat::Csv | OutputFormat::Parquet => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "channel",
                "model",
                "conversions_share",
                "delta_vs_baseline",
                "rank",
                "spread",
                "disputed",
            ])?;
            for r in rows {
                for (i, m) in models.iter().enumerate() {
                    w.write_record([
                        r.channel.clone(),
                        m.to_string(),
                        format!("{}", r.shares[i]),
                        format!("{}", r.delta_vs_baseline[i]),
                        r.ranks[i].to_string(),
                        format!("{}", r.spread),
                        r.disputed.to_string(),
                    ])?;
                }
            }
            String::from_utf8(w.into_inner().map_err(|e| e.to_string())?)?
        }
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "version": super::credits::JSON_VERSION,
                "baseline": baseline,
                "models": models,
                "channels": rows,
            });
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        OutputFormat::Markdown => {
            let esc = |t: &str| t.replace('|', "\\|");
            let mut s = format!(
                "| channel | {} | spread |\n|---|{}---:|\n",
                models
                    .iter()
                    .map(|m| esc(m))
                    .collect::<Vec<_>>()
                    .join(" | "),
                "---:|".repeat(models.len())
            );
            for r in rows {
                let cells: Vec<String> = r
                    .shares
                    .iter()
                    .zip(&r.delta_vs_baseline)
                    .enumerate()
                    .map(|(i, (sh, d))| {
                        if models[i] == baseline || d.abs() < 0.0005 {
                            format!("{:.1}%", 100.0 * sh)
                        } else {
                            format!("{:.1}% ({:+.1})", 100.0 * sh, 100.0 * d)
                        }
                    })
                    .collect();
                s.push_str(&format!(
                    "| {}{} | {} | {:.1} pp |\n",
                    esc(&r.channel),
                    if r.disputed { " *" } else { "" },
                    cells.join(" | "),
                    100.0 * r.spread
                ));
            }
            s.push_str(&format!(
                "\nShares of conversions; in brackets the change in points against {}; * = the channels the models disagree on most.\n",
                esc(baseline)
            ));
            s
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(model: &str, conversions: &[f64]) -> Attribution {
        Attribution {
            model: model.into(),
            channels: vec!["A".into(), "B".into(), "C".into()],
            conversions: conversions.to_vec(),
            value: vec![0.0; 3],
            diagnostics: serde_json::Value::Null,
            notes: Vec::new(),
        }
    }

    #[test]
    fn spread_deltas_and_ranks() {
        let rows = compare(
            &[
                result("last_touch", &[2.0, 1.0, 1.0]),
                result("markov", &[1.0, 2.0, 1.0]),
            ],
            "last_touch",
        );
        assert_eq!(rows[0].shares, [0.5, 0.25]);
        assert_eq!(rows[0].delta_vs_baseline, [0.0, -0.25]);
        assert_eq!(rows[0].spread, 0.25);
        assert_eq!(rows[0].ranks, [1, 2]);
        assert_eq!(rows[1].ranks, [2, 1]);
        assert!(rows[0].disputed && rows[1].disputed && !rows[2].disputed);
    }
}
