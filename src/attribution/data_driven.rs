//! A data-driven model, as GA4 has one: a conversion-probability model fitted on the journeys,
//! and each converting journey's credit split by the Shapley values of the fitted model.
//!
//! The fit: an L2-regularised logistic regression of "the journey converts" on, per channel,
//! whether the journey touched it, ln(1 + its touches), and whether it was the last touch
//! (recency), over every journey of the path table (a path's conversions are its positive
//! journeys, its nulls its negative ones). Newton's method on the penalised log-likelihood,
//! solved by a Cholesky factorisation: the problem has 3k + 1 unknowns for k channels, small
//! enough for an exact solver, so no optimisation crate is needed (a dependency would add
//! more to the build than these lines).
//!
//! The credit: a converting path's channels play a game whose value for a set T of them is
//! the fitted probability of the path with only T's touches kept (their counts, and the last
//! touch among them). A channel's Shapley value is its average marginal gain over the orders
//! of the path's channels: exact up to [`EXACT_UP_TO`] distinct channels, estimated beyond
//! from seeded random orders (the notes say how many paths and the estimate's standard error).
//! Negative values (a channel whose presence lowers the fitted probability) and values within
//! rounding of zero get no credit; the path's conversions and value are split in proportion to
//! the positive ones, or evenly when none is positive (the notes count such paths).

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::{blank, Attribution, Model, ModelInput};
use crate::error::{Error, Result};

/// Distinct channels of a path up to which Shapley values are computed over every subset.
pub const EXACT_UP_TO: usize = 20;

/// A Shapley value (a difference of probabilities) at most this is rounding, not credit.
const ROUNDING: f64 = 1e-12;

/// Random orders drawn for a path with more distinct channels.
const SAMPLED_ORDERS: usize = 2_000;

/// The data-driven model.
#[derive(Debug, Clone, Copy)]
pub struct DataDriven {
    /// Weight of the L2 penalty on the channel coefficients (not the intercept).
    pub l2: f64,
    /// Seed of the sampled Shapley values.
    pub seed: u64,
}

/// One path's touches as the model sees them.
struct PathFeatures {
    /// Distinct channels, in order of first touch.
    channels: Vec<u32>,
    /// Touches on each of `channels`.
    counts: Vec<u32>,
    /// For each channel, the position of its last touch in the path.
    last_at: Vec<usize>,
}

impl PathFeatures {
    fn new(path: &[u32]) -> PathFeatures {
        let mut f = PathFeatures {
            channels: Vec::new(),
            counts: Vec::new(),
            last_at: Vec::new(),
        };
        for (at, &c) in path.iter().enumerate() {
            match f.channels.iter().position(|&x| x == c) {
                Some(i) => {
                    f.counts[i] += 1;
                    f.last_at[i] = at;
                }
                None => {
                    f.channels.push(c);
                    f.counts.push(1);
                    f.last_at.push(at);
                }
            }
        }
        f
    }

