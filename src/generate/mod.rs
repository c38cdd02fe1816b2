//! `omnitouch generate`: a realistic omnichannel export set with known ground truth.
//!
//! People own 1–4 devices and some of hashed email, hashed phone, login, loyalty card. Each
//! person receives touches over the period on their channels and devices; whether they
//! convert follows a logistic model with a planted incremental effect per channel, so later
//! stages can be checked against the truth. Every export has its own columns, identifiers,
//! timestamp format and file format; a share of deliberately bad rows is added on top of the
//! real ones (it never replaces them), and counted per file in `truth/summary.json`.
//!
//! Every person draws from its own RNG seeded by (seed, person), so the output depends only
//! on the seed and the options. Files are streamed: memory does not grow with the size.

mod events;
mod exports;
pub mod paths;
mod people;
mod sinks;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::json;

use crate::error::{Error, Result};
use crate::hash::mix;
use events::*;
use exports::*;
use people::*;
use sinks::{ColumnBuf, CsvSink, JsonSink, ParquetSink, TextSink};

/// The config written beside the generated exports.
pub const CONFIG_TEMPLATE: &str = include_str!("omnitouch.toml");

/// Generator options.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Number of people.
    pub people: u64,
    /// Random seed.
    pub seed: u64,
    /// Output folder.
    pub out: PathBuf,
    /// First day of the period (UTC midnight).
    pub start: NaiveDate,
    /// Days in the period.
    pub days: u32,
    /// Share of extra, deliberately bad rows per export.
    pub bad_rows: f64,
    /// Share of empty identifier cells written as junk instead ("0", "undefined", the nil
    /// UUID…), as real exports do.
    pub junk_rate: f64,
    /// Share of two-person households sharing a tablet (browser and app), each member
    /// logging in with their own account on it.
    pub shared_devices: f64,
    /// Write every export as Parquet (one string column per CSV field; no ragged or cut-off
    /// rows, which Parquet cannot hold).
    pub parquet: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// How conversions come about ([`Scenario`]).
    pub scenario: Scenario,
    /// Planted effects (added log-odds) replacing the scenario's, by channel name
    /// (`evaluate --config`).
    pub effects: BTreeMap<String, f64>,
}

/// How conversions come about in a generated set, for `omnitouch evaluate`: the baseline,
/// or a case that makes "which model to believe" hard, as real data does.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Touches drawn by popularity, independent of intent; every channel's effect planted.
    #[default]
    Baseline,
    /// Three cycles in ten are of people about to buy anyway (+1.5 log-odds); they search
    /// the brand (one or two Paid Search touches) just before buying. Paid Search itself
    /// causes little (effect 0.05): it follows intent.
    Intent,
    /// Display only starts journeys: the first touch of four cycles in ten, never later, and
    /// causes a fair share (effect 0.45).
    Starter,
    /// Half the people never log in on web or app: their devices are not stitched, so a
    /// conversion loses the touches of its other devices (recall below 1).
    Unstitched,
    /// People with a loyalty card buy in store nine times in ten (four in ten otherwise): the
    /// online touches reach those conversions only through the identity links.
    Offline,
}

impl Scenario {
    /// Share of cycles of loyalty-card holders that end in store.
    fn store_share(self) -> f64 {
        match self {
            Scenario::Offline => 0.9,
            _ => 0.4,
        }
    }

    /// The planted effect of `channel` under this scenario.
    fn effect(self, channel: Ch) -> f64 {
        let base = CHANNELS
            .iter()
            .find(|x| x.0 == channel)
            .map_or(0.0, |x| x.3);
        match (self, channel) {
            (Scenario::Intent, Ch::PaidSearch) => 0.05,
            (Scenario::Starter, Ch::Display) => 0.45,
            _ => base,
        }
    }

    /// The scenario's name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Baseline => "baseline",
            Scenario::Intent => "intent",
            Scenario::Starter => "starter",
            Scenario::Unstitched => "unstitched",
            Scenario::Offline => "offline",
        }
    }
}

/// Log-odds added for a cycle of a person about to buy anyway ([`Scenario::Intent`]).
const INTENT_LOG_ODDS: f64 = 1.5;

/// Rows written to one export.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileCounts {
    /// Source name in the written config.
    pub source: String,
    /// Data rows written (good + ignored + bad).
    pub rows: u64,
    /// Rows that are deliberately bad (each must be rejected).
    pub bad: u64,
    /// Rows of a kind the config ignores (email sends and bounces, complaint calls).
    pub ignored: u64,
}

