//! Shapley values over channel sets.
//!
//! `value=conversions` (default) is the simplified Shapley value of Zhao et al. (2018): with
//! v(S) the conversions of journeys whose channel set is a subset of S, the Shapley value is
//! φ_i = Σ_{T ∋ i} R(T) / |T|, R(T) the conversions of journeys whose set is exactly T.
//!
//! `value=conversion_rate` plays, for each converting channel set N, the game
//! v(S) = conversion rate of journeys whose channel set is exactly S (0 if none), computes
//! exact Shapley values over the subsets of N with bitmasks, and scales them to N's
//! conversions and value. Contributions can be negative; they are reported, not hidden.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::json;

use super::{blank, Attribution, Model, ModelInput};
use crate::error::{Error, Result};

/// Most channels in one set for the exact game (2^20 coalitions).
pub const MAX_EXACT_CHANNELS: usize = 20;

/// Which game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Game {
    Conversions,
    ConversionRate,
}

/// The Shapley model.
#[derive(Debug, Clone)]
pub struct Shapley {
    game: Game,
}

impl Shapley {
    pub fn new(value: String) -> Result<Shapley> {
        let game = match value.as_str() {
            "conversions" => Game::Conversions,
            "conversion_rate" => Game::ConversionRate,
            other => {
                return Err(Error::Config {
                    path: "--model".into(),
                    message: format!(
                        "shapley: value = \"{other}\" is not conversions or conversion_rate"
                    ),
                })
            }
        };
        Ok(Shapley { game })
    }
}

/// Channel sets of tables with at most this many channels are handled as u128 bitmasks.
const MASK_CHANNELS: usize = 128;

/// Coalitions listed in the diagnostics.
const TOP_COALITIONS: usize = 50;

/// Per exact channel set: conversions, value, nulls.
#[derive(Debug, Clone, Copy, Default)]
struct SetStats {
    conversions: f64,
    value: f64,
    nulls: f64,
}

/// The distinct channel sets of the table with their totals, each set's rows summed in table
/// order, the sets in the order of their bitmasks (up to [`MASK_CHANNELS`] channels) or of
/// their sorted channel ids: sums run in the same order whatever the hashing or the threads.
fn channel_sets(input: &ModelInput) -> Vec<(Vec<u32>, SetStats)> {
    let add = |s: &mut SetStats, row: &crate::journey::PathRow| {
        s.conversions += row.conversions as f64;
        s.value += row.value;
        s.nulls += row.nulls as f64;
    };
    let rows = &input.table.rows;
    if input.table.channels.len() > MASK_CHANNELS {
        let mut by_set: FxHashMap<Vec<u32>, SetStats> = FxHashMap::default();
        for row in rows {
            let mut set = row.path.clone();
            set.sort_unstable();
            set.dedup();
            add(by_set.entry(set).or_default(), row);
        }
        let mut sets: Vec<(Vec<u32>, SetStats)> = by_set.into_iter().collect();
        sets.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        return sets;
    }
    // Up to 128 channels a set is a bitmask: no allocation per row, and sets sort by their
    // masks as integers.
    let masks: Vec<u128> = rows.par_iter().map(|row| mask(&row.path)).collect();
    let mut index: FxHashMap<u128, u32> = FxHashMap::default();
    index.reserve(rows.len() / 2);
    let mut sets: Vec<(u128, SetStats)> = Vec::new();
    for (row, &m) in rows.iter().zip(&masks) {
        let i = *index.entry(m).or_insert_with(|| {
            sets.push((m, SetStats::default()));
            sets.len() as u32 - 1
        });
        add(&mut sets[i as usize].1, row);
    }
    sets.par_sort_unstable_by_key(|s| s.0);
    sets.into_par_iter()
        .map(|(m, s)| (channels_of(m), s))
        .collect()
}

/// The channel ids of a bitmask, ascending.
fn channels_of(mut m: u128) -> Vec<u32> {
    let mut out = Vec::with_capacity(m.count_ones() as usize);
    while m != 0 {
        out.push(m.trailing_zeros());
        m &= m - 1;
    }
    out
}

