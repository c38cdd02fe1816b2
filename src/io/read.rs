//! Reading source files into batches of raw cells, with the position of every row.
//!
//! Only the columns a source maps are kept. A row the reader cannot decode (ragged CSV row,
//! invalid UTF-8, invalid JSON line) is not an error: it comes back as a [`BrokenRow`] and is
//! rejected and counted like any other bad row. Whole-file problems are [`Error`]s.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use compact_str::CompactString;
use polars::io::parquet::metadata::FileMetadataRef;
use polars::prelude::*;
use rayon::prelude::*;

use super::number::{parse_number, Decimal};
use super::path::FieldPath;
use super::{CsvOptions, Format};
use crate::error::{Error, Result};

/// Rows per batch for the streaming readers.
pub const BATCH_ROWS: usize = 65_536;

/// One cell as read, borrowed from its [`RawBatch`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Absent, JSON null or an empty Parquet cell. (Empty CSV text is `Str("")`.)
    Null,
    /// Text.
    Str(&'a str),
    /// Integer (Parquet and JSON).
    Int(i64),
    /// Floating point (Parquet and JSON).
    Float(f64),
    /// Native datetime in microseconds: UTC when `utc`, else naive wall-clock time.
    Datetime { micros: i64, utc: bool },
}

impl<'a> Value<'a> {
    /// The cell as trimmed text; None for null and empty text.
    pub fn text(&self) -> Option<String> {
        self.trimmed().map(Cow::into_owned)
    }

    /// [`Value::text`], borrowed from the batch for text cells (numbers are formatted).
    pub fn trimmed(&self) -> Option<Cow<'a, str>> {
        match *self {
            Value::Null => None,
            Value::Str(s) => {
                let t = s.trim();
                (!t.is_empty()).then_some(Cow::Borrowed(t))
            }
            Value::Int(i) => Some(Cow::Owned(i.to_string())),
            Value::Float(f) => Some(Cow::Owned(f.to_string())),
            Value::Datetime { micros, .. } => Some(Cow::Owned(micros.to_string())),
        }
    }

    /// [`Value::text`] without an allocation for text of up to 24 bytes.
    pub fn compact_text(&self) -> Option<CompactString> {
        self.trimmed().map(|t| CompactString::new(&*t))
    }

    /// The cell as an amount (a conversion value): empty means 0; otherwise a finite,
    /// non-negative number. The error says what is wrong with the cell.
    pub fn amount(&self, decimal: Decimal) -> std::result::Result<f64, String> {
        let x = match *self {
            Value::Null => return Ok(0.0),
            Value::Int(i) => i as f64,
            Value::Float(f) => f,
            Value::Str(s) => return amount_text(s, decimal),
            Value::Datetime { .. } => return Err("a datetime is not a value".into()),
        };
        checked_amount(x)
    }

    fn to_json(self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::Int(i) => i.into(),
            Value::Float(f) => serde_json::Number::from_f64(f)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| serde_json::Value::String(f.to_string())),
            Value::Datetime { micros, .. } => micros.into(),
        }
    }
}

/// A cell as a batch holds it: text as a range of the batch's text buffer, so that reading a
/// cell allocates nothing.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Null,
    Str { start: usize, end: usize },
    Int(i64),
    Float(f64),
    Datetime { micros: i64, utc: bool },
}

/// [`Value::amount`] of a text cell: thousands separators and a currency symbol or code are
/// allowed ([`parse_number`]).
pub fn amount_text(s: &str, decimal: Decimal) -> std::result::Result<f64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(0.0);
    }
    checked_amount(parse_number(t, decimal)?)
}

fn checked_amount(x: f64) -> std::result::Result<f64, String> {
    if !x.is_finite() {
        Err(format!("{x} is not finite"))
    } else if x < 0.0 {
        Err(format!("{x} is negative"))
    } else {
        Ok(x)
    }
}

/// Why a reader could not decode a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokenReason {
    /// A CSV row with a different number of fields than the header.
    RaggedRow,
    /// A cell or line that is not valid UTF-8.
    InvalidEncoding,
    /// An NDJSON line that is not a JSON object.
    InvalidJson,
}

/// A row the reader could not decode.
#[derive(Debug, Clone)]
pub struct BrokenRow {
    /// Line (CSV, NDJSON) of the row.
    pub line: u64,
    /// Why.
    pub reason: BrokenReason,
    /// What was wrong, without the row's content.
    pub detail: String,
}

impl BrokenRow {
    /// The row as an error, for readers that stop at the first broken row.
    fn into_error(self, file: &Path) -> Error {
        Error::format(file, format!("line {}: {}", self.line, self.detail))
    }
}

/// A batch of decoded rows: [`RawBatch::cell`]`(c, r)` is the cell of wanted column `c` in
/// row `r`. Text cells are held end to end in one buffer per batch, not one allocation each.
#[derive(Debug, Default)]
pub struct RawBatch {
    /// Cells, one vector per wanted column.
    columns: Vec<Vec<Slot>>,
    /// The bytes of every text cell.
    text: String,
    /// Position of each row: its line (CSV, NDJSON) or 1-based row number (Parquet).
    pub lines: Vec<u64>,
    /// Rows that could not be decoded.
    pub broken: Vec<BrokenRow>,
}

impl RawBatch {
    /// Empties the batch for `width` wanted columns, keeping its memory: a reader refills one
    /// batch, so the cells of a file cost no allocation (nor fresh pages) after the first.
    fn reset(&mut self, width: usize) {
        self.columns.resize_with(width, Vec::new);
        for column in &mut self.columns {
            column.clear();
            column.reserve(BATCH_ROWS);
        }
        self.text.clear();
        self.lines.clear();
        self.broken.clear();
    }

