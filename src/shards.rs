//! Runs in shards, for data larger than memory.
//!
//! A first pass loads every row but keeps only the identifier columns, and stitches people
//! from them. Then each shard of people (by a hash of the person id) is loaded again in full,
//! built into journeys and reduced to what the report reads: a path table, journey counts and
//! the credits of the models that need touch times. Only one shard's rows are in memory at a
//! time; the path tables and counts of the shards sum to those of a run in one piece, because
//! every person's rows, and so every journey, fall in exactly one shard.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::attribution::{self, Attribution, ModelInput, ModelSpec};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::identity::{StitchStats, Stitched, NONE};
use crate::ingest::{self, Accounting, CompactRows, Keep, LoadOptions, Reject, Touchpoints};
use crate::journey::{self, JourneyOptions, JourneyStats, PathTable, TouchRows};
use crate::progress;

/// What a run in shards keeps: the sums over its shards.
#[derive(Debug)]
pub struct Sharded {
    /// What happened to every input row (from the first pass).
    pub accounting: Accounting,
    /// Rejected rows (from the first pass).
    pub rejects: Vec<Reject>,
    /// Stitching statistics.
    pub stitch: StitchStats,
    /// People found.
    pub people: u32,
    /// The path table of all journeys.
    pub table: PathTable,
    /// Journey counts.
    pub journey_stats: JourneyStats,
    /// Conversion rows in the input.
    pub conversions_in: u64,
    /// Converting journeys per time-to-conversion bucket.
    pub time_to_conversion: Vec<(&'static str, usize)>,
    /// Results of the models that read touch times, in the order given.
    pub timed: Vec<Attribution>,
    /// Shards the run used.
    pub shards: usize,
    /// The first and last conversion time of the journeys.
    pub conversion_range: Option<(i64, i64)>,
}

/// The shard of a person (rows without one, [`NONE`], go to shard 0, so they are counted
/// once).
pub fn shard_of(person: u32, shards: usize) -> usize {
    match person {
        NONE => 0,
        // A multiplicative hash: consecutive person ids spread over the shards.
        p => ((u64::from(p).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % shards as u64) as usize,
    }
}

/// Runs the models that read touch times on one shard, adding each channel's credits to
/// `sums`; returns the shard's results.
fn run_timed(
    timed: &[ModelSpec],
    table: &PathTable,
    built: &journey::Journeys,
    sums: &mut [HashMap<String, (f64, f64)>],
) -> Result<Vec<Attribution>> {
    let mut results = Vec::with_capacity(timed.len());
    for (spec, sums) in timed.iter().zip(sums) {
        let input = ModelInput {
            table,
            journeys: Some(built),
        };
        let a = attribution::build(spec)?.attribute(&input)?;
        for (i, channel) in a.channels.iter().enumerate() {
            let sum = sums.entry(channel.clone()).or_default();
            sum.0 += a.conversions[i];
            sum.1 += a.value[i];
        }
        results.push(a);
    }
    Ok(results)
}

impl Sharded {
    /// Adds one shard's journeys: statistics, time to conversion and path table.
    fn add_shard(&mut self, built: &journey::Journeys, table: &PathTable) {
        self.journey_stats.add(&built.stats);
        self.conversions_in += built.conversions_in;
        let (buckets, _) = crate::journey::time_to_conversion(built);
        if self.time_to_conversion.is_empty() {
            self.time_to_conversion = buckets;
        } else {
            for (sum, (_, n)) in self.time_to_conversion.iter_mut().zip(buckets) {
                sum.1 += n;
            }
        }
        self.table = self.table.merge(table);
        if let Some(range) = built.conversion_range() {
            self.conversion_range = Some(journey::widen(self.conversion_range, range));
        }
    }

    /// Each timed result over the channels of the whole table, in its order, with the sums
    /// of every shard.
    fn sum_timed(&mut self, sums: &[HashMap<String, (f64, f64)>]) {
        // Each timed result over the channels of the whole table, in its order.
        for (a, sums) in self.timed.iter_mut().zip(sums) {
            a.channels = self.table.channels.clone();
            a.conversions = a
                .channels
                .iter()
                .map(|c| sums.get(c).map_or(0.0, |s| s.0))
                .collect();
            a.value = a
                .channels
                .iter()
                .map(|c| sums.get(c).map_or(0.0, |s| s.1))
                .collect();
        }
    }
}

/// Loads, stitches and builds journeys in `shards` shards of people. `people` stitches (or
/// maps) the first pass's identifiers; `timed` are the models that read touch times, run on
/// each shard and summed.
pub fn run(
    config: &Config,
    load: &LoadOptions,
    people: impl FnOnce(&mut Touchpoints) -> Result<Stitched>,
    journeys: &JourneyOptions,
    timed: &[ModelSpec],
    shards: usize,
) -> Result<Sharded> {
    let shards = shards.max(1);
    if shards > MAX_SHARDS {
        // Each row's shard is held in 16 bits below.
        return Err(Error::format(
            "(shards)",
            format!("{shards} shards asked for; at most {MAX_SHARDS}"),
        ));
    }
    let mut first = ingest::load_part(config, load, Keep::Identities)?;
    let bar = progress::stage("stitching identities", load.progress);
    let mut stitched = people(&mut first)?;
    bar.finish_and_clear();
    // Only what the shards need stays: the compact rows, a person and a device per row, and
    // the counts.
    let accounting = std::mem::take(&mut first.accounting);
    let rejects = std::mem::take(&mut first.rejects);
    let compact = first
        .compact
        .take()
        .ok_or_else(|| Error::format("(shards)", "the identities pass kept no rows"))?;
    let channels = std::mem::take(&mut first.channels);
    let data_end = first.data_end;
    drop(first);
    let person_of_row = std::mem::take(&mut stitched.person_of_row);
    let device_of_row = std::mem::take(&mut stitched.device_of_row);
    let stitch = std::mem::take(&mut stitched.stats);
    let people = stitched.people;
    drop(stitched);
    if person_of_row.len() != compact.len() {
        return Err(Error::format(
            "(shards)",
            format!(
                "{} rows were stitched but {} kept",
                person_of_row.len(),
                compact.len()
            ),
        ));
    }

    let mut out = Sharded {
        accounting,
        rejects,
        stitch,
        people,
        table: PathTable::default(),
        journey_stats: JourneyStats::default(),
        conversions_in: 0,
        time_to_conversion: Vec::new(),
        timed: Vec::new(),
        shards,
        conversion_range: None,
    };
    // Each row's shard, once (shards are fewer than 2^16), and each shard's rows, so that a
    // shard's columns are allocated once at their size rather than grown.
    let shard_of_row: Vec<u16> = person_of_row
        .par_iter()
        .map(|&p| shard_of(p, shards) as u16)
        .collect();
    let mut sizes = vec![0usize; shards];
    for &s in &shard_of_row {
        sizes[usize::from(s)] += 1;
    }
    let mut timed_sums: Vec<HashMap<String, (f64, f64)>> = vec![HashMap::new(); timed.len()];
    let bar = progress::bar(shards as u64, "journeys by shard", load.progress);
    for (shard, &size) in sizes.iter().enumerate() {
        let (rows, people_here) = shard_rows(&compact, &person_of_row, &device_of_row, size, |r| {
            usize::from(shard_of_row[r]) == shard
        });
        let people_here = Stitched {
            people,
            ..people_here
        };
        let built = journey::build_rows(&rows, &channels, data_end, &people_here, journeys);
        drop((rows, people_here));
        let table = built.path_table();
        let results = run_timed(timed, &table, &built, &mut timed_sums)?;
        if shard == 0 {
            out.timed = results;
        }
        out.add_shard(&built, &table);
        bar.inc(1);
    }
    bar.finish_and_clear();
    out.sum_timed(&timed_sums);
    Ok(out)
}

/// The rows `keep` accepts (by row number), as journeys read them, with their people and
/// devices (the count of people is left for the caller); `size` is how many it accepts.
pub fn shard_rows<'a>(
    compact: &'a CompactRows,
    person_of_row: &[u32],
    device_of_row: &[u32],
    size: usize,
    keep: impl Fn(usize) -> bool,
) -> (TouchRows<'a>, Stitched) {
    let rows = TouchRows::from_compact(compact, size, &keep);
    let mut people = Stitched {
        person_of_row: Vec::with_capacity(size),
        device_of_row: Vec::with_capacity(size),
        ..Stitched::default()
    };
    for (r, (&person, &device)) in person_of_row.iter().zip(device_of_row).enumerate() {
        if keep(r) {
            people.person_of_row.push(person);
            people.device_of_row.push(device);
        }
    }
    (rows, people)
}

/// Memory per byte of exports (CSV-equivalent bytes, see [`export_bytes`]), measured on the
/// generator's 10M-row mixed set (docs/performance.md): a run in one piece peaks at about 3.0
/// times the exports; a run in shards holds about 0.2 times them throughout (the compact rows,
/// a person and a device per row) plus its share of the rest; its first pass (identifiers and
/// compact rows) peaks at about 0.9 times them, whatever the number of shards (measured
/// 2026-12-08 under `--memory-limit`, which hands freed memory back at once, and with the
/// identifier texts freed once sorted: 0.83 times them on the mixed 10M-row set, 0.62 on the
/// 100M-row all-Parquet set; 1.4 before).
const WHOLE_PER_BYTE: f64 = 3.0;
const FIXED_PER_BYTE: f64 = 0.2;
const FIRST_PASS_PER_BYTE: f64 = 0.9;

/// Most shards `--memory-limit` picks.
pub const MAX_SHARDS: usize = 4096;

/// Shards whose work fits under `limit` bytes for exports of `export_bytes`; None when a run
/// in one piece fits.
pub fn shards_for(export_bytes: u64, limit: u64) -> Option<usize> {
    let bytes = export_bytes as f64;
    let limit = limit as f64;
    if bytes * WHOLE_PER_BYTE <= limit {
        return None;
    }
    let room = limit - bytes * FIXED_PER_BYTE;
    let variable = bytes * (WHOLE_PER_BYTE - FIXED_PER_BYTE);
    Some(if room > 0.0 {
        ((variable / room).ceil() as usize).clamp(2, MAX_SHARDS)
    } else {
        MAX_SHARDS
    })
}

/// The first pass's expected peak for exports of `export_bytes`: a limit below it cannot be
/// kept by any number of shards.
pub fn first_pass_need(export_bytes: u64) -> u64 {
    (export_bytes as f64 * FIRST_PASS_PER_BYTE) as u64
}

/// Bytes of every export of a config, Parquet counted four times: its rows take about a
/// quarter of the bytes they take in CSV.
pub fn export_bytes(config: &Config) -> Result<u64> {
    Ok(ingest::export_sizes(config)?
        .into_iter()
        .map(|(format, bytes)| match format {
            crate::config::Format::Parquet => bytes * 4,
            _ => bytes,
        })
        .sum())
}
