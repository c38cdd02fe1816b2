//! The probabilistic model of Shao & Li (2011).
//!
//! With p(y|x_i) the conversion rate of journeys exposed to channel i and p(y|x_i, x_j) that
//! of journeys exposed to both i and j, each converting journey credits each of its channels
//! C_i = p(y|x_i) + 1/(2 N) Σ_{j ≠ i} [p(y|x_i, x_j) − p(y|x_i) − p(y|x_j)], the sum over the
//! N other channels of the journey (as the `mta` package applies the paper's formula). The
//! contributions, weighted by the journeys' conversions (and value), are then scaled to the
//! total conversions (and value). A negative contribution is reported in the notes.

use std::collections::HashMap;

use serde_json::json;

use super::{blank, Attribution, Model, ModelInput};
use crate::error::Result;

/// The Shao–Li model.
#[derive(Debug, Clone, Copy)]
pub struct ShaoLi;

impl Model for ShaoLi {
    fn attribute(&self, input: &ModelInput) -> Result<Attribution> {
        let table = input.table;
        let mut a = blank(table);
        // (conversions, nulls) of journeys exposed to a channel, and to a pair.
        let mut single: HashMap<u32, (f64, f64)> = HashMap::new();
        let mut pair: HashMap<(u32, u32), (f64, f64)> = HashMap::new();
        let sets: Vec<Vec<u32>> = table
            .rows
            .iter()
            .map(|r| {
                let mut s = r.path.clone();
                s.sort_unstable();
                s.dedup();
                s
            })
            .collect();
        for (row, set) in table.rows.iter().zip(&sets) {
            let (c, n) = (row.conversions as f64, row.nulls as f64);
            for (k, &i) in set.iter().enumerate() {
                let e = single.entry(i).or_default();
                e.0 += c;
                e.1 += n;
                for &j in &set[k + 1..] {
                    let e = pair.entry((i, j)).or_default();
                    e.0 += c;
                    e.1 += n;
                }
            }
        }
        let rate = |(c, n): (f64, f64)| if c + n > 0.0 { c / (c + n) } else { 0.0 };
        let p1 = |i: u32| single.get(&i).copied().map_or(0.0, rate);
        let p2 = |i: u32, j: u32| {
            let key = if i < j { (i, j) } else { (j, i) };
            pair.get(&key).copied().map_or(0.0, rate)
        };
        let mut raw_conv = vec![0.0; table.channels.len()];
        let mut raw_value = vec![0.0; table.channels.len()];
        for (row, set) in table.rows.iter().zip(&sets) {
            if row.conversions == 0 {
                continue;
            }
            for &i in set {
                let others = set.len() - 1;
                let interaction: f64 = set
                    .iter()
                    .filter(|&&j| j != i)
                    .map(|&j| p2(i, j) - p1(i) - p1(j))
                    .sum();
                let c = p1(i)
                    + if others > 0 {
                        interaction / (2 * others) as f64
                    } else {
                        0.0
                    };
                raw_conv[i as usize] += c * row.conversions as f64;
                raw_value[i as usize] += c * row.value;
            }
        }
        let (sum_c, sum_v): (f64, f64) = (raw_conv.iter().sum(), raw_value.iter().sum());
        let (total_c, total_v) = (table.conversions() as f64, table.value());
        for i in 0..raw_conv.len() {
            a.conversions[i] = if sum_c != 0.0 {
                raw_conv[i] / sum_c * total_c
            } else {
                0.0
            };
            a.value[i] = if sum_v != 0.0 {
                raw_value[i] / sum_v * total_v
            } else {
                0.0
            };
        }
        let negative: Vec<&str> = raw_conv
            .iter()
            .enumerate()
            .filter(|(_, c)| **c < 0.0)
            .map(|(i, _)| table.channels[i].as_str())
            .collect();
        if !negative.is_empty() {
            a.notes
                .push(format!("negative contributions: {}", negative.join(", ")));
        }
        let probabilities: serde_json::Map<String, serde_json::Value> = table
            .channels
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), json!(p1(i as u32))))
            .collect();
        a.diagnostics = json!({ "conversion_probability": probabilities });
        Ok(a)
    }
}
