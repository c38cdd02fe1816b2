//! `omnitouch.toml`: the description of every source export and the channel rules.
//!
//! Parsing is strict: an unknown key or a value of the wrong type is an error naming the key
//! and its line (the `toml` crate reports both); semantic checks done after parsing name the
//! source and the line where it starts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
pub use crate::io::{CsvOptions, Format};

/// Identity kinds every config knows. Users may add more under `[identity] extra_kinds`.
pub const BUILTIN_ID_KINDS: [&str; 7] = [
    "cookie_id",
    "device_id",
    "user_id",
    "customer_id",
    "email_sha256",
    "phone_sha256",
    "loyalty_id",
];

/// The whole config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Defaults that apply to every source.
    #[serde(default)]
    pub settings: Settings,
    /// Channel rules (an ordered list, first match wins).
    #[serde(default)]
    pub channels: ChannelsConfig,
    /// Identity kinds and stitching options.
    #[serde(default)]
    pub identity: IdentityConfig,
    /// Journey building options.
    #[serde(default)]
    pub journeys: JourneyConfig,
    /// What `omnitouch run` reports.
    #[serde(default)]
    pub report: ReportConfig,
    /// How conversions that several rows or sources report are counted once.
    #[serde(default)]
    pub conversions: ConversionsConfig,
    /// Marketing spend per day and channel (for CPA, ROAS and budgets): `[spend]`, or one
    /// `[[spend]]` per export.
    #[serde(default, deserialize_with = "one_or_many")]
    pub spend: Vec<SpendConfig>,
    /// The source exports.
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    /// Lift tests: channels whose incremental conversions were measured.
    #[serde(default)]
    pub experiments: Vec<ExperimentConfig>,
    /// Folder of the config file; relative source paths are resolved against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// Path of the config file, for messages.
    #[serde(skip)]
    pub path: PathBuf,
    /// Byte offset at which each line of the config text starts, to name lines in messages.
    #[serde(skip)]
    line_starts: Vec<usize>,
}

/// `[settings]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// IANA time zone of naive timestamps when a source does not give one (default UTC).
    pub timezone: Option<String>,
    /// Replace every identifier by a salted SHA-256 at ingest (see [`crate::ingest::privacy`]).
    #[serde(default)]
    pub hash_identifiers: bool,
    /// Salt of `hash_identifiers` (else the `OMNITOUCH_IDENTIFIER_SALT` environment variable).
    pub identifier_salt: Option<String>,
    /// Currency of every amount reported (an ISO code such as `EUR`); required when a spend
    /// source says which currency its costs are in.
    pub currency: Option<String>,
    /// Rates into `currency`: `{ USD = 0.92 }` makes 1 USD worth 0.92 of it.
    #[serde(default)]
    pub exchange_rates: BTreeMap<String, f64>,
}

/// `[channels]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelsConfig {
    /// Append the shipped default rules after the config's own (true) or use only the
    /// config's rules (false).
    #[serde(default = "yes")]
    pub use_defaults: bool,
    /// Rules checked before the defaults.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

impl Default for ChannelsConfig {
    fn default() -> Self {
        ChannelsConfig {
            use_defaults: true,
            rules: Vec::new(),
        }
    }
}

fn yes() -> bool {
    true
}

/// One channel rule: the channel a row gets when every condition holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Channel name given on a match.
    pub channel: Spanned<String>,
    /// Conditions, all of which must hold; an empty list matches every row.
    #[serde(default)]
    pub when: Vec<ConditionConfig>,
}

/// One condition on a field. Exactly one of `equals`, `contains`, `regex`, `empty` is set.
/// Matching is case-insensitive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionConfig {
    /// Field name (`utm_source`, `utm_medium`, `utm_campaign`, `referrer`, or any other
    /// field a source maps).
    pub field: String,
    /// The value equals one of these.
    pub equals: Option<OneOrMany>,
    /// The value contains one of these.
    pub contains: Option<OneOrMany>,
    /// The value matches this regular expression.
    pub regex: Option<String>,
    /// The value is empty or absent (`true`) or present (`false`).
    pub empty: Option<bool>,
}

