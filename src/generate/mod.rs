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

pub mod paths;
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
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeviceKind {
    Mobile,
    Desktop,
    Tablet,
}

impl DeviceKind {
    fn name(self) -> &'static str {
        match self {
            DeviceKind::Mobile => "mobile",
            DeviceKind::Desktop => "desktop",
            DeviceKind::Tablet => "tablet",
        }
    }
}

struct Device {
    kind: DeviceKind,
    cookie: String,
    app_id: Option<String>,
    /// A household tablet used by two people.
    shared: bool,
}

/// Junk values real exports put where an identifier is missing.
const JUNK: [&str; 5] = [
    "0",
    "undefined",
    "null",
    "-1",
    "00000000-0000-0000-0000-000000000000",
];

struct Person {
    idx: u64,
    user_id: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    loyalty: Option<String>,
    customer_id: Option<String>,
    region: &'static str,
    devices: Vec<Device>,
}

/// Where a conversion happens.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Web(usize),
    App(usize),
    Store,
    Phone,
}

/// splitmix64's finaliser: a bijection on u64, so distinct inputs give distinct ids.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn sha256_hex(text: &str) -> String {
    crate::ingest::privacy::sha256_hex(&[text.as_bytes()])
}

fn sigmoid(x: f64) -> f64 {
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

/// The export writers and their counts.
struct Sinks {
    web: TextSink,
    app: JsonSink,
    ads: ParquetSink,
    email: TextSink,
    sms: TextSink,
    push: JsonSink,
    calls: TextSink,
    pos: ParquetSink,
    orders: TextSink,
    crm: TextSink,
    logins: TextSink,
    counts: BTreeMap<String, FileCounts>,
    bad_rate: f64,
    junk_rate: f64,
    /// Every export written as Parquet.
    parquet: bool,
}

const WEB: &str = "web_sessions.csv";
const APP: &str = "app_sessions.ndjson";
const ADS: &str = "ad_clicks.parquet";
const EMAIL: &str = "email_events.csv";
const SMS: &str = "sms_sends.csv";
const PUSH: &str = "push_notifications.ndjson";
const CALLS: &str = "call_centre.csv";
const POS: &str = "pos_transactions.parquet";
const ORDERS: &str = "orders.csv";
const CRM: &str = "crm_identities.csv";
const LOGINS: &str = "app_logins.csv";

impl Sinks {
    fn create(dir: &Path, bad_rate: f64, junk_rate: f64, parquet: bool) -> Result<Sinks> {
        let p = |f: &str| dir.join(f);
        let sources = [
            (WEB, "web_sessions"),
            (APP, "app_sessions"),
            (ADS, "ad_clicks"),
            (EMAIL, "email"),
            (SMS, "sms"),
            (PUSH, "push"),
            (CALLS, "call_centre"),
            (POS, "store_pos"),
            (ORDERS, "online_orders"),
            (CRM, "crm"),
            (LOGINS, "app_logins"),
        ];
        Ok(Sinks {
            web: TextSink::create(
                &p(WEB),
                &[
                    "session_id",
                    "session_start",
                    "ga_cookie",
                    "login_id",
                    "utm_source",
                    "utm_medium",
                    "utm_campaign",
                    "referrer",
                    "landing_page",
                    "device_category",
                    "region",
                ],
                (b',', false, false),
                parquet,
            )?,
            app: JsonSink::create(
                &p(APP),
                vec![
                    ("ts", ColumnBuf::I64(Vec::new())),
                    ("device_id", ColumnBuf::Str(Vec::new())),
                    ("user_id", ColumnBuf::Str(Vec::new())),
                    ("attr_source", ColumnBuf::Str(Vec::new())),
                    ("attr_medium", ColumnBuf::Str(Vec::new())),
                    ("device_type", ColumnBuf::Str(Vec::new())),
                ],
                parquet,
            )?,
            ads: ParquetSink::create(
                &p(ADS),
                vec![
                    ("click_id", ColumnBuf::Str(Vec::new())),
                    (
                        "click_time",
                        ColumnBuf::Datetime {
                            micros: Vec::new(),
                            utc: false,
                        },
                    ),
                    ("cookie", ColumnBuf::Str(Vec::new())),
                    ("platform", ColumnBuf::Str(Vec::new())),
                    ("ad_type", ColumnBuf::Str(Vec::new())),
                    ("campaign", ColumnBuf::Str(Vec::new())),
                    ("cost", ColumnBuf::F64(Vec::new())),
                ],
            ),
            email: TextSink::create(
                &p(EMAIL),
                &[
                    "event_time",
                    "recipient_hash",
                    "event_type",
                    "campaign_name",
                ],
                (b';', false, false),
                parquet,
            )?,
            sms: TextSink::create(
                &p(SMS),
                &["sent_at", "phone_hash", "message_campaign"],
                (b',', false, false),
                parquet,
            )?,
            push: JsonSink::create(
                &p(PUSH),
                vec![
                    ("device", ColumnBuf::Str(Vec::new())),
                    ("sent_at", ColumnBuf::Str(Vec::new())),
                    ("campaign", ColumnBuf::Str(Vec::new())),
                    ("platform", ColumnBuf::Str(Vec::new())),
                ],
                parquet,
            )?,
            calls: TextSink::create(
                &p(CALLS),
                &[
                    "call_time",
                    "caller_phone_hash",
                    "call_type",
                    "order_value",
                    "region",
                ],
                (b',', true, true),
                parquet,
            )?,
            pos: ParquetSink::create(
                &p(POS),
                vec![
                    (
                        "txn_time",
                        ColumnBuf::Datetime {
                            micros: Vec::new(),
                            utc: true,
                        },
                    ),
                    ("loyalty_number", ColumnBuf::Str(Vec::new())),
                    ("receipt_email_hash", ColumnBuf::Str(Vec::new())),
                    ("store_region", ColumnBuf::Str(Vec::new())),
                    ("amount", ColumnBuf::F64(Vec::new())),
                ],
            ),
            orders: TextSink::create(
                &p(ORDERS),
                &[
                    "order_id",
                    "created_at",
                    "cookie",
                    "app_device_id",
                    "user_id",
                    "email_hash",
                    "platform",
                    "revenue",
                    "order_type",
                    "region",
                ],
                (b',', false, false),
                parquet,
            )?,
            crm: TextSink::create(
                &p(CRM),
                &[
                    "customer_id",
                    "web_account_id",
                    "email_sha256",
                    "phone_sha256",
                    "loyalty_id",
                    "created_on",
                ],
                (b',', false, false),
                parquet,
            )?,
            logins: TextSink::create(
                &p(LOGINS),
                &["login_time", "device_id", "user_id"],
                (b',', false, false),
                parquet,
            )?,
            counts: sources
                .iter()
                .map(|(f, s)| {
                    (
                        f.to_string(),
                        FileCounts {
                            source: s.to_string(),
                            ..FileCounts::default()
                        },
                    )
                })
                .collect(),
            bad_rate,
            junk_rate,
            parquet,
        })
    }

    /// What an export writes where an identifier is missing: usually nothing, sometimes junk.
    fn missing(&self, rng: &mut ChaCha8Rng) -> &'static str {
        if self.junk_rate > 0.0 && rng.gen::<f64>() < self.junk_rate {
            JUNK[rng.gen_range(0..JUNK.len())]
        } else {
            ""
        }
    }

    fn count(&mut self, file: &str, bad: bool, ignored: bool) {
        if let Some(c) = self.counts.get_mut(file) {
            c.rows += 1;
            c.bad += u64::from(bad);
            c.ignored += u64::from(ignored);
        }
    }

    /// Whether to add a bad copy of the row just written.
    fn plant_bad(&self, rng: &mut ChaCha8Rng) -> bool {
        self.bad_rate > 0.0 && rng.gen::<f64>() < self.bad_rate
    }

    fn finish(self) -> Result<BTreeMap<String, FileCounts>> {
        let counts = if self.parquet {
            self.counts
                .iter()
                .map(|(file, c)| (parquet_name(file), c.clone()))
                .collect()
        } else {
            self.counts.clone()
        };
        self.web.finish()?;
        self.app.finish()?;
        self.ads.finish()?;
        self.email.finish()?;
        self.sms.finish()?;
        self.push.finish()?;
        self.calls.finish()?;
        self.pos.finish()?;
        self.orders.finish()?;
        self.crm.finish()?;
        self.logins.finish()?;
        Ok(counts)
    }
}

