//! Lift tests beside the models: the terminal table, the report folder's `experiments.json`,
//! and the HTML page's section.

use comfy_table::{presets, Cell, CellAlignment, Table};
use serde_json::json;

use crate::attribution::calibration::{best_agreement, LiftCheck};
use crate::attribution::Attribution;

/// The measured increment as text, with its interval.
fn measured(c: &LiftCheck) -> String {
    match c.interval {
        Some([low, high]) => format!("{:.1} [{low:.1}, {high:.1}]", c.measured),
        None => format!("{:.1}", c.measured),
    }
}

/// Whether the credit falls inside the interval, as a word.
fn verdict(c: &LiftCheck) -> &'static str {
    match c.inside {
        Some(true) => "inside",
        Some(false) => "OUTSIDE",
        None => "no interval",
    }
}

/// The sentence that names the model agreeing best with the tests.
pub fn recommendation(checks: &[LiftCheck]) -> Option<String> {
    best_agreement(checks).map(|(model, gap)| {
        format!(
            "Agrees best with the lift tests: {model} (its credit to the tested channels is {:.0} % off the measured increments on average). Calibrated credit for every model (calibrated:MODEL: the tested channels at their measured increments, the rest shared as the model shares it) is in experiments.json.",
            100.0 * gap
        )
    })
}

/// What to say without lift tests: what the evaluation on generated data found, for journeys
/// of the table's length, and that the choice is a judgement.
pub fn without_tests(table: &crate::journey::PathTable) -> String {
    let (mut touches, mut journeys) = (0.0, 0.0);
    for r in &table.rows {
        let n = (r.conversions + r.nulls) as f64;
        touches += r.path.len() as f64 * n;
        journeys += n;
    }
    let mean = if journeys > 0.0 {
        touches / journeys
    } else {
        0.0
    };
    let shape = if mean < 1.5 {
        "most journeys here have a single touch, where the models differ little"
    } else {
        "journeys here have several touches, where the models differ most"
    };
    format!(
        "Which model to believe: no lift tests in the config. Journeys average {mean:.1} touches ({shape}). On generated data with planted effects (omnitouch evaluate, docs/model-accuracy.md) no model was best in every scenario, and last touch was worst where a channel's place in the journey is not its effect: the choice is a judgement. A lift test ([[experiments]]) settles it for the channels it measures."
    )
}

/// The checks as a terminal table.
pub fn table(checks: &[LiftCheck]) -> String {
    let (header, rows) = rows(checks);
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    t.set_header(header);
    for row in rows {
        t.add_row(row.into_iter().enumerate().map(|(i, text)| {
            let cell = Cell::new(text);
            // The measured increment and the credit are numbers.
            if i == 4 || i == 6 {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    format!("{t}\n")
}

/// `experiments.json`: the checks, the best agreement, and the calibrated credits.
pub fn json(checks: &[LiftCheck], calibrated: &[Attribution]) -> serde_json::Value {
    let best = best_agreement(checks)
        .map(|(model, gap)| json!({ "model": model, "mean_relative_gap": gap }));
    json!({
        "version": 1,
        "checks": checks,
        "best_agreement": best,
        "calibrated": calibrated.iter().map(|a| json!({
            "model": a.model,
            "credits": a.channels.iter().enumerate().map(|(i, c)| json!({
                "channel": c,
                "conversions": a.conversions[i],
                "value": a.value[i],
            })).collect::<Vec<_>>(),
            "notes": a.notes,
        })).collect::<Vec<_>>(),
    })
}

/// The header and rows of the checks, as text (the terminal's and the HTML page's tables).
pub fn rows(checks: &[LiftCheck]) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "channel",
        "test window",
        "method",
        "measured",
        "increment",
        "model",
        "model credit",
        "",
    ]
    .map(String::from)
    .to_vec();
    let rows = checks
        .iter()
        .map(|c| {
            vec![
                c.channel.clone(),
                format!("{} – {}", c.from, c.to),
                c.method.clone(),
                c.quantity.clone(),
                measured(c),
                c.model.clone(),
                format!("{:.1}", c.credited),
                verdict(c).to_string(),
            ]
        })
        .collect();
    (header, rows)
}