/// A string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// `[identity]`: identity kinds and the stitching guards.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// Identity kinds beyond the built-in ones (e.g. `household_id`).
    #[serde(default)]
    pub extra_kinds: Vec<String>,
    /// Values that never link, beyond the defaults (compared case-insensitively).
    #[serde(default)]
    pub junk_values: Vec<String>,
    /// Regular expressions of values that never link.
    #[serde(default)]
    pub junk_patterns: Vec<String>,
    /// Use the default junk list (empty, 0, -1, null, none, undefined, unknown, anonymous,
    /// all-zero and all-dash strings, the nil UUID). Default true.
    pub default_junk: Option<bool>,
    /// Most identifiers of a kind one person may have; merges that would exceed it are
    /// refused. Kinds not listed use the defaults (user_id 1, customer_id 1, device_id 5…).
    #[serde(default)]
    pub limits: BTreeMap<String, u32>,
    /// Kinds from strongest to weakest; weaker links are the ones refused. Kinds not listed
    /// come after, in config order.
    pub priority: Option<Vec<String>>,
    /// Components with more identifiers than this are reported as suspicious (default 50).
    pub large_component: Option<usize>,
    /// Identity kinds that name a device or browser (default device_id, cookie_id).
    pub device_kinds: Option<Vec<String>>,
    /// How each kind's values are normalised before they link: trim (the default), lowercase,
    /// email, phone, email_sha256 (the default of `email_sha256`) or phone_sha256 (the
    /// default of `phone_sha256`).
    #[serde(default)]
    pub normalize: BTreeMap<String, String>,
    /// Region (two letters, e.g. `GB`) of phone numbers written without a country code.
    pub phone_region: Option<String>,
    /// How the limits guard links: `limits` (the default: links applied strongest first,
    /// a merge past a limit refused, so the first link seen wins) or `isolate_shared` (an
    /// identifier linked to more identifiers of a kind than its limit links to nothing: the
    /// same result in any order, and the rule the warehouse scripts implement).
    pub guard: Option<String>,
}

/// `[spend]` or `[[spend]]`: a spend export with one row per date and channel or campaign.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpendConfig {
    /// Name in the accounting (default `spend`; required when there are several).
    pub name: Option<String>,
    /// File path or glob, relative to the config file's folder.
    pub path: String,
    /// File format; taken from the extension when absent.
    pub format: Option<Format>,
    /// CSV options.
    #[serde(default)]
    pub csv: CsvOptions,
    /// Date column (default `date`).
    #[serde(default = "default_date")]
    pub date: String,
    /// Format of the date column (`auto` by default, as for timestamps).
    pub date_format: Option<String>,
    /// The channel: a column of channel names (a string, default `channel`), or a table as a
    /// source's `channel` (`value`, `column`, or the rules over `fields` and `set`).
    #[serde(default = "default_spend_channel", deserialize_with = "spend_channel")]
    pub channel: ChannelSpec,
    /// Cost column (default `cost`).
    #[serde(default = "default_cost")]
    pub cost: String,
    /// Decimal separator of the cost column: `.` (default) or `,`.
    pub decimal: Option<String>,
    /// The costs' currency: `{ value = "EUR" }` or `{ column = "Currency code" }`.
    pub currency: Option<ValueOrColumn>,
    /// Rows left out when any of these holds (a report's totals lines).
    #[serde(default)]
    pub skip_when: Vec<RowCondition>,
    /// Only rows for which all of these hold are read.
    #[serde(default)]
    pub keep_when: Vec<RowCondition>,
}

/// A fixed value or a column.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueOrColumn {
    /// Every row has this value.
    pub value: Option<String>,
    /// Each row's value is in this column.
    pub column: Option<String>,
}

fn default_date() -> String {
    "date".into()
}

fn default_spend_channel() -> ChannelSpec {
    ChannelSpec {
        column: Some("channel".into()),
        ..ChannelSpec::default()
    }
}

fn default_cost() -> String {
    "cost".into()
}

