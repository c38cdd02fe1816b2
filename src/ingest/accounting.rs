//! Row accounting: every input row is loaded, deliberately ignored, or rejected with a reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Result;

/// Why a row was rejected. The snake_case names are stable: they appear in reports, the
/// rejects file and `--fail-on` thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The timestamp is empty or does not match the format.
    BadTimestamp,
    /// The timestamp parsed but lies outside 1970–2200.
    TimestampOutOfRange,
    /// A naive local time skipped by a daylight-saving change.
    NonexistentLocalTime,
    /// The conversion value is not a number, or is negative or non-finite.
    BadValue,
    /// None of the mapped identifier columns has a value.
    NoIdentifier,
    /// The `kind_column` value is in none of the configured value lists.
    UnknownKind,
    /// A CSV row with a different number of fields than the header.
    RaggedRow,
    /// A cell or line that is not valid UTF-8.
    InvalidEncoding,
    /// An NDJSON line that is not a JSON object.
    InvalidJson,
    /// A spend row without a channel.
    MissingChannel,
    /// A spend row in a currency that is not the report's and has no exchange rate.
    UnknownCurrency,
}

impl From<crate::io::BrokenReason> for RejectReason {
    fn from(reason: crate::io::BrokenReason) -> Self {
        match reason {
            crate::io::BrokenReason::RaggedRow => RejectReason::RaggedRow,
            crate::io::BrokenReason::InvalidEncoding => RejectReason::InvalidEncoding,
            crate::io::BrokenReason::InvalidJson => RejectReason::InvalidJson,
        }
    }
}

impl RejectReason {
    /// Stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            RejectReason::BadTimestamp => "bad_timestamp",
            RejectReason::TimestampOutOfRange => "timestamp_out_of_range",
            RejectReason::NonexistentLocalTime => "nonexistent_local_time",
            RejectReason::BadValue => "bad_value",
            RejectReason::NoIdentifier => "no_identifier",
            RejectReason::UnknownKind => "unknown_kind",
            RejectReason::RaggedRow => "ragged_row",
            RejectReason::InvalidEncoding => "invalid_encoding",
            RejectReason::InvalidJson => "invalid_json",
            RejectReason::MissingChannel => "missing_channel",
            RejectReason::UnknownCurrency => "unknown_currency",
        }
    }
}

/// One rejected row.
#[derive(Debug, Clone, Serialize)]
pub struct Reject {
    /// Source name.
    pub source: String,
    /// File the row came from.
    pub file: PathBuf,
    /// Line (CSV, NDJSON) or 1-based row number (Parquet).
    pub line: u64,
    /// Why it was rejected.
    pub reason: RejectReason,
    /// The column at fault, when there is one.
    pub column: Option<String>,
    /// What was wrong: the offending value or a description. Never an identifier value.
    pub detail: String,
    /// The row's mapped columns as a JSON object (empty for rows that could not be decoded).
    pub row: String,
}

/// What happened to the rows of one source.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceAccount {
    /// Source name.
    pub source: String,
    /// File format.
    pub format: String,
    /// Files read.
    pub files: usize,
    /// Data rows read (header and blank lines excluded).
    pub rows_read: u64,
    /// Touch rows loaded.
    pub touches: u64,
    /// Conversion rows loaded.
    pub conversions: u64,
    /// Identity-link rows loaded.
    pub identity_rows: u64,
    /// Spend rows loaded (the spend export).
    pub spend_rows: u64,
    /// Rows left out on purpose: their kind value is listed in `ignore_values` (or in no
    /// list, with `ignore_other_values`), or a `skip_when` / `keep_when` condition says so.
    pub ignored: u64,
    /// Touch rows merged into their session's touch (`session_key`).
    pub merged_into_sessions: u64,
    /// Conversion rows merged into the conversion of their id (`conversion_id`).
    pub merged_into_conversions: u64,
    /// Touches made by conversion rows that are also touches (`conversions_are_touches`);
    /// counted among the conversions as rows, and among the channels as touches.
    pub conversion_touches: u64,
    /// Rejected rows per reason.
    pub rejected: BTreeMap<RejectReason, u64>,
    /// Touches that no channel rule matched (their channel is `Unassigned`).
    pub unassigned: u64,
    /// Touches per channel.
    pub channels: BTreeMap<String, u64>,
}

impl SourceAccount {
    /// Rejected rows over all reasons.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// Rows loaded (touches, conversions, identity rows, spend rows).
    pub fn loaded(&self) -> u64 {
        self.touches + self.conversions + self.identity_rows + self.spend_rows
    }

    /// Rows merged into sessions or conversions.
    pub fn merged(&self) -> u64 {
        self.merged_into_sessions + self.merged_into_conversions
    }

    /// Rows read equal rows loaded + ignored + merged + rejected.
    pub fn balanced(&self) -> bool {
        self.rows_read == self.loaded() + self.ignored + self.merged() + self.rejected_total()
    }

    pub(crate) fn reject(&mut self, reason: RejectReason) {
        *self.rejected.entry(reason).or_default() += 1;
    }

    /// Adds another account's counts (of the same source) to this one.
    pub(crate) fn absorb(&mut self, other: &SourceAccount) {
        self.files += other.files;
        self.rows_read += other.rows_read;
        self.touches += other.touches;
        self.conversions += other.conversions;
        self.identity_rows += other.identity_rows;
        self.spend_rows += other.spend_rows;
        self.ignored += other.ignored;
        self.merged_into_sessions += other.merged_into_sessions;
        self.merged_into_conversions += other.merged_into_conversions;
        self.conversion_touches += other.conversion_touches;
        self.unassigned += other.unassigned;
        for (k, v) in &other.rejected {
            *self.rejected.entry(*k).or_default() += v;
        }
        for (k, v) in &other.channels {
            *self.channels.entry(k.clone()).or_default() += v;
        }
    }
}

/// The accounting of a whole load.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Accounting {
    /// One entry per source, in config order.
    pub sources: Vec<SourceAccount>,
}

impl Accounting {
    /// Sum over all sources.
    pub fn total(&self) -> SourceAccount {
        let mut total = SourceAccount {
            source: "total".into(),
            ..SourceAccount::default()
        };
        for s in &self.sources {
            total.absorb(s);
        }
        total
    }
}

/// Writes rejected rows as CSV: source, file, line, reason, column, detail, row.
pub fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<()> {
    crate::output::write_atomic(path, |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record([
            "source", "file", "line", "reason", "column", "detail", "row",
        ])?;
        for r in rejects {
            csv.write_record([
                r.source.as_str(),
                &r.file.display().to_string(),
                &r.line.to_string(),
                r.reason.name(),
                r.column.as_deref().unwrap_or(""),
                &r.detail,
                &r.row,
            ])?;
        }
        csv.flush()?;
        Ok(())
    })
}
