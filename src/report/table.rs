//! Helpers for the terminal views of the smaller reports (see [`super::render`]).

pub use super::render::{right, Cell, View};

/// A view with a header row, filled row by row; rendered by [`super::render`].
pub fn new(header: &[&str]) -> View {
    View::with_headers(header)
}

/// `part` as a percentage of `whole`, one decimal; "-" when `whole` is zero.
pub fn percent(part: f64, whole: f64) -> String {
    if whole == 0.0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * part / whole)
    }
}
