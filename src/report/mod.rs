//! Stage 5, report: what the user reads. For now: data accounting, stitching and journeys.

pub mod accounting;
pub mod identity;
pub mod journeys;
pub mod table;
