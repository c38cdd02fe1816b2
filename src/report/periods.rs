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
    /// Conversions of the period and of the previous one under the model.
    pub conversions: f64,
    pub previous_conversions: f64,
    /// Either period is cut by the window or the data's ends.
    pub partial: bool,
    /// With bootstrap intervals: whether each share lies outside the other period's
    /// interval; None without intervals.
    pub outside_intervals: Option<bool>,
    /// Whether the shift counts for the `share_shift` threshold ([`ShiftRules`]).
    pub judged: bool,
}

/// When a shift is judged (counts for the `share_shift` threshold): both periods complete
/// (unless partial ones are asked for), both with at least `min_conversions` conversions
/// under the model, and, with bootstrap intervals, each period's share outside the other
/// period's interval (the channel's conversion interval over the period's conversions). A
/// shift that is not judged is still reported.
#[derive(Debug, Clone, Default)]
pub struct ShiftRules {
    pub min_conversions: f64,
    pub include_partial: bool,
    /// Keys of the periods cut by the window or the data's ends.
    pub partial: std::collections::BTreeSet<String>,
}

fn shares(a: &crate::attribution::Attribution) -> impl Iterator<Item = (&String, f64)> {
    let total = a.total_conversions();
    a.channels
        .iter()
        .zip(&a.conversions)
        .map(move |(c, x)| (c, if total != 0.0 { x / total } else { 0.0 }))
}

/// The share interval of `channel` under model `m` of a period, when it has intervals.
fn share_interval(period: &SegmentResults, m: usize, channel: &str) -> Option<(f64, f64)> {
    let a = period.results.get(m)?;
    let c = a.channels.iter().position(|x| x == channel)?;
    let interval = period.intervals.as_ref()?.get(m)?.get(c)?;
    let total = a.total_conversions();
    (total > 0.0).then(|| {
        (
            interval.conversions_low / total,
            interval.conversions_high / total,
        )
    })
}

