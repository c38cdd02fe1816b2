//! Stage 5, report: what the user reads: data accounting, stitching, journeys, credits.

pub mod accounting;
pub mod budget;
pub mod charts;
pub mod compare;
pub mod conversions;
pub mod credits;
pub mod html;
pub mod identity;
pub mod journeys;
pub mod lift;
pub mod periods;
pub mod render;
pub mod spend;
pub mod table;
pub mod thresholds;
