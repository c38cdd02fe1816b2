//! Streaming writers for the generated exports: CSV (with per-file dialects), NDJSON and
//! Parquet written in row groups, so memory stays flat whatever the size. [`TextSink`] and
//! [`JsonSink`] write their export as Parquet instead when the set is all-Parquet.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};

/// Rows buffered per Parquet row group.
const PARQUET_GROUP: usize = 200_000;

/// A CSV file with its own delimiter, line ending and optional BOM.
pub struct CsvSink {
    path: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
}

impl CsvSink {
    pub fn create(
        path: &Path,
        header: &[&str],
        delimiter: u8,
        crlf: bool,
        bom: bool,
    ) -> Result<CsvSink> {
        let mut file = BufWriter::new(File::create(path).map_err(|e| Error::io(path, e))?);
        if bom {
            file.write_all(&[0xEF, 0xBB, 0xBF])
                .map_err(|e| Error::io(path, e))?;
        }
        // Flexible, so the generator can plant ragged rows.
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .delimiter(delimiter)
            .terminator(if crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(file);
        writer
            .write_record(header)
            .map_err(|e| Error::write(path, e))?;
        Ok(CsvSink {
            path: path.to_path_buf(),
            writer,
        })
    }

    pub fn row(&mut self, fields: &[&str]) -> Result<()> {
        self.writer
            .write_record(fields)
            .map_err(|e| Error::write(&self.path, e))
    }

    pub fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(|e| Error::write(&self.path, e))
    }
}

/// An NDJSON file.
pub struct NdjsonSink {
    path: PathBuf,
    writer: BufWriter<File>,
}

impl NdjsonSink {
    pub fn create(path: &Path) -> Result<NdjsonSink> {
        Ok(NdjsonSink {
            path: path.to_path_buf(),
            writer: BufWriter::new(File::create(path).map_err(|e| Error::io(path, e))?),
        })
    }

    pub fn row(&mut self, value: &serde_json::Value) -> Result<()> {
        serde_json::to_writer(&mut self.writer, value).map_err(|e| Error::write(&self.path, e))?;
        self.raw_line("\n")
    }

    pub fn raw_line(&mut self, line: &str) -> Result<()> {
        self.writer
            .write_all(line.as_bytes())
            .map_err(|e| Error::io(&self.path, e))
    }