    /// The cell of wanted column `c` in row `r`.
    pub fn cell(&self, c: usize, r: usize) -> Value<'_> {
        match self.columns[c][r] {
            Slot::Null => Value::Null,
            Slot::Str { start, end } => Value::Str(&self.text[start..end]),
            Slot::Int(i) => Value::Int(i),
            Slot::Float(f) => Value::Float(f),
            Slot::Datetime { micros, utc } => Value::Datetime { micros, utc },
        }
    }

    /// Wanted columns.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// Adds a text cell to column `c`.
    fn push_str(&mut self, c: usize, text: &str) {
        let start = self.text.len();
        self.text.push_str(text);
        self.columns[c].push(Slot::Str {
            start,
            end: self.text.len(),
        });
    }

    /// Adds a cell that is not text to column `c`.
    fn push_other(&mut self, c: usize, slot: Slot) {
        self.columns[c].push(slot);
    }

    /// Rows in the batch, decoded or not.
    pub fn rows_read(&self) -> usize {
        self.lines.len() + self.broken.len()
    }

    /// Row `r` as a JSON object of the wanted columns, for the rejects file.
    pub fn row_json(&self, names: &[String], r: usize) -> String {
        serde_json::Value::Object(self.row_values(names, r)).to_string()
    }

    /// Row `r` as a JSON map of column name to value.
    pub fn row_values(
        &self,
        names: &[String],
        r: usize,
    ) -> serde_json::Map<String, serde_json::Value> {
        names
            .iter()
            .enumerate()
            .take(self.width())
            .map(|(c, n)| (n.clone(), self.cell(c, r).to_json()))
            .collect()
    }
}

/// A reader of one file, batch by batch.
pub trait BatchReader: Send {
    /// Refills `batch` with the next rows; false (and an empty batch) at the end of the file.
    fn next_batch(&mut self, batch: &mut RawBatch) -> Result<bool>;

    /// The rows still to come, when the file says (Parquet does), so that what holds them can
    /// be sized once.
    fn rows_left(&self) -> Option<usize> {
        None
    }
}

/// Parses the configured CSV delimiter: one ASCII character or `tab`; the default is `,`,
/// or a tab for `.tsv` files.
pub fn csv_delimiter(spec: Option<&str>, path: &Path) -> std::result::Result<u8, String> {
    match spec {
        None => {
            let tsv = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
            Ok(if tsv { b'\t' } else { b',' })
        }
        Some("tab") | Some("\\t") | Some("\t") => Ok(b'\t'),
        Some(s) if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        Some(s) => Err(format!(
            "\"{s}\" is not one ASCII character (use \",\", \";\", \"|\" or \"tab\")"
        )),
    }
}

/// Opens `file` for reading the `wanted` columns; fails when one is missing.
pub fn open(
    file: &Path,
    format: Format,
    csv: &CsvOptions,
    wanted: &[String],
    source_name: &str,
) -> Result<Box<dyn BatchReader>> {
    open_part(file, format, csv, wanted, source_name, None)
}

/// The rows of each window a Parquet file is read in (see [`windows`]), from its metadata.
pub fn parquet_windows(file: &Path) -> Result<Vec<usize>> {
    let f = crate::files::open(file)?;
    let metadata = ParquetReader::new(f)
        .get_metadata()
        .map_err(|e| Error::format(file, format!("not a readable Parquet file: {e}")))?
        .clone();
    Ok(metadata_windows(&metadata))
}

/// The windows of a Parquet file with this metadata.
fn metadata_windows(metadata: &FileMetadataRef) -> Vec<usize> {
    windows(metadata.row_groups.iter().map(|g| g.num_rows()))
}

/// [`open`], reading only the range `part` of a Parquet file's windows
/// ([`parquet_windows`]) when given; rows keep their numbers in the whole file.
pub fn open_part(
    file: &Path,
    format: Format,
    csv: &CsvOptions,
    wanted: &[String],
    source_name: &str,
    part: Option<std::ops::Range<usize>>,
) -> Result<Box<dyn BatchReader>> {
    match format {
        Format::Csv => Ok(Box::new(open_csv(file, csv, wanted, source_name)?)),
        Format::Ndjson => Ok(Box::new(NdjsonBatchReader::new(file, wanted, source_name)?)),
        Format::Parquet => {
            let f = crate::files::open(file)?;
            let mut reader = ParquetReader::new(f);
            let schema = reader
                .schema()
                .map_err(|e| Error::format(file, format!("not a readable Parquet file: {e}")))?;
            let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
            let mut paths = Vec::with_capacity(wanted.len());
            for w in wanted {
                paths.push(if names.contains(w) {
                    None
                } else {
                    let path = FieldPath::parse(w)
                        .filter(|p| names.contains(&p.top))
                        .ok_or_else(|| missing_column(file, source_name, w, &names))?;
                    let dtype = schema
                        .get(path.top.as_str())
                        .ok_or_else(|| missing_column(file, source_name, w, &names))?;
                    path.check_dtype(&DataType::from_arrow_field(dtype))
                        .map_err(|inside| missing_column(file, source_name, w, &[inside]))?;
                    Some(path)
                });
            }
            let mut tops: Vec<String> = Vec::new();
            for (w, p) in wanted.iter().zip(&paths) {
                let top = p.as_ref().map_or(w, |p| &p.top);
                if !tops.contains(top) {
                    tops.push(top.clone());
                }
            }
            let metadata = reader
                .get_metadata()
                .map_err(|e| Error::format(file, format!("not a readable Parquet file: {e}")))?
                .clone();
            let mut windows = metadata_windows(&metadata);
            let (window, window_start) = match part {
                Some(part) => {
                    windows.truncate(part.end);
                    let start = part.start.min(windows.len());
                    (start, windows[..start].iter().sum())
                }
                None => (0, 0),
            };
            Ok(Box::new(ParquetBatchReader {
                file: file.to_path_buf(),
                wanted: wanted.to_vec(),
                paths,
                tops,
                metadata,
                windows,
                window,
                window_start,
                frame: None,
                offset: 0,
            }))
        }
    }
}

