//! Lift tests against the models, and credit calibrated to them.
//!
//! A lift test (`[[experiments]]`) measured a channel's incremental conversions over a window.
//! Each model's credit to that channel for the conversions of the same window is set beside
//! the measurement, and flagged when it falls outside the test's interval. Calibrated credit
//! (`calibrated:MODEL`) keeps the model's split but for the tested channels: each is scaled by
//! its measured increment over the model's credit in the test windows, and the conversions
//! left are shared out over the other channels in the model's proportions (value likewise).

use serde::Serialize;

use super::Attribution;

/// One lift test set beside one model's credit in its window.
#[derive(Debug, Clone, Serialize)]
pub struct LiftCheck {
    /// The model.
    pub model: String,
    /// The tested channel.
    pub channel: String,
    /// What was measured: `conversions` or `value`.
    pub quantity: String,
    /// How it was measured.
    pub method: String,
    /// The test's first and last days.
    pub from: String,
    pub to: String,
    /// Incremental conversions measured.
    pub measured: f64,
    /// The measurement's interval, when reported.
    pub interval: Option<[f64; 2]>,
    /// The model's credit to the channel (in the quantity measured) for the window's
    /// conversions.
    pub credited: f64,
    /// Whether the credit falls inside the interval (None without one).
    pub inside: Option<bool>,
}

impl LiftCheck {
    /// How far the model's credit is from the measurement, relative to it.
    pub fn relative_gap(&self) -> f64 {
        (self.credited - self.measured).abs() / self.measured.max(1e-9)
    }
}