/// A table, or an array of tables (`[spend]` or `[[spend]]`).
fn one_or_many<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    match toml::Value::deserialize(d)? {
        toml::Value::Array(items) => items
            .into_iter()
            .map(|v| T::deserialize(v).map_err(D::Error::custom))
            .collect(),
        one => Ok(vec![T::deserialize(one).map_err(D::Error::custom)?]),
    }
}

/// A spend channel: a column name (the first layout's `channel = "channel"`) or a table.
fn spend_channel<'de, D>(d: D) -> std::result::Result<ChannelSpec, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error as _;
    match toml::Value::deserialize(d)? {
        toml::Value::String(column) => Ok(ChannelSpec {
            column: Some(column),
            ..ChannelSpec::default()
        }),
        table => ChannelSpec::deserialize(table).map_err(D::Error::custom),
    }
}

/// `[report]`: what `omnitouch run` reports.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// Models to run, by name or `name:key=value` (default: every model).
    pub models: Option<Vec<String>>,
    /// Model the comparison measures share changes against (default `last_touch`).
    pub baseline: Option<String>,
    /// First day of the report window (YYYY-MM-DD, UTC): the conversions reported; their
    /// journeys reach back the lookback before it. `--from` overrides it.
    pub from: Option<String>,
    /// Last day of the report window, included. `--to` overrides it.
    pub to: Option<String>,
    /// Write `conversions.parquet` (each conversion's credit) with every `run`.
    #[serde(default)]
    pub per_conversion: bool,
    /// Models the HTML page draws (`["all"]` for every model); `--page-models` overrides it.
    pub page_models: Option<Vec<String>>,
}

impl ReportConfig {
    /// The window's first and last days; Err names the key that is not a date.
    pub fn window_days(
        &self,
    ) -> std::result::Result<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>), String> {
        let day = |key: &str, v: &Option<String>| {
            v.as_deref()
                .map(|t| {
                    chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                        .map_err(|_| format!("[report] {key}: \"{t}\" is not a date (YYYY-MM-DD)"))
                })
                .transpose()
        };
        Ok((day("from", &self.from)?, day("to", &self.to)?))
    }
}

/// One `[[experiments]]` entry: a lift test (geo holdout, conversion-lift study, A/B test)
/// that measured a channel's incremental conversions over a window.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// The channel tested, as the channel rules name it.
    pub channel: String,
    /// First day of the test (YYYY-MM-DD, UTC).
    pub from: String,
    /// Last day of the test, included.
    pub to: String,
    /// Incremental conversions measured...
    pub incremental_conversions: Option<f64>,
    /// ...and/or incremental value (revenue) measured.
    pub incremental_value: Option<f64>,
    /// The conversions measurement's confidence interval (low, high), when the test reports one.
    pub interval: Option<[f64; 2]>,
    /// The value measurement's confidence interval.
    pub value_interval: Option<[f64; 2]>,
    /// How it was measured (geo holdout, conversion lift, A/B test), shown beside it.
    #[serde(default)]
    pub method: String,
}

impl ExperimentConfig {
    /// The test's first and last days; Err says what is wrong.
    pub fn days(&self) -> std::result::Result<(chrono::NaiveDate, chrono::NaiveDate), String> {
        let day = |key: &str, t: &str| {
            chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
                format!(
                    "[[experiments]] {}: {key} \"{t}\" is not a date (YYYY-MM-DD)",
                    self.channel
                )
            })
        };
        let (from, to) = (day("from", &self.from)?, day("to", &self.to)?);
        if to < from {
            return Err(format!(
                "[[experiments]] {}: `to` is before `from`",
                self.channel
            ));
        }
        if self.incremental_conversions.is_none() && self.incremental_value.is_none() {
            return Err(format!(
                "[[experiments]] {}: give incremental_conversions or incremental_value (or both)",
                self.channel
            ));
        }
        for (key, measured, interval) in [
            (
                "incremental_conversions",
                self.incremental_conversions,
                self.interval,
            ),
            (
                "incremental_value",
                self.incremental_value,
                self.value_interval,
            ),
        ] {
            let Some(m) = measured else {
                if interval.is_some() {
                    return Err(format!(
                        "[[experiments]] {}: an interval without {key}",
                        self.channel
                    ));
                }
                continue;
            };
            if !(m.is_finite() && m >= 0.0) {
                return Err(format!(
                    "[[experiments]] {}: {key} must be a number at least 0",
                    self.channel
                ));
            }
            if let Some([low, high]) = interval {
                if !(low <= m && m <= high) {
                    return Err(format!(
                        "[[experiments]] {}: the interval [{low}, {high}] does not hold the measured {key} {m}",
                        self.channel
                    ));
                }
            }
        }
        Ok((from, to))
    }
}