/// Reads every row of a file that must be clean (an identity map, a path table), calling
/// `row` with the row's line and its wanted cells; a row the reader cannot decode is an
/// error naming its line.
pub fn read_rows(
    file: &Path,
    format: Format,
    csv: &CsvOptions,
    wanted: &[String],
    what: &str,
    mut row: impl FnMut(u64, &[Value]) -> Result<()>,
) -> Result<()> {
    let mut reader = open(file, format, csv, wanted, what)?;
    let mut batch = RawBatch::default();
    while reader.next_batch(&mut batch)? {
        if let Some(b) = std::mem::take(&mut batch.broken).into_iter().next() {
            return Err(b.into_error(file));
        }
        let mut cells: Vec<Value> = Vec::with_capacity(batch.width());
        for (r, line) in batch.lines.iter().enumerate() {
            cells.clear();
            cells.extend((0..batch.width()).map(|c| batch.cell(c, r)));
            row(*line, &cells)?;
        }
    }
    Ok(())
}

/// A wanted column the file does not have (the config key is filled in by the caller).
fn missing_column(file: &Path, source_name: &str, column: &str, available: &[String]) -> Error {
    Error::MissingColumn {
        file: file.to_path_buf(),
        source_name: source_name.to_string(),
        column: column.to_string(),
        key: String::new(),
        available: match available {
            [] => "(none)".into(),
            [one] => match [';', '\t', '|', ','].into_iter().find(|d| one.contains(*d)) {
                // One column holding separators: the file is split by another delimiter.
                Some(d) => {
                    let name = if d == '\t' {
                        "tab".to_string()
                    } else {
                        d.to_string()
                    };
                    format!(
                        "{one} (one column: the header looks {name}-separated; set csv = {{ delimiter = \"{name}\" }})"
                    )
                }
                None => one.clone(),
            },
            many => many.join(", "),
        },
    }
}

/// A CSV reader positioned after the header, with the `wanted` columns located.
fn open_csv(
    file: &Path,
    csv: &CsvOptions,
    wanted: &[String],
    source_name: &str,
) -> Result<CsvBatchReader> {
    let reader = CsvBatchReader::new(file, csv)?;
    let mut indices = Vec::new();
    for w in wanted {
        let found: Vec<usize> = reader
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| *h == w)
            .map(|(i, _)| i)
            .collect();
        match found.as_slice() {
            [] => return Err(missing_column(file, source_name, w, &reader.header)),
            [i] => indices.push(*i),
            _ => {
                return Err(Error::format(
                    file,
                    format!("column \"{w}\" appears {} times in the header", found.len()),
                ))
            }
        }
    }
    Ok(CsvBatchReader { indices, ..reader })
}

/// Most columns [`read_csv_text`] hands over per row.
pub const MAX_TEXT_COLUMNS: usize = 8;

/// Smallest chunk worth a task of its own when [`read_csv_text`] splits a file.
const MIN_CHUNK_BYTES: usize = 1 << 20;

/// Reads the `wanted` columns (at most [`MAX_TEXT_COLUMNS`]) of a CSV file row by row, without
/// a [`Value`] per cell: for large files whose cells the caller parses itself (path tables).
/// Header checks are those of [`open`]; a ragged row is an error naming its line, as in
/// [`read_rows`], and so is a cell that is not UTF-8 when the caller asks for its text
/// ([`Cells::text`]); the error reported is the first in the file.
///
/// Each row goes to `row` with a state made by `new_state` (given the bytes it will read, to
/// size itself); the states come back in file order. The file is read whole. Without a quote
/// character it is split at line ends into chunks read in parallel, one state each (only
/// quotes let a record hold a line end; one state per thread, carried from chunk to chunk,
/// was measured no faster); with one it is read in one pass with one state. Lines are
/// counted from the bytes, so they are right after blank lines and with CRLF line ends,
/// where the csv crate's own count is not.
pub fn read_csv_text<S: Send>(
    file: &Path,
    csv: &CsvOptions,
    wanted: &[String],
    what: &str,
    new_state: impl Fn(usize) -> S + Sync,
    row: impl Fn(&mut S, &Cells) -> Result<()> + Sync,
) -> Result<Vec<S>> {
    if wanted.len() > MAX_TEXT_COLUMNS {
        return Err(Error::format(file, "too many columns for a text read"));
    }
    if csv.skip_rows > 0 || csv.encoding.is_some() {
        return Err(Error::format(
            file,
            "a text read takes UTF-8 files without title lines",
        ));
    }
    let reader = open_csv(file, csv, wanted, what)?;
    let mut bytes = Vec::new();
    crate::files::open(file)?
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(file, e))?;
    let bom = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let start = if csv.has_header {
        bom + reader.reader.position().byte() as usize
    } else {
        bom
    };
    let start = start.min(bytes.len());
    let quote = quote_byte(csv);
    let delimiter = csv_delimiter(csv.delimiter.as_deref(), file)
        .map_err(|e| Error::format(file, format!("csv.delimiter: {e}")))?;
    let text = CsvText {
        file,
        bytes: &bytes,
        columns: TextColumns {
            header: &reader.header,
            indices: &reader.indices,
        },
        delimiter,
    };
    let body = &bytes[start..];
    if !plain_lines(body, quote) {
        let mut state = new_state(bytes.len() - start);
        text.read_quoted_records(start..bytes.len(), quote, &mut |cells| {
            row(&mut state, cells)
        })?;
        return Ok(vec![state]);
    }
    let states: Vec<Result<S>> = line_chunks(body)
        .into_par_iter()
        .map(|chunk| {
            let mut state = new_state(chunk.len());
            let chunk = start + chunk.start..start + chunk.end;
            text.read_plain_lines(chunk, &mut |cells| row(&mut state, cells))?;
            Ok(state)
        })
        .collect();
    // In file order: a chunk stops at its first error, so the first error found is the
    // first in the file.
    states.into_iter().collect()
}

/// The wanted cells of a row of [`read_csv_text`], as bytes; [`Cells::text`] checks that
/// one is UTF-8 (a row whose text was seen before needs no check again).
pub struct Cells<'a> {
    fields: [&'a [u8]; MAX_TEXT_COLUMNS],
    text: &'a CsvText<'a>,
    /// The row's position in the file, for errors.
    at: RowAt<'a>,
}

