//! omnitouch: omnichannel multi-touch attribution.
//!
//! The stages, each importing only the ones before it (`tests/architecture.rs` checks it):
//! [`ingest`] (exports → canonical touchpoints, read through [`io`]) → [`identity`] →
//! [`journey`] → [`attribution`] → [`report`]. [`pipeline`] runs them as the main job and
//! returns what the reports need; [`cli`] only parses arguments and prints. [`shards`] runs
//! the first three stages one shard of people at a time, for data larger than memory.
//! [`generate`] writes realistic synthetic export sets with a ground-truth file.

pub mod attribution;
pub mod cli;
pub mod config;
pub mod error;
pub mod evaluate;
pub mod files;
pub mod generate;
pub mod hash;
pub mod identity;
pub mod ingest;
pub mod io;
pub mod journey;
pub mod names;
pub mod output;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod shards;
pub mod warehouse;

pub use error::{Error, Result};
