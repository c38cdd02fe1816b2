//! Budget reallocation: next period's budget per channel in proportion to attributed value
//! (spend × attributed ROAS), each channel's change capped, with the expected attributed value.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::render::{number_column, text_column, Align, Report, View};

/// The method, as the output states it.
pub const METHOD: &str = "Each channel with spend gets a budget in proportion to its attributed value (today's spend × attributed ROAS), limited to today's spend ± the maximum change; the proportion is chosen so the budgets add up to the total. Expected value assumes each channel keeps its attributed ROAS at the new budget (no diminishing returns).";

/// One channel's proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub channel: String,
    pub current: f64,
    /// Attributed value per unit of cost.
    pub roas: f64,
    pub proposed: f64,
    /// (proposed − current) / current.
    pub change: f64,
    /// proposed × roas.
    pub expected_value: f64,
}

/// A proposal for every channel with spend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub total: f64,
    pub max_change: f64,
    pub channels: Vec<Proposal>,
    /// What kept the plan from meeting the total, if anything.
    pub note: Option<String>,
    /// The periods compared: which days today's spend covers, and the next period's length.
    pub basis: Option<String>,
}

/// Today's cost and attributed value per channel, put on the next period's length.
#[derive(Debug, Clone, PartialEq)]
pub struct Basis {
    pub cost: BTreeMap<String, f64>,
    pub value: BTreeMap<String, f64>,
    /// The sentence stating the periods.
    pub statement: String,
}

/// Today's spend (the days `first_day` to `last_day`, `days` of them) and the value
/// attributed over them, scaled to a next period of `next_days` (default: as long): both by
/// the same factor, so ROAS is unchanged.
pub fn basis(
    cost: &BTreeMap<String, f64>,
    value: &BTreeMap<String, f64>,
    (first_day, last_day, days): (&str, &str, f64),
    next_days: Option<f64>,
) -> Basis {
    let next = next_days.unwrap_or(days);
    let k = if days > 0.0 { next / days } else { 1.0 };
    let scale = |m: &BTreeMap<String, f64>| m.iter().map(|(c, v)| (c.clone(), v * k)).collect();
    let scaling = if (k - 1.0).abs() < 1e-12 {
        String::new()
    } else {
        format!(", spend and value scaled by {next}/{days}")
    };
    Basis {
        cost: scale(cost),
        value: scale(value),
        statement: format!(
            "Today's spend: {days} days, {first_day} – {last_day}; next period: {next} days{scaling}"
        ),
    }
}