impl<'a> Cells<'a> {
    /// The bytes of wanted cell `k`.
    pub fn bytes(&self, k: usize) -> &'a [u8] {
        self.fields[k]
    }

    /// The text of wanted cell `k`, or the error naming its line and column when it is not
    /// UTF-8.
    pub fn text(&self, k: usize) -> Result<&'a str> {
        let columns = &self.text.columns;
        columns
            .text(&|| self.at.line(), k, self.fields[k])
            .map_err(|broken| broken.into_error(self.text.file))
    }

    /// The row's line (counted from the bytes before it, so only when asked).
    pub fn line(&self) -> u64 {
        self.at.line()
    }
}

/// A CSV file read whole by [`read_csv_text`], and how its records split.
pub struct CsvText<'a> {
    file: &'a Path,
    bytes: &'a [u8],
    columns: TextColumns<'a>,
    delimiter: u8,
}

impl<'a> CsvText<'a> {
    /// The row of `width` fields (field `i` is `field(i)`) starting at byte `at`: its wanted
    /// cells, or an error when it is ragged.
    fn cells(
        &'a self,
        at: usize,
        width: usize,
        field: impl Fn(usize) -> &'a [u8],
    ) -> Result<Cells<'a>> {
        let at = RowAt {
            file: self.bytes,
            byte: at,
        };
        let fields = self
            .columns
            .wanted(&|| at.line(), width, field)
            .map_err(|broken| broken.into_error(self.file))?;
        Ok(Cells {
            fields,
            text: self,
            at,
        })
    }

    /// The rows of `range` (whole lines of [`plain_lines`]): each row goes to `row`. Blank
    /// lines are skipped and CRLF line ends taken, as the csv crate does. Lines are found
    /// with `memchr` and split at delimiters byte by byte (fields are a few bytes long, too
    /// short for `memchr` to pay: one `memchr2` pass for both was 9 % slower).
    fn read_plain_lines(
        &'a self,
        range: std::ops::Range<usize>,
        row: &mut impl FnMut(&Cells) -> Result<()>,
    ) -> Result<()> {
        let chunk = &self.bytes[range.clone()];
        let mut fields: Vec<&[u8]> = Vec::with_capacity(self.columns.header.len());
        let mut line_start = 0;
        while line_start < chunk.len() {
            let end =
                memchr::memchr(b'\n', &chunk[line_start..]).map_or(chunk.len(), |i| line_start + i);
            fields.extend(chunk[line_start..end].split(|&b| b == self.delimiter));
            self.line_read(range.start + line_start, &mut fields, row)?;
            line_start = end + 1;
        }
        Ok(())
    }

    /// A line of `fields` starting at byte `at` handed to `row` (its CR of a CRLF end taken
    /// off; a blank line skipped), and `fields` cleared for the next.
    fn line_read(
        &'a self,
        at: usize,
        fields: &mut Vec<&'a [u8]>,
        row: &mut impl FnMut(&Cells) -> Result<()>,
    ) -> Result<()> {
        if let Some(last) = fields.last_mut() {
            if let [cell @ .., b'\r'] = last {
                *last = cell;
            }
        }
        let blank = matches!(fields.as_slice(), [only] if only.is_empty());
        let done = if blank {
            Ok(())
        } else {
            self.cells(at, fields.len(), |i| fields[i])
                .and_then(|cells| row(&cells))
        };
        fields.clear();
        done
    }

    /// The rows of `range`, which may hold quoted cells, read with the csv crate.
    fn read_quoted_records(
        &'a self,
        range: std::ops::Range<usize>,
        quote: u8,
        row: &mut impl FnMut(&Cells) -> Result<()>,
    ) -> Result<()> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .quote(quote)
            .has_headers(false)
            .flexible(true)
            .from_reader(&self.bytes[range.clone()]);
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => return Err(Error::format(self.file, format!("cannot read CSV: {e}"))),
            }
            let byte = range.start + record.position().map_or(0, |p| p.byte()) as usize;
            row(&self.cells(byte, record.len(), |i| &record[i])?)?;
        }
    }
}

/// Whether `body` can be split at line ends and its lines at delimiters without a CSV
/// parser: no quote character (only quotes let a cell hold a line end or a delimiter) and
/// no carriage return other than in a CRLF line end (a lone one ends a record too).
fn plain_lines(body: &[u8], quote: u8) -> bool {
    memchr::memchr(quote, body).is_none()
        && memchr::memchr_iter(b'\r', body).all(|i| body.get(i + 1) == Some(&b'\n'))
}

/// Where a row of [`read_csv_text`] is. Its line is counted from the bytes only when asked
/// (for an error message), so reading pays nothing for it.
pub struct RowAt<'a> {
    /// The whole file.
    file: &'a [u8],
    /// Where the csv crate places the record: after a blank line or a CRLF, at the line
    /// end before it.
    byte: usize,
}

impl RowAt<'_> {
    /// The row's line: that of its first byte past any line ends at `byte`.
    pub fn line(&self) -> u64 {
        let rest = self.file.get(self.byte..).unwrap_or_default();
        let start = self.byte
            + rest
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        let before = &self.file[..start.min(self.file.len())];
        1 + memchr::memchr_iter(b'\n', before).count() as u64
    }
}

/// Where to cut `body` after line ends into about four chunks per thread, none under
/// [`MIN_CHUNK_BYTES`] unless it is the only one.
fn line_chunks(body: &[u8]) -> Vec<std::ops::Range<usize>> {
    let wanted = (body.len() / MIN_CHUNK_BYTES).clamp(1, 4 * rayon::current_num_threads());
    let mut chunks = Vec::with_capacity(wanted);
    let mut start = 0;
    for k in 1..=wanted {
        let target = body.len() * k / wanted;
        if target <= start {
            continue;
        }
        let end = match memchr::memchr(b'\n', &body[target - 1..]) {
            Some(i) => target + i,
            None => body.len(),
        };
        chunks.push(start..end);
        start = end;
        if start == body.len() {
            break;
        }
    }
    chunks
}