/// The model whose credit agrees best with the tests (smallest mean relative gap), with that
/// gap; None without checks.
pub fn best_agreement(checks: &[LiftCheck]) -> Option<(String, f64)> {
    let mut models: Vec<&str> = checks.iter().map(|c| c.model.as_str()).collect();
    models.dedup();
    models
        .into_iter()
        .map(|m| {
            let gaps: Vec<f64> = checks
                .iter()
                .filter(|c| c.model == m)
                .map(LiftCheck::relative_gap)
                .collect();
            (m.to_string(), gaps.iter().sum::<f64>() / gaps.len() as f64)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// `result` calibrated to the lift tests: each channel of `factors` (measured increment over
/// the model's credit in the test windows) scaled by its factor, the other channels sharing
/// what is left of the conversions in the model's proportions; value likewise with
/// `value_factors` (a channel tested only in conversions takes its conversion factor for its
/// value). When the scaled channels alone exceed the total, they are scaled down to it (and
/// the notes say so).
pub fn calibrate(
    result: &Attribution,
    factors: &[(String, f64)],
    value_factors: &[(String, f64)],
) -> Attribution {
    let mut out = result.clone();
    out.model = format!("calibrated:{}", result.model);
    out.diagnostics = serde_json::json!({ "factors": factors, "value_factors": value_factors });
    out.notes = vec![format!(
        "{}'s split, the tested channels scaled to the lift tests' increments, the rest shared as {} shares it",
        result.model, result.model
    )];
    let find = |list: &[(String, f64)], channel: &str| {
        list.iter().find(|(c, _)| c == channel).map(|(_, f)| *f)
    };
    let rebalance = |credits: &[f64],
                     out: &mut Vec<f64>,
                     notes: &mut Vec<String>,
                     what: &str,
                     factor_of: &dyn Fn(&str) -> Option<f64>| {
        let total: f64 = credits.iter().sum();
        let mut scaled = 0.0;
        let mut untested = 0.0;
        for (i, c) in result.channels.iter().enumerate() {
            match factor_of(c) {
                Some(f) => {
                    out[i] = credits[i] * f;
                    scaled += out[i];
                }
                None => untested += credits[i],
            }
        }
        if scaled > total && scaled > 0.0 {
            notes.push(format!(
                "the tested channels' {what} exceed the total: scaled down to it"
            ));
            for (i, c) in result.channels.iter().enumerate() {
                out[i] = match factor_of(c) {
                    Some(_) => out[i] * total / scaled,
                    None => 0.0,
                };
            }
            return;
        }
        let left = total - scaled;
        for (i, c) in result.channels.iter().enumerate() {
            if factor_of(c).is_none() {
                out[i] = if untested > 0.0 {
                    credits[i] / untested * left
                } else {
                    0.0
                };
            }
        }
        if untested == 0.0 && left > 0.0 {
            notes.push(format!(
                "no untested channel had {what} to share the {left:.2} left"
            ));
        }
    };
    let mut notes = Vec::new();
    rebalance(
        &result.conversions,
        &mut out.conversions,
        &mut notes,
        "conversions",
        &|c| find(factors, c),
    );
    rebalance(&result.value, &mut out.value, &mut notes, "value", &|c| {
        find(value_factors, c).or_else(|| find(factors, c))
    });
    out.notes.extend(notes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result() -> Attribution {
        Attribution {
            model: "last_touch".into(),
            channels: vec!["Display".into(), "Email".into(), "Search".into()],
            conversions: vec![20.0, 30.0, 50.0],
            value: vec![200.0, 300.0, 500.0],
            diagnostics: serde_json::Value::Null,
            notes: Vec::new(),
        }
    }

    #[test]
    fn tested_channels_scale_and_the_rest_keeps_its_proportions() {
        // Search measured at half its credit: 50 → 25; the 25 freed go to Display and Email
        // 20:30, so 30 and 45. Totals kept.
        let c = calibrate(&result(), &[("Search".into(), 0.5)], &[]);
        assert_eq!(c.model, "calibrated:last_touch");
        let expect = [30.0, 45.0, 25.0];
        for (got, want) in c.conversions.iter().zip(expect) {
            assert!((got - want).abs() < 1e-12, "{:?}", c.conversions);
        }
        assert!((c.value.iter().sum::<f64>() - 1000.0).abs() < 1e-9);
        assert!((c.value[2] - 250.0).abs() < 1e-12);
    }

    #[test]
    fn a_value_test_scales_value_alone() {
        // Search's value measured at 125 of its 500: conversions keep the model's split;
        // value: Search 125, the 875 left to Display and Email 2:3 (350, 525).
        let c = calibrate(&result(), &[], &[("Search".into(), 0.25)]);
        assert_eq!(c.conversions, vec![20.0, 30.0, 50.0]);
        for (got, want) in c.value.iter().zip([350.0, 525.0, 125.0]) {
            assert!((got - want).abs() < 1e-9, "{:?}", c.value);
        }
    }

    #[test]
    fn tested_channels_beyond_the_total_are_scaled_down_to_it() {
        let c = calibrate(&result(), &[("Search".into(), 3.0)], &[]);
        assert!(
            (c.conversions[2] - 100.0).abs() < 1e-12,
            "{:?}",
            c.conversions
        );
        assert_eq!(c.conversions[0], 0.0);
        assert!(c.notes.iter().any(|n| n.contains("exceed the total")));
    }

    #[test]
    fn the_best_agreement_is_the_smallest_mean_relative_gap() {
        let check = |model: &str, credited: f64| LiftCheck {
            model: model.into(),
            channel: "Search".into(),
            quantity: "conversions".into(),
            method: String::new(),
            from: String::new(),
            to: String::new(),
            measured: 40.0,
            interval: Some([30.0, 50.0]),
            credited,
            inside: Some((30.0..=50.0).contains(&credited)),
        };
        let checks = [
            check("last_touch", 80.0),
            check("markov", 44.0),
            check("linear", 30.0),
        ];
        let (model, gap) = best_agreement(&checks).expect("a model");
        assert_eq!(model, "markov");
        assert!((gap - 0.1).abs() < 1e-12);
        assert!(best_agreement(&[]).is_none());
    }
}
