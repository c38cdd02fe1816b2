//! Confidence intervals by Poisson bootstrap: each replicate keeps every journey a
//! Poisson(1) number of times (from raw exports), or resamples every path-table row's counts
//! (conversions ~ Poisson(conversions), nulls ~ Poisson(nulls), value scaled with the
//! conversions). The models run on each replicate; a channel's interval is the 5th to 95th
//! percentile of its replicate credits. Each replicate draws from its own seed, so results do
//! not depend on the thread count.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};
use rayon::prelude::*;
use serde::Serialize;

use super::{build, ModelInput, ModelSpec};
use crate::error::Result;
use crate::hash::mix;
use crate::journey::path_table::NamedRow;
use crate::journey::{Journeys, PathTable};

/// A 90 % interval of one channel's credit under one model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub conversions_low: f64,
    pub conversions_high: f64,
    pub value_low: f64,
    pub value_high: f64,
}

/// Intervals per model (in spec order), per channel of the original table (in its order).
pub type Intervals = Vec<Vec<Interval>>;

fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    match Poisson::new(mean) {
        Ok(d) => d.sample(rng) as u64,
        Err(_) => 0,
    }
}

fn resample_table(table: &PathTable, rng: &mut ChaCha8Rng) -> PathTable {
    PathTable::from_named(table.named_rows().map(|r| {
        let conversions = poisson(rng, r.conversions as f64);
        let value = if r.conversions > 0 {
            r.value * conversions as f64 / r.conversions as f64
        } else {
            0.0
        };
        NamedRow {
            conversions,
            value,
            nulls: poisson(rng, r.nulls as f64),
            ..r
        }
    }))
}

fn resample_journeys(journeys: &Journeys, rng: &mut ChaCha8Rng) -> Journeys {
    let mut out = Journeys {
        channels: journeys.channels.clone(),
        journeys: Vec::with_capacity(journeys.journeys.len()),
        stats: journeys.stats.clone(),
        conversions_in: journeys.conversions_in,
        split_by_type: journeys.split_by_type,
        orphan_conversions: Vec::new(),
    };
    for j in &journeys.journeys {
        for _ in 0..poisson(rng, 1.0) {
            out.journeys.push(j.clone());
        }
    }
    out
}

/// The `p` quantile of sorted values (nearest rank on n − 1 steps).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Runs `replicates` bootstrap replicates of every model and returns 90 % intervals.
pub fn intervals(
    specs: &[ModelSpec],
    input: &ModelInput,
    replicates: usize,
    seed: u64,
) -> Result<Intervals> {
    intervals_with_progress(specs, input, replicates, seed, &|| {})
}

/// [`intervals`], calling `done` after each replicate (for a progress bar).
pub fn intervals_with_progress(
    specs: &[ModelSpec],
    input: &ModelInput,
    replicates: usize,
    seed: u64,
    done: &(dyn Fn() + Sync),
) -> Result<Intervals> {
    let models = specs.iter().map(build).collect::<Result<Vec<_>>>()?;
    let channels = &input.table.channels;
    // credits[r][m] = (conversions, value) per original channel.
    let credits: Vec<Vec<(Vec<f64>, Vec<f64>)>> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(mix(seed ^ mix(r as u64)));
            let (table, journeys) = match input.journeys {
                Some(j) => {
                    let resampled = resample_journeys(j, &mut rng);
                    (resampled.path_table(), Some(resampled))
                }
                None => (resample_table(input.table, &mut rng), None),
            };
            let replicate = ModelInput {
                table: &table,
                journeys: journeys.as_ref(),
            };
            let replicate = models
                .iter()
                .map(|m| {
                    let a = m.attribute(&replicate)?;
                    // A channel absent from a replicate gets no credit there.
                    let pick = |xs: &[f64]| -> Vec<f64> {
                        channels
                            .iter()
                            .map(|c| {
                                a.channels
                                    .iter()
                                    .position(|x| x == c)
                                    .map_or(0.0, |i| xs[i])
                            })
                            .collect()
                    };
                    Ok((pick(&a.conversions), pick(&a.value)))
                })
                .collect::<Result<Vec<_>>>();
            done();
            replicate
        })
        .collect::<Result<_>>()?;
    let mut out = Vec::with_capacity(models.len());
    for m in 0..models.len() {
        let mut per_channel = Vec::with_capacity(channels.len());
        for c in 0..channels.len() {
            let mut conv: Vec<f64> = credits.iter().map(|r| r[m].0[c]).collect();
            let mut value: Vec<f64> = credits.iter().map(|r| r[m].1[c]).collect();
            conv.sort_by(f64::total_cmp);
            value.sort_by(f64::total_cmp);
            per_channel.push(Interval {
                conversions_low: quantile(&conv, 0.05),
                conversions_high: quantile(&conv, 0.95),
                value_low: quantile(&value, 0.05),
                value_high: quantile(&value, 0.95),
            });
        }
        out.push(per_channel);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_rank() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.05), 5.0);
        assert_eq!(quantile(&v, 0.95), 95.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn resampled_counts_stay_near_their_means() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let draws: Vec<u64> = (0..2000).map(|_| poisson(&mut rng, 4.0)).collect();
        let mean = draws.iter().sum::<u64>() as f64 / draws.len() as f64;
        assert!((mean - 4.0).abs() < 0.2, "{mean}");
        assert_eq!(poisson(&mut rng, 0.0), 0);
    }
}