/// The quote character of a CSV file.
fn quote_byte(csv: &CsvOptions) -> u8 {
    csv.quote.as_bytes().first().copied().unwrap_or(b'"')
}

/// Where the wanted cells of a record are, to decode them as text.
struct TextColumns<'a> {
    header: &'a [String],
    indices: &'a [usize],
}

impl TextColumns<'_> {
    /// Why a record of `width` fields is broken (on `line`) when it is ragged.
    fn check_width(
        &self,
        line: &dyn Fn() -> u64,
        width: usize,
    ) -> std::result::Result<(), BrokenRow> {
        if width == self.header.len() {
            return Ok(());
        }
        Err(BrokenRow {
            line: line(),
            reason: BrokenReason::RaggedRow,
            detail: format!("{width} fields, expected {}", self.header.len()),
        })
    }

    /// The wanted fields (at most [`MAX_TEXT_COLUMNS`]) of a record of `width` fields (field
    /// `i` is `field(i)`), in the order wanted, or why the row is broken (on `line`): a
    /// ragged row.
    fn wanted<'r>(
        &self,
        line: &dyn Fn() -> u64,
        width: usize,
        field: impl Fn(usize) -> &'r [u8],
    ) -> std::result::Result<[&'r [u8]; MAX_TEXT_COLUMNS], BrokenRow> {
        self.check_width(line, width)?;
        let mut wanted = [&b""[..]; MAX_TEXT_COLUMNS];
        for (cell, &i) in wanted.iter_mut().zip(self.indices) {
            *cell = field(i);
        }
        Ok(wanted)
    }

    /// Wanted cell `k`, `bytes`, as text, or why the row (on `line`) is broken: not UTF-8.
    fn text<'r>(
        &self,
        line: &dyn Fn() -> u64,
        k: usize,
        bytes: &'r [u8],
    ) -> std::result::Result<&'r str, BrokenRow> {
        std::str::from_utf8(bytes).map_err(|_| BrokenRow {
            line: line(),
            reason: BrokenReason::InvalidEncoding,
            detail: format!(
                "column \"{}\" is not valid UTF-8 (for a file in another encoding, set csv.encoding, e.g. \"windows-1252\")",
                self.header[self.indices[k]]
            ),
        })
    }

    /// The wanted cells of `record` as text, into `cells` (one per wanted column), or why the
    /// row is broken (on `line`): a ragged row, or a wanted cell that is not UTF-8.
    fn decode<'r>(
        &self,
        line: &dyn Fn() -> u64,
        record: &'r csv::ByteRecord,
        cells: &mut [&'r str],
    ) -> std::result::Result<(), BrokenRow> {
        self.check_width(line, record.len())?;
        for (k, (cell, &i)) in cells.iter_mut().zip(self.indices).enumerate() {
            *cell = self.text(line, k, &record[i])?;
        }
        Ok(())
    }
}

/// The column names of a file: the CSV header (`column_N` without one), the Parquet
/// schema, or the keys of the first NDJSON object.
pub fn column_names(file: &Path, format: Format, csv: &CsvOptions) -> Result<Vec<String>> {
    match format {
        Format::Csv => Ok(CsvBatchReader::new(file, csv)?.header),
        Format::Parquet => {
            let f = crate::files::open(file)?;
            let schema = ParquetReader::new(f)
                .schema()
                .map_err(|e| Error::format(file, format!("not a readable Parquet file: {e}")))?;
            Ok(schema.iter_names().map(|n| n.to_string()).collect())
        }
        Format::Ndjson => {
            let f = crate::files::open(file)?;
            let reader = skip_bom(file, BufReader::new(f))?;
            for line in reader.lines() {
                let line = line.map_err(|e| Error::io(file, e))?;
                if line.trim().is_empty() {
                    continue;
                }
                return match serde_json::from_str::<serde_json::Value>(&line) {
                    Ok(serde_json::Value::Object(map)) => Ok(map.keys().cloned().collect()),
                    _ => Err(Error::format(file, "the first line is not a JSON object")),
                };
            }
            Ok(Vec::new())
        }
    }
}

/// A CSV file's text as UTF-8, past its title lines: read as it is when UTF-8 (a byte order
/// mark skipped), else decoded from its encoding (encoding_rs).
fn csv_text(file: &Path, opts: &CsvOptions) -> Result<Box<dyn BufRead + Send>> {
    let f = crate::files::open(file)?;
    let encoding = opts
        .text_encoding()
        .map_err(|e| Error::format(file, format!("csv.encoding: {e}")))?;
    let mut text: Box<dyn BufRead + Send> = match encoding {
        None => Box::new(skip_bom(file, BufReader::with_capacity(1 << 20, f))?),
        Some(encoding) => Box::new(BufReader::with_capacity(
            1 << 20,
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_override(true)
                .strip_bom(true)
                .build(f),
        )),
    };
    let mut line = Vec::new();
    for skipped in 0..opts.skip_rows {
        line.clear();
        let n = text
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(file, e))?;
        if n == 0 {
            return Err(Error::format(
                file,
                format!(
                    "csv.skip_rows = {}, but the file has only {skipped} lines",
                    opts.skip_rows
                ),
            ));
        }
    }
    Ok(text)
}

/// Skips a UTF-8 byte order mark at the start of a reader.
fn skip_bom(file: &Path, mut reader: BufReader<File>) -> Result<BufReader<File>> {
    let buf = reader.fill_buf().map_err(|e| Error::io(file, e))?;
    if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    }
    Ok(reader)
}

/// A reader that notes where its line breaks are, so that a record's line can be told from
/// the byte where the csv crate places it. The csv crate's own line count is one short for a
/// record after a blank line or a CRLF line end (it places such a record at the line end
/// before it).
struct LineBreaks<R> {
    inner: R,
    /// Lines before the first byte read (skipped title lines).
    first_line: u64,
    /// Bytes read so far.
    read: u64,
    /// Line breaks (`\r` or `\n`) not yet passed, with whether each is a `\n`.
    ahead: std::cell::RefCell<std::collections::VecDeque<(u64, bool)>>,
    /// `\n` bytes passed.
    passed: std::cell::Cell<u64>,
}

