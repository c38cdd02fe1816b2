//! The one output layer: every report is a typed table (a Polars frame, built once) with a
//! view of it for people, and this module writes it in every format. The data formats (CSV,
//! JSON rows, Parquet, Arrow IPC) come from the frame; the terminal table and Markdown from
//! the view, which formats numbers for reading (shares as percentages, two decimals).

use std::io::IsTerminal;
use std::path::Path;

use polars::prelude::*;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::error::{Error, Result};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A table for the terminal.
    Table,
    /// CSV, floats at full precision.
    Csv,
    /// A JSON document with a `version` field.
    Json,
    /// A Markdown table.
    Markdown,
    /// Parquet with typed columns (needs an output file).
    Parquet,
    /// An Arrow IPC file with typed columns (needs an output file), for pyarrow, DuckDB or R.
    Arrow,
}

/// How a column of the view is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

impl Align {
    /// A label column, then `n - 1` columns of numbers: the layout of most reports.
    pub fn label_then_numbers(n: usize) -> Vec<Align> {
        std::iter::once(Align::Left)
            .chain(std::iter::repeat_n(Align::Right, n.saturating_sub(1)))
            .collect()
    }
}

/// A text column of a frame, one cell per row.
pub fn text_column<T>(name: &str, rows: &[T], cell: impl Fn(&T) -> &str) -> Column {
    Column::new(name.into(), rows.iter().map(cell).collect::<Vec<_>>())
}

/// A float column of a frame (null where `cell` gives None), one cell per row.
pub fn number_column<T, N>(name: &str, rows: &[T], cell: impl Fn(&T) -> N) -> Column
where
    Vec<N>: IntoColumn,
{
    rows.iter().map(cell).collect::<Vec<N>>().into_named(name)
}

/// Turns a vector of cells into a named frame column.
pub trait IntoColumn {
    fn into_named(self, name: &str) -> Column;
}

impl IntoColumn for Vec<f64> {
    fn into_named(self, name: &str) -> Column {
        Column::new(name.into(), self)
    }
}

impl IntoColumn for Vec<Option<f64>> {
    fn into_named(self, name: &str) -> Column {
        Column::new(name.into(), self)
    }
}

/// A table as people read it: headers, alignment and formatted cells.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Column headers (Markdown; also the terminal's unless `short_headers` is set).
    pub headers: Vec<String>,
    /// Shorter headers for the terminal, where width is scarce.
    pub short_headers: Option<Vec<String>>,
    /// Alignment of each column.
    pub align: Vec<Align>,
    /// Formatted cells, row by row.
    pub rows: Vec<Vec<String>>,
    /// Text before the table.
    pub before: String,
    /// Text after the table.
    pub after: String,
}

/// One report: its data, its JSON document, and how people read it.
pub struct Report {
    /// The data, one typed column each (CSV, Parquet, Arrow).
    pub frame: DataFrame,
    /// The JSON document (its rows are [`FrameRows`] of the frame), rendered.
    pub json: String,
    /// The Markdown view.
    pub markdown: View,
    /// The terminal view.
    pub terminal: View,
}

impl Report {
    /// The report in a text format; None for the binary formats (Parquet, Arrow).
    pub fn text(&self, format: OutputFormat) -> Option<String> {
        match format {
            OutputFormat::Table => Some(terminal(&self.terminal)),
            OutputFormat::Csv => Some(csv(&self.frame)),
            OutputFormat::Json => Some(self.json.clone()),
            OutputFormat::Markdown => Some(markdown(&self.markdown)),
            OutputFormat::Parquet | OutputFormat::Arrow => None,
        }
    }

    /// Writes the report in `format` to `output` (atomically), or to stdout without one.
    pub fn write(&self, format: OutputFormat, output: Option<&Path>) -> Result<()> {
        if let Some(text) = self.text(format) {
            return crate::output::emit_text(output, &text);
        }
        let path = output.ok_or_else(|| Error::Config {
            path: "--format".into(),
            message: format!(
                "{} output needs --output FILE",
                if format == OutputFormat::Arrow {
                    "arrow"
                } else {
                    "parquet"
                }
            ),
        })?;
        let mut frame = self.frame.clone();
        match format {
            OutputFormat::Arrow => write_arrow(path, &mut frame),
            _ => crate::output::write_parquet(path, &mut frame),
        }
    }
}