    /// The nonzero features of the path restricted to the channels in `kept` (a bit per
    /// entry of `channels`): (feature index, value).
    fn features(&self, kept: u64) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        let mut last: Option<(usize, u32)> = None;
        for (i, &c) in self.channels.iter().enumerate() {
            if kept & (1 << i) == 0 {
                continue;
            }
            let base = 1 + 3 * c as usize;
            out.push((base, 1.0));
            out.push((base + 1, f64::from(self.counts[i]).ln_1p()));
            if last.is_none_or(|(at, _)| self.last_at[i] > at) {
                last = Some((self.last_at[i], c));
            }
        }
        if let Some((_, c)) = last {
            out.push((1 + 3 * c as usize + 2, 1.0));
        }
        out
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The fitted probability of a journey with these features.
fn probability(w: &[f64], features: &[(usize, f64)]) -> f64 {
    sigmoid(w[0] + features.iter().map(|&(j, x)| w[j] * x).sum::<f64>())
}

/// Journeys of one feature vector: (nonzero features, converting weight, non-converting
/// weight).
pub type WeightedRow = (Vec<(usize, f64)>, f64, f64);

/// Fits the penalised logistic regression: `rows` over `dim` features (index 0 the
/// intercept). Returns the coefficients and the Newton iterations taken.
pub fn fit(rows: &[WeightedRow], dim: usize, l2: f64) -> Result<(Vec<f64>, usize)> {
    let mut w = vec![0.0; dim];
    for iteration in 1..=100 {
        let mut gradient = vec![0.0; dim];
        let mut hessian = vec![0.0; dim * dim];
        for j in 1..dim {
            gradient[j] = l2 * w[j];
            hessian[j * dim + j] = l2;
        }
        for (features, positive, negative) in rows {
            let p = probability(&w, features);
            let g = (positive + negative) * p - positive;
            let h = (positive + negative) * p * (1.0 - p);
            let with_intercept = std::iter::once((0usize, 1.0)).chain(features.iter().copied());
            let all: Vec<(usize, f64)> = with_intercept.collect();
            for &(a, xa) in &all {
                gradient[a] += g * xa;
                for &(b, xb) in &all {
                    hessian[a * dim + b] += h * xa * xb;
                }
            }
        }
        // A feature no journey has (a channel absent from every path) has a zero row and
        // column but for the penalty; with no penalty it is held at zero.
        for j in 0..dim {
            if hessian[j * dim + j] == 0.0 {
                hessian[j * dim + j] = 1.0;
            }
        }
        let step = solve_cholesky(&mut hessian, &gradient, dim).ok_or_else(|| Error::Config {
            path: "--model".into(),
            message: "data_driven: the fit is singular (a channel on every path, or no conversions); give it a penalty (data_driven:l2=1)".into(),
        })?;
        let mut largest: f64 = 0.0;
        for j in 0..dim {
            w[j] -= step[j];
            largest = largest.max(step[j].abs());
        }
        if largest < 1e-10 {
            return Ok((w, iteration));
        }
    }
    Ok((w, 100))
}

/// Solves `a x = b` for a symmetric positive definite `a` (row-major, `n` × `n`), which it
/// overwrites with its Cholesky factor; None when `a` is not positive definite.
fn solve_cholesky(a: &mut [f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    let mut y = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= a[i * n + k] * y[k];
        }
        y[i] /= a[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= a[k * n + i] * y[k];
        }
        y[i] /= a[i * n + i];
    }
    Some(y)
}

/// Shapley values of a path's channels in the fitted game, exact over every subset.
fn exact_shapley(w: &[f64], path: &PathFeatures) -> Vec<f64> {
    let m = path.channels.len();
    let value: Vec<f64> = (0..1u64 << m)
        .map(|kept| probability(w, &path.features(kept)))
        .collect();
    // Weights |T|! (m - |T| - 1)! / m! by |T|.
    let mut weight = vec![0.0; m];
    for (t, slot) in weight.iter_mut().enumerate() {
        let mut x = 1.0 / m as f64;
        // 1 / (m * C(m-1, t))
        for k in 0..t {
            x *= (k + 1) as f64 / (m - 1 - k) as f64;
        }
        *slot = x;
    }
    let mut phi = vec![0.0; m];
    for kept in 0..1u64 << m {
        let size = kept.count_ones() as usize;
        for (i, p) in phi.iter_mut().enumerate() {
            if kept & (1 << i) == 0 {
                *p += weight[size] * (value[(kept | 1 << i) as usize] - value[kept as usize]);
            }
        }
    }
    phi
}

/// Shapley values estimated from random orders; also the largest standard error.
fn sampled_shapley(w: &[f64], path: &PathFeatures, rng: &mut ChaCha8Rng) -> (Vec<f64>, f64) {
    let m = path.channels.len();
    let mut sum = vec![0.0; m];
    let mut squares = vec![0.0; m];
    let mut order: Vec<usize> = (0..m).collect();
    for _ in 0..SAMPLED_ORDERS {
        order.shuffle(rng);
        let mut kept = 0u64;
        let mut before = probability(w, &path.features(0));
        for &i in &order {
            kept |= 1 << i;
            let after = probability(w, &path.features(kept));
            sum[i] += after - before;
            squares[i] += (after - before) * (after - before);
            before = after;
        }
    }
    let n = SAMPLED_ORDERS as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let error = mean
        .iter()
        .zip(&squares)
        .map(|(m, s)| ((s / n - m * m).max(0.0) / n).sqrt())
        .fold(0.0, f64::max);
    (mean, error)
}

