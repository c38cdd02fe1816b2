//! Terminal tables: comfy-table, fitted to the terminal width when stdout is one.

use std::io::IsTerminal;

use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};

/// A table with a header row; numeric-looking columns are right-aligned by [`right`].
pub fn new(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    if std::io::stdout().is_terminal() {
        table.set_content_arrangement(ContentArrangement::Dynamic);
    }
    table.set_header(header.iter().map(Cell::new));
    table
}

/// A right-aligned cell, for numbers.
pub fn right(text: impl ToString) -> Cell {
    Cell::new(text.to_string()).set_alignment(CellAlignment::Right)
}

/// `part` as a percentage of `whole`, one decimal; "-" when `whole` is zero.
pub fn percent(part: f64, whole: f64) -> String {
    if whole == 0.0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * part / whole)
    }
}