/// An export's file name in an all-Parquet set.
fn parquet_name(file: &str) -> String {
    match file.rsplit_once('.') {
        Some((stem, _)) => format!("{stem}.parquet"),
        None => file.to_string(),
    }
}

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

fn rfc3339(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn local(micros: i64, tz: Tz, pattern: &str) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| t.with_timezone(&tz).format(pattern).to_string())
        .unwrap_or_default()
}

fn naive_local_micros(micros: i64, tz: Tz) -> i64 {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| {
            t.with_timezone(&tz)
                .naive_local()
                .and_utc()
                .timestamp_micros()
        })
        .unwrap_or(micros)
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
            .map(|(_, n, _, e)| (n.to_string(), *e))
            .collect(),
        ..GenerateSummary::default()
    };
    // Spend is driven by paid clicks and sends: (day, channel) → units.
    let mut units: BTreeMap<(i64, Ch), u64> = BTreeMap::new();
    let bar = crate::progress::bar(options.people, "generating people", options.progress);
    for idx in 0..options.people {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(options.seed ^ mix(idx)));
        let person = make_person(&mut rng, options.seed, idx, options.shared_devices);
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

fn uuid(a: u64) -> String {
    let b = mix(a);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        (b >> 48) | 0x8000,
        b & 0xFFFF_FFFF_FFFF
    )
}