/// What was generated; also written to `truth/summary.json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GenerateSummary {
    pub people: u64,
    pub seed: u64,
    pub touches: u64,
    pub conversions: u64,
    /// Conversions whose journey (touches since the previous conversion, and the
    /// conversion) used more than one device.
    pub cross_device_conversions: u64,
    /// Conversions in store or by phone whose journey had an online touch.
    pub online_to_offline_conversions: u64,
    /// Per export file name.
    pub files: BTreeMap<String, FileCounts>,
    /// Share of empty identifier cells written as junk.
    pub junk_rate: f64,
    /// Households sharing a tablet.
    pub shared_device_households: u64,
    /// Log-odds of converting with no touch.
    pub base_log_odds: f64,
    /// Planted incremental effect (added log-odds) of each channel touched at least once.
    pub channel_effects: BTreeMap<String, f64>,
    /// How conversions come about.
    pub scenario: Scenario,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ch {
    PaidSearch,
    PaidSocial,
    Display,
    PaidVideo,
    OrganicSearch,
    OrganicSocial,
    Direct,
    Referral,
    Affiliates,
    Email,
    Sms,
    Push,
    CallCentre,
}

/// (channel, name as the default rules classify it, relative frequency, planted effect).
const CHANNELS: [(Ch, &str, f64, f64); 13] = [
    (Ch::PaidSearch, "Paid Search", 14.0, 0.55),
    (Ch::PaidSocial, "Paid Social", 12.0, 0.30),
    (Ch::Display, "Display", 10.0, 0.08),
    (Ch::PaidVideo, "Paid Video", 3.0, 0.15),
    (Ch::OrganicSearch, "Organic Search", 14.0, 0.35),
    (Ch::OrganicSocial, "Organic Social", 6.0, 0.10),
    (Ch::Direct, "Direct", 10.0, 0.25),
    (Ch::Referral, "Referral", 4.0, 0.20),
    (Ch::Affiliates, "Affiliates", 3.0, 0.30),
    (Ch::Email, "Email", 12.0, 0.40),
    (Ch::Sms, "SMS", 4.0, 0.25),
    (Ch::Push, "Mobile Push", 5.0, 0.15),
    (Ch::CallCentre, "Call Centre", 2.0, 0.45),
];

const BASE_LOG_ODDS: f64 = -2.4;
const REGIONS: [&str; 4] = ["Northeast", "Midwest", "South", "West"];

fn sha256_hex(text: &str) -> String {
    crate::ingest::privacy::sha256_hex(&[text.as_bytes()])
}

/// The logistic function, by which planted log-odds become conversion probabilities.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A random draw from an exponential distribution with the given mean.
fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.gen::<f64>()).ln()
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

