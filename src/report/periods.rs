//! Period over period: each channel's share change against the previous period.

use comfy_table::Cell;
use serde::Serialize;

use super::credits::SegmentResults;
use super::table::{self, right};

/// One channel under one model in one period, against the period before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shift {
    pub period: String,
    pub previous: String,
    pub model: String,
    pub channel: String,
    pub share: f64,
    pub previous_share: f64,
    /// share − previous_share, as a fraction (0.05 = 5 points).
    pub shift: f64,
}

fn shares(a: &crate::attribution::Attribution) -> impl Iterator<Item = (&String, f64)> {
    let total = a.total_conversions();
    a.channels
        .iter()
        .zip(&a.conversions)
        .map(move |(c, x)| (c, if total != 0.0 { x / total } else { 0.0 }))
}

/// Shifts of every period against the one before it (periods in key order).
pub fn shifts(periods: &[SegmentResults]) -> Vec<Shift> {
    let mut out = Vec::new();
    for pair in periods.windows(2) {
        let (prev, cur) = (&pair[0], &pair[1]);
        for a in &cur.results {
            let Some(b) = prev.results.iter().find(|b| b.model == a.model) else {
                continue;
            };
            let before: Vec<(&String, f64)> = shares(b).collect();
            let mut channels: Vec<&String> = a.channels.iter().chain(&b.channels).collect();
            channels.sort();
            channels.dedup();
            let now: Vec<(&String, f64)> = shares(a).collect();
            let get = |v: &[(&String, f64)], c: &String| {
                v.iter().find(|(x, _)| *x == c).map_or(0.0, |(_, s)| *s)
            };
            for c in channels {
                let (s, p) = (get(&now, c), get(&before, c));
                out.push(Shift {
                    period: cur.key.clone(),
                    previous: prev.key.clone(),
                    model: a.model.clone(),
                    channel: c.clone(),
                    share: s,
                    previous_share: p,
                    shift: s - p,
                });
            }
        }
    }
    out
}

/// The latest period's shifts as a table: one row per channel, one column per model.
pub fn latest_table(shifts: &[Shift]) -> Option<comfy_table::Table> {
    let last = shifts.last()?.period.clone();
    let latest: Vec<&Shift> = shifts.iter().filter(|s| s.period == last).collect();
    let mut models: Vec<&String> = latest.iter().map(|s| &s.model).collect();
    models.dedup();
    let mut channels: Vec<&String> = latest.iter().map(|s| &s.channel).collect();
    channels.sort();
    channels.dedup();
    let mut header = vec![format!("channel ({} vs {})", last, latest[0].previous)];
    header.extend(models.iter().map(|m| m.to_string()));
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = table::new(&refs);
    for c in channels {
        let mut row = vec![Cell::new(c)];
        for m in &models {
            let cell = latest
                .iter()
                .find(|s| &s.channel == c && &s.model == *m)
                .map(|s| format!("{:.1}% ({:+.1} pp)", 100.0 * s.share, 100.0 * s.shift))
                .unwrap_or_default();
            row.push(right(cell));
        }
        t.add_row(row);
    }
    Some(t)
}

/// The largest share shift of the latest period, in points, with where it happened.
pub fn largest_latest(shifts: &[Shift]) -> Option<&Shift> {
    let last = &shifts.last()?.period;
    shifts
        .iter()
        .filter(|s| &s.period == last)
        .max_by(|a, b| a.shift.abs().total_cmp(&b.shift.abs()))
}

/// Renders shifts as CSV, JSON, Markdown or a table (of the latest period).
pub fn render(
    shifts: &[Shift],
    format: super::credits::OutputFormat,
) -> std::result::Result<String, crate::output::WriteError> {
    use super::credits::OutputFormat;
    Ok(match format {
        OutputFormat::Table => match latest_table(shifts) {
            Some(t) => format!("{t}\n"),
            None => "no two periods to compare\n".into(),
        },
        // Parquet is written from the CSV form (see cli::emit).
        OutputFormat::Csv | OutputFormat::Parquet => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "period",
                "previous",
                "model",
                "channel",
                "share",
                "previous_share",
                "shift",
            ])?;
            for s in shifts {
                w.write_record([
                    s.period.clone(),
                    s.previous.clone(),
                    s.model.clone(),
                    s.channel.clone(),
                    format!("{}", s.share),
                    format!("{}", s.previous_share),
                    format!("{}", s.shift),
                ])?;
            }
            String::from_utf8(w.into_inner().map_err(|e| e.to_string())?)?
        }
        OutputFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({
                "version": super::credits::JSON_VERSION,
                "shifts": shifts,
            }))? + "\n"
        }
        OutputFormat::Markdown => {
            let esc = |t: &str| t.replace('|', "\\|");
            let mut s = String::from("| period | previous | model | channel | share | previous share | shift |\n|---|---|---|---|---:|---:|---:|\n");
            for x in shifts {
                s.push_str(&format!(
                    "| {} | {} | {} | {} | {:.1}% | {:.1}% | {:+.1} pp |\n",
                    esc(&x.period),
                    esc(&x.previous),
                    esc(&x.model),
                    esc(&x.channel),
                    100.0 * x.share,
                    100.0 * x.previous_share,
                    100.0 * x.shift
                ));
            }
            s
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::Attribution;

    fn result(c: &[f64]) -> Attribution {
        Attribution {
            model: "m".into(),
            channels: vec!["A".into(), "B".into()],
            conversions: c.to_vec(),
            value: vec![0.0; 2],
            diagnostics: serde_json::Value::Null,
            notes: Vec::new(),
        }
    }

    #[test]
    fn shifts_between_consecutive_periods() {
        let periods = vec![
            SegmentResults {
                key: "W1".into(),
                results: vec![result(&[1.0, 1.0])],
                intervals: None,
            },
            SegmentResults {
                key: "W2".into(),
                results: vec![result(&[3.0, 1.0])],
                intervals: None,
            },
        ];
        let s = shifts(&periods);
        assert_eq!(s.len(), 2);
        assert!((s[0].shift - 0.25).abs() < 1e-12 && s[0].channel == "A");
        assert!((largest_latest(&s).expect("one").shift.abs() - 0.25).abs() < 1e-12);
        assert!(latest_table(&s).is_some());
    }
}
