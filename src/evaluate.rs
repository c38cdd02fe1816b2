//! `omnitouch evaluate`: which model recovers the truth. The generator plants an incremental
//! effect per channel (added log-odds of converting, for a channel touched at least once in a
//! purchase cycle); each generated export set is run through the whole job (load, stitch,
//! journeys) and every model, and each model's channel shares are scored against the true
//! incremental shares, over several seeds.
//!
//! The truth of one conversion, from the planted model: with S the distinct channels of the
//! cycle that converted and p(S) = σ(base + Σ effects of S), channel c ∈ S caused the
//! conversion with probability 1 − p(S ∖ c) / p(S) (the share of its probability that would
//! go without c). A channel's true incremental conversions are the sum over conversions; its
//! true share, that sum over all channels' sums.
//!
//! Scores per model and seed: the mean absolute error of its shares against the true shares,
//! in points, over every channel of the truth; and the Spearman rank correlation of the two.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::attribution::{self, Catalogue, ModelInput};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::generate::{generate, sigmoid, GenerateOptions, Scenario};
use crate::identity::{self, IdentityOptions};
use crate::ingest::{self, LoadOptions};
use crate::journey::{self, JourneyOptions};

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct EvaluateOptions {
    /// How the sets' conversions come about.
    pub scenario: Scenario,
    /// Planted effects replacing the scenario's, by channel name.
    pub effects: BTreeMap<String, f64>,
    /// Days per set.
    pub days: u32,
    /// Share of identifier cells written as junk.
    pub junk_rate: f64,
    /// Share of households sharing a tablet.
    pub shared_devices: f64,
    /// People per generated set.
    pub people: u64,
    /// One generated set per seed.
    pub seeds: Vec<u64>,
    /// Models by name (as `--model` takes them).
    pub models: Vec<String>,
}

/// One model's scores over the seeds.
#[derive(Debug, Clone, Serialize)]
pub struct ModelScore {
    /// Model name.
    pub model: String,
    /// Mean absolute error of the shares, in points, per seed.
    pub error_points: Vec<f64>,
    /// Spearman rank correlation with the true shares, per seed.
    pub rank_correlation: Vec<f64>,
    /// Mean share per channel over the seeds.
    pub shares: BTreeMap<String, f64>,
}

impl ModelScore {
    /// Mean error over the seeds.
    pub fn mean_error(&self) -> f64 {
        mean(&self.error_points)
    }

    /// Mean rank correlation over the seeds.
    pub fn mean_rank(&self) -> f64 {
        mean(&self.rank_correlation)
    }
}

/// The evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// The scenario the sets were generated under.
    pub scenario: String,
    /// People per set.
    pub people: u64,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// True shares per channel, the mean over the seeds.
    pub truth: BTreeMap<String, f64>,
    /// Scores, best (smallest mean error) first.
    pub models: Vec<ModelScore>,
}

fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// A user's generator settings for `omnitouch evaluate --config FILE` (every key optional).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluateConfig {
    /// People per set (default 20,000).
    pub people: Option<u64>,
    /// Sets per scenario, seeds 1 to N (default 3).
    pub seeds: Option<u64>,
    /// Days per set (default 90).
    pub days: Option<u32>,
    /// Share of identifier cells written as junk (default 0.005).
    pub junk_rate: Option<f64>,
    /// Share of households sharing a tablet (default 0.02).
    pub shared_devices: Option<f64>,
    /// Scenarios (default: every one).
    pub scenarios: Option<Vec<Scenario>>,
    /// Models (default: every model and data_driven).
    pub models: Option<Vec<String>>,
    /// Planted effects (added log-odds) by channel name, replacing the scenario's.
    #[serde(default)]
    pub effects: BTreeMap<String, f64>,
}