/// Writes a frame to `path` as Parquet (`.parquet`, `.pq`) or Arrow IPC (`.arrow`, `.ipc`,
/// `.feather`), by its extension.
pub fn write_frame(path: &Path, frame: &mut DataFrame) -> Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("parquet" | "pq") => crate::output::write_parquet(path, frame),
        Some("arrow" | "ipc" | "feather") => write_arrow(path, frame),
        _ => Err(Error::write(
            path,
            "name the file .parquet or .arrow (Arrow IPC) to choose its format",
        )),
    }
}

/// Writes a frame as an Arrow IPC file, atomically. Strings are written as `large_string`
/// (Arrow's oldest layout) rather than Polars' `string_view`, which older readers (R's arrow,
/// DuckDB before 1.1) do not take.
pub fn write_arrow(path: &Path, frame: &mut DataFrame) -> Result<()> {
    crate::output::write_atomic(path, |w| {
        IpcWriter::new(w)
            .with_compat_level(CompatLevel::oldest())
            .finish(frame)?;
        Ok(())
    })
}

/// The frame as CSV: a header of column names, floats at full precision (`{}` prints the
/// shortest text that reads back to the same f64), nulls as empty cells.
pub fn csv(frame: &DataFrame) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let columns = frame.columns();
    // Writing into memory cannot fail.
    let _ = w.write_record(columns.iter().map(|c| c.name().as_str()));
    for row in 0..frame.height() {
        let record: Vec<String> = columns
            .iter()
            .map(|c| cell_text(c.get(row).unwrap_or(AnyValue::Null)))
            .collect();
        let _ = w.write_record(&record);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

fn cell_text(value: AnyValue) -> String {
    match value {
        AnyValue::Null => String::new(),
        AnyValue::Float64(x) => format!("{x}"),
        AnyValue::Float32(x) => format!("{x}"),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A view as a terminal table, with the text before and after it. A view without headers
/// is text only (`before` and `after`).
pub fn terminal(view: &View) -> String {
    if view.headers.is_empty() {
        return format!("{}{}", view.before, view.after);
    }
    format!("{}{view}\n{}", view.before, view.after)
}

/// The table alone, without the text before and after it or a final newline. A table wider
/// than the terminal (its width, or `COLUMNS`) is not wrapped, which cuts words: its columns
/// are shown in groups that fit, one table under the other, each with the first column
/// (the row's label) again.
impl std::fmt::Display for View {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers = self.short_headers.as_ref().unwrap_or(&self.headers);
        let widths = self.column_widths(headers);
        let width = terminal_width();
        let groups = column_groups(&widths, width);
        for (g, columns) in groups.iter().enumerate() {
            if g > 0 {
                writeln!(f)?;
            }
            let mut table = self.table_of(headers, columns);
            // A group still too wide holds one column of long text: wrap it at spaces.
            let group_width: usize = columns.iter().map(|&c| widths[c]).sum::<usize>() + 1;
            if let Some(w) = width.filter(|w| group_width > *w) {
                table
                    .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                    .set_width(u16::try_from(w).unwrap_or(u16::MAX));
            }
            write!(f, "{table}")?;
        }
        Ok(())
    }
}

impl View {
    /// The width each column takes: its widest cell, with the borders and padding around it.
    fn column_widths(&self, headers: &[String]) -> Vec<usize> {
        let width = |t: &str| t.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        (0..headers.len())
            .map(|c| {
                let cells = self.rows.iter().filter_map(|r| r.get(c)).map(|t| width(t));
                cells.fold(width(&headers[c]), usize::max) + 3
            })
            .collect()
    }

    /// A comfy-table of some of the columns, not wrapped.
    fn table_of(&self, headers: &[String], columns: &[usize]) -> comfy_table::Table {
        use comfy_table::{presets, CellAlignment};
        let mut t = comfy_table::Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        t.set_header(columns.iter().map(|&c| comfy_table::Cell::new(&headers[c])));
        for row in &self.rows {
            t.add_row(columns.iter().map(|&c| {
                let cell = comfy_table::Cell::new(row.get(c).map_or("", String::as_str));
                match self.align.get(c) {
                    Some(Align::Right) => cell.set_alignment(CellAlignment::Right),
                    _ => cell,
                }
            }));
        }
        t
    }
}

/// The width tables must fit in: `COLUMNS` when set, else the terminal's; None when stdout
/// is not a terminal (a file or a pipe takes any width).
fn terminal_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok());
    columns.or_else(|| {
        std::io::stdout()
            .is_terminal()
            .then(|| comfy_table::Table::new().width().map(usize::from))
            .flatten()
    })
}