/// `[journeys]`: how touches become journeys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JourneyConfig {
    /// Lookback window in days (default 30).
    pub lookback_days: Option<f64>,
    /// Lookback per conversion type, in days.
    #[serde(default)]
    pub lookback_days_by_type: BTreeMap<String, f64>,
    /// A conversion closes only the touches since the previous conversion of its own type.
    #[serde(default)]
    pub split_by_conversion_type: bool,
    /// Keep only the last N touches of a journey.
    pub max_path_length: Option<usize>,
    /// Leave out non-converting journeys whose last touch is within this many days of the
    /// data's end (they may still convert).
    pub exclude_open_days: Option<f64>,
    /// Credit conversions with no touch in the window to a `Direct` path.
    #[serde(default)]
    pub unattributed_to_direct: bool,
    /// Path transforms applied in order: unique, first, frequency, remove:A|B, trim:N,
    /// session:MINUTES.
    #[serde(default)]
    pub transforms: Vec<String>,
    /// Channels that are offline (default In-store, Call Centre).
    pub offline_channels: Option<Vec<String>>,
}

/// What the rows of a source are, when fixed for the whole source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RowKind {
    /// Marketing touches.
    Touch,
    /// Conversions (orders, purchases, sign-ups).
    Conversion,
    /// Identity links only (a CRM table): no time, no channel.
    Identity,
}

/// How a source's rows get their channel. Exactly one key is set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    /// Take the channel name from this column as it is.
    pub column: Option<String>,
    /// Every row of the source has this channel.
    pub value: Option<String>,
    /// Apply the channel rules to these fields: rule field name → column.
    pub fields: Option<BTreeMap<String, String>>,
    /// A landing-page URL column (absolute, or a path with a query): the rule fields no column
    /// maps come from its query parameters (`utm_source`…; `click_id` from `gclid`, `fbclid`…).
    pub url: Option<String>,
    /// Rule fields with one value for every row (`{ utm_source = "google", utm_medium =
    /// "cpc" }` for an ad platform's export), for the rules.
    pub set: Option<BTreeMap<String, String>>,
}

/// Conversion type of a source's conversion rows. Exactly one key is set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversionTypeSpec {
    /// Take it from this column.
    pub column: Option<String>,
    /// Every conversion of the source has this type.
    pub value: Option<String>,
}