/// Proposes budgets. `cost` is today's spend per channel; `value` the attributed value per
/// channel under the chosen model; `max_change` a fraction (0.2 = ±20 %).
pub fn propose(
    cost: &BTreeMap<String, f64>,
    value: &BTreeMap<String, f64>,
    total: f64,
    max_change: f64,
) -> Plan {
    let chans: Vec<(&String, f64, f64)> = cost
        .iter()
        .filter(|(_, c)| **c > 0.0)
        .map(|(ch, c)| (ch, *c, value.get(ch).copied().unwrap_or(0.0).max(0.0)))
        .collect();
    let lo: Vec<f64> = chans
        .iter()
        .map(|(_, c, _)| c * (1.0 - max_change).max(0.0))
        .collect();
    let hi: Vec<f64> = chans
        .iter()
        .map(|(_, c, _)| c * (1.0 + max_change))
        .collect();
    // Without any attributed value, keep today's proportions.
    let any_value = chans.iter().any(|(_, _, v)| *v > 0.0);
    let weight: Vec<f64> = chans
        .iter()
        .map(|(_, c, v)| if any_value { *v } else { *c })
        .collect();
    let alloc = |lambda: f64| -> Vec<f64> {
        (0..chans.len())
            .map(|i| (lambda * weight[i]).clamp(lo[i], hi[i]))
            .collect()
    };
    // A channel without weight stays at its floor, however large the proportion.
    let sum_lo: f64 = lo.iter().sum();
    let sum_hi: f64 = (0..chans.len())
        .map(|i| if weight[i] > 0.0 { hi[i] } else { lo[i] })
        .sum();
    let mut note = None;
    let budgets = if total <= sum_lo {
        if total < sum_lo {
            note = Some(format!(
                "the total {total:.2} is below what the maximum change allows ({sum_lo:.2}): every channel is at its floor"
            ));
        }
        lo.clone()
    } else if total >= sum_hi {
        if total > sum_hi {
            note = Some(format!(
                "the total {total:.2} is above what the maximum change allows ({sum_hi:.2}): channels with attributed value are at their ceiling, channels without it at their floor"
            ));
        }
        (0..chans.len())
            .map(|i| if weight[i] > 0.0 { hi[i] } else { lo[i] })
            .collect()
    } else {
        // Σ clamp(λ w_i) grows with λ: bisect for the λ that meets the total.
        let mut top = (0..chans.len())
            .filter(|i| weight[*i] > 0.0)
            .map(|i| hi[i] / weight[i])
            .fold(0.0, f64::max);
        let mut bottom = 0.0;
        for _ in 0..200 {
            let mid = 0.5 * (bottom + top);
            if alloc(mid).iter().sum::<f64>() < total {
                bottom = mid;
            } else {
                top = mid;
            }
        }
        alloc(top)
    };
    Plan {
        total,
        max_change,
        channels: chans
            .iter()
            .zip(budgets)
            .map(|((ch, c, v), b)| {
                let roas = v / c;
                Proposal {
                    channel: (*ch).clone(),
                    current: *c,
                    roas,
                    proposed: b,
                    change: (b - c) / c,
                    expected_value: b * roas,
                }
            })
            .collect(),
        note,
        basis: None,
    }
}

/// The plan as people read it: one row per channel and a total row.
fn plan_rows(plan: &Plan) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = plan
        .channels
        .iter()
        .map(|p| {
            vec![
                p.channel.clone(),
                format!("{:.2}", p.current),
                format!("{:.2}", p.roas),
                format!("{:.2}", p.proposed),
                format!("{:+.1}%", 100.0 * p.change),
                format!("{:.2}", p.expected_value),
            ]
        })
        .collect();
    let current: f64 = plan.channels.iter().map(|p| p.current).sum();
    let proposed: f64 = plan.channels.iter().map(|p| p.proposed).sum();
    let today: f64 = plan.channels.iter().map(|p| p.current * p.roas).sum();
    let expected: f64 = plan.channels.iter().map(|p| p.expected_value).sum();
    rows.push(vec![
        "total".into(),
        format!("{current:.2}"),
        if current > 0.0 {
            format!("{:.2}", today / current)
        } else {
            "-".into()
        },
        format!("{proposed:.2}"),
        if current > 0.0 {
            format!("{:+.1}%", 100.0 * (proposed - current) / current)
        } else {
            "-".into()
        },
        format!("{expected:.2}"),
    ]);
    rows
}

/// The JSON document of a plan (keys in alphabetical order).
#[derive(Serialize)]
struct PlanDoc<'a> {
    method: &'a str,
    model: &'a str,
    plan: &'a Plan,
    version: u32,
}

/// The typed frame: one row per channel.
fn frame(plan: &Plan) -> PolarsResult<DataFrame> {
    let number = |name: &str, f: fn(&Proposal) -> f64| number_column(name, &plan.channels, f);
    DataFrame::new(
        plan.channels.len(),
        vec![
            text_column("channel", &plan.channels, |p| &p.channel),
            number("current", |p| p.current),
            number("roas", |p| p.roas),
            number("proposed", |p| p.proposed),
            number("change", |p| p.change),
            number("expected_value", |p| p.expected_value),
        ],
    )
}