/// The config of a generated set: the template, with every export a Parquet file when the
/// set is all-Parquet.
pub fn config_text(parquet: bool) -> String {
    if !parquet {
        return CONFIG_TEMPLATE.to_string();
    }
    CONFIG_TEMPLATE
        .lines()
        .filter(|l| !l.starts_with("csv = "))
        .map(|l| match l.strip_prefix("path = \"") {
            Some(rest) if !rest.starts_with("spend") => {
                format!("path = \"{}", parquet_name(rest.trim_end_matches('"'))) + "\""
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The channel names the generator plants effects for.
pub fn channel_names() -> Vec<&'static str> {
    CHANNELS.iter().map(|x| x.1).collect()
}

/// The planted effect of `channel`: the options' override, else the scenario's.
fn effect_of(options: &GenerateOptions, channel: Ch) -> f64 {
    CHANNELS
        .iter()
        .find(|x| x.0 == channel)
        .and_then(|x| options.effects.get(x.1))
        .copied()
        .unwrap_or_else(|| options.scenario.effect(channel))
}

/// Truth files: every identifier issued with its person, and every conversion.
struct Truth {
    ids: ParquetSink,
    conversions: CsvSink,
}

/// Writes the export set, its config and the truth files into `options.out`.
pub fn generate(options: &GenerateOptions) -> Result<GenerateSummary> {
    for (name, share) in [
        ("--bad-rows", options.bad_rows),
        ("--junk-rate", options.junk_rate),
        ("--shared-devices", options.shared_devices),
    ] {
        if !(0.0..=0.5).contains(&share) {
            return Err(Error::Config {
                path: PathBuf::from(name),
                message: format!("{share} is not a share between 0 and 0.5"),
            });
        }
    }
    let out = &options.out;
    let truth_dir = out.join("truth");
    std::fs::create_dir_all(&truth_dir).map_err(|e| Error::io(&truth_dir, e))?;
    let mut sinks = Sinks::create(out, options.bad_rows, options.junk_rate, options.parquet)?;
    let mut truth = Truth {
        ids: ParquetSink::create(
            &truth_dir.join("identities.parquet"),
            vec![
                ("kind", ColumnBuf::Str(Vec::new())),
                ("value", ColumnBuf::Str(Vec::new())),
                ("person_id", ColumnBuf::I64(Vec::new())),
            ],
        ),
        conversions: CsvSink::create(
            &truth_dir.join("conversions.csv"),
            &[
                "person_id",
                "ts",
                "place",
                "value",
                "channels",
                "devices",
                "cross_device",
                "online_to_offline",
                "extra_log_odds",
            ],
            b',',
            false,
            false,
        )?,
    };
    let start = options
        .start
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or(0);
    let end = start + i64::from(options.days) * DAY;
    let mut summary = GenerateSummary {
        people: options.people,
        seed: options.seed,
        junk_rate: options.junk_rate,
        base_log_odds: BASE_LOG_ODDS,
        channel_effects: CHANNELS
            .iter()
            .map(|(c, n, _, _)| (n.to_string(), effect_of(options, *c)))
            .collect(),
        scenario: options.scenario,
        ..GenerateSummary::default()
    };
    // Spend is driven by paid clicks and sends: (day, channel) → units.
    let mut units: BTreeMap<(i64, Ch), u64> = BTreeMap::new();
    let bar = crate::progress::bar(options.people, "generating people", options.progress);
    for idx in 0..options.people {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(options.seed ^ mix(idx)));
        let mut person = make_person(&mut rng, options.seed, idx, options.shared_devices);
        if options.scenario == Scenario::Unstitched && rng.gen_bool(0.5) {
            person.logs_in = false;
        }
        if idx % 2 == 1 && person.devices.iter().any(|d| d.shared) {
            summary.shared_device_households += 1;
        }
        write_identities(&mut truth, &person)?;
        simulate(
            &mut rng,
            &person,
            start,
            end,
            &mut sinks,
            &mut truth,
            &mut summary,
            &mut units,
            options,
        )?;
        if idx % 1024 == 0 {
            bar.set_position(idx);
        }
    }
    bar.finish_and_clear();
    summary.files = sinks.finish()?;
    truth.ids.finish()?;
    truth.conversions.finish()?;
    write_spend(out, options.seed, &units)?;
    let config_path = out.join("omnitouch.toml");
    std::fs::write(&config_path, config_text(options.parquet))
        .map_err(|e| Error::io(&config_path, e))?;
    let summary_path = truth_dir.join("summary.json");
    let text =
        serde_json::to_string_pretty(&summary).map_err(|e| Error::write(&summary_path, e))?;
    std::fs::write(&summary_path, text + "\n").map_err(|e| Error::io(&summary_path, e))?;
    Ok(summary)
}

#[allow(clippy::too_many_arguments)]
fn simulate(
    rng: &mut ChaCha8Rng,
    p: &Person,
    start: i64,
    end: i64,
    sinks: &mut Sinks,
    truth: &mut Truth,
    summary: &mut GenerateSummary,
    units: &mut BTreeMap<(i64, Ch), u64>,
    options: &GenerateOptions,
) -> Result<()> {
    let scenario = options.scenario;
    if let Some(customer) = &p.customer_id {
        write_crm(rng, p, customer, start, sinks)?;
    }
    write_logins(rng, p, start, end, sinks)?;
    let weights: Vec<(Ch, f64)> = CHANNELS
        .iter()
        .filter(|(c, ..)| available(p, *c))
        // A journey starter is not drawn among the later touches.
        .filter(|(c, ..)| !(scenario == Scenario::Starter && *c == Ch::Display))
        .map(|(c, _, w, _)| (*c, *w))
        .collect();
    let total_w: f64 = weights.iter().map(|(_, w)| w).sum();
    // Up to three purchase cycles; most people have one.
    let mut cycle_start = start;
    for cycle in 0..3 {
        if cycle > 0 && !rng.gen_bool(0.3) {
            break;
        }
        let n_touches = 1 + exponential(rng, 2.6).floor() as usize;
        let span = end - cycle_start;
        if span < DAY {
            break;
        }
        // A cycle starts at a random time; touches follow with gaps of a few days.
        let mut ts = cycle_start + rng.gen_range(0..span);
        let mut touches: Vec<(i64, Ch, usize)> = (0..n_touches.min(40))
            .map(|_| {
                let mut x = rng.gen::<f64>() * total_w;
                let mut ch = weights[0].0;
                for (c, w) in &weights {
                    if x < *w {
                        ch = *c;
                        break;
                    }
                    x -= w;
                }
                let at = ts;
                ts += (exponential(rng, 2.5) * DAY as f64) as i64;
                (at, ch, rng.gen_range(0..p.devices.len()))
            })
            .filter(|t| t.0 < end)
            .collect();
        touches.sort();
        // Scenario draws come after the baseline's, so that the baseline is unchanged.
        let mut extra = 0.0;
        match scenario {
            Scenario::Baseline | Scenario::Unstitched | Scenario::Offline => {}
            Scenario::Intent => {
                if rng.gen_bool(0.3) {
                    extra = INTENT_LOG_ODDS;
                    let brand = available(p, Ch::PaidSearch);
                    let mut at = touches.last().map_or(ts, |t| t.0);
                    for _ in 0..rng.gen_range(1..=2) {
                        at += (exponential(rng, 3.0) * HOUR as f64) as i64 + 60_000_000;
                        let device = rng.gen_range(0..p.devices.len());
                        if at < end && brand {
                            touches.push((at, Ch::PaidSearch, device));
                        }
                    }
                }
            }
            Scenario::Starter => {
                if let (true, Some(first)) = (rng.gen_bool(0.4), touches.first().map(|t| t.0)) {
                    let at = first - (exponential(rng, 1.0) * DAY as f64) as i64 - 60_000_000;
                    let device = rng.gen_range(0..p.devices.len());
                    if at >= cycle_start && available(p, Ch::Display) {
                        touches.insert(0, (at, Ch::Display, device));
                    }
                }
            }
        }
        for &(ts, ch, dev) in &touches {
            emit_touch(rng, p, ts, ch, dev, sinks, units)?;
            summary.touches += 1;
        }
        let mut distinct: Vec<Ch> = touches.iter().map(|t| t.1).collect();
        distinct.sort();
        distinct.dedup();
        let effect: f64 = distinct.iter().map(|c| effect_of(options, *c)).sum();
        if !rng.gen_bool(sigmoid(BASE_LOG_ODDS + extra + effect)) {
            break;
        }
        let last = touches.last().map_or(cycle_start, |t| t.0);
        let ts = last + (exponential(rng, 20.0) * HOUR as f64) as i64 + 60_000_000;
        if ts >= end {
            break;
        }
        let place = choose_place(rng, p, &touches, scenario.store_share());
        let value = (rng.gen::<f64>() * 0.9 + 0.2)
            * match place {
                Place::Store => 85.0,
                Place::Phone => 140.0,
                _ => 110.0,
            };
        let value = (value * 100.0).round() / 100.0;
        emit_conversion(rng, p, ts, place, value, sinks)?;
        summary.conversions += 1;
        let mut devices: Vec<usize> = touches.iter().map(|t| t.2).collect();
        if let Place::Web(d) | Place::App(d) = place {
            devices.push(d);
        }
        devices.sort_unstable();
        devices.dedup();
        let offline = matches!(place, Place::Store | Place::Phone);
        let online_touch = touches
            .iter()
            .any(|t| !matches!(t.1, Ch::CallCentre | Ch::Sms));
        let cross_device = devices.len() > 1;
        let o2o = offline && online_touch;
        summary.cross_device_conversions += u64::from(cross_device);
        summary.online_to_offline_conversions += u64::from(o2o);
        let channels: Vec<&str> = touches
            .iter()
            .map(|t| CHANNELS.iter().find(|x| x.0 == t.1).map_or("", |x| x.1))
            .collect();
        truth.conversions.row(&[
            &p.idx.to_string(),
            &rfc3339(ts),
            match place {
                Place::Web(_) => "web",
                Place::App(_) => "app",
                Place::Store => "store",
                Place::Phone => "phone",
            },
            &format!("{value:.2}"),
            &channels.join(">"),
            &devices.len().to_string(),
            if cross_device { "true" } else { "false" },
            if o2o { "true" } else { "false" },
            &extra.to_string(),
        ])?;
        cycle_start = ts + HOUR;
    }
    Ok(())
}
