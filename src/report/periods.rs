//! Period over period: each channel's share change against the previous period.

use polars::prelude::*;
use serde::Serialize;

use super::credits::SegmentResults;
use super::render::{self, number_column, text_column, Align, FrameRows, Report, View};

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

/// The latest period's shifts as people read them: one row per channel, one column per
/// model; None without two periods to compare.
fn latest_view(shifts: &[Shift]) -> Option<View> {
    let last = shifts.last()?.period.clone();
    let latest: Vec<&Shift> = shifts.iter().filter(|s| s.period == last).collect();
    let mut models: Vec<&String> = latest.iter().map(|s| &s.model).collect();
    models.dedup();
    let mut channels: Vec<&String> = latest.iter().map(|s| &s.channel).collect();
    channels.sort();
    channels.dedup();
    let mut headers = vec![format!("channel ({} vs {})", last, latest[0].previous)];
    headers.extend(models.iter().map(|m| m.to_string()));
    let align = Align::label_then_numbers(headers.len());
    let rows = channels
        .into_iter()
        .map(|c| {
            let mut row = vec![c.clone()];
            for m in &models {
                row.push(
                    latest
                        .iter()
                        .find(|s| &s.channel == c && &s.model == *m)
                        .map(|s| format!("{:.1}% ({:+.1} pp)", 100.0 * s.share, 100.0 * s.shift))
                        .unwrap_or_default(),
                );
            }
            row
        })
        .collect();
    Some(View {
        headers,
        align,
        rows,
        ..View::default()
    })
}

/// The latest period's shifts as a terminal table; None without two periods to compare.
pub fn latest_table(shifts: &[Shift]) -> Option<String> {
    latest_view(shifts).map(|v| render::terminal(&v))
}

/// The largest share shift of the latest period, in points, with where it happened.
pub fn largest_latest(shifts: &[Shift]) -> Option<&Shift> {
    let last = &shifts.last()?.period;
    shifts
        .iter()
        .filter(|s| &s.period == last)
        .max_by(|a, b| a.shift.abs().total_cmp(&b.shift.abs()))
}

/// The JSON document of period shifts (keys in alphabetical order).
#[derive(Serialize)]
struct ShiftsDoc<'a> {
    shifts: FrameRows<'a>,
    version: u32,
}

/// The typed frame: one row per period, model and channel.
fn frame(shifts: &[Shift]) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: fn(&Shift) -> &str| text_column(name, shifts, f);
    let number = |name: &str, f: fn(&Shift) -> f64| number_column(name, shifts, f);
    DataFrame::new(
        shifts.len(),
        vec![
            text("period", |s| &s.period),
            text("previous", |s| &s.previous),
            text("model", |s| &s.model),
            text("channel", |s| &s.channel),
            number("share", |s| s.share),
            number("previous_share", |s| s.previous_share),
            number("shift", |s| s.shift),
        ],
    )
}

/// Shifts as a report: every period in the data formats and Markdown; the latest period,
/// one column per model, on the terminal.
pub fn report(shifts: &[Shift]) -> crate::Result<Report> {
    let frame = frame(shifts).map_err(|e| crate::Error::write("(period shifts)", e))?;
    let json = render::json_text(&ShiftsDoc {
        shifts: FrameRows(&frame),
        version: super::credits::JSON_VERSION,
    });
    let markdown = View {
        headers: [
            "period",
            "previous",
            "model",
            "channel",
            "share",
            "previous share",
            "shift",
        ]
        .map(String::from)
        .to_vec(),
        align: [Align::Left; 4]
            .into_iter()
            .chain([Align::Right; 3])
            .collect(),
        rows: shifts
            .iter()
            .map(|x| {
                vec![
                    x.period.clone(),
                    x.previous.clone(),
                    x.model.clone(),
                    x.channel.clone(),
                    format!("{:.1}%", 100.0 * x.share),
                    format!("{:.1}%", 100.0 * x.previous_share),
                    format!("{:+.1} pp", 100.0 * x.shift),
                ]
            })
            .collect(),
        ..View::default()
    };
    let terminal = latest_view(shifts).unwrap_or_else(|| View {
        after: "no two periods to compare\n".into(),
        ..View::default()
    });
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
