//! The spend exports: cost per date and channel (or campaign, mapped to channels by the
//! channel rules), read with the same readers, row conditions and row accounting as the
//! touchpoint sources, in the report's currency.

use std::collections::BTreeMap;

use std::path::{Path, PathBuf};

use super::accounting::{Reject, RejectReason, SourceAccount};
use super::channels::ChannelRules;
use super::plan::{
    channel_plan, resolve_files, with_config_key, ChannelPlan, RowFilter, WantedColumns,
};
use crate::config::{spend_name, Config, Format, SpendConfig};
use crate::error::{Error, Result};
use crate::io::number::Decimal;
use crate::io::read::{self as raw, Value};
use crate::io::timestamp::{parse_timezone, TimestampFormat, TimestampParser};

/// One day's cost on one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendRow {
    /// UTC microseconds of the date (midnight).
    pub day: i64,
    /// Channel name.
    pub channel: String,
    /// Cost.
    pub cost: f64,
}

/// The days spend covers (UTC microseconds of midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpendDays {
    pub first: i64,
    pub last: i64,
}

impl SpendDays {
    /// The first and last day as dates, and the number of days they cover (both included).
    pub fn span(&self) -> (String, String, f64) {
        const DAY: f64 = 86_400_000_000.0;
        let date = |t: i64| {
            chrono::DateTime::from_timestamp_micros(t)
                .map(|d| d.date_naive().to_string())
                .unwrap_or_default()
        };
        (
            date(self.first),
            date(self.last),
            ((self.last - self.first) as f64 / DAY).round() + 1.0,
        )
    }
}

/// The loaded spend.
#[derive(Debug, Clone)]
pub struct Spend {
    /// Rows, in input order.
    pub rows: Vec<SpendRow>,
    /// Rows read, loaded, ignored and rejected, per spend export.
    pub accounts: Vec<SourceAccount>,
    /// Rejected rows (a few examples per reason).
    pub rejects: Vec<Reject>,
}

impl Spend {
    /// The accounting of every spend export together.
    pub fn account(&self) -> SourceAccount {
        let mut total = SourceAccount {
            source: "spend".into(),
            ..SourceAccount::default()
        };
        for a in &self.accounts {
            total.absorb(a);
        }
        total
    }

    /// The first and last day with spend, when there is any.
    pub fn days(&self) -> Option<SpendDays> {
        let first = self.rows.iter().map(|r| r.day).min()?;
        let last = self.rows.iter().map(|r| r.day).max()?;
        Some(SpendDays { first, last })
    }

    /// Total cost per channel.
    pub fn by_channel(&self) -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        for r in &self.rows {
            *m.entry(r.channel.clone()).or_insert(0.0) += r.cost;
        }
        m
    }
}

/// Loads the config's spend exports (`[spend]` or several `[[spend]]`); None without any.
pub fn load_spend(config: &Config) -> Result<Option<Spend>> {
    if config.spend.is_empty() {
        return Ok(None);
    }
    let rules = ChannelRules::from_config(&config.channels).map_err(|e| Error::Config {
        path: config.path.clone(),
        message: e,
    })?;
    let mut spend = Spend {
        rows: Vec::new(),
        accounts: Vec::new(),
        rejects: Vec::new(),
    };
    for (i, spec) in config.spend.iter().enumerate() {
        let plan = SpendPlan::compile(config, spec, i, &rules)?;
        let mut account = SourceAccount {
            source: plan.name.clone(),
            format: plan.format.name().into(),
            ..SourceAccount::default()
        };
        for file in &plan.files {
            account.files += 1;
            plan.read_file(file, &rules, &mut account, &mut spend)?;
        }
        spend.accounts.push(account);
    }
    Ok(Some(spend))
}

/// Rejected spend rows kept as examples, per export.
const SPEND_REJECT_EXAMPLES: usize = 50;

/// One spend export, compiled: its files and what each wanted column means.
struct SpendPlan<'c> {
    name: String,
    format: Format,
    files: Vec<PathBuf>,
    spec: &'c SpendConfig,
    wanted: WantedColumns,
    date: (usize, TimestampParser),
    cost: usize,
    decimal: Decimal,
    channel: ChannelPlan,
    currency: Option<CurrencyPlan<'c>>,
    filter: RowFilter,
}

/// Where a row's currency comes from, and how it becomes the report's.
struct CurrencyPlan<'c> {
    /// A fixed currency or a column.
    from: std::result::Result<&'c str, usize>,
    /// The report's currency.
    report: &'c str,
    rates: &'c BTreeMap<String, f64>,
}

impl CurrencyPlan<'_> {
    /// The factor that turns an amount in the row's currency into the report's.
    fn rate(&self, batch: &raw::RawBatch, r: usize) -> std::result::Result<f64, String> {
        let code = match self.from {
            Ok(code) => code.to_string(),
            Err(c) => batch.cell(c, r).text().unwrap_or_default(),
        };
        let code = code.trim().to_uppercase();
        if code == self.report.trim().to_uppercase() {
            return Ok(1.0);
        }
        self.rates
            .iter()
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(&code))
            .map(|(_, rate)| *rate)
            .ok_or_else(|| {
                format!(
                    "\"{code}\" is not {} and has no rate in [settings] exchange_rates",
                    self.report
                )
            })
    }
}