impl<R> LineBreaks<R> {
    fn new(inner: R, first_line: u64) -> Self {
        LineBreaks {
            inner,
            first_line,
            read: 0,
            ahead: Default::default(),
            passed: Default::default(),
        }
    }

    /// The line of a record placed at `byte`: one plus the `\n` bytes before it and in the
    /// run of line breaks it starts with. Records must be asked for in file order.
    fn line_of(&self, byte: u64) -> u64 {
        let mut ahead = self.ahead.borrow_mut();
        let mut passed = self.passed.get();
        while ahead.front().is_some_and(|(at, _)| *at < byte) {
            if let Some((_, true)) = ahead.pop_front() {
                passed += 1;
            }
        }
        self.passed.set(passed);
        let run = ahead
            .iter()
            .enumerate()
            .take_while(|(i, (at, _))| *at == byte + *i as u64)
            .filter(|(_, (_, lf))| *lf)
            .count() as u64;
        1 + self.first_line + passed + run
    }
}

impl<R: std::io::Read> std::io::Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let ahead = self.ahead.get_mut();
        for i in memchr::memchr2_iter(b'\n', b'\r', &buf[..n]) {
            ahead.push_back((self.read + i as u64, buf[i] == b'\n'));
        }
        self.read += n as u64;
        Ok(n)
    }
}

struct CsvBatchReader {
    file: PathBuf,
    reader: csv::Reader<LineBreaks<Box<dyn BufRead + Send>>>,
    header: Vec<String>,
    indices: Vec<usize>,
    record: csv::ByteRecord,
    done: bool,
}

impl CsvBatchReader {
    fn new(file: &Path, opts: &CsvOptions) -> Result<Self> {
        let text = csv_text(file, opts)?;
        let delimiter = csv_delimiter(opts.delimiter.as_deref(), file)
            .map_err(|e| Error::format(file, format!("csv.delimiter: {e}")))?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .quote(quote_byte(opts))
            .has_headers(false)
            .flexible(true)
            .from_reader(LineBreaks::new(text, opts.skip_rows as u64));
        let mut record = csv::ByteRecord::new();
        let got = reader
            .read_byte_record(&mut record)
            .map_err(|e| Error::format(file, format!("cannot read CSV: {e}")))?;
        let (header, done) = if opts.has_header {
            if !got {
                return Err(Error::format(file, "file is empty: no header line"));
            }
            let header = record
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    std::str::from_utf8(h)
                        .map(|s| s.trim().to_string())
                        .map_err(|_| {
                            Error::format(
                                file,
                                format!(
                                    "line {}: header column {} is not valid UTF-8",
                                    opts.skip_rows + 1,
                                    i + 1
                                ),
                            )
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            record.clear();
            (header, false)
        } else {
            // Without a header the first record is data: keep it for the first batch.
            let n = record.len();
            ((1..=n).map(|i| format!("column_{i}")).collect(), !got)
        };
        Ok(CsvBatchReader {
            file: file.to_path_buf(),
            reader,
            header,
            indices: Vec::new(),
            record,
            done,
        })
    }

    /// The wanted cells of `record` as text (see [`TextColumns::decode`]).
    fn text_cells<'r>(
        &self,
        record: &'r csv::ByteRecord,
        cells: &mut [&'r str],
    ) -> std::result::Result<u64, BrokenRow> {
        let byte = record.position().map_or(0, |p| p.byte());
        let line = self.reader.get_ref().line_of(byte);
        TextColumns {
            header: &self.header,
            indices: &self.indices,
        }
        .decode(&|| line, record, cells)?;
        Ok(line)
    }

    fn push_record(&self, batch: &mut RawBatch) {
        let mut cells = vec![""; self.indices.len()];
        match self.text_cells(&self.record, &mut cells) {
            Ok(line) => {
                for (c, cell) in cells.into_iter().enumerate() {
                    batch.push_str(c, cell);
                }
                batch.lines.push(line);
            }
            Err(broken) => batch.broken.push(broken),
        }
    }
}

impl BatchReader for CsvBatchReader {
    fn next_batch(&mut self, batch: &mut RawBatch) -> Result<bool> {
        batch.reset(self.indices.len());
        if self.done {
            return Ok(false);
        }
        // A record left over from the header read (files without a header).
        if !self.record.is_empty() {
            self.push_record(batch);
            self.record.clear();
        }
        while batch.rows_read() < BATCH_ROWS {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => self.push_record(batch),
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) => {
                    return Err(Error::format(&self.file, format!("cannot read CSV: {e}")));
                }
            }
        }
        self.record.clear();
        Ok(true)
    }
}

struct NdjsonBatchReader {
    file: PathBuf,
    source_name: String,
    lines: std::io::Lines<BufReader<File>>,
    line_no: u64,
    wanted: Vec<String>,
    /// The path of each wanted column, for names that may lead into nested objects.
    paths: Vec<Option<FieldPath>>,
    seen: Vec<bool>,
    /// What exists where each unseen wanted column was looked for (for the error).
    found_instead: Vec<Option<String>>,
    decoded_rows: u64,
    done: bool,
}

impl NdjsonBatchReader {
    fn new(file: &Path, wanted: &[String], source_name: &str) -> Result<Self> {
        let f = crate::files::open(file)?;
        let buf = skip_bom(file, BufReader::with_capacity(1 << 20, f))?;
        Ok(NdjsonBatchReader {
            file: file.to_path_buf(),
            source_name: source_name.to_string(),
            lines: buf.lines(),
            line_no: 0,
            wanted: wanted.to_vec(),
            paths: wanted.iter().map(|w| FieldPath::parse(w)).collect(),
            seen: vec![false; wanted.len()],
            found_instead: vec![None; wanted.len()],
            decoded_rows: 0,
            done: false,
        })
    }