fn make_person(rng: &mut ChaCha8Rng, seed: u64, idx: u64, shared_devices: f64) -> Person {
    let salt = mix(seed);
    let registered = rng.gen_bool(0.55);
    let has_email = registered || rng.gen_bool(0.2);
    let has_phone = rng.gen_bool(0.4);
    let has_loyalty = rng.gen_bool(0.3);
    let n_devices = match rng.gen::<f64>() {
        x if x < 0.45 => 1,
        x if x < 0.75 => 2,
        x if x < 0.92 => 3,
        _ => 4,
    };
    let devices = (0..n_devices)
        .map(|d| {
            let kind = match (d, rng.gen::<f64>()) {
                (0, x) if x < 0.6 => DeviceKind::Mobile,
                (0, _) => DeviceKind::Desktop,
                (_, x) if x < 0.45 => DeviceKind::Mobile,
                (_, x) if x < 0.8 => DeviceKind::Desktop,
                _ => DeviceKind::Tablet,
            };
            let key = mix(salt ^ (idx * 8 + d as u64));
            let cookie = format!("GA1.2.{}.{}", key >> 32, key & 0xFFFF_FFFF);
            let app_id = (kind != DeviceKind::Desktop && rng.gen_bool(0.35))
                .then(|| uuid(mix(key ^ 0xA5A5_A5A5)));
            Device {
                kind,
                cookie,
                app_id,
                shared: false,
            }
        })
        .collect::<Vec<_>>();
    // People 2k and 2k+1 form a household; some households share a tablet. Both members
    // derive the same decision and ids from the household number alone.
    let mut devices = devices;
    let household = idx / 2;
    let share_draw = (mix(salt ^ mix(household) ^ 0x7AB1E7) % 1_000_000) as f64 / 1e6;
    if share_draw < shared_devices {
        let key = mix(salt ^ mix(household) ^ 0x5EED);
        devices.push(Device {
            kind: DeviceKind::Tablet,
            cookie: format!("GA1.2.{}.{}", key >> 32, key & 0xFFFF_FFFF),
            app_id: Some(uuid(mix(key ^ 0xA5A5_A5A5))),
            shared: true,
        });
    }
    let email = has_email.then(|| sha256_hex(&format!("person{idx}.{seed}@example.com")));
    let phone = has_phone.then(|| sha256_hex(&format!("+1555{idx:09}.{seed}")));
    let loyalty = has_loyalty.then(|| format!("L{:011}", idx + 1));
    let customer_id = (registered || has_loyalty).then(|| format!("C{:09}", idx + 1));
    Person {
        idx,
        user_id: registered.then(|| format!("U{:016x}", mix(salt ^ mix(idx) ^ 0x55))),
        email,
        phone,
        loyalty,
        customer_id,
        region: REGIONS[rng.gen_range(0..REGIONS.len())],
        devices,
    }
}