impl<'c> SpendPlan<'c> {
    fn compile(
        config: &'c Config,
        spec: &'c SpendConfig,
        index: usize,
        rules: &ChannelRules,
    ) -> Result<SpendPlan<'c>> {
        let name = spend_name(spec, index);
        let config_error = |message: String| Error::Config {
            path: config.path.clone(),
            message: format!("spend \"{name}\": {message}"),
        };
        let files = resolve_files(&config.base_dir, &spec.path, &name)?;
        let format = spec
            .format
            .or_else(|| Format::from_path(&files[0]))
            .ok_or_else(|| {
                config_error("cannot tell the file format from the extension: set `format`".into())
            })?;
        let date_format = TimestampFormat::parse(spec.date_format.as_deref().unwrap_or("auto"))
            .map_err(|e| config_error(format!("date_format: {e}")))?;
        let tz = parse_timezone(config.settings.timezone.as_deref().unwrap_or("UTC"))
            .map_err(|e| config_error(format!("settings.timezone: {e}")))?;
        let mut wanted = WantedColumns::default();
        let date = wanted.index(&spec.date, "date".into());
        let cost = wanted.index(&spec.cost, "cost".into());
        let channel =
            channel_plan(Some(&spec.channel), rules, &mut wanted).map_err(config_error)?;
        let currency = spec.currency.as_ref().map(|c| CurrencyPlan {
            from: match (&c.value, &c.column) {
                (Some(v), _) => Ok(v.as_str()),
                (None, Some(col)) => Err(wanted.index(col, "currency.column".into())),
                (None, None) => Ok(""),
            },
            report: config.settings.currency.as_deref().unwrap_or(""),
            rates: &config.settings.exchange_rates,
        });
        let filter = RowFilter::compile(&spec.skip_when, &spec.keep_when, &mut wanted);
        let decimal = Decimal::parse(spec.decimal.as_deref().unwrap_or("."))
            .map_err(|e| config_error(format!("decimal: {e}")))?;
        Ok(SpendPlan {
            name,
            format,
            files,
            spec,
            wanted,
            date: (date, TimestampParser::new(date_format, tz)),
            cost,
            decimal,
            channel,
            currency,
            filter,
        })
    }

    /// Reads one file's rows into `spend`, counting them in `account`.
    fn read_file(
        &self,
        file: &Path,
        rules: &ChannelRules,
        account: &mut SourceAccount,
        spend: &mut Spend,
    ) -> Result<()> {
        let names = &self.wanted.names;
        let mut reader = raw::open(file, self.format, &self.spec.csv, names, &self.name)
            .map_err(|e| with_config_key(e, &self.wanted.names, &self.wanted.keys))?;
        let mut batch = raw::RawBatch::default();
        let keep = |spend: &Spend| {
            spend
                .rejects
                .iter()
                .filter(|r| r.source == self.name)
                .count()
                < SPEND_REJECT_EXAMPLES
        };
        while reader.next_batch(&mut batch)? {
            account.rows_read += batch.rows_read() as u64;
            for b in &batch.broken {
                account.reject(b.reason.into());
                if keep(spend) {
                    spend.rejects.push(Reject {
                        source: self.name.clone(),
                        file: file.to_path_buf(),
                        line: b.line,
                        reason: b.reason.into(),
                        column: None,
                        detail: b.detail.clone(),
                        row: String::new(),
                    });
                }
            }
            for r in 0..batch.lines.len() {
                if !self.filter.passes(&batch, r) {
                    account.ignored += 1;
                    continue;
                }
                match self.row(&batch, r, rules) {
                    Ok(row) => {
                        spend.rows.push(row);
                        account.spend_rows += 1;
                    }
                    Err((reason, column, detail)) => {
                        account.reject(reason);
                        if keep(spend) {
                            spend.rejects.push(Reject {
                                source: self.name.clone(),
                                file: file.to_path_buf(),
                                line: batch.lines[r],
                                reason,
                                column: column.map(|c| names[c].clone()),
                                detail,
                                row: batch.row_json(names, r),
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// One spend row: its day, channel and cost in the report's currency, or its fault.
    fn row(
        &self,
        batch: &raw::RawBatch,
        r: usize,
        rules: &ChannelRules,
    ) -> std::result::Result<SpendRow, (RejectReason, Option<usize>, String)> {
        let (date, parser) = &self.date;
        let cell = |c: usize| batch.cell(c, r);
        let day = match cell(*date) {
            Value::Str(s) => parser.parse_str(s),
            Value::Int(i) => parser.parse_i64(i),
            Value::Float(f) => parser.parse_f64(f),
            Value::Datetime { micros, utc } => parser.from_native(micros, utc),
            Value::Null => Err(crate::io::timestamp::TimestampError::Unparseable),
        }
        .map_err(|_| {
            (
                RejectReason::BadTimestamp,
                Some(*date),
                format!(
                    "\"{}\" is not a date",
                    cell(*date).text().unwrap_or_default()
                ),
            )
        })?;
        // An empty cost is a fault here: a spend row exists to give one.
        let cost = match cell(self.cost) {
            v if v.text().is_none() => Err("no cost".to_string()),
            v => v.amount(self.decimal),
        }
        .map_err(|e| (RejectReason::BadValue, Some(self.cost), e))?;
        let channel = self.channel.channel_of(batch, r, rules).ok_or_else(|| {
            let column = match self.channel {
                ChannelPlan::Column(c) => Some(c),
                _ => None,
            };
            (
                RejectReason::MissingChannel,
                column,
                "no channel".to_string(),
            )
        })?;
        let rate = match &self.currency {
            Some(currency) => currency
                .rate(batch, r)
                .map_err(|e| (RejectReason::UnknownCurrency, currency.from.err(), e))?,
            None => 1.0,
        };
        Ok(SpendRow {
            day,
            channel,
            cost: cost * rate,
        })
    }
}