    /// Adds a JSON value to column `c` of `batch`.
    fn push_json(batch: &mut RawBatch, c: usize, v: Option<&serde_json::Value>) {
        match v {
            None | Some(serde_json::Value::Null) => batch.push_other(c, Slot::Null),
            Some(serde_json::Value::String(s)) => batch.push_str(c, s),
            Some(serde_json::Value::Number(n)) => batch.push_other(
                c,
                match n.as_i64() {
                    Some(i) => Slot::Int(i),
                    None => Slot::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
            ),
            Some(serde_json::Value::Bool(b)) => {
                batch.push_str(c, if *b { "true" } else { "false" })
            }
            Some(other) => batch.push_str(c, &other.to_string()),
        }
    }
}

impl BatchReader for NdjsonBatchReader {
    fn next_batch(&mut self, batch: &mut RawBatch) -> Result<bool> {
        batch.reset(self.wanted.len());
        if self.done {
            return Ok(false);
        }
        while batch.rows_read() < BATCH_ROWS {
            let Some(line) = self.lines.next() else {
                self.done = true;
                break;
            };
            self.line_no += 1;
            let line_no = self.line_no;
            let line = match line {
                Ok(l) => l,
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    batch.broken.push(BrokenRow {
                        line: line_no,
                        reason: BrokenReason::InvalidEncoding,
                        detail: "line is not valid UTF-8".into(),
                    });
                    continue;
                }
                Err(e) => return Err(Error::io(&self.file, e)),
            };
            if line.trim().is_empty() {
                continue;
            }
            let object = match serde_json::from_str::<serde_json::Value>(&line) {
                Ok(serde_json::Value::Object(map)) => map,
                Ok(_) => {
                    batch.broken.push(BrokenRow {
                        line: line_no,
                        reason: BrokenReason::InvalidJson,
                        detail: "line is not a JSON object".into(),
                    });
                    continue;
                }
                Err(e) => {
                    batch.broken.push(BrokenRow {
                        line: line_no,
                        reason: BrokenReason::InvalidJson,
                        detail: format!("column {}: {}", e.column(), e.classify_name()),
                    });
                    continue;
                }
            };
            for (i, key) in self.wanted.iter().enumerate() {
                // A key is seen when some line has it; a path when some line has its
                // structure (a list without the element asked for is an empty cell).
                let v = match (object.get(key), &self.paths[i]) {
                    (Some(v), _) => Some(v),
                    (None, Some(path)) => match path.json(&object) {
                        Ok(v) => {
                            self.seen[i] = true;
                            v
                        }
                        Err(instead) => {
                            self.found_instead[i].get_or_insert(instead);
                            None
                        }
                    },
                    (None, None) => {
                        self.found_instead[i].get_or_insert_with(|| keys_of(&object));
                        None
                    }
                };
                self.seen[i] |= v.is_some();
                Self::push_json(batch, i, v);
            }
            batch.lines.push(line_no);
            self.decoded_rows += 1;
        }
        if self.done && self.decoded_rows > 0 {
            if let Some(i) = self.seen.iter().position(|s| !s) {
                return Err(Error::MissingColumn {
                    file: self.file.clone(),
                    source_name: self.source_name.clone(),
                    column: self.wanted[i].clone(),
                    key: String::new(),
                    available: self.found_instead[i].take().map_or_else(
                        || "(the key is in no line of the file)".into(),
                        |keys| format!("{keys} (the key is in no line of the file)"),
                    ),
                });
            }
        }
        Ok(true)
    }
}

/// The keys of a JSON object, for an error message.
fn keys_of(object: &serde_json::Map<String, serde_json::Value>) -> String {
    object.keys().cloned().collect::<Vec<_>>().join(", ")
}

trait JsonErrorName {
    fn classify_name(&self) -> &'static str;
}

impl JsonErrorName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "invalid JSON syntax",
            serde_json::error::Category::Data => "unexpected JSON data",
            serde_json::error::Category::Eof => "line ends inside a JSON value",
        }
    }
}

/// Reads the wanted columns a window of whole row groups at a time (Arrow, compact), and hands
/// each window out in batches of [`BATCH_ROWS`], so that only one window is held as Arrow and
/// one batch as cells: a file's size does not set the memory a load needs (its largest row
/// group does).
struct ParquetBatchReader {
    file: PathBuf,
    wanted: Vec<String>,
    /// The path of each wanted column that is a field inside a column (None: a column).
    paths: Vec<Option<FieldPath>>,
    /// The file's columns read: each wanted column or the column its path starts in.
    tops: Vec<String>,
    metadata: FileMetadataRef,
    /// Rows of each window, in file order.
    windows: Vec<usize>,
    /// The window in `frame` (or the next to read).
    window: usize,
    /// The first row of the window in `frame`.
    window_start: usize,
    frame: Option<DataFrame>,
    /// The next row to hand out, in the window.
    offset: usize,
}

/// Rows of a Parquet file read at once, at least (whole row groups are read; see [`windows`]).
pub const WINDOW_ROWS: usize = 4 * BATCH_ROWS;

/// Windows of whole row groups (given their rows), each of at least [`WINDOW_ROWS`] rows but
/// the last: a window never cuts a row group, which would be decoded twice.
fn windows(row_groups: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut windows = Vec::new();
    let mut rows = 0;
    for g in row_groups {
        rows += g;
        if rows >= WINDOW_ROWS {
            windows.push(rows);
            rows = 0;
        }
    }
    if rows > 0 {
        windows.push(rows);
    }
    windows
}