fn write_identities(truth: &mut Truth, p: &Person) -> Result<()> {
    let mut row = |kind: &str, value: &str| {
        if let [ColumnBuf::Str(k), ColumnBuf::Str(v), ColumnBuf::I64(id)] =
            &mut truth.ids.columns[..]
        {
            k.push(Some(kind.to_string()));
            v.push(Some(value.to_string()));
            id.push(p.idx as i64);
        }
        truth.ids.row_done()
    };
    for d in &p.devices {
        row("cookie_id", &d.cookie)?;
        if let Some(a) = &d.app_id {
            row("device_id", a)?;
        }
    }
    for (kind, v) in [
        ("user_id", &p.user_id),
        ("email_sha256", &p.email),
        ("phone_sha256", &p.phone),
        ("loyalty_id", &p.loyalty),
        ("customer_id", &p.customer_id),
    ] {
        if let Some(v) = v {
            row(kind, v)?;
        }
    }
    Ok(())
}

/// Channels a person can be reached on.
fn available(p: &Person, ch: Ch) -> bool {
    match ch {
        Ch::Email => p.email.is_some(),
        Ch::Sms | Ch::CallCentre => p.phone.is_some(),
        Ch::Push => p.devices.iter().any(|d| d.app_id.is_some()),
        _ => true,
    }
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
) -> Result<()> {
    if let Some(customer) = &p.customer_id {
        write_crm(rng, p, customer, start, sinks)?;
    }
    write_logins(rng, p, start, end, sinks)?;
    let weights: Vec<(Ch, f64)> = CHANNELS
        .iter()
        .filter(|(c, ..)| available(p, *c))
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
        for &(ts, ch, dev) in &touches {
            emit_touch(rng, p, ts, ch, dev, sinks, units)?;
            summary.touches += 1;
        }
        let mut distinct: Vec<Ch> = touches.iter().map(|t| t.1).collect();
        distinct.sort();
        distinct.dedup();
        let effect: f64 = distinct
            .iter()
            .map(|c| CHANNELS.iter().find(|x| x.0 == *c).map_or(0.0, |x| x.3))
            .sum();
        if !rng.gen_bool(sigmoid(BASE_LOG_ODDS + effect)) {
            break;
        }
        let last = touches.last().map_or(cycle_start, |t| t.0);
        let ts = last + (exponential(rng, 20.0) * HOUR as f64) as i64 + 60_000_000;
        if ts >= end {
            break;
        }
        let place = choose_place(rng, p, &touches);
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
        ])?;
        cycle_start = ts + HOUR;
    }
    Ok(())
}

fn choose_place(rng: &mut ChaCha8Rng, p: &Person, touches: &[(i64, Ch, usize)]) -> Place {
    let last_ch = touches.last().map(|t| t.1);
    if p.phone.is_some() && (last_ch == Some(Ch::CallCentre) || rng.gen_bool(0.05)) {
        return Place::Phone;
    }
    if p.loyalty.is_some() && rng.gen_bool(0.4) {
        return Place::Store;
    }
    let dev = rng.gen_range(0..p.devices.len());
    if p.devices[dev].app_id.is_some() && p.user_id.is_some() && rng.gen_bool(0.5) {
        Place::App(dev)
    } else {
        Place::Web(dev)
    }
}