impl EvaluateConfig {
    /// Reads and checks a settings file: an unknown channel in `effects` is an error naming
    /// the channels there are.
    pub fn load(path: &Path) -> Result<EvaluateConfig> {
        let text = crate::files::read_to_string(path)?;
        let config: EvaluateConfig = toml::from_str(&text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let known = crate::generate::channel_names();
        for (channel, effect) in &config.effects {
            if !known.contains(&channel.as_str()) {
                return Err(Error::Config {
                    path: path.to_path_buf(),
                    message: format!(
                        "effects: no generated channel is named \"{channel}\" (channels: {})",
                        known.join(", ")
                    ),
                });
            }
            if !effect.is_finite() {
                return Err(Error::Config {
                    path: path.to_path_buf(),
                    message: format!("effects: {channel} is not a number"),
                });
            }
        }
        Ok(config)
    }
}

/// Generates a set per seed, runs the job and the models, and scores them.
pub fn evaluate(options: &EvaluateOptions) -> Result<Evaluation> {
    let catalogue = Catalogue::load(&[])?;
    let specs = options
        .models
        .iter()
        .map(|m| catalogue.resolve(m))
        .collect::<Result<Vec<_>>>()?;
    let mut scores: Vec<ModelScore> = specs
        .iter()
        .map(|s| ModelScore {
            model: s.name.clone(),
            error_points: Vec::new(),
            rank_correlation: Vec::new(),
            shares: BTreeMap::new(),
        })
        .collect();
    let mut truth_sum: BTreeMap<String, f64> = BTreeMap::new();
    for &seed in &options.seeds {
        let dir = tempfile::tempdir().map_err(|e| Error::io("a temporary folder", e))?;
        generate(&GenerateOptions {
            people: options.people,
            seed,
            out: dir.path().to_path_buf(),
            start: chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or_default(),
            days: options.days,
            bad_rows: 0.0,
            junk_rate: options.junk_rate,
            shared_devices: options.shared_devices,
            parquet: false,
            progress: false,
            scenario: options.scenario,
            effects: options.effects.clone(),
        })?;
        let truth = true_shares(dir.path())?;
        let config = Config::load(&dir.path().join("omnitouch.toml"))?;
        let t = ingest::load(
            &config,
            &LoadOptions {
                keep_all_rejects: false,
                progress: false,
            },
        )?;
        let people = identity::stitch(&t, &IdentityOptions::from_config(&config, &t.id_kinds)?)?;
        let journeys = journey::build(&t, &people, &JourneyOptions::from_config(&config)?)?;
        let table = journeys.path_table();
        let results = attribution::run(
            &specs,
            &ModelInput {
                table: &table,
                journeys: Some(&journeys),
            },
        )?;
        for (channel, share) in &truth {
            *truth_sum.entry(channel.clone()).or_default() += share;
        }
        for (score, result) in scores.iter_mut().zip(results) {
            let total = result.total_conversions();
            let share_of = |channel: &str| -> f64 {
                match result.channels.iter().position(|c| c == channel) {
                    Some(i) if total > 0.0 => result.conversions[i] / total,
                    _ => 0.0,
                }
            };
            let pairs: Vec<(f64, f64)> = truth.iter().map(|(c, s)| (share_of(c), *s)).collect();
            let error =
                pairs.iter().map(|(m, t)| (m - t).abs()).sum::<f64>() / pairs.len().max(1) as f64;
            score.error_points.push(100.0 * error);
            score.rank_correlation.push(spearman(&pairs));
            for channel in truth.keys() {
                *score.shares.entry(channel.clone()).or_default() += share_of(channel);
            }
        }
    }
    let n = options.seeds.len().max(1) as f64;
    for score in &mut scores {
        score.shares.values_mut().for_each(|s| *s /= n);
    }
    scores.sort_by(|a, b| a.mean_error().total_cmp(&b.mean_error()));
    Ok(Evaluation {
        scenario: options.scenario.name().into(),
        people: options.people,
        seeds: options.seeds.clone(),
        truth: truth_sum.into_iter().map(|(c, s)| (c, s / n)).collect(),
        models: scores,
    })
}

/// The true incremental share of each channel in a generated set (`dir/truth`).
pub fn true_shares(dir: &Path) -> Result<BTreeMap<String, f64>> {
    let summary_path = dir.join("truth/summary.json");
    let summary: serde_json::Value =
        serde_json::from_str(&crate::files::read_to_string(&summary_path)?)
            .map_err(|e| Error::format(&summary_path, e))?;
    let base = summary["base_log_odds"]
        .as_f64()
        .ok_or_else(|| Error::format(&summary_path, "no base_log_odds"))?;
    let effects: BTreeMap<String, f64> = summary["channel_effects"]
        .as_object()
        .ok_or_else(|| Error::format(&summary_path, "no channel_effects"))?
        .iter()
        .filter_map(|(k, v)| v.as_f64().map(|e| (k.clone(), e)))
        .collect();
    let conversions = dir.join("truth/conversions.csv");
    let mut reader =
        csv::Reader::from_path(&conversions).map_err(|e| Error::format(&conversions, e))?;
    let headers = reader
        .headers()
        .map_err(|e| Error::format(&conversions, e))?
        .clone();
    let column = headers
        .iter()
        .position(|h| h == "channels")
        .ok_or_else(|| Error::format(&conversions, "no channels column"))?;
    // Log-odds a scenario adds to a cycle (intent to buy anyway): part of p(S), caused by no
    // channel.
    let extra_column = headers.iter().position(|h| h == "extra_log_odds");
    let mut caused: BTreeMap<String, f64> = effects.keys().map(|c| (c.clone(), 0.0)).collect();
    for record in reader.records() {
        let record = record.map_err(|e| Error::format(&conversions, e))?;
        let mut set: Vec<&str> = record
            .get(column)
            .unwrap_or_default()
            .split('>')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        set.sort_unstable();
        set.dedup();
        let effect = |c: &str| effects.get(c).copied().unwrap_or(0.0);
        let extra: f64 = extra_column
            .and_then(|i| record.get(i))
            .and_then(|x| x.parse().ok())
            .unwrap_or(0.0);
        let all: f64 = extra + set.iter().map(|c| effect(c)).sum::<f64>();
        let p = sigmoid(base + all);
        for c in &set {
            let without = sigmoid(base + all - effect(c));
            *caused.entry((*c).to_string()).or_default() += 1.0 - without / p;
        }
    }
    let total: f64 = caused.values().sum();
    Ok(caused
        .into_iter()
        .map(|(c, x)| (c, if total > 0.0 { x / total } else { 0.0 }))
        .collect())
}

/// Spearman's rank correlation of pairs (average ranks for ties); NaN when either side is
/// constant.
pub fn spearman(pairs: &[(f64, f64)]) -> f64 {
    let ranks = |values: Vec<f64>| -> Vec<f64> {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let mut rank = vec![0.0; values.len()];
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
                j += 1;
            }
            let average = (i + j) as f64 / 2.0 + 1.0;
            for &k in &order[i..=j] {
                rank[k] = average;
            }
            i = j + 1;
        }
        rank
    };
    let a = ranks(pairs.iter().map(|p| p.0).collect());
    let b = ranks(pairs.iter().map(|p| p.1).collect());
    let (ma, mb) = (mean(&a), mean(&b));
    let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_by_hand() {
        assert!((spearman(&[(1.0, 10.0), (2.0, 20.0), (3.0, 30.0)]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[(1.0, 30.0), (2.0, 20.0), (3.0, 10.0)]) + 1.0).abs() < 1e-12);
        // Ranks (1, 2, 3, 4) against (2, 1, 4, 3): 1 - 6·4 / (4·15) = 0.6.
        let r = spearman(&[(1.0, 2.0), (2.0, 1.0), (3.0, 4.0), (4.0, 3.0)]);
        assert!((r - 0.6).abs() < 1e-12, "{r}");
    }

    #[test]
    fn true_shares_by_hand() {
        // base 0; A +ln 3 (p 0.75 with A alone); B no effect. One conversion with A and B:
        // A caused 1 - σ(0)/σ(ln 3) = 1 - 0.5/0.75 = 1/3, B nothing. A second with A alone:
        // another 1/3. Shares: A 100 %.
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("truth")).expect("mkdir");
        std::fs::write(
            dir.path().join("truth/summary.json"),
            format!(
                "{{\"base_log_odds\": 0.0, \"channel_effects\": {{\"A\": {}, \"B\": 0.0, \"C\": 1.0}}}}",
                3f64.ln()
            ),
        )
        .expect("summary");
        std::fs::write(
            dir.path().join("truth/conversions.csv"),
            "person_id,channels\n1,A>B>A\n2,A\n3,\n",
        )
        .expect("conversions");
        let shares = true_shares(dir.path()).expect("shares");
        assert!((shares["A"] - 1.0).abs() < 1e-12, "{shares:?}");
        assert_eq!(shares["B"], 0.0);
        assert_eq!(shares["C"], 0.0, "a channel no conversion had");
    }
}
