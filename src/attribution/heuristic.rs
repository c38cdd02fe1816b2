//! Position heuristics: first touch, last touch, last non-direct, linear, position based.
//! Each gives every touch of a path a weight; weights sum to 1 per path, and a path row's
//! conversions and value are split by them.

use super::{blank, Attribution, Model, ModelInput};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
enum Rule {
    First,
    Last,
    LastNonDirect(String),
    Linear,
    Position { first: f64, last: f64 },
}

/// A heuristic model.
#[derive(Debug, Clone)]
pub struct Heuristic {
    rule: Rule,
}

impl Heuristic {
    pub fn first_touch() -> Heuristic {
        Heuristic { rule: Rule::First }
    }

    pub fn last_touch() -> Heuristic {
        Heuristic { rule: Rule::Last }
    }

    pub fn last_non_direct(direct: String) -> Heuristic {
        Heuristic {
            rule: Rule::LastNonDirect(direct),
        }
    }

    pub fn linear() -> Heuristic {
        Heuristic { rule: Rule::Linear }
    }

    /// `first` and `last` shares; the rest is split over the middle touches.
    pub fn position_based(first: f64, last: f64) -> Result<Heuristic> {
        if first + last > 1.0 + 1e-12 {
            return Err(Error::Config {
                path: "--model".into(),
                message: format!("position_based: first ({first}) + last ({last}) is more than 1"),
            });
        }
        Ok(Heuristic {
            rule: Rule::Position { first, last },
        })
    }

    /// Weights of the touches of `path` (one per position, summing to 1).
    fn weights(&self, path: &[u32], direct: Option<u32>, out: &mut Vec<f64>) {
        let n = path.len();
        out.clear();
        out.resize(n, 0.0);
        if n == 0 {
            return;
        }
        match &self.rule {
            Rule::First => out[0] = 1.0,
            Rule::Last => out[n - 1] = 1.0,
            Rule::LastNonDirect(_) => {
                let i = path
                    .iter()
                    .rposition(|c| Some(*c) != direct)
                    .unwrap_or(n - 1);
                out[i] = 1.0;
            }
            Rule::Linear => out.fill(1.0 / n as f64),
            Rule::Position { first, last } => match n {
                1 => out[0] = 1.0,
                2 => {
                    let ends = first + last;
                    let (f, l) = if ends > 0.0 {
                        (first / ends, last / ends)
                    } else {
                        (0.5, 0.5)
                    };
                    out[0] = f;
                    out[1] = l;
                }
                _ => {
                    let middle = (1.0 - first - last).max(0.0) / (n - 2) as f64;
                    out.fill(middle);
                    out[0] = *first;
                    out[n - 1] = *last;
                }
            },
        }
    }
}

impl Model for Heuristic {
    fn attribute(&self, input: &ModelInput) -> Result<Attribution> {
        let table = input.table;
        let mut a = blank(table);
        let direct = match &self.rule {
            Rule::LastNonDirect(name) => table
                .channels
                .iter()
                .position(|c| c == name)
                .map(|i| i as u32),
            _ => None,
        };
        let mut w = Vec::new();
        for row in &table.rows {
            if row.conversions == 0 && row.value == 0.0 {
                continue;
            }
            self.weights(&row.path, direct, &mut w);
            let conversions = row.conversions as f64;
            for (c, wi) in row.path.iter().zip(&w) {
                a.conversions[*c as usize] += wi * conversions;
                a.value[*c as usize] += wi * row.value;
            }
        }
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(h: &Heuristic, path: &[u32]) -> Vec<f64> {
        let mut out = Vec::new();
        h.weights(path, Some(0), &mut out);
        out
    }

    #[test]
    fn position_weights_follow_the_definition() {
        let u = Heuristic::position_based(0.4, 0.4).expect("valid");
        assert_eq!(w(&u, &[1]), [1.0]);
        assert_eq!(w(&u, &[1, 2]), [0.5, 0.5]);
        let three = w(&u, &[1, 2, 3]);
        assert_eq!((three[0], three[2]), (0.4, 0.4));
        assert!((three[1] - 0.2).abs() < 1e-15);
        let five = w(&u, &[1, 2, 3, 4, 5]);
        assert!((five[1] - 0.2 / 3.0).abs() < 1e-15);
        let j = Heuristic::position_based(0.2, 0.6).expect("valid");
        let two = w(&j, &[1, 2]);
        assert!(
            (two[0] - 0.25).abs() < 1e-15 && (two[1] - 0.75).abs() < 1e-15,
            "{two:?}"
        );
        assert!(Heuristic::position_based(0.7, 0.4).is_err());
    }

    #[test]
    fn last_non_direct_skips_direct_unless_all_direct() {
        let h = Heuristic::last_non_direct("Direct".into());
        assert_eq!(w(&h, &[1, 2, 0, 0]), [0.0, 1.0, 0.0, 0.0]);
        assert_eq!(w(&h, &[0, 0]), [0.0, 1.0]);
    }

    #[test]
    fn linear_counts_repeated_touches() {
        let h = Heuristic::linear();
        assert_eq!(w(&h, &[1, 1, 2, 3]), [0.25; 4]);
    }
}