    pub fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// One buffered Parquet column.
pub enum ColumnBuf {
    Str(Vec<Option<String>>),
    F64(Vec<Option<f64>>),
    I64(Vec<i64>),
    /// Microseconds; zoned UTC when `utc`, else naive wall-clock time.
    Datetime {
        micros: Vec<i64>,
        utc: bool,
    },
}

impl ColumnBuf {
    fn take(&mut self, name: &str) -> Column {
        match self {
            ColumnBuf::Str(v) => Column::new(name.into(), std::mem::take(v)),
            ColumnBuf::F64(v) => Column::new(name.into(), std::mem::take(v)),
            ColumnBuf::I64(v) => Column::new(name.into(), std::mem::take(v)),
            ColumnBuf::Datetime { micros, utc } => {
                let tz = if *utc { Some(TimeZone::UTC) } else { None };
                Int64Chunked::from_vec(name.into(), std::mem::take(micros))
                    .into_datetime(TimeUnit::Microseconds, tz)
                    .into_series()
                    .into()
            }
        }
    }
}

/// A Parquet file written in row groups.
pub struct ParquetSink {
    path: PathBuf,
    names: Vec<&'static str>,
    pub columns: Vec<ColumnBuf>,
    len: usize,
    writer: Option<polars::io::parquet::write::BatchedWriter<File>>,
}

impl ParquetSink {
    pub fn create(path: &Path, columns: Vec<(&'static str, ColumnBuf)>) -> ParquetSink {
        let (names, columns) = columns.into_iter().unzip();
        ParquetSink {
            path: path.to_path_buf(),
            names,
            columns,
            len: 0,
            writer: None,
        }
    }

    /// Call after pushing one value to every column.
    pub fn row_done(&mut self) -> Result<()> {
        self.len += 1;
        if self.len >= PARQUET_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let columns: Vec<Column> = self
            .names
            .iter()
            .zip(self.columns.iter_mut())
            .map(|(n, c)| c.take(n))
            .collect();
        let df = DataFrame::new(self.len, columns).map_err(|e| Error::write(&self.path, e))?;
        if self.writer.is_none() {
            let file = File::create(&self.path).map_err(|e| Error::io(&self.path, e))?;
            self.writer = Some(
                ParquetWriter::new(file)
                    .batched(df.schema())
                    .map_err(|e| Error::write(&self.path, e))?,
            );
        }
        if let Some(w) = self.writer.as_mut() {
            w.write_batch(&df)
                .map_err(|e| Error::write(&self.path, e))?;
        }
        self.len = 0;
        Ok(())
    }

    pub fn finish(mut self) -> Result<()> {
        if self.len > 0 || self.writer.is_none() {
            self.flush()?;
        }
        if let Some(w) = self.writer.as_ref() {
            w.finish().map_err(|e| Error::write(&self.path, e))?;
        }
        Ok(())
    }
}

/// An export of text fields: CSV, or Parquet with one string column per header field.
pub enum TextSink {
    Csv(Box<CsvSink>),
    Parquet(Box<ParquetSink>),
}

impl TextSink {
    /// A CSV file at `path` (with its dialect), or a Parquet file at `path` with the
    /// extension `.parquet`.
    pub fn create(
        path: &Path,
        header: &[&'static str],
        dialect: (u8, bool, bool),
        parquet: bool,
    ) -> Result<TextSink> {
        if parquet {
            let columns = header
                .iter()
                .map(|h| (*h, ColumnBuf::Str(Vec::new())))
                .collect();
            return Ok(TextSink::Parquet(Box::new(ParquetSink::create(
                &path.with_extension("parquet"),
                columns,
            ))));
        }
        let (delimiter, crlf, bom) = dialect;
        Ok(TextSink::Csv(Box::new(CsvSink::create(
            path, header, delimiter, crlf, bom,
        )?)))
    }

    /// Writes a row. A row whose field count differs from the header (a ragged CSV row) has
    /// no Parquet form: it is not written, and false is returned.
    pub fn row(&mut self, fields: &[&str]) -> Result<bool> {
        match self {
            TextSink::Csv(c) => c.row(fields).map(|()| true),
            TextSink::Parquet(p) => {
                if fields.len() != p.columns.len() {
                    return Ok(false);
                }
                for (column, field) in p.columns.iter_mut().zip(fields) {
                    if let ColumnBuf::Str(v) = column {
                        v.push(Some(field.to_string()));
                    }
                }
                p.row_done().map(|()| true)
            }
        }
    }

    pub fn finish(self) -> Result<()> {
        match self {
            TextSink::Csv(c) => c.finish(),
            TextSink::Parquet(p) => p.finish(),
        }
    }
}

/// An export of JSON objects: NDJSON, or Parquet with the given columns (a missing or null
/// field is an empty cell).
pub enum JsonSink {
    Ndjson(NdjsonSink),
    Parquet(Box<ParquetSink>),
}

impl JsonSink {
    pub fn create(
        path: &Path,
        columns: Vec<(&'static str, ColumnBuf)>,
        parquet: bool,
    ) -> Result<JsonSink> {
        Ok(if parquet {
            JsonSink::Parquet(Box::new(ParquetSink::create(
                &path.with_extension("parquet"),
                columns,
            )))
        } else {
            JsonSink::Ndjson(NdjsonSink::create(path)?)
        })
    }

    pub fn row(&mut self, value: &serde_json::Value) -> Result<()> {
        match self {
            JsonSink::Ndjson(n) => n.row(value),
            JsonSink::Parquet(p) => {
                for (name, column) in p.names.iter().zip(p.columns.iter_mut()) {
                    let field = &value[*name];
                    match column {
                        ColumnBuf::Str(v) => v.push(field.as_str().map(str::to_string)),
                        ColumnBuf::F64(v) => v.push(field.as_f64()),
                        ColumnBuf::I64(v) => v.push(field.as_i64().unwrap_or_default()),
                        ColumnBuf::Datetime { micros, .. } => {
                            micros.push(field.as_i64().unwrap_or_default())
                        }
                    }
                }
                p.row_done()
            }
        }
    }

    /// Writes a line that is not valid JSON (NDJSON only: Parquet has no broken rows); false
    /// when nothing was written.
    pub fn broken_line(&mut self, line: &str) -> Result<bool> {
        match self {
            JsonSink::Ndjson(n) => n.raw_line(line).map(|()| true),
            JsonSink::Parquet(_) => Ok(false),
        }
    }

    pub fn finish(self) -> Result<()> {
        match self {
            JsonSink::Ndjson(n) => n.finish(),
            JsonSink::Parquet(p) => p.finish(),
        }
    }
}
