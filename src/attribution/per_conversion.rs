//! Each conversion's credit per channel under each model, so that credits can be joined back
//! to orders, margins and customers.
//!
//! - Models whose credit is a sum over journeys, each split by its own path (the heuristics,
//!   time decay), give a conversion exactly their split of it: the model run on that journey
//!   alone.
//! - Models whose credit is not such a sum (Markov, Shapley, Shao–Li: a channel's credit
//!   depends on every path) give no split of one conversion. Their per-conversion credit is
//!   the allocation that sums to the conversion (1, and its value) and to the model's credit
//!   of each channel, closest to splitting the conversion by its touches: iterative
//!   proportional fitting (raking) from the touch counts, with a trace of weight outside the
//!   path, so that credit leaves a conversion's path only where the model's totals cannot be
//!   met within the paths (Markov may credit a channel less than the conversions it alone
//!   touched). It is consistent with the model's totals, not a split the model itself makes;
//!   docs/outputs.md says so.
//!
//! Either way the rows of a model sum to its credits (conversions and value) per channel,
//! and each conversion's rows sum to 1 and to its value.

use std::collections::HashMap;

use super::{build, Attribution, ModelInput, ModelSpec};
use crate::error::Result;
use crate::journey::{Journeys, PathTable};

/// One conversion's credit to one channel under one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Credit {
    /// Index of the journey in [`Journeys::journeys`].
    pub journey: usize,
    /// Index of the model, as in the results.
    pub model: usize,
    /// Channel id (into [`Journeys::channels`]).
    pub channel: u32,
    /// Share of the conversion.
    pub conversions: f64,
    /// Share of its value.
    pub value: f64,
}

/// Most raking rounds; it stops earlier once every margin is met to 1e-10.
const MAX_ROUNDS: usize = 5_000;

/// Whether a model's per-conversion credit is its own split of each journey (else raked to
/// its totals).
pub fn splits_each_path(spec: &ModelSpec) -> bool {
    super::spec::base(&spec.base).is_some_and(|b| b.path_local)
}

/// Each converting journey's credit per channel under each model (`results` in the order of
/// `specs`), in journey order, then model, then channel.
pub fn credits(
    specs: &[ModelSpec],
    results: &[Attribution],
    journeys: &Journeys,
) -> Result<Vec<Credit>> {
    let converting: Vec<usize> = journeys
        .journeys
        .iter()
        .enumerate()
        .filter(|(_, j)| j.conversion.is_some() && !j.touches.is_empty())
        .map(|(i, _)| i)
        .collect();
    let mut by_model = Vec::with_capacity(specs.len());
    for (m, (spec, result)) in specs.iter().zip(results).enumerate() {
        let model = build(spec)?;
        let base = super::spec::base(&spec.base);
        let credits = match base.map(|b| (b.path_local, b.needs_times)) {
            // The split depends on the channels' order alone: once per distinct path.
            Some((true, false)) => by_path(&*model, journeys, &converting, m)?,
            Some((true, true)) => converting
                .iter()
                .map(|&i| own_split(&*model, journeys, i, m))
                .collect::<Result<Vec<_>>>()?
                .concat(),
            _ => raked(journeys, &converting, result, m),
        };
        by_model.push(credits);
    }
    // Journey order, then model.
    let mut all: Vec<Credit> = by_model.into_iter().flatten().collect();
    all.sort_by_key(|c| (c.journey, c.model, c.channel));
    Ok(all)
}

/// The split of a model that reads paths only, worked out once per distinct path and given
/// to each conversion with it (its value split in the same shares).
fn by_path(
    model: &dyn super::Model,
    journeys: &Journeys,
    converting: &[usize],
    m: usize,
) -> Result<Vec<Credit>> {
    let mut shares: HashMap<Vec<u32>, Vec<(u32, f64)>> = HashMap::new();
    let mut out = Vec::new();
    for &i in converting {
        let j = &journeys.journeys[i];
        let path: Vec<u32> = j.touches.iter().map(|t| t.channel).collect();
        if !shares.contains_key(&path) {
            let split = own_split(model, journeys, i, m)?;
            let total: f64 = split.iter().map(|c| c.conversions).sum();
            let of_one = split
                .iter()
                .map(|c| {
                    (
                        c.channel,
                        if total > 0.0 {
                            c.conversions / total
                        } else {
                            0.0
                        },
                    )
                })
                .collect();
            shares.insert(path.clone(), of_one);
        }
        let value = j.conversion.as_ref().map_or(0.0, |c| c.value);
        out.extend(shares[&path].iter().map(|&(channel, share)| Credit {
            journey: i,
            model: m,
            channel,
            conversions: share,
            value: share * value,
        }));
    }
    Ok(out)
}