/// Shifts of every period against the one before it (periods in key order), judged by
/// `rules`.
pub fn shifts(periods: &[SegmentResults], rules: &ShiftRules) -> Vec<Shift> {
    let mut out = Vec::new();
    for pair in periods.windows(2) {
        let (prev, cur) = (&pair[0], &pair[1]);
        let partial = rules.partial.contains(&cur.key) || rules.partial.contains(&prev.key);
        for (m, a) in cur.results.iter().enumerate() {
            let Some(pm) = prev.results.iter().position(|b| b.model == a.model) else {
                continue;
            };
            let b = &prev.results[pm];
            let before: Vec<(&String, f64)> = shares(b).collect();
            let mut channels: Vec<&String> = a.channels.iter().chain(&b.channels).collect();
            channels.sort();
            channels.dedup();
            let now: Vec<(&String, f64)> = shares(a).collect();
            let get = |v: &[(&String, f64)], c: &String| {
                v.iter().find(|(x, _)| *x == c).map_or(0.0, |(_, s)| *s)
            };
            let (conversions, previous_conversions) =
                (a.total_conversions(), b.total_conversions());
            let enough = conversions.min(previous_conversions) >= rules.min_conversions;
            for c in channels {
                let (s, p) = (get(&now, c), get(&before, c));
                let outside = match (share_interval(cur, m, c), share_interval(prev, pm, c)) {
                    (Some((lo, hi)), Some((plo, phi))) => {
                        Some(!(plo..=phi).contains(&s) && !(lo..=hi).contains(&p))
                    }
                    _ => None,
                };
                out.push(Shift {
                    period: cur.key.clone(),
                    previous: prev.key.clone(),
                    model: a.model.clone(),
                    channel: c.clone(),
                    share: s,
                    previous_share: p,
                    shift: s - p,
                    conversions,
                    previous_conversions,
                    partial,
                    outside_intervals: outside,
                    judged: (!partial || rules.include_partial) && enough && outside != Some(false),
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
    let partial = if latest[0].partial { ", partial" } else { "" };
    let mut headers = vec![format!(
        "channel ({} vs {}{partial})",
        last, latest[0].previous
    )];
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
                        .map(|s| {
                            let mark = if s.judged { "" } else { " ~" };
                            format!("{:.1}% ({:+.1} pp){mark}", 100.0 * s.share, 100.0 * s.shift)
                        })
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
        after: "Share this period (change against the previous one in points); ~ = not judged for share_shift: a partial period, too few conversions, or a change within the bootstrap intervals.\n".into(),
        ..View::default()
    })
}

/// The latest period's shifts as a terminal table; None without two periods to compare.
pub fn latest_table(shifts: &[Shift]) -> Option<String> {
    latest_view(shifts).map(|v| render::terminal(&v))
}

/// The largest judged share shift of the latest period with any judged shift (a partial
/// last period is passed over unless partial periods were asked for), with where it
/// happened; None when no shift is judged.
pub fn largest_latest(shifts: &[Shift]) -> Option<&Shift> {
    let last = &shifts
        .iter()
        .rev()
        .find(|s| s.judged && !s.partial)
        .or_else(|| shifts.iter().rev().find(|s| s.judged))?
        .period;
    shifts
        .iter()
        .filter(|s| &s.period == last && s.judged)
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
            number("conversions", |s| s.conversions),
            number("previous_conversions", |s| s.previous_conversions),
            Column::new(
                "partial".into(),
                shifts.iter().map(|s| s.partial).collect::<Vec<_>>(),
            ),
            Column::new(
                "outside_intervals".into(),
                shifts
                    .iter()
                    .map(|s| s.outside_intervals)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "judged".into(),
                shifts.iter().map(|s| s.judged).collect::<Vec<_>>(),
            ),
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
        let s = shifts(&periods, &ShiftRules::default());
        assert_eq!(s.len(), 2);
        assert!((s[0].shift - 0.25).abs() < 1e-12 && s[0].channel == "A");
        assert!((largest_latest(&s).expect("one").shift.abs() - 0.25).abs() < 1e-12);
        assert!(latest_table(&s).is_some());
    }

    fn interval(low: f64, high: f64) -> crate::attribution::bootstrap::Interval {
        crate::attribution::bootstrap::Interval {
            conversions_low: low,
            conversions_high: high,
            value_low: 0.0,
            value_high: 0.0,
        }
    }

    /// W1: A 50 of 100 (interval 40–60); W2: A 60 of 100 (interval 50–70): each share lies
    /// inside the other's interval, so the 10-point shift is noise. With W2's interval
    /// 56–64, 0.5 lies outside it and 0.6 at the edge of W1's: still inside, not judged;
    /// with W2 at 70 of 100 (interval 65–75), both lie outside: judged.
    #[test]
    fn a_shift_is_judged_outside_both_intervals_in_complete_periods_with_enough_conversions() {
        let period = |key: &str, a: f64, (lo, hi): (f64, f64)| SegmentResults {
            key: key.into(),
            results: vec![result(&[a, 100.0 - a])],
            intervals: Some(vec![vec![interval(lo, hi), interval(0.0, 100.0)]]),
        };
        let judged = |w2: SegmentResults, rules: &ShiftRules| {
            let periods = vec![period("W1", 50.0, (40.0, 60.0)), w2];
            shifts(&periods, rules)[0].judged
        };
        let rules = ShiftRules {
            min_conversions: 50.0,
            ..ShiftRules::default()
        };
        assert!(!judged(period("W2", 60.0, (50.0, 70.0)), &rules));
        assert!(!judged(period("W2", 60.0, (56.0, 64.0)), &rules));
        assert!(judged(period("W2", 70.0, (65.0, 75.0)), &rules));
        let many = ShiftRules {
            min_conversions: 101.0,
            ..ShiftRules::default()
        };
        assert!(
            !judged(period("W2", 70.0, (65.0, 75.0)), &many),
            "too few conversions"
        );
        let partial = ShiftRules {
            partial: ["W2".to_string()].into_iter().collect(),
            ..rules.clone()
        };
        let s = shifts(
            &[
                period("W1", 50.0, (40.0, 60.0)),
                period("W2", 70.0, (65.0, 75.0)),
            ],
            &partial,
        );
        assert!(s[0].partial && !s[0].judged);
        assert!(
            largest_latest(&s).is_none(),
            "a partial period trips nothing"
        );
        let asked = ShiftRules {
            include_partial: true,
            ..partial
        };
        assert!(judged(period("W2", 70.0, (65.0, 75.0)), &asked));
    }
}