/// One `[[sources]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Unique source name, shown in every report.
    pub name: Spanned<String>,
    /// File path or glob, relative to the config file's folder.
    #[serde(default)]
    pub path: String,
    /// A warehouse table instead of a file (`project.dataset.events_*`), read only by the
    /// scripts of `omnitouch sql`.
    pub table: Option<String>,
    /// File format; taken from the extension when absent.
    pub format: Option<Format>,
    /// CSV options.
    #[serde(default)]
    pub csv: CsvOptions,
    /// All rows are of this kind...
    pub kind: Option<RowKind>,
    /// ...or the kind is read from this column, whose values are listed below.
    pub kind_column: Option<String>,
    /// Values of `kind_column` that mean a touch.
    #[serde(default)]
    pub touch_values: Vec<String>,
    /// Values of `kind_column` that mean a conversion.
    #[serde(default)]
    pub conversion_values: Vec<String>,
    /// Values of `kind_column` that are deliberately not loaded (counted as ignored).
    #[serde(default)]
    pub ignore_values: Vec<String>,
    /// Timestamp column (required unless every row is an identity row).
    pub timestamp: Option<String>,
    /// `auto` (default), `rfc3339`, `epoch_s`, `epoch_ms`, or a strftime pattern.
    pub timestamp_format: Option<String>,
    /// IANA time zone of naive timestamps (default: `[settings] timezone`, else UTC).
    pub timezone: Option<String>,
    /// Identifier columns: identity kind → column.
    #[serde(default)]
    pub ids: BTreeMap<String, String>,
    /// How rows get their channel (required when the source has touches).
    pub channel: Option<ChannelSpec>,
    /// Conversion value column (revenue).
    pub value_column: Option<String>,
    /// Conversion type of conversion rows (default `conversion`).
    pub conversion_type: Option<ConversionTypeSpec>,
    /// Extra columns kept for segments: dimension name → column.
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    /// With `kind_column`: values in none of the lists are ignored (counted as ignored)
    /// rather than rejected, for event streams with many event names.
    #[serde(default)]
    pub ignore_other_values: bool,
    /// Rows left out when any of these holds (totals and footer lines); counted as ignored.
    #[serde(default)]
    pub skip_when: Vec<RowCondition>,
    /// Only rows for which all of these hold are read; the others are counted as ignored.
    #[serde(default)]
    pub keep_when: Vec<RowCondition>,
    /// Decimal separator of the value column: `.` (default) or `,`.
    pub decimal: Option<String>,
    /// Columns whose values together name a visit (GA4: `user_pseudo_id` and the
    /// `ga_session_id` event parameter): a visit's touch rows make one touch.
    #[serde(default)]
    pub session_key: Vec<String>,
    /// Column of a conversion's id (order number, transaction id): one conversion per id
    /// across every conversion source.
    pub conversion_id: Option<String>,
    /// How the rows of one conversion id in this source combine their values: `once` (the
    /// kept row's value, the default) or `sum` (line items).
    pub line_items: Option<LineItems>,
    /// Conversion rows are also touches of their channel (a store purchase, a phone order).
    #[serde(default)]
    pub conversions_are_touches: bool,
}

/// A condition on one column of a row, for `skip_when` and `keep_when`: exactly one of
/// `equals` (a value or a list), `starts_with`, `empty`. Trimmed, case-insensitive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowCondition {
    /// The column tested.
    pub column: String,
    /// The cell is one of these.
    pub equals: Option<OneOrMany>,
    /// The cell starts with one of these.
    pub starts_with: Option<OneOrMany>,
    /// The cell is empty (true) or not (false).
    pub empty: Option<bool>,
}

/// How the rows of one conversion id within a source combine their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineItems {
    /// The kept row's value (an order total repeated or given on the first line).
    Once,
    /// The sum over the rows (one row per line item, each with its own amount).
    Sum,
}

/// `[conversions]`: conversions counted once across sources.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversionsConfig {
    /// Which source's row of a conversion id wins (its time and value), first first; sources
    /// not listed follow in config order.
    #[serde(default)]
    pub source_priority: Vec<String>,
}

impl Config {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Config> {
        if !path.exists() {
            return Err(Error::Config {
                path: path.to_path_buf(),
                message: "no such config file (pass --config FILE, or run where omnitouch.toml is; `omnitouch generate --out-dir DIR` writes a sample)".into(),
            });
        }
        let text = crate::files::read_to_string(path)?;
        Config::parse(&text, path)
    }