/// Columns in groups whose widths (`widths`, each with its border) add up to at most `width`
/// with the first column in every group; all of them in one group when they fit or no width
/// is known. A column too wide for any group gets one of its own.
fn column_groups(widths: &[usize], width: Option<usize>) -> Vec<Vec<usize>> {
    let all: Vec<usize> = (0..widths.len()).collect();
    let total: usize = widths.iter().sum::<usize>() + 1;
    let Some(width) = width.filter(|w| total > *w && widths.len() > 1) else {
        return vec![all];
    };
    let mut groups = Vec::new();
    let mut group = vec![0];
    let mut used = 1 + widths[0];
    for (c, &w) in widths.iter().enumerate().skip(1) {
        if group.len() > 1 && used + w > width {
            groups.push(std::mem::replace(&mut group, vec![0]));
            used = 1 + widths[0];
        }
        group.push(c);
        used += w;
    }
    groups.push(group);
    groups
}

/// One cell of a view being built row by row: its text and alignment.
pub struct Cell {
    text: String,
    align: Align,
}

impl Cell {
    /// A left-aligned cell, for text.
    pub fn new(text: impl ToString) -> Cell {
        Cell {
            text: text.to_string(),
            align: Align::Left,
        }
    }
}

/// A right-aligned cell, for numbers.
pub fn right(text: impl ToString) -> Cell {
    Cell {
        text: text.to_string(),
        align: Align::Right,
    }
}

impl View {
    /// An empty view with these headers, filled by [`View::add_row`].
    pub fn with_headers(headers: &[&str]) -> View {
        View {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            ..View::default()
        }
    }

    /// Adds a row; the first row's cells set each column's alignment.
    pub fn add_row(&mut self, cells: Vec<Cell>) {
        if self.align.is_empty() {
            self.align = cells.iter().map(|c| c.align).collect();
        }
        self.rows.push(cells.into_iter().map(|c| c.text).collect());
    }
}

/// A Markdown table; `|` in cells and headers is escaped.
pub fn markdown(view: &View) -> String {
    let esc = |t: &str| t.replace('|', "\\|");
    let mut s = view.before.clone();
    s.push_str("| ");
    s.push_str(
        &view
            .headers
            .iter()
            .map(|h| esc(h))
            .collect::<Vec<_>>()
            .join(" | "),
    );
    s.push_str(" |\n|");
    for align in &view.align {
        s.push_str(match align {
            Align::Left => "---|",
            Align::Right => "---:|",
        });
    }
    s.push('\n');
    for row in &view.rows {
        s.push_str("| ");
        s.push_str(&row.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | "));
        s.push_str(" |\n");
    }
    s.push_str(&view.after);
    s
}

/// Serialises a frame's rows as JSON objects, keys in column order, floats as serde writes
/// them; nulls and NaN become `null`.
pub struct FrameRows<'a>(pub &'a DataFrame);

impl Serialize for FrameRows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let frame = self.0;
        let columns = frame.columns();
        let mut seq = serializer.serialize_seq(Some(frame.height()))?;
        for row in 0..frame.height() {
            seq.serialize_element(&FrameRow { columns, row })?;
        }
        seq.end()
    }
}