/// A plan proposed from `model`'s credits, as a report. The Markdown view lists the
/// channels; the terminal view adds a total row.
pub fn report(plan: &Plan, model: &str, version: u32) -> crate::Result<Report> {
    let frame = frame(plan).map_err(|e| crate::Error::write("(budget)", e))?;
    let json = super::render::json_text(&PlanDoc {
        method: METHOD,
        model,
        plan,
        version,
    });
    let align = Align::label_then_numbers(6);
    let mut rows = plan_rows(plan);
    let terminal = View {
        headers: [
            "channel",
            "current spend",
            "ROAS",
            "proposed",
            "change",
            "expected value",
        ]
        .map(String::from)
        .to_vec(),
        align,
        rows: rows.clone(),
        before: format!(
            "Budget proposal from {model} (total {:.2}, each channel within ±{:.0}%)\n{}",
            plan.total,
            100.0 * plan.max_change,
            plan.basis
                .as_deref()
                .map(|b| format!("{b}\n"))
                .unwrap_or_default()
        ),
        after: plan
            .note
            .iter()
            .map(|n| format!("note: {n}\n"))
            .chain([format!("method: {METHOD}\n")])
            .collect(),
        ..View::default()
    };
    rows.pop();
    let markdown = View {
        rows,
        before: format!(
            "Budget proposal from {model}: total {:.2}, each channel within ±{:.0}%.{}\n\n",
            plan.total,
            100.0 * plan.max_change,
            plan.basis
                .as_deref()
                .map(|b| format!(" {b}."))
                .unwrap_or_default()
        ),
        after: plan
            .note
            .iter()
            .map(|n| format!("\nNote: {n}\n"))
            .chain([format!("\nMethod: {METHOD}\n")])
            .collect(),
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

    fn map(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn proportional_to_value_when_caps_allow() {
        let plan = propose(
            &map(&[("A", 100.0), ("B", 100.0)]),
            &map(&[("A", 300.0), ("B", 100.0)]),
            200.0,
            1.0,
        );
        // Unlimited enough: 3:1.
        assert!((plan.channels[0].proposed - 150.0).abs() < 1e-9);
        assert!((plan.channels[1].proposed - 50.0).abs() < 1e-9);
        assert_eq!(plan.note, None);
        assert!((plan.channels[0].expected_value - 450.0).abs() < 1e-9);
    }

    #[test]
    fn caps_bind_and_the_rest_is_shared() {
        let plan = propose(
            &map(&[("A", 100.0), ("B", 100.0), ("C", 100.0)]),
            &map(&[("A", 900.0), ("B", 100.0), ("C", 0.0)]),
            300.0,
            0.2,
        );
        let b: Vec<f64> = plan.channels.iter().map(|p| p.proposed).collect();
        // A is capped at +20 %, C (no value) floors at −20 %, B takes the rest.
        assert!(
            (b[0] - 120.0).abs() < 1e-9 && (b[2] - 80.0).abs() < 1e-9,
            "{b:?}"
        );
        assert!((b.iter().sum::<f64>() - 300.0).abs() < 1e-6);
        assert!(plan.channels.iter().all(|p| p.change.abs() <= 0.2 + 1e-12));
    }

    #[test]
    fn channels_without_value_stay_at_their_floor_and_the_shortfall_is_said() {
        let plan = propose(
            &map(&[("A", 10.0), ("B", 30.0), ("TV", 100.0)]),
            &map(&[("A", 40.0), ("B", 60.0)]),
            150.0,
            0.5,
        );
        let b: Vec<f64> = plan.channels.iter().map(|p| p.proposed).collect();
        assert_eq!(b, [15.0, 45.0, 50.0]);
        assert!(
            plan.note.as_deref().is_some_and(|n| n.contains("110.00")),
            "{:?}",
            plan.note
        );
    }

    #[test]
    fn an_unreachable_total_is_said() {
        let plan = propose(&map(&[("A", 100.0)]), &map(&[("A", 50.0)]), 500.0, 0.2);
        assert_eq!(plan.channels[0].proposed, 120.0);
        assert!(plan.note.as_deref().is_some_and(|n| n.contains("ceiling")));
    }
}
