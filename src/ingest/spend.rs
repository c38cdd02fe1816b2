//! The spend export: cost per date and channel, read with the same readers and the same row
//! accounting as the touchpoint sources.

use std::collections::BTreeMap;

use super::accounting::{Reject, RejectReason, SourceAccount};
use super::plan::resolve_files;
use crate::config::{Config, Format};
use crate::error::{Error, Result};
use crate::io::read::{self as raw, Value};
use crate::io::timestamp::{parse_timezone, TimestampFormat, TimestampParser};

/// Name of the spend source in accounting and rejects.
const SOURCE: &str = "spend";

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

/// The loaded spend.
#[derive(Debug, Clone)]
pub struct Spend {
    /// Rows, in input order.
    pub rows: Vec<SpendRow>,
    /// Rows read, loaded and rejected.
    pub account: SourceAccount,
    /// Rejected rows (a few examples per reason).
    pub rejects: Vec<Reject>,
}

impl Spend {
    /// Total cost per channel.
    pub fn by_channel(&self) -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        for r in &self.rows {
            *m.entry(r.channel.clone()).or_insert(0.0) += r.cost;
        }
        m
    }
}

/// Loads the config's `[spend]` export, if it has one.
pub fn load_spend(config: &Config) -> Result<Option<Spend>> {
    let Some(spec) = &config.spend else {
        return Ok(None);
    };
    let files = resolve_files(&config.base_dir, &spec.path, SOURCE)?;
    let format = match spec.format.or_else(|| Format::from_path(&files[0])) {
        Some(f) => f,
        None => {
            return Err(Error::Config {
                path: config.path.clone(),
                message: "spend: cannot tell the file format from the extension: set `format`"
                    .into(),
            })
        }
    };
    let date_format = TimestampFormat::parse(spec.date_format.as_deref().unwrap_or("auto"))
        .map_err(|e| Error::Config {
            path: config.path.clone(),
            message: format!("spend.date_format: {e}"),
        })?;
    let tz = parse_timezone(config.settings.timezone.as_deref().unwrap_or("UTC")).map_err(|e| {
        Error::Config {
            path: config.path.clone(),
            message: format!("settings.timezone: {e}"),
        }
    })?;
    let parser = TimestampParser::new(date_format, tz);
    let wanted = vec![spec.date.clone(), spec.channel.clone(), spec.cost.clone()];
    let mut spend = Spend {
        rows: Vec::new(),
        account: SourceAccount {
            source: SOURCE.into(),
            format: format.name().into(),
            ..SourceAccount::default()
        },
        rejects: Vec::new(),
    };
    for file in &files {
        spend.account.files += 1;
        let mut reader = raw::open(file, format, &spec.csv, &wanted, SOURCE)?;
        let mut batch = raw::RawBatch::default();
        while reader.next_batch(&mut batch)? {
            spend.account.rows_read += batch.rows_read() as u64;
            for b in &batch.broken {
                spend.account.reject(b.reason.into());
                spend.rejects.push(Reject {
                    source: SOURCE.into(),
                    file: file.clone(),
                    line: b.line,
                    reason: b.reason.into(),
                    column: None,
                    detail: b.detail.clone(),
                    row: String::new(),
                });
            }
            for r in 0..batch.lines.len() {
                let cell = |c: usize| batch.cell(c, r);
                let day = match cell(0) {
                    Value::Str(s) => parser.parse_str(s),
                    Value::Int(i) => parser.parse_i64(i),
                    Value::Float(f) => parser.parse_f64(f),
                    Value::Datetime { micros, utc } => parser.from_native(micros, utc),
                    Value::Null => Err(crate::io::timestamp::TimestampError::Unparseable),
                };
                // An empty cost is a fault here: a spend row exists to give one.
                let cost = match cell(2) {
                    v if v.text().is_none() => Err("no cost".to_string()),
                    v => v.amount(),
                };
                let fault = match (day, cell(1).text(), cost) {
                    (Ok(day), Some(channel), Ok(cost)) => {
                        spend.rows.push(SpendRow { day, channel, cost });
                        spend.account.spend_rows += 1;
                        continue;
                    }
                    (Err(_), ..) => (
                        RejectReason::BadTimestamp,
                        0,
                        format!("\"{}\" is not a date", cell(0).text().unwrap_or_default()),
                    ),
                    (_, None, _) => (RejectReason::MissingChannel, 1, "no channel".to_string()),
                    (_, _, Err(e)) => (RejectReason::BadValue, 2, e),
                };
                spend.account.reject(fault.0);
                if spend.rejects.len() < 50 {
                    spend.rejects.push(Reject {
                        source: SOURCE.into(),
                        file: file.clone(),
                        line: batch.lines[r],
                        reason: fault.0,
                        column: Some(wanted[fault.1].clone()),
                        detail: fault.2,
                        row: batch.row_json(&wanted, r),
                    });
                }
            }
        }
    }
    Ok(Some(spend))
}