struct FrameRow<'a> {
    columns: &'a [Column],
    row: usize,
}

impl Serialize for FrameRow<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.columns.len()))?;
        for c in self.columns {
            let value = c.get(self.row).unwrap_or(AnyValue::Null);
            map.serialize_entry(c.name().as_str(), &CellValue(value))?;
        }
        map.end()
    }
}

/// One cell, serialised by its type.
struct CellValue<'a>(AnyValue<'a>);

impl Serialize for CellValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match &self.0 {
            AnyValue::Null => serializer.serialize_none(),
            AnyValue::Boolean(b) => serializer.serialize_bool(*b),
            AnyValue::Float64(x) => serializer.serialize_f64(*x),
            AnyValue::Float32(x) => serializer.serialize_f32(*x),
            AnyValue::Int64(x) => serializer.serialize_i64(*x),
            AnyValue::Int32(x) => serializer.serialize_i32(*x),
            AnyValue::UInt64(x) => serializer.serialize_u64(*x),
            AnyValue::UInt32(x) => serializer.serialize_u32(*x),
            AnyValue::String(s) => serializer.serialize_str(s),
            AnyValue::StringOwned(s) => serializer.serialize_str(s),
            other => serializer.serialize_str(&other.to_string()),
        }
    }
}

/// Pretty JSON with a final newline, as every JSON output is written: the keys of every
/// object, at every level, in alphabetical order (the documented layout, `docs/outputs.md`).
pub fn json_text<T: Serialize>(doc: &T) -> String {
    let sorted = serde_json::to_value(doc).unwrap_or_default();
    serde_json::to_string_pretty(&sorted).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_grouped_to_fit_with_the_label_in_every_group() {
        // Label 10 wide, then columns of 20: 1 + 10 + 20 + 20 = 51 fits 60; a third not.
        let widths = [10, 20, 20, 20, 20];
        assert_eq!(
            column_groups(&widths, Some(60)),
            [vec![0, 1, 2], vec![0, 3, 4]]
        );
        assert_eq!(column_groups(&widths, Some(200)), [vec![0, 1, 2, 3, 4]]);
        assert_eq!(column_groups(&widths, None), [vec![0, 1, 2, 3, 4]]);
        // A column wider than the width alone still gets a group (with its label).
        assert_eq!(
            column_groups(&[10, 90, 5], Some(60)),
            [vec![0, 1], vec![0, 2]]
        );
    }

    fn frame() -> DataFrame {
        DataFrame::new(
            2,
            vec![
                Column::new("channel".into(), ["Email", "Paid | Search"]),
                Column::new("share".into(), [0.1 + 0.2, 0.7]),
                Column::new("rank".into(), [2i64, 1]),
                Column::new("cpa".into(), [Some(1.5), None]),
            ],
        )
        .expect("frame")
    }

    #[test]
    fn csv_keeps_full_precision_and_writes_nulls_empty() {
        assert_eq!(
            csv(&frame()),
            "channel,share,rank,cpa\nEmail,0.30000000000000004,2,1.5\nPaid | Search,0.7,1,\n"
        );
    }

    #[test]
    fn json_rows_keep_column_order_and_types() {
        let f = frame();
        let text = serde_json::to_string(&FrameRows(&f)).expect("json");
        assert_eq!(
            text,
            r#"[{"channel":"Email","share":0.30000000000000004,"rank":2,"cpa":1.5},{"channel":"Paid | Search","share":0.7,"rank":1,"cpa":null}]"#
        );
    }

    #[test]
    fn markdown_escapes_pipes_and_aligns_numbers_right() {
        let view = View {
            headers: vec!["channel".into(), "share".into()],
            align: vec![Align::Left, Align::Right],
            rows: vec![vec!["Paid | Search".into(), "70.0%".into()]],
            after: "\nnote\n".into(),
            ..View::default()
        };
        assert_eq!(
            markdown(&view),
            "| channel | share |\n|---|---:|\n| Paid \\| Search | 70.0% |\n\nnote\n"
        );
    }
}