/// A set of channel ids below 128 as a bitmask.
fn mask(set: &[u32]) -> u128 {
    set.iter().fold(0u128, |m, &c| m | 1u128 << c)
}

impl Model for Shapley {
    fn attribute(&self, input: &ModelInput) -> Result<Attribution> {
        let mut a = blank(input.table);
        let sets = channel_sets(input);
        match self.game {
            Game::Conversions => conversions_game(input, &sets, &mut a),
            Game::ConversionRate => conversion_rate_game(input, &sets, &mut a)?,
        }
        Ok(a)
    }
}

/// The names of a set's channels.
fn names<'a>(input: &'a ModelInput, set: &[u32]) -> Vec<&'a str> {
    set.iter()
        .map(|c| input.table.channels[*c as usize].as_str())
        .collect()
}

/// Simplified Shapley of the conversions game: each converting set's conversions and value
/// split evenly over its channels; v(T) of the top coalitions as diagnostics.
fn conversions_game(input: &ModelInput, sets: &[(Vec<u32>, SetStats)], a: &mut Attribution) {
    for (set, s) in sets {
        let share = 1.0 / set.len() as f64;
        for c in set {
            a.conversions[*c as usize] += s.conversions * share;
            a.value[*c as usize] += s.value * share;
        }
    }
    // Diagnostics: R(T) and v(T) for the sets with most conversions.
    let mut top: Vec<(&Vec<u32>, &SetStats)> = sets
        .iter()
        .filter(|(_, s)| s.conversions > 0.0)
        .map(|(set, s)| (set, s))
        .collect();
    let most_first = |x: &(&Vec<u32>, &SetStats), y: &(&Vec<u32>, &SetStats)| {
        y.1.conversions
            .total_cmp(&x.1.conversions)
            .then(x.0.cmp(y.0))
    };
    // A total order, so selecting the first 50 then sorting them is sorting all.
    if top.len() > TOP_COALITIONS {
        top.select_nth_unstable_by(TOP_COALITIONS, most_first);
        top.truncate(TOP_COALITIONS);
    }
    top.sort_by(most_first);
    // Subset tests as bitmask operations when every channel id fits in a mask.
    // Sets without conversions add nothing to any v(T): leave them out.
    let converting: Vec<&(Vec<u32>, SetStats)> =
        sets.iter().filter(|(_, s)| s.conversions > 0.0).collect();
    let masks: Option<Vec<u128>> = (input.table.channels.len() <= MASK_CHANNELS)
        .then(|| converting.iter().map(|(set, _)| mask(set)).collect());
    let coalitions: Vec<serde_json::Value> = top
        .par_iter()
        .map(|(set, s)| {
            let v: f64 = match &masks {
                Some(masks) => {
                    let m = mask(set);
                    converting
                        .iter()
                        .zip(masks)
                        .filter(|(_, sub)| *sub & !m == 0)
                        .map(|((_, t), _)| t.conversions)
                        .sum()
                }
                None => converting
                    .iter()
                    .filter(|(sub, _)| sub.iter().all(|c| set.binary_search(c).is_ok()))
                    .map(|(_, t)| t.conversions)
                    .sum(),
            };
            json!({"channels": names(input, set), "conversions": s.conversions, "value": s.value, "v": v})
        })
        .collect();
    a.diagnostics = json!({ "game": "conversions", "coalitions": coalitions });
}

