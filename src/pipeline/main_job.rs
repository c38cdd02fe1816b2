//! The main job: from its options to everything the report folder and the terminal show.

use std::collections::BTreeMap;

use super::{Attributed, Input, MainJobOptions, Summary};
use crate::attribution::Attribution;
use crate::ingest::{self, Spend};
use crate::report::compare::{self, ChannelComparison};
use crate::report::credits::SegmentResults;
use crate::report::periods::{self, Shift};
use crate::report::spend::{self as spend_report, Efficiency};
use crate::report::thresholds::{self, Measure};

/// Spend against the attributed results.
pub struct SpendReport {
    /// The spend rows and their accounting.
    pub spend: Spend,
    /// Cost per channel.
    pub cost: BTreeMap<String, f64>,
    /// Cost, CPA and ROAS per model and channel.
    pub efficiency: Vec<Efficiency>,
}

impl SpendReport {
    /// Channels with spend but no attributed touch under the first model.
    pub fn channels_without_touches(&self, results: &[Attribution]) -> Vec<&str> {
        let Some(first) = results.first() else {
            return Vec::new();
        };
        self.cost
            .keys()
            .filter(|c| !first.channels.contains(c))
            .map(String::as_str)
            .collect()
    }
}

/// What the main job found: the models' results and everything reported beside them.
pub struct MainJob<'a> {
    /// The path table, the models' results, the baseline and intervals.
    pub attributed: Attributed<'a>,
    /// Accounting, stitching and journey statistics, when the input was raw exports.
    pub summary: Option<Summary<'a>>,
    /// Credits per segment or period, when a breakdown was asked for.
    pub segments: Option<Vec<SegmentResults>>,
    /// Each channel's shares across the models.
    pub comparison: Vec<ChannelComparison>,
    /// Whether periods were compared with the previous one (`--compare-previous`).
    pub compare_previous: bool,
    /// Share changes between consecutive periods (`--compare-previous`).
    pub shifts: Vec<Shift>,
    /// Spend, CPA and ROAS, when the config has a `[spend]` section.
    pub spend: Option<SpendReport>,
    /// The quantities `--fail-on` thresholds name.
    pub measures: BTreeMap<String, Measure>,
    /// The thresholds that tripped, described.
    pub tripped: Vec<String>,
}

impl MainJob<'_> {
    /// The largest share shift of the latest period, when periods were compared.
    pub fn largest_shift(&self) -> Option<&Shift> {
        periods::largest_latest(&self.shifts)
    }
}

/// The main job's input: raw exports in one piece or in shards, or a path table.
pub fn input(options: &MainJobOptions, quiet: bool) -> anyhow::Result<Input> {
    match shards(options)? {
        Some(n) => {
            let split = options.input.journey.by.is_some()
                || options.periods.period.is_some()
                || options.periods.from.is_some()
                || options.periods.to.is_some();
            anyhow::ensure!(
                !split && options.bootstrap.bootstrap.is_none(),
                "--by, --period, --from, --to and --bootstrap need every journey at once, which a run in shards does not keep: leave out --shards and --memory-limit"
            );
            super::input_in_shards(&options.input, &options.models, n, quiet)
        }
        None => super::input(&options.input, quiet),
    }
}

/// Runs the models on `input` and works out everything the reports show.
pub fn main_job<'a>(
    input: &'a Input,
    options: &MainJobOptions,
    quiet: bool,
) -> anyhow::Result<MainJob<'a>> {
    let attributed = super::attribute(
        input,
        &options.models,
        options.baseline.as_deref(),
        Some(&options.bootstrap),
        quiet,
    )?;
    let summary = input.summary();
    anyhow::ensure!(
        !options.wants_share_shift() || options.periods.compare_previous,
        "the share_shift threshold needs --period and --compare-previous"
    );
    let by = options.input.journey.by.as_deref();
    let segments = super::segments(
        input,
        &attributed.specs,
        by,
        &options.periods,
        &options.bootstrap,
        quiet,
    )?;
    let comparison = compare::compare(&attributed.results, &attributed.baseline);
    let shifts = match &segments {
        Some(segments) if options.periods.compare_previous => periods::shifts(segments),
        _ => Vec::new(),
    };
    let spend = match &summary {
        Some(s) => ingest::load_spend(s.config)?.map(|spend| {
            let cost = spend.by_channel();
            let efficiency = spend_report::efficiency(&attributed.results, &cost);
            SpendReport {
                spend,
                cost,
                efficiency,
            }
        }),
        None => None,
    };
    let mut measures = measures(summary.as_ref());
    if let Some(largest) = periods::largest_latest(&shifts) {
        measures.insert(
            "share_shift".into(),
            Measure {
                count: 100.0 * largest.shift.abs(),
                base: 1.0,
            },
        );
    }
    let tripped = thresholds::tripped(&options.fail_on, &measures);
    Ok(MainJob {
        attributed,
        summary,
        segments,
        comparison,
        compare_previous: options.periods.compare_previous,
        shifts,
        spend,
        measures,
        tripped,
    })
}

/// The quantities `--fail-on` thresholds name.
fn measures(summary: Option<&Summary>) -> BTreeMap<String, Measure> {
    let mut m = BTreeMap::new();
    let Some(b) = summary else {
        return m;
    };
    let total = b.accounting.total();
    let s = b.journey_stats;
    let mut put = |name: &str, count: u64, base: u64| {
        m.insert(
            name.to_string(),
            Measure {
                count: count as f64,
                base: base as f64,
            },
        );
    };
    put("rejected_rows", total.rejected_total(), total.rows_read);
    put("unassigned", total.unassigned, total.touches);
    put("unattributed", s.unattributed, b.conversions_in);
    put(
        "rows_without_person",
        b.stitch.rows_without_person,
        total.touches + total.conversions,
    );
    m
}

/// Shards from `--shards`, or from `--memory-limit` and the size of the exports; None to run
/// in one piece.
fn shards(options: &MainJobOptions) -> anyhow::Result<Option<usize>> {
    if let Some(n) = options.shards {
        return Ok(Some(n as usize));
    }
    let Some(limit) = options.memory_limit else {
        return Ok(None);
    };
    let path = super::config_path(&options.input.config)?;
    let config = crate::config::Config::load(&path)?;
    let bytes = crate::shards::export_bytes(&config)?;
    let need = crate::shards::first_pass_need(bytes);
    if need > limit {
        eprintln!(
            "note: reading the identifiers of every row takes about {} for these exports, more than --memory-limit {}; the shards keep the rest of the run under it",
            bytesize::ByteSize(need),
            bytesize::ByteSize(limit)
        );
    }
    Ok(crate::shards::shards_for(bytes, limit))
}