impl ParquetBatchReader {
    /// Adds the cells of `column` to column `c` of `batch`.
    fn push_column(&self, batch: &mut RawBatch, c: usize, column: &Column) -> Result<()> {
        let fail = |e: PolarsError| {
            Error::format(
                &self.file,
                format!("column \"{}\": {e}", column.name().as_str()),
            )
        };
        let strings = |batch: &mut RawBatch, column: &Column| -> Result<()> {
            for v in column.str().map_err(fail)?.iter() {
                match v {
                    Some(s) => batch.push_str(c, s),
                    None => batch.push_other(c, Slot::Null),
                }
            }
            Ok(())
        };
        match column.dtype() {
            DataType::String => strings(batch, column)?,
            DataType::Float32 | DataType::Float64 => {
                let cast = column.cast(&DataType::Float64).map_err(fail)?;
                batch.columns[c].extend(
                    cast.f64()
                        .map_err(fail)?
                        .iter()
                        .map(|v| v.map_or(Slot::Null, Slot::Float)),
                );
            }
            dt if dt.is_integer() => {
                let cast = column.cast(&DataType::Int64).map_err(fail)?;
                batch.columns[c].extend(
                    cast.i64()
                        .map_err(fail)?
                        .iter()
                        .map(|v| v.map_or(Slot::Null, Slot::Int)),
                );
            }
            DataType::Datetime(unit, tz) => {
                let to_micros: fn(i64) -> Option<i64> = match unit {
                    TimeUnit::Nanoseconds => |v| Some(v.div_euclid(1_000)),
                    TimeUnit::Microseconds => Some,
                    TimeUnit::Milliseconds => |v| v.checked_mul(1_000),
                };
                let utc = tz.is_some();
                let values = column.datetime().map_err(fail)?.physical();
                batch.columns[c].extend(values.iter().map(|v| match v.map(to_micros) {
                    None => Slot::Null,
                    Some(Some(micros)) => Slot::Datetime { micros, utc },
                    // Overflowing values are kept as numbers and fail the range check.
                    Some(None) => Slot::Int(i64::MAX),
                }));
            }
            _ => strings(batch, &column.cast(&DataType::String).map_err(fail)?)?,
        }
        Ok(())
    }
}

impl BatchReader for ParquetBatchReader {
    fn rows_left(&self) -> Option<usize> {
        let unread: usize = self.windows.iter().skip(self.window).sum();
        Some(unread.saturating_sub(self.offset))
    }

    fn next_batch(&mut self, batch: &mut RawBatch) -> Result<bool> {
        batch.reset(self.wanted.len());
        let df = loop {
            match &self.frame {
                Some(df) if self.offset < df.height() => break df,
                Some(_) => {
                    self.window_start += self.windows[self.window];
                    self.window += 1;
                    self.frame = None;
                    self.offset = 0;
                }
                None => {
                    let Some(&rows) = self.windows.get(self.window) else {
                        return Ok(false);
                    };
                    let f = crate::files::open(&self.file)?;
                    let mut reader = ParquetReader::new(f);
                    reader.set_metadata(self.metadata.clone());
                    let df = reader
                        .with_columns(Some(self.tops.clone()))
                        .with_slice(Some((self.window_start, rows)))
                        .finish()
                        .map_err(|e| {
                            Error::format(&self.file, format!("not a readable Parquet file: {e}"))
                        })?;
                    if df.height() == 0 {
                        // Fewer rows than the metadata said: nothing more to read.
                        return Ok(false);
                    }
                    self.frame = Some(df);
                }
            }
        };
        let part = df.slice(self.offset as i64, BATCH_ROWS);
        for (i, (name, path)) in self.wanted.iter().zip(&self.paths).enumerate() {
            let fail =
                |e: PolarsError| Error::format(&self.file, format!("column \"{name}\": {e}"));
            let column = match path {
                None => part.column(name).map_err(fail)?.clone(),
                Some(path) => {
                    let top = part.column(&path.top).map_err(fail)?;
                    path.series(top.as_materialized_series())
                        .map_err(fail)?
                        .into_column()
                }
            };
            self.push_column(batch, i, &column)?;
        }
        let first = (self.window_start + self.offset) as u64 + 1;
        batch.lines.extend(first..first + part.height() as u64);
        self.offset += part.height();
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_a_parquet_file_read_its_rows_once_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("big.parquet");
        let n = 3 * WINDOW_ROWS + 7;
        let mut df = DataFrame::new(
            n,
            vec![Column::new(
                "id".into(),
                (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>(),
            )],
        )
        .expect("frame");
        let file = std::fs::File::create(&path).expect("create");
        ParquetWriter::new(file)
            .with_row_group_size(Some(WINDOW_ROWS))
            .finish(&mut df)
            .expect("write");
        let windows = parquet_windows(&path).expect("windows");
        // Polars spreads the rows evenly over the row groups.
        assert_eq!((windows.len(), windows.iter().sum::<usize>()), (3, n));
        let wanted = ["id".to_string()];
        let read = |part: Option<std::ops::Range<usize>>| {
            let mut reader = open_part(
                &path,
                Format::Parquet,
                &CsvOptions::default(),
                &wanted,
                "t",
                part,
            )
            .expect("opens");
            let mut rows = Vec::new();
            let mut batch = RawBatch::default();
            while reader.next_batch(&mut batch).expect("batch") {
                for (r, line) in batch.lines.iter().enumerate() {
                    rows.push((*line, batch.cell(0, r).text()));
                }
            }
            rows
        };
        let whole = read(None);
        assert_eq!(whole.len(), n);
        let parts: Vec<_> = [0..1, 1..3]
            .into_iter()
            .flat_map(|p| read(Some(p)))
            .collect();
        assert_eq!(parts, whole, "row numbers count from the start of the file");
        assert_eq!(
            whole[WINDOW_ROWS],
            ((WINDOW_ROWS + 1) as u64, Some(format!("c{WINDOW_ROWS}")))
        );
    }

    #[test]
    fn parquet_windows_hold_whole_row_groups() {
        let g = 200_000;
        assert_eq!(windows([g, g, g, 5].into_iter()), [2 * g, g + 5]);
        // A group larger than a window is a window of its own.
        assert_eq!(windows([3_000_000, 10].into_iter()), [3_000_000, 10]);
        assert_eq!(
            windows([WINDOW_ROWS, WINDOW_ROWS].into_iter()),
            [WINDOW_ROWS; 2]
        );
        assert!(windows(std::iter::empty()).is_empty());
    }
}