    /// Parses and checks config text; `path` is used for messages and relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let mut config: Config = toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.path = path.to_path_buf();
        config.base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        config.line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        config.check()?;
        Ok(config)
    }

    /// Every identity kind this config knows: built-in kinds, then extra ones.
    pub fn id_kinds(&self) -> Vec<String> {
        BUILTIN_ID_KINDS
            .iter()
            .map(|k| k.to_string())
            .chain(self.identity.extra_kinds.iter().cloned())
            .collect()
    }

    /// An error naming the config file and the line of the config text at byte `span_start`
    /// (a `Spanned` key's start).
    pub fn error_at(&self, span_start: usize, message: String) -> Error {
        let line = self
            .line_starts
            .partition_point(|&start| start <= span_start);
        Error::Config {
            path: self.path.clone(),
            message: format!("line {line}: {message}"),
        }
    }

    fn check(&self) -> Result<()> {
        if self.sources.is_empty() {
            return Err(Error::Config {
                path: self.path.clone(),
                message: "no [[sources]] are defined".into(),
            });
        }
        if let Some(tz) = &self.settings.timezone {
            crate::io::timestamp::parse_timezone(tz).map_err(|e| Error::Config {
                path: self.path.clone(),
                message: format!("[settings] timezone: {e}"),
            })?;
        }
        let kinds = self.id_kinds();
        for extra in &self.identity.extra_kinds {
            if !valid_name(extra) {
                return Err(Error::Config {
                    path: self.path.clone(),
                    message: format!(
                        "identity.extra_kinds: \"{extra}\" is not a valid name (letters, digits, _)"
                    ),
                });
            }
        }
        let mut seen = std::collections::HashSet::new();
        for source in &self.sources {
            self.check_source(source, &kinds, &mut seen)?;
        }
        self.check_spend()?;
        let (from, to) = self.report.window_days().map_err(|message| Error::Config {
            path: self.path.clone(),
            message,
        })?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(Error::Config {
                    path: self.path.clone(),
                    message: format!("[report] from ({f}) is after to ({t})"),
                });
            }
        }
        for experiment in &self.experiments {
            experiment.days().map_err(|message| Error::Config {
                path: self.path.clone(),
                message,
            })?;
        }
        for name in &self.conversions.source_priority {
            if !seen.contains(name) {
                return Err(Error::Config {
                    path: self.path.clone(),
                    message: format!("conversions.source_priority: no source is named \"{name}\""),
                });
            }
        }
        Ok(())
    }

    /// An error about `source`, naming it and its line.
    fn source_error(&self, source: &SourceConfig, message: String) -> Error {
        self.error_at(
            source.name.span().start,
            format!("source \"{}\": {message}", source.name.get_ref()),
        )
    }

    /// The checks of one source; `seen` holds the names of the sources before it.
    fn check_source(
        &self,
        source: &SourceConfig,
        kinds: &[String],
        seen: &mut std::collections::HashSet<String>,
    ) -> Result<()> {
        let at = |message: String| self.source_error(source, message);
        let name = source.name.get_ref();
        if name.trim().is_empty() {
            return Err(at("`name` is empty".into()));
        }
        if !seen.insert(name.clone()) {
            return Err(at("another source has the same name".into()));
        }
        match (source.path.trim().is_empty(), &source.table) {
            (true, None) => return Err(at("`path` is empty".into())),
            (false, Some(_)) => {
                return Err(at(
                    "has both `path` and `table`: a source is a file or a warehouse table".into(),
                ))
            }
            (true, Some(t)) if t.trim().is_empty() => return Err(at("`table` is empty".into())),
            _ => {}
        }
        self.check_row_kind(source)?;
        let identity_only = source.kind == Some(RowKind::Identity);
        let has_conversions = source.kind == Some(RowKind::Conversion)
            || (source.kind_column.is_some() && !source.conversion_values.is_empty());
        let has_touches = source.kind == Some(RowKind::Touch)
            || (source.kind_column.is_some() && !source.touch_values.is_empty())
            || (has_conversions && source.conversions_are_touches);
        if source.ids.is_empty() {
            return Err(at("`ids` maps no identifier column".into()));
        }
        for kind in source.ids.keys() {
            if !kinds.contains(kind) {
                return Err(at(format!(
                    "ids: unknown identity kind \"{kind}\" (known: {}; add others under [identity] extra_kinds)",
                    kinds.join(", ")
                )));
            }
        }
        if identity_only {
            if source.ids.len() < 2 {
                return Err(at(
                    "an identity source needs at least two `ids` columns to link".into(),
                ));
            }
        } else if source.timestamp.is_none() {
            return Err(at("`timestamp` (the time column) is missing".into()));
        }
        if let Some(fmt) = &source.timestamp_format {
            crate::io::timestamp::TimestampFormat::parse(fmt)
                .map_err(|e| at(format!("timestamp_format: {e}")))?;
        }
        if let Some(tz) = &source.timezone {
            crate::io::timestamp::parse_timezone(tz).map_err(|e| at(format!("timezone: {e}")))?;
        }
        self.check_channel(source, has_touches)?;
        if let Some(ct) = &source.conversion_type {
            if ct.column.is_some() == ct.value.is_some() {
                return Err(at(
                    "conversion_type: set exactly one of `column`, `value`".into()
                ));
            }
        }
        crate::io::read::csv_delimiter(source.csv.delimiter.as_deref(), Path::new(""))
            .map_err(|e| at(format!("csv.delimiter: {e}")))?;
        if source.csv.quote.len() != 1 {
            return Err(at("csv.quote must be one ASCII character".into()));
        }
        source
            .csv
            .text_encoding()
            .map_err(|e| at(format!("csv.encoding: {e}")))?;
        self.check_row_handling(source, has_touches, has_conversions)?;
        for dim in source.dimensions.keys() {
            if !valid_name(dim) {
                return Err(at(format!(
                    "dimensions: \"{dim}\" is not a valid name (letters, digits, _)"
                )));
            }
        }
        Ok(())
    }

    /// Row filters, sessions, conversion ids and numbers fit the source's rows.
    fn check_row_handling(
        &self,
        source: &SourceConfig,
        has_touches: bool,
        has_conversions: bool,
    ) -> Result<()> {
        let at = |message: String| self.source_error(source, message);
        check_conditions("skip_when", &source.skip_when).map_err(at)?;
        check_conditions("keep_when", &source.keep_when).map_err(at)?;
        if let Some(d) = &source.decimal {
            crate::io::number::Decimal::parse(d).map_err(|e| at(format!("decimal: {e}")))?;
        }
        if !source.session_key.is_empty() && !has_touches {
            return Err(at("session_key: the source has no touches".into()));
        }
        let needs_conversions = [
            ("conversion_id", source.conversion_id.is_some()),
            ("line_items", source.line_items.is_some()),
            ("conversions_are_touches", source.conversions_are_touches),
        ];
        if let Some((key, _)) = needs_conversions.iter().find(|(_, set)| *set) {
            if !has_conversions {
                return Err(at(format!("{key}: the source has no conversions")));
            }
        }
        if source.line_items.is_some() && source.conversion_id.is_none() {
            return Err(at(
                "line_items: set `conversion_id`, the column that ties line items to their conversion".into(),
            ));
        }
        if source.ignore_other_values && source.kind_column.is_none() {
            return Err(at("ignore_other_values goes with `kind_column`".into()));
        }
        Ok(())
    }

    /// Rows are of one `kind`, or `kind_column` sorts them with value lists.
    fn check_row_kind(&self, source: &SourceConfig) -> Result<()> {
        let at = |message: String| self.source_error(source, message);
        match (&source.kind, &source.kind_column) {
            (Some(_), Some(_)) => {
                return Err(at("set either `kind` or `kind_column`, not both".into()))
            }
            (None, None) => {
                return Err(at(
                    "set `kind` (touch, conversion, identity) or `kind_column`".into(),
                ))
            }
            (None, Some(_)) => {
                if source.touch_values.is_empty() && source.conversion_values.is_empty() {
                    return Err(at(
                        "`kind_column` needs `touch_values` and/or `conversion_values`".into(),
                    ));
                }
            }
            (Some(_), None) => {
                if !source.touch_values.is_empty()
                    || !source.conversion_values.is_empty()
                    || !source.ignore_values.is_empty()
                {
                    return Err(at(
                        "`touch_values`, `conversion_values` and `ignore_values` go with `kind_column`, not `kind`".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A source with touches says where their channel comes from, in exactly one way.
    fn check_channel(&self, source: &SourceConfig, has_touches: bool) -> Result<()> {
        let at = |message: String| self.source_error(source, message);
        match &source.channel {
            Some(spec) => check_channel_spec(spec).map_err(at)?,
            None if has_touches => {
                return Err(at(
                    "`channel` is missing: a source with touches needs `channel.column`, `channel.value` or `channel.fields`".into(),
                ))
            }
            None => {}
        }
        Ok(())
    }

    /// The checks of the spend exports: names, channels, currencies, numbers, conditions.
    fn check_spend(&self) -> Result<()> {
        let mut names = std::collections::HashSet::new();
        for (i, spend) in self.spend.iter().enumerate() {
            let name = spend_name(spend, i);
            let at = |message: String| Error::Config {
                path: self.path.clone(),
                message: format!("spend \"{name}\": {message}"),
            };
            if self.spend.len() > 1 && spend.name.is_none() {
                return Err(at(
                    "with several [[spend]] exports, each needs a `name`".into()
                ));
            }
            if !names.insert(name.clone()) {
                return Err(at("another spend export has the same name".into()));
            }
            check_channel_spec(&spend.channel).map_err(at)?;
            check_conditions("skip_when", &spend.skip_when).map_err(at)?;
            check_conditions("keep_when", &spend.keep_when).map_err(at)?;
            if let Some(d) = &spend.decimal {
                crate::io::number::Decimal::parse(d).map_err(|e| at(format!("decimal: {e}")))?;
            }
            if let Some(fmt) = &spend.date_format {
                crate::io::timestamp::TimestampFormat::parse(fmt)
                    .map_err(|e| at(format!("date_format: {e}")))?;
            }
            spend
                .csv
                .text_encoding()
                .map_err(|e| at(format!("csv.encoding: {e}")))?;
            if let Some(currency) = &spend.currency {
                if currency.value.is_some() == currency.column.is_some() {
                    return Err(at("currency: set exactly one of `value`, `column`".into()));
                }
                if self.settings.currency.is_none() {
                    return Err(at(
                        "currency: set [settings] currency, the currency results are reported in"
                            .into(),
                    ));
                }
            }
        }
        for (code, rate) in &self.settings.exchange_rates {
            if !(rate.is_finite() && *rate > 0.0) {
                return Err(Error::Config {
                    path: self.path.clone(),
                    message: format!(
                        "settings.exchange_rates.{code}: {rate} is not a positive rate"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The name of spend export `i` in the accounting.
pub fn spend_name(spend: &SpendConfig, i: usize) -> String {
    match (&spend.name, i) {
        (Some(name), _) => name.clone(),
        (None, 0) => "spend".into(),
        (None, i) => format!("spend_{}", i + 1),
    }
}

/// A channel is set in exactly one way: a column, a value, or the rules' inputs.
fn check_channel_spec(spec: &ChannelSpec) -> std::result::Result<(), String> {
    let set = [
        spec.column.is_some(),
        spec.value.is_some(),
        spec.fields.is_some() || spec.url.is_some() || spec.set.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if set != 1 {
        return Err(
            "channel: set exactly one of `column`, `value`, or the rules' inputs (`fields`, `url`, `set`)"
                .into(),
        );
    }
    if spec.fields.as_ref().is_some_and(BTreeMap::is_empty) {
        return Err("channel.fields maps no field".into());
    }
    Ok(())
}

/// Each row condition tests in exactly one way.
fn check_conditions(key: &str, conditions: &[RowCondition]) -> std::result::Result<(), String> {
    for c in conditions {
        let set = [
            c.equals.is_some(),
            c.starts_with.is_some(),
            c.empty.is_some(),
        ];
        if set.iter().filter(|x| **x).count() != 1 {
            return Err(format!(
                "{key}: the condition on \"{}\" needs exactly one of `equals`, `starts_with`, `empty`",
                c.column
            ));
        }
    }
    Ok(())
}

/// True for a name of letters, digits and `_` (dimensions, extra identity kinds).
pub fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Where to look for a config when none is given: `./omnitouch.toml`, then the bundled
/// `sample-data/omnitouch.toml`. None when neither exists.
pub fn default_config_path() -> Option<PathBuf> {
    [
        PathBuf::from("omnitouch.toml"),
        PathBuf::from("sample-data").join("omnitouch.toml"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}
