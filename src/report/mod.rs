//! Stage 5, report: what the user reads. For now the data accounting of a load.

pub mod accounting;
pub mod table;