fn write_crm(
    rng: &mut ChaCha8Rng,
    p: &Person,
    customer: &str,
    start: i64,
    sinks: &mut Sinks,
) -> Result<()> {
    let created = local(
        start - rng.gen_range(30..2000) * DAY,
        chrono_tz::UTC,
        "%Y-%m-%d",
    );
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    sinks.crm.row(&[
        customer,
        &s(&p.user_id),
        &s(&p.email),
        &s(&p.phone),
        &s(&p.loyalty),
        &created,
    ])?;
    sinks.count(CRM, false, false);
    if sinks.plant_bad(rng) {
        // A CRM row with no identifier at all.
        sinks.crm.row(&["", "", "", "", "", &created])?;
        sinks.count(CRM, true, false);
    }
    Ok(())
}

/// Logins on app devices: the app's login-event export links device and account.
fn write_logins(
    rng: &mut ChaCha8Rng,
    p: &Person,
    start: i64,
    end: i64,
    sinks: &mut Sinks,
) -> Result<()> {
    let Some(user) = &p.user_id else {
        return Ok(());
    };
    for d in &p.devices {
        if let Some(app) = &d.app_id {
            let ts = rfc3339(start + rng.gen_range(0..end - start));
            sinks.logins.row(&[&ts, app, user])?;
            sinks.count(LOGINS, false, false);
            if sinks.plant_bad(rng) {
                sinks.logins.row(&[&ts, "", ""])?;
                sinks.count(LOGINS, true, false);
            }
        }
    }
    Ok(())
}

