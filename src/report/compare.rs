//! Side-by-side model comparison: one row per channel, one column per model.

use polars::prelude::*;
use serde::Serialize;

use super::render::{self, Align, Report, View};
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

/// The comparison as people read it: one row per channel (marked `*` when disputed), each
/// model's share with its change against the baseline in points, and the spread.
fn view(results: &[Attribution], rows: &[ChannelComparison], baseline: &str) -> View {
    let mut headers: Vec<String> = vec!["channel".into()];
    headers.extend(results.iter().map(|a| a.model.clone()));
    headers.push("spread".into());
    let align = Align::label_then_numbers(headers.len());
    let cells = rows
        .iter()
        .map(|r| {
            let mut cells = vec![if r.disputed {
                format!("{} *", r.channel)
            } else {
                r.channel.clone()
            }];
            for (i, s) in r.shares.iter().enumerate() {
                let d = r.delta_vs_baseline[i];
                cells.push(if results[i].model == baseline || d.abs() < 0.0005 {
                    format!("{:.1}%", 100.0 * s)
                } else {
                    format!("{:.1}% ({:+.1})", 100.0 * s, 100.0 * d)
                });
            }
            cells.push(format!("{:.1} pp", 100.0 * r.spread));
            cells
        })
        .collect();
    View {
        headers,
        align,
        rows: cells,
        ..View::default()
    }
}

/// The comparison as a terminal table: shares per model, spread, and the baseline.
pub fn compare_table(
    results: &[Attribution],
    rows: &[ChannelComparison],
    baseline: &str,
) -> String {
    render::terminal(&view(results, rows, baseline))
}

/// The JSON document of a comparison (`compare --format json`, the report folder's
/// `compare.json`).
#[derive(Serialize)]
struct CompareDoc<'a> {
    baseline: &'a str,
    channels: &'a [ChannelComparison],
    models: Vec<&'a str>,
    version: u32,
}

/// The typed frame: one row per channel and model.
fn frame(models: &[&str], rows: &[ChannelComparison]) -> PolarsResult<DataFrame> {
    let pairs = || {
        rows.iter()
            .flat_map(|r| (0..models.len()).map(move |i| (r, i)))
    };
    let n = rows.len() * models.len();
    DataFrame::new(
        n,
        vec![
            Column::new(
                "channel".into(),
                pairs().map(|(r, _)| r.channel.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "model".into(),
                pairs().map(|(_, i)| models[i]).collect::<Vec<_>>(),
            ),
            Column::new(
                "conversions_share".into(),
                pairs().map(|(r, i)| r.shares[i]).collect::<Vec<_>>(),
            ),
            Column::new(
                "delta_vs_baseline".into(),
                pairs()
                    .map(|(r, i)| r.delta_vs_baseline[i])
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "rank".into(),
                pairs().map(|(r, i)| r.ranks[i] as i64).collect::<Vec<_>>(),
            ),
            Column::new(
                "spread".into(),
                pairs().map(|(r, _)| r.spread).collect::<Vec<_>>(),
            ),
            Column::new(
                "disputed".into(),
                pairs().map(|(r, _)| r.disputed).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// A comparison as a report: the frame has one row per channel and model; the views one row
/// per channel.
pub fn report(
    results: &[Attribution],
    rows: &[ChannelComparison],
    baseline: &str,
) -> crate::Result<Report> {
    let models: Vec<&str> = results.iter().map(|a| a.model.as_str()).collect();
    let frame = frame(&models, rows).map_err(|e| crate::Error::write("(comparison)", e))?;
    let json = render::json_text(&CompareDoc {
        baseline,
        channels: rows,
        models: models.clone(),
        version: super::credits::JSON_VERSION,
    });
    let caption = |baseline: &str| {
        format!(
            "Shares of conversions; in brackets the change in points against {baseline}; * = the channels the models disagree on most; spread = the largest share minus the smallest.\n"
        )
    };
    let terminal = View {
        after: caption(baseline),
        ..view(results, rows, baseline)
    };
    let markdown = View {
        after: format!("\n{}", caption(&baseline.replace('|', "\\|"))),
        ..terminal.clone()
    };
    Ok(Report {
        frame,
        json,
        markdown,
        terminal,
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