/// The model run on journey `i` alone.
fn own_split(
    model: &dyn super::Model,
    journeys: &Journeys,
    i: usize,
    m: usize,
) -> Result<Vec<Credit>> {
    let j = &journeys.journeys[i];
    let value = j.conversion.as_ref().map_or(0.0, |c| c.value);
    let one = Journeys {
        journeys: vec![j.clone()],
        ..journeys_like(journeys)
    };
    let table = PathTable::from_ids(
        &journeys.channels,
        [(j.touches.iter().map(|t| t.channel), "", "", 1, value, 0)],
    );
    let a = model.attribute(&ModelInput {
        table: &table,
        journeys: Some(&one),
    })?;
    let id: HashMap<&str, u32> = journeys
        .channels
        .iter()
        .enumerate()
        .map(|(k, c)| (c.as_str(), k as u32))
        .collect();
    Ok(a.channels
        .iter()
        .zip(a.conversions.iter().zip(&a.value))
        .filter(|(_, (c, v))| **c != 0.0 || **v != 0.0)
        .filter_map(|(name, (c, v))| {
            Some(Credit {
                journey: i,
                model: m,
                channel: *id.get(name.as_str())?,
                conversions: *c,
                value: *v,
            })
        })
        .collect())
}

/// An empty set of journeys with `journeys`' channels and settings.
fn journeys_like(journeys: &Journeys) -> Journeys {
    Journeys {
        channels: journeys.channels.clone(),
        journeys: Vec::new(),
        stats: Default::default(),
        conversions_in: 0,
        split_by_type: journeys.split_by_type,
        orphan_conversions: Vec::new(),
    }
}

/// Touches per channel of a path, by channel id.
type TouchCounts = Vec<(u32, u32)>;

/// Starting weight of a channel outside a conversion's path: small enough that raking moves
/// credit there only where the model's totals cannot be met within the paths.
const OUTSIDE_PATH: f64 = 1e-6;

/// Raking of the conversions of `converting` to the model's credit per channel (conversions,
/// and value separately). Conversions whose paths have the same touches per channel are one
/// row (raking gives each of them the row's split, in proportion to its value), so the work
/// grows with the distinct paths, not the conversions.
fn raked(journeys: &Journeys, converting: &[usize], result: &Attribution, m: usize) -> Vec<Credit> {
    let n_channels = journeys.channels.len();
    // Distinct touch counts per channel, and the conversions of each.
    let mut rows: HashMap<TouchCounts, Vec<usize>> = HashMap::new();
    for &i in converting {
        let mut counts: Vec<(u32, u32)> = Vec::new();
        for t in &journeys.journeys[i].touches {
            match counts.iter_mut().find(|(c, _)| *c == t.channel) {
                Some((_, n)) => *n += t.count,
                None => counts.push((t.channel, t.count)),
            }
        }
        counts.sort_unstable();
        rows.entry(counts).or_default().push(i);
    }
    let mut rows: Vec<(TouchCounts, Vec<usize>)> = rows.into_iter().collect();
    rows.sort();
    // Every channel of every row: its touches, or a trace outside the path.
    let cells: Vec<(usize, u32, f64)> = rows
        .iter()
        .enumerate()
        .flat_map(|(r, (counts, _))| {
            (0..n_channels as u32).map(move |c| {
                let n = counts.iter().find(|(x, _)| *x == c).map_or(0, |(_, n)| *n);
                (r, c, if n > 0 { f64::from(n) } else { OUTSIDE_PATH })
            })
        })
        .collect();
    let value_of = |i: usize| {
        journeys.journeys[i]
            .conversion
            .as_ref()
            .map_or(0.0, |c| c.value)
    };
    let conversions: Vec<f64> = rows.iter().map(|(_, js)| js.len() as f64).collect();
    let values: Vec<f64> = rows
        .iter()
        .map(|(_, js)| js.iter().map(|&i| value_of(i)).sum())
        .collect();
    let target = |of: &[f64]| -> Vec<f64> {
        journeys
            .channels
            .iter()
            .map(|name| {
                result
                    .channels
                    .iter()
                    .position(|c| c == name)
                    .map_or(0.0, |k| of[k])
            })
            .collect()
    };
    let shares = rake(&cells, &conversions, &target(&result.conversions));
    let value_shares = rake(&cells, &values, &target(&result.value));
    let mut out = Vec::new();
    for (k, &(r, channel, _)) in cells.iter().enumerate() {
        let (journeys_of_row, total_value) = (&rows[r].1, values[r]);
        for &i in journeys_of_row {
            let conversions = shares[k] / conversions[r];
            let value = if total_value > 0.0 {
                value_shares[k] * value_of(i) / total_value
            } else {
                0.0
            };
            // Traces left outside the path are not credit.
            if conversions.abs() > 1e-12 || value.abs() > 1e-12 {
                out.push(Credit {
                    journey: i,
                    model: m,
                    channel,
                    conversions,
                    value,
                });
            }
        }
    }
    out
}