fn emit_touch(
    rng: &mut ChaCha8Rng,
    p: &Person,
    ts: i64,
    ch: Ch,
    dev: usize,
    sinks: &mut Sinks,
    units: &mut BTreeMap<(i64, Ch), u64>,
) -> Result<()> {
    let device = &p.devices[dev];
    let day = ts.div_euclid(DAY);
    let campaign =
        |rng: &mut ChaCha8Rng, prefix: &str| format!("{prefix}_{:02}", rng.gen_range(1..7));
    match ch {
        Ch::PaidSearch | Ch::PaidSocial | Ch::Display | Ch::PaidVideo => {
            let (platform, ad_type, prefix, cpc) = match ch {
                Ch::PaidSearch => ("google_ads", "cpc", "search", 1.4),
                Ch::PaidSocial => ("meta", "paid_social", "social", 0.9),
                Ch::PaidVideo => ("youtube", "cpv", "video", 0.6),
                _ => ("dv360", "display", "display", 0.4),
            };
            *units.entry((day, ch)).or_default() += 1;
            let click_time = naive_local_micros(ts, chrono_tz::America::New_York);
            let camp = campaign(rng, prefix);
            let cost = (cpc * (0.5 + rng.gen::<f64>()) * 100.0).round() / 100.0;
            let id = format!("clk{:016x}", mix(ts as u64 ^ mix(p.idx)));
            push_ad(
                sinks,
                &id,
                click_time,
                &device.cookie,
                platform,
                ad_type,
                &camp,
                cost,
            )?;
            sinks.count(ADS, false, false);
            if sinks.plant_bad(rng) {
                // A click the ad platform exported without its cookie.
                push_ad(sinks, &id, click_time, "", platform, ad_type, &camp, cost)?;
                sinks.count(ADS, true, false);
            }
        }
        Ch::Email => {
            let email = p.email.as_deref().unwrap_or_default();
            let camp = campaign(rng, "newsletter");
            let sent = ts - rng.gen_range(1..48) * HOUR;
            let fmt = "%d/%m/%Y %H:%M:%S";
            let london = chrono_tz::Europe::London;
            *units.entry((sent.div_euclid(DAY), ch)).or_default() += 1;
            sinks
                .email
                .row(&[&local(sent, london, fmt), email, "send", &camp])?;
            sinks.count(EMAIL, false, true);
            let event = if rng.gen_bool(0.6) { "open" } else { "click" };
            sinks
                .email
                .row(&[&local(ts, london, fmt), email, event, &camp])?;
            sinks.count(EMAIL, false, false);
            if rng.gen_bool(0.02) {
                sinks
                    .email
                    .row(&[&local(ts, london, fmt), email, "bounce", &camp])?;
                sinks.count(EMAIL, false, true);
            }
            if sinks.plant_bad(rng) {
                // An event type the config does not know.
                sinks
                    .email
                    .row(&[&local(ts, london, fmt), email, "spam_report", &camp])?;
                sinks.count(EMAIL, true, false);
            }
        }
        Ch::Sms => {
            let phone = p.phone.as_deref().unwrap_or_default();
            *units.entry((day, ch)).or_default() += 1;
            let camp = campaign(rng, "sms");
            sinks
                .sms
                .row(&[&(ts / 1_000_000).to_string(), phone, &camp])?;
            sinks.count(SMS, false, false);
            if sinks.plant_bad(rng) {
                sinks.sms.row(&["", phone, &camp])?;
                sinks.count(SMS, true, false);
            }
        }
        Ch::Push => {
            let app_dev = p
                .devices
                .iter()
                .find_map(|d| d.app_id.as_deref())
                .unwrap_or_default();
            // The push provider exports central European summer time with its offset.
            let sent = local(ts, chrono_tz::Etc::GMTMinus2, "%Y-%m-%dT%H:%M:%S%:z");
            let camp = campaign(rng, "push");
            let platform = if rng.gen_bool(0.55) { "ios" } else { "android" };
            sinks.push.row(&json!({"device": app_dev, "sent_at": sent, "campaign": camp, "platform": platform}))?;
            sinks.count(PUSH, false, false);
            if sinks.plant_bad(rng) {
                // A line cut off mid-write (NDJSON only).
                let cut = &app_dev[..app_dev.len().min(8)];
                if sinks
                    .push
                    .broken_line(&format!("{{\"device\": \"{cut}\n"))?
                {
                    sinks.count(PUSH, true, false);
                }
            }
        }
        Ch::CallCentre => {
            let phone = p.phone.as_deref().unwrap_or_default();
            let t = local(ts, chrono_tz::America::New_York, "%Y-%m-%d %H:%M:%S");
            sinks.calls.row(&[&t, phone, "enquiry", "", p.region])?;
            sinks.count(CALLS, false, false);
            if rng.gen_bool(0.1) {
                sinks.calls.row(&[&t, phone, "complaint", "", p.region])?;
                sinks.count(CALLS, false, true);
            }
            if sinks.plant_bad(rng) {
                // A row cut short by the export (CSV only).
                if sinks.calls.row(&[&t, phone])? {
                    sinks.count(CALLS, true, false);
                }
            }
        }
        Ch::Direct if device.app_id.is_some() && rng.gen_bool(0.5) => {
            emit_app_session(rng, p, dev, ts, "", "", sinks)?;
        }
        _ => emit_web_session(rng, p, dev, ts, ch, sinks)?,
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn push_ad(
    sinks: &mut Sinks,
    id: &str,
    click_time: i64,
    cookie: &str,
    platform: &str,
    ad_type: &str,
    campaign: &str,
    cost: f64,
) -> Result<()> {
    let s = |v: &str| (!v.is_empty()).then(|| v.to_string());
    let cols = &mut sinks.ads.columns;
    let values = [
        Some(id),
        None,
        Some(cookie),
        Some(platform),
        Some(ad_type),
        Some(campaign),
    ];
    for (c, v) in cols.iter_mut().zip(values) {
        match c {
            ColumnBuf::Str(col) => col.push(v.and_then(s)),
            ColumnBuf::Datetime { micros, .. } => micros.push(click_time),
            ColumnBuf::F64(_) | ColumnBuf::I64(_) => {}
        }
    }
    if let Some(ColumnBuf::F64(col)) = cols.last_mut() {
        col.push(Some(cost));
    }
    sinks.ads.row_done()
}

fn emit_app_session(
    rng: &mut ChaCha8Rng,
    p: &Person,
    dev: usize,
    ts: i64,
    source: &str,
    medium: &str,
    sinks: &mut Sinks,
) -> Result<()> {
    let device = &p.devices[dev];
    let logged_in = p.user_id.is_some() && rng.gen_bool(0.8);
    let user = if logged_in {
        json!(p.user_id)
    } else {
        match sinks.missing(rng) {
            "" => json!(null),
            junk => json!(junk),
        }
    };
    // Devices with ad tracking limited report the nil UUID.
    let device_id = match sinks.missing(rng) {
        "" => json!(device.app_id),
        _ => json!("00000000-0000-0000-0000-000000000000"),
    };
    let row = json!({
        "ts": ts / 1000,
        "device_id": device_id,
        "user_id": user,
        "attr_source": source,
        "attr_medium": medium,
        "device_type": device.kind.name(),
    });
    sinks.app.row(&row)?;
    sinks.count(APP, false, false);
    if sinks.plant_bad(rng) {
        // Milliseconds exported as microseconds: far in the future.
        let mut bad = row.clone();
        bad["ts"] = json!(ts * 1000);
        sinks.app.row(&bad)?;
        sinks.count(APP, true, false);
    }
    Ok(())
}

fn emit_web_session(
    rng: &mut ChaCha8Rng,
    p: &Person,
    dev: usize,
    ts: i64,
    ch: Ch,
    sinks: &mut Sinks,
) -> Result<()> {
    let device = &p.devices[dev];
    let (source, medium, campaign, referrer): (&str, &str, String, &str) = match ch {
        Ch::OrganicSearch => match rng.gen_range(0..3) {
            0 => (
                "google",
                "organic",
                String::new(),
                "https://www.google.com/",
            ),
            1 => ("", "", String::new(), "https://www.google.com/"),
            _ => ("", "", String::new(), "https://www.bing.com/"),
        },
        Ch::OrganicSocial => match rng.gen_range(0..2) {
            0 => ("instagram", "social", "summer_ugc".into(), ""),
            _ => ("", "", String::new(), "https://www.facebook.com/"),
        },
        Ch::Referral => (
            "",
            "",
            String::new(),
            *pick(
                rng,
                &[
                    "https://blog.example.org/best-of",
                    "https://news.example.net/deals",
                ],
            ),
        ),
        Ch::Affiliates => (
            "awin",
            "affiliate",
            "cashback".into(),
            "https://partner.example.com/",
        ),
        _ => ("", "", String::new(), ""),
    };
    let logged_in = p.user_id.is_some() && rng.gen_bool(0.35);
    let login = if logged_in {
        p.user_id.as_deref().unwrap_or_default()
    } else {
        sinks.missing(rng)
    };
    let session = format!("s{:016x}", mix(ts as u64 ^ mix(p.idx ^ 0x77)));
    let page = *pick(rng, &["/", "/products", "/sale", "/product/123", "/stores"]);
    let t = rfc3339(ts);
    sinks.web.row(&[
        &session,
        &t,
        &device.cookie,
        login,
        source,
        medium,
        &campaign,
        referrer,
        page,
        device.kind.name(),
        p.region,
    ])?;
    sinks.count(WEB, false, false);
    if sinks.plant_bad(rng) {
        // A session whose start time was written in an unparseable format.
        let bad_time = local(ts, chrono_tz::UTC, "%b %e %Y %l:%M%p");
        sinks.web.row(&[
            &session,
            &bad_time,
            &device.cookie,
            login,
            source,
            medium,
            &campaign,
            referrer,
            page,
            device.kind.name(),
            p.region,
        ])?;
        sinks.count(WEB, true, false);
    }
    Ok(())
}

fn emit_conversion(
    rng: &mut ChaCha8Rng,
    p: &Person,
    ts: i64,
    place: Place,
    value: f64,
    sinks: &mut Sinks,
) -> Result<()> {
    match place {
        Place::Store => {
            let receipt = if rng.gen_bool(0.4) {
                p.email.clone()
            } else {
                None
            };
            push_pos(
                sinks,
                ts,
                p.loyalty.clone(),
                receipt.clone(),
                p.region,
                value,
            )?;
            sinks.count(POS, false, false);
            if sinks.plant_bad(rng) {
                // A refund exported as a negative amount.
                push_pos(sinks, ts, p.loyalty.clone(), receipt, p.region, -value)?;
                sinks.count(POS, true, false);
            }
        }
        Place::Phone => {
            let phone = p.phone.as_deref().unwrap_or_default();
            let t = local(ts, chrono_tz::America::New_York, "%Y-%m-%d %H:%M:%S");
            sinks
                .calls
                .row(&[&t, phone, "order", &format!("{value:.2}"), p.region])?;
            sinks.count(CALLS, false, false);
        }
        Place::Web(dev) | Place::App(dev) => {
            let app = matches!(place, Place::App(_));
            let device = &p.devices[dev];
            let order = format!("o{:016x}", mix(ts as u64 ^ mix(p.idx ^ 0x99)));
            let cookie = if app { "" } else { device.cookie.as_str() };
            let app_dev = if app {
                device.app_id.as_deref().unwrap_or_default()
            } else {
                ""
            };
            // Registered people check out logged in (guest orders sometimes carry junk);
            // the order confirmation goes to the person's email when they have one.
            let user = match &p.user_id {
                Some(u) => u.as_str(),
                None => sinks.missing(rng),
            };
            let guest = p.email.as_deref().unwrap_or_default();
            let revenue = format!("{value:.2}");
            let platform = if app { "app" } else { "web" };
            let t = rfc3339(ts);
            sinks.orders.row(&[
                &order,
                &t,
                cookie,
                app_dev,
                user,
                guest,
                platform,
                &revenue,
                "online_order",
                p.region,
            ])?;
            sinks.count(ORDERS, false, false);
            if sinks.plant_bad(rng) {
                sinks.orders.row(&[
                    &order,
                    &t,
                    cookie,
                    app_dev,
                    user,
                    guest,
                    platform,
                    "N/A",
                    "online_order",
                    p.region,
                ])?;
                sinks.count(ORDERS, true, false);
            }
        }
    }
    Ok(())
}

fn push_pos(
    sinks: &mut Sinks,
    ts: i64,
    loyalty: Option<String>,
    receipt: Option<String>,
    region: &str,
    amount: f64,
) -> Result<()> {
    if let [ColumnBuf::Datetime { micros, .. }, ColumnBuf::Str(l), ColumnBuf::Str(r), ColumnBuf::Str(g), ColumnBuf::F64(a)] =
        &mut sinks.pos.columns[..]
    {
        micros.push(ts);
        l.push(loyalty);
        r.push(receipt);
        g.push(Some(region.to_string()));
        a.push(Some(amount));
    }
    sinks.pos.row_done()
}

fn write_spend(out: &Path, seed: u64, units: &BTreeMap<(i64, Ch), u64>) -> Result<()> {
    let mut spend = CsvSink::create(
        &out.join("spend.csv"),
        &["date", "channel", "cost"],
        b',',
        false,
        false,
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(mix(seed ^ 0x5BE2D));
    for ((day, ch), n) in units {
        let (name, unit_cost) = match ch {
            Ch::PaidSearch => ("Paid Search", 1.4),
            Ch::PaidSocial => ("Paid Social", 0.9),
            Ch::PaidVideo => ("Paid Video", 0.6),
            Ch::Display => ("Display", 0.4),
            Ch::Email => ("Email", 0.05),
            Ch::Sms => ("SMS", 0.08),
            _ => continue,
        };
        let date = DateTime::<Utc>::from_timestamp_micros(day * DAY)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let cost = *n as f64 * unit_cost * (0.9 + 0.2 * rng.gen::<f64>());
        spend.row(&[&date, name, &format!("{cost:.2}")])?;
    }
    spend.finish()
}