impl Model for DataDriven {
    fn attribute(&self, input: &ModelInput) -> Result<Attribution> {
        let table = input.table;
        let mut a = blank(table);
        let k = table.channels.len();
        let dim = 1 + 3 * k;
        let paths: Vec<PathFeatures> = table
            .rows
            .iter()
            .map(|r| PathFeatures::new(&r.path))
            .collect();
        let rows: Vec<WeightedRow> = table
            .rows
            .iter()
            .zip(&paths)
            .map(|(r, p)| (p.features(u64::MAX), r.conversions as f64, r.nulls as f64))
            .collect();
        // Without converting and non-converting journeys both, there is nothing to contrast:
        // the intercept runs off to infinity. Each converting path is then split evenly.
        if table.conversions() == 0 || table.nulls() == 0 {
            for row in &table.rows {
                let path = PathFeatures::new(&row.path);
                let m = path.channels.len() as f64;
                for &c in &path.channels {
                    a.conversions[c as usize] += row.conversions as f64 / m;
                    a.value[c as usize] += row.value / m;
                }
            }
            a.notes.push(
                "no fit: the journeys are all converting or all not; each converting path split evenly over its channels".into(),
            );
            return Ok(a);
        }
        let (w, iterations) = fit(&rows, dim, self.l2)?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let (mut sampled, mut worst_error, mut even) = (0usize, 0.0f64, 0usize);
        for (row, path) in table.rows.iter().zip(&paths) {
            if row.conversions == 0 && row.value == 0.0 {
                continue;
            }
            let phi = if path.channels.len() <= EXACT_UP_TO {
                exact_shapley(&w, path)
            } else {
                sampled += 1;
                let (phi, error) = sampled_shapley(&w, path, &mut rng);
                worst_error = worst_error.max(error);
                phi
            };
            // A value within rounding of zero counts as zero: a channel on every journey has
            // coefficients of 1e-17 either way, whose sign the channels' order decides.
            let phi: Vec<f64> = phi
                .into_iter()
                .map(|x| if x > ROUNDING { x } else { 0.0 })
                .collect();
            let positive: f64 = phi.iter().sum();
            let m = path.channels.len() as f64;
            if positive <= 0.0 {
                even += 1;
            }
            for (i, &c) in path.channels.iter().enumerate() {
                let share = if positive > 0.0 {
                    phi[i] / positive
                } else {
                    1.0 / m
                };
                a.conversions[c as usize] += share * row.conversions as f64;
                a.value[c as usize] += share * row.value;
            }
        }
        a.notes.push(format!(
            "fitted on {} journeys (logistic regression on channel presence, ln(1 + touches) and last touch; L2 {}; {iterations} Newton steps)",
            table.conversions() + table.nulls(),
            self.l2
        ));
        if sampled > 0 {
            a.notes.push(format!(
                "Shapley values of {sampled} paths with more than {EXACT_UP_TO} channels estimated from {SAMPLED_ORDERS} random orders (seed {}; largest standard error {worst_error:.2e})",
                self.seed
            ));
        }
        if even > 0 {
            a.notes.push(format!(
                "{even} converting paths had no channel that raised the fitted probability: split evenly"
            ));
        }
        let coefficient = |offset: usize| -> serde_json::Map<String, serde_json::Value> {
            table
                .channels
                .iter()
                .enumerate()
                .map(|(i, c)| (c.clone(), json!(w[1 + 3 * i + offset])))
                .collect()
        };
        a.diagnostics = json!({
            "intercept": w[0],
            "presence": coefficient(0),
            "ln_touches": coefficient(1),
            "last_touch": coefficient(2),
            "newton_steps": iterations,
        });
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::PathTable;

    #[test]
    fn cholesky_solves_a_known_system() {
        // [[4, 2], [2, 3]] x = [2, 1] → x = [0.5, 0].
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let x = solve_cholesky(&mut a, &[2.0, 1.0], 2).expect("positive definite");
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
        let mut singular = vec![1.0, 1.0, 1.0, 1.0];
        assert!(solve_cholesky(&mut singular, &[1.0, 1.0], 2).is_none());
    }

    #[test]
    fn the_fit_recovers_the_log_odds_of_one_feature() {
        // One binary feature, no penalty: the fit is exact. With it, 30 of 40 convert
        // (log-odds ln 3); without it, 10 of 50 (ln 1/4).
        let rows = vec![(vec![(1, 1.0)], 30.0, 10.0), (vec![], 10.0, 40.0)];
        let (w, _) = fit(&rows, 2, 0.0).expect("fits");
        assert!((w[0] - 0.25f64.ln()).abs() < 1e-9, "intercept {}", w[0]);
        assert!(
            (w[1] - (3.0f64.ln() - 0.25f64.ln())).abs() < 1e-9,
            "slope {}",
            w[1]
        );
    }

    #[test]
    fn exact_shapley_of_two_channels_by_hand() {
        // Two channels, no count or recency effect: v(∅) = σ(-1), v(A) = σ(0), v(B) = σ(-1),
        // v(AB) = σ(0) (B has no effect). φ_A = ½[(v(A) - v(∅)) + (v(AB) - v(B))] = σ(0) - σ(-1);
        // φ_B = 0.
        let mut w = vec![0.0; 7];
        w[0] = -1.0;
        w[1] = 1.0; // A present
        let path = PathFeatures::new(&[0, 1]);
        let phi = exact_shapley(&w, &path);
        let expected = sigmoid(0.0) - sigmoid(-1.0);
        assert!((phi[0] - expected).abs() < 1e-12, "{phi:?}");
        assert!(phi[1].abs() < 1e-12, "{phi:?}");
        // Efficiency: the values sum to v(N) - v(∅).
        assert!((phi.iter().sum::<f64>() - (sigmoid(0.0) - sigmoid(-1.0))).abs() < 1e-12);
    }

    #[test]
    fn sampled_values_approach_the_exact_ones() {
        let mut w = vec![0.0; 1 + 3 * 5];
        w[0] = -2.0;
        for c in 0..5 {
            w[1 + 3 * c] = 0.2 * (c + 1) as f64;
            w[1 + 3 * c + 2] = 0.1;
        }
        let path = PathFeatures::new(&[0, 1, 2, 3, 4, 2]);
        let exact = exact_shapley(&w, &path);
        let (sampled, error) = sampled_shapley(&w, &path, &mut ChaCha8Rng::seed_from_u64(1));
        for (e, s) in exact.iter().zip(&sampled) {
            assert!(
                (e - s).abs() < 4.0 * error + 1e-12,
                "exact {e}, sampled {s}, error {error}"
            );
        }
    }

    #[test]
    fn credits_add_up_and_follow_the_planted_effect() {
        // Email converts (70 of 100 journeys with it); Display does nothing (20 % with or
        // without it). Data-driven gives Email most of the credit where last touch splits by
        // position.
        let table = PathTable::from_named([
            (
                vec!["Email".to_string()],
                String::new(),
                String::new(),
                35,
                350.0,
                15,
            ),
            (
                vec!["Display".to_string(), "Email".to_string()],
                String::new(),
                String::new(),
                35,
                350.0,
                15,
            ),
            (
                vec!["Email".to_string(), "Display".to_string()],
                String::new(),
                String::new(),
                0,
                0.0,
                0,
            ),
            (
                vec!["Display".to_string()],
                String::new(),
                String::new(),
                20,
                200.0,
                80,
            ),
            (
                vec!["Search".to_string()],
                String::new(),
                String::new(),
                20,
                200.0,
                80,
            ),
        ]);
        let a = DataDriven { l2: 0.1, seed: 0 }
            .attribute(&ModelInput {
                table: &table,
                journeys: None,
            })
            .expect("attributes");
        assert!((a.total_conversions() - 110.0).abs() < 1e-9);
        assert!((a.total_value() - 1100.0).abs() < 1e-6);
        let at =
            |name: &str| a.conversions[table.channels.iter().position(|c| c == name).expect(name)];
        assert!(at("Email") > 65.0, "Email {}", at("Email"));
        assert!(at("Display") < 25.0, "Display {}", at("Display"));
    }
}