/// Iterative proportional fitting: cell values, from `cells`' starting weights, whose rows sum
/// to `rows` and whose channels sum to `columns` (scaled to the rows' total, so that both can
/// be met).
fn rake(cells: &[(usize, u32, f64)], rows: &[f64], columns: &[f64]) -> Vec<f64> {
    let mut x: Vec<f64> = cells.iter().map(|c| c.2).collect();
    let row_total: f64 = rows.iter().sum();
    let column_total: f64 = columns.iter().sum();
    let scale = if column_total > 0.0 {
        row_total / column_total
    } else {
        0.0
    };
    let columns: Vec<f64> = columns.iter().map(|c| c * scale).collect();
    for _ in 0..MAX_ROUNDS {
        let mut row_sum = vec![0.0; rows.len()];
        for (k, &(r, _, _)) in cells.iter().enumerate() {
            row_sum[r] += x[k];
        }
        for (k, &(r, _, _)) in cells.iter().enumerate() {
            if row_sum[r] > 0.0 {
                x[k] *= rows[r] / row_sum[r];
            }
        }
        let mut column_sum = vec![0.0; columns.len()];
        for (k, &(_, c, _)) in cells.iter().enumerate() {
            column_sum[c as usize] += x[k];
        }
        let mut off: f64 = 0.0;
        for (k, &(_, c, _)) in cells.iter().enumerate() {
            let c = c as usize;
            if column_sum[c] > 0.0 {
                x[k] *= columns[c] / column_sum[c];
            }
        }
        for (c, &s) in column_sum.iter().enumerate() {
            off = off.max((s - columns[c]).abs());
        }
        let mut row_sum = vec![0.0; rows.len()];
        for (k, &(r, _, _)) in cells.iter().enumerate() {
            row_sum[r] += x[k];
        }
        for (r, &s) in row_sum.iter().enumerate() {
            off = off.max((s - rows[r]).abs());
        }
        if off < 1e-12 * row_total.max(1.0) {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two conversions, A>B and B; credits A 0.5, B 1.5. The only allocation meeting every
    /// margin: A>B gives A 0.5, B 0.5; B gives B 1.
    #[test]
    fn raking_meets_every_margin() {
        let cells = [(0, 0, 1.0), (0, 1, 1.0), (1, 1, 1.0)];
        let x = rake(&cells, &[1.0, 1.0], &[0.5, 1.5]);
        for (got, want) in x.iter().zip([0.5, 0.5, 1.0]) {
            assert!((got - want).abs() < 1e-9, "{x:?}");
        }
        // Channel totals that add up to more than the conversions are scaled to them.
        let x = rake(&cells, &[1.0, 1.0], &[1.0, 3.0]);
        assert!((x.iter().sum::<f64>() - 2.0).abs() < 1e-9);
    }
}