/// Exact Shapley of the conversion-rate game, per converting set, scaled to its conversions;
/// negative contributions reported.
fn conversion_rate_game(
    input: &ModelInput,
    sets: &[(Vec<u32>, SetStats)],
    a: &mut Attribution,
) -> Result<()> {
    let rate: HashMap<&[u32], f64> = sets
        .iter()
        .filter(|(_, s)| s.conversions + s.nulls > 0.0)
        .map(|(set, s)| (set.as_slice(), s.conversions / (s.conversions + s.nulls)))
        .collect();
    let mut negatives: BTreeMap<String, f64> = BTreeMap::new();
    let mut coalitions = Vec::new();
    for (set, s) in sets.iter().filter(|(_, s)| s.conversions > 0.0) {
        let n = set.len();
        if n > MAX_EXACT_CHANNELS {
            return Err(Error::Config {
                path: "--model".into(),
                message: format!(
                    "shapley with value=conversion_rate is exact up to {MAX_EXACT_CHANNELS} channels per journey, and a converting journey has {n}; group channels (with channel rules) or use shapley with value=conversions"
                ),
            });
        }
        let phi = exact_shapley(set, &rate);
        let total: f64 = phi.iter().sum();
        // v(N) = rate(N) > 0 for a converting set, and the φ sum to it.
        let scale = if total != 0.0 { 1.0 / total } else { 0.0 };
        for (c, p) in set.iter().zip(&phi) {
            let share = p * scale;
            a.conversions[*c as usize] += share * s.conversions;
            a.value[*c as usize] += share * s.value;
            if *p < 0.0 {
                *negatives
                    .entry(input.table.channels[*c as usize].clone())
                    .or_default() += share * s.conversions;
            }
        }
        if coalitions.len() < TOP_COALITIONS {
            coalitions.push(json!({
                "channels": names(input, set),
                "conversion_rate": rate.get(set.as_slice()).copied().unwrap_or(0.0),
                "shapley": phi,
            }));
        }
    }
    if !negatives.is_empty() {
        a.notes.push(format!(
            "negative contributions (a channel lowered its sets' conversion rate): {}",
            negatives
                .iter()
                .map(|(c, v)| format!("{c} {v:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    a.diagnostics = json!({
        "game": "conversion_rate",
        "coalitions": coalitions,
        "negative_contributions": negatives,
    });
    Ok(())
}

/// Exact Shapley values of the players `set` in the game v(S) = rate of S (0 if unseen).
fn exact_shapley(set: &[u32], rate: &HashMap<&[u32], f64>) -> Vec<f64> {
    let n = set.len();
    let full = 1usize << n;
    let mut v = vec![0.0; full];
    let mut members = Vec::with_capacity(n);
    for (mask, slot) in v.iter_mut().enumerate().skip(1) {
        members.clear();
        members.extend((0..n).filter(|i| mask >> i & 1 == 1).map(|i| set[i]));
        *slot = rate.get(members.as_slice()).copied().unwrap_or(0.0);
    }
    // weight[s] = s! (n - s - 1)! / n!
    let mut weight = vec![0.0; n];
    for (s, w) in weight.iter_mut().enumerate() {
        *w = 1.0 / (n as f64 * binomial(n - 1, s));
    }
    let mut phi = vec![0.0; n];
    for (i, p) in phi.iter_mut().enumerate() {
        let bit = 1usize << i;
        for mask in 0..full {
            if mask & bit == 0 {
                *p += weight[mask.count_ones() as usize] * (v[mask | bit] - v[mask]);
            }
        }
    }
    phi
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_shapley_of_a_known_game() {
        // Players 1, 2: v(1) = 0.1, v(2) = 0.3, v(12) = 0.6.
        let sets: Vec<Vec<u32>> = vec![vec![1], vec![2], vec![1, 2]];
        let rate: HashMap<&[u32], f64> = sets
            .iter()
            .map(Vec::as_slice)
            .zip([0.1, 0.3, 0.6])
            .collect();
        let phi = exact_shapley(&[1, 2], &rate);
        // φ1 = ½(0.1 − 0) + ½(0.6 − 0.3) = 0.2; φ2 = ½(0.3) + ½(0.6 − 0.1) = 0.4.
        assert!(
            (phi[0] - 0.2).abs() < 1e-15 && (phi[1] - 0.4).abs() < 1e-15,
            "{phi:?}"
        );
    }

    #[test]
    fn masks_round_trip() {
        for set in [
            vec![],
            vec![0],
            vec![3, 64, 127],
            (0..128).collect::<Vec<u32>>(),
        ] {
            assert_eq!(channels_of(mask(&set)), set);
        }
        // Repeats in a path collapse into the set.
        assert_eq!(channels_of(mask(&[5, 2, 5, 2])), vec![2, 5]);
    }

    #[test]
    fn binomials() {
        assert_eq!(binomial(4, 2), 6.0);
        assert_eq!(binomial(19, 0), 1.0);
    }
}
