//! Readers every stage shares: CSV, NDJSON and Parquet files read in batches of text cells,
//! and timestamps parsed from cells. Ingest reads exports through it, the identity stage its
//! identity maps and the journey stage path tables; it knows nothing of any of them.

pub mod number;
pub mod path;
pub mod read;
pub mod timestamp;

use std::path::Path;

use serde::Deserialize;

pub use read::{BrokenReason, BrokenRow, RawBatch, Value};

/// File format of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Parquet,
    Ndjson,
}

impl Format {
    /// The format implied by a file extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
            _ => None,
        }
    }

    /// Lower-case name, as written in the config.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Ndjson => "ndjson",
        }
    }
}

/// CSV reading options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvOptions {
    /// One character, or `tab` (default `,`; `\t` for `.tsv` files).
    pub delimiter: Option<String>,
    /// Quote character (default `"`).
    #[serde(default = "default_quote")]
    pub quote: String,
    /// First line names the columns (default true). Without a header, columns are named
    /// `column_1`, `column_2`, …
    #[serde(default = "yes")]
    pub has_header: bool,
    /// Lines before the header (a report's title and date range), skipped unread.
    #[serde(default)]
    pub skip_rows: usize,
    /// Text encoding, as a WHATWG label (`utf-8`, `windows-1252`, `latin1`, `utf-16`…);
    /// default UTF-8. A byte order mark overrides it.
    pub encoding: Option<String>,
}

impl CsvOptions {
    /// The configured encoding; None for UTF-8 (read as it is, its invalid bytes rejected
    /// row by row). Err for a label that names no encoding.
    pub fn text_encoding(&self) -> Result<Option<&'static encoding_rs::Encoding>, String> {
        let Some(label) = self.encoding.as_deref() else {
            return Ok(None);
        };
        match encoding_rs::Encoding::for_label(label.trim().as_bytes()) {
            Some(e) if e == encoding_rs::UTF_8 => Ok(None),
            Some(e) => Ok(Some(e)),
            None => Err(format!(
                "\"{label}\" is not an encoding (use utf-8, windows-1252, latin1, utf-16)"
            )),
        }
    }
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: None,
            quote: default_quote(),
            has_header: true,
            skip_rows: 0,
            encoding: None,
        }
    }
}

fn default_quote() -> String {
    "\"".to_string()
}

fn yes() -> bool {
    true
}
