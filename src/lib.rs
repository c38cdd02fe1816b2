//! omnitouch: omnichannel multi-touch attribution.
//!
//! The stages, each with a narrow interface to the next:
//! [`ingest`] (exports → canonical touchpoint frame) → [`identity`] → [`journey`] →
//! [`attribution`] → [`report`]. [`cli`] only parses arguments and calls them. [`shards`] runs the first three
//! stages one shard of people at a time, for data larger than memory. [`generate`] writes realistic
//! synthetic export sets with a ground-truth file.

pub mod attribution;
pub mod cli;
pub mod config;
pub mod error;
pub mod files;
pub mod generate;
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

pub use error::{Error, Result};
