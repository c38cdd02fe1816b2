//! The options of the pipeline, shared by the commands that run it. Each is a clap argument
//! group (so the command line defines every option once) and a plain struct a library
//! caller fills in directly.

use std::path::PathBuf;

use clap::Args;

/// Where journeys come from: raw exports (config, people, journey options) or a path table.
#[derive(Debug, Args)]
pub struct InputArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub people: PeopleArgs,
    #[command(flatten)]
    pub journey: JourneyArgs,
    /// Read this path table instead of raw exports (omnitouch or ChannelAttribution layout).
    #[arg(long, value_name = "FILE")]
    pub paths: Option<PathBuf>,
    /// With --paths from a warehouse run: its per-conversion paths
    /// (`omnitouch_conversion_paths`, Parquet or CSV), for each conversion's credit
    /// (--per-conversion) and the models that read touch times.
    #[arg(long, value_name = "FILE", requires = "paths")]
    pub conversions: Option<PathBuf>,
    #[command(flatten)]
    pub paths_format: PathsFormatArgs,
}

/// Credits per period (and `--by` segment).
#[derive(Debug, Args)]
pub struct PeriodArgs {
    /// Break credits down by day, ISO week or month of each journey's conversion (or last
    /// touch, for journeys that did not convert).
    #[arg(long, value_enum, value_name = "PERIOD")]
    pub period: Option<crate::journey::Period>,
    /// Only journeys from this date on (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// Only journeys up to and including this date (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub to: Option<chrono::NaiveDate>,
    /// With --period: each channel's share change against the previous period.
    #[arg(long, requires = "period")]
    pub compare_previous: bool,
    /// Fewest conversions a period (and the one before it) needs for its share changes to be
    /// judged by the share_shift threshold.
    #[arg(long, value_name = "N", default_value_t = 100.0)]
    pub min_period_conversions: f64,
    /// Judge share changes of partial periods too (cut by the window or the data's ends).
    #[arg(long)]
    pub include_partial_periods: bool,
}

/// Bootstrap confidence intervals.
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// Report 90 % intervals from this many Poisson bootstrap replicates.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub bootstrap: Option<u32>,
    /// Seed of the bootstrap; the same seed gives the same intervals.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
}

/// Which models to run.
#[derive(Default, Debug, Args)]
pub struct ModelChoice {
    /// A model by name, with optional parameters (markov:order=3,
    /// position_based:first=0.3,last=0.5); repeatable. Default: every model.
    #[arg(long = "model", value_name = "NAME")]
    pub model: Vec<String>,
    /// `all`: every model (the default when no --model is given).
    #[arg(long = "models", value_name = "all", value_parser = ["all"])]
    pub all: Option<String>,
    /// A folder of model spec files (*.toml) to add; repeatable.
    #[arg(long, value_name = "DIR")]
    pub models_dir: Vec<PathBuf>,
}

/// Where people come from.
#[derive(Debug, Default, Args)]
pub struct PeopleArgs {
    /// Use this identity map (CSV or Parquet: kind, value, person_id) instead of stitching.
    #[arg(long, value_name = "FILE")]
    pub identity_map: Option<PathBuf>,
}

/// Journey options; each overrides the config's `[journeys]` section.
#[derive(Debug, Args)]
pub struct JourneyArgs {
    /// Lookback window in days.
    #[arg(long, value_name = "DAYS")]
    pub lookback: Option<f64>,
    /// Path transform, repeatable, applied in order (replaces the config's list):
    /// unique, first, frequency, remove:A|B, trim:N, session:MINUTES.
    #[arg(long = "transform", value_name = "T")]
    pub transforms: Vec<String>,
    /// Keep only the last N touches of a journey.
    #[arg(long, value_name = "N")]
    pub max_path_length: Option<usize>,
    /// A conversion closes only touches since the previous conversion of its own type.
    #[arg(long)]
    pub split_by_type: bool,
    /// Credit conversions with no touch in the window to a Direct path.
    #[arg(long)]
    pub unattributed_direct: bool,
    /// Leave out non-converting journeys whose last touch is this many days from the end.
    #[arg(long, value_name = "DAYS")]
    pub exclude_open_days: Option<f64>,
    /// Segment the path table by this dimension.
    #[arg(long, value_name = "DIM")]
    pub by: Option<String>,
}

/// How to read a `--paths` file; detected when not given.
#[derive(Debug, Args)]
pub struct PathsFormatArgs {
    /// Channel separator in paths (default `>`).
    #[arg(long, value_name = "SEP")]
    pub path_separator: Option<String>,
    /// CSV delimiter (`,` `;` or `tab`; detected when absent).
    #[arg(long, value_name = "CHAR")]
    pub path_delimiter: Option<String>,
    /// Name of the path column.
    #[arg(long, value_name = "NAME")]
    pub path_column: Option<String>,
    /// Name of the conversions column.
    #[arg(long, value_name = "NAME")]
    pub conversions_column: Option<String>,
    /// Name of the conversion value column.
    #[arg(long, value_name = "NAME")]
    pub value_column: Option<String>,
    /// Name of the non-converting journeys column.
    #[arg(long, value_name = "NAME")]
    pub nulls_column: Option<String>,
}

/// Options shared by the commands that load data.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Config file (default: ./omnitouch.toml, else sample-data/omnitouch.toml).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Write every rejected row (source, file, line, reason, column, detail, row) to this CSV.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Exit with code 1 when any row is rejected.
    #[arg(long)]
    pub strict: bool,
}

/// The main job's options: where the data comes from, the models, the breakdowns, how to
/// split the work, and the thresholds a CI job sets.
#[derive(Debug, Args)]
pub struct MainJobOptions {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub models: ModelChoice,
    #[command(flatten)]
    pub bootstrap: BootstrapArgs,
    #[command(flatten)]
    pub periods: PeriodArgs,
    /// Model the comparison measures share changes against (default: `[report] baseline`,
    /// else last_touch).
    #[arg(long, value_name = "MODEL")]
    pub baseline: Option<String>,
    /// Run in N shards of people, one at a time, for data larger than memory: the exports
    /// are read once, keeping identifiers and compact rows; each shard builds its journeys
    /// from those (see docs/performance.md).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub shards: Option<u32>,
    /// Pick the shards from the size of the exports so that each shard's work stays under
    /// SIZE (e.g. `4GB`, `512MiB`); data that fits runs in one piece.
    #[arg(long, value_name = "SIZE", value_parser = byte_size, conflicts_with = "shards")]
    pub memory_limit: Option<u64>,
    /// Exit with code 3 when a threshold trips, e.g. `rejected_rows>1%`, `unassigned>2%`,
    /// `unattributed>20%`, `rows_without_person>100`; repeatable.
    #[arg(long = "fail-on", value_name = "METRIC>LIMIT")]
    pub fail_on: Vec<crate::report::thresholds::Threshold>,
    /// Write conversions.parquet: each conversion's credit per channel and model (also
    /// `[report] per_conversion = true`).
    #[arg(long)]
    pub per_conversion: bool,
    /// Models the HTML page draws, comma-separated, or `all` (also `[report] page_models`;
    /// default: every model when six or fewer ran, else first_touch, last_touch, linear,
    /// time_decay, markov and the baseline).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub page_models: Option<Vec<String>>,
}

impl MainJobOptions {
    /// Whether a `--fail-on` threshold names the share shift between periods.
    pub fn wants_share_shift(&self) -> bool {
        self.fail_on.iter().any(|t| t.metric == "share_shift")
    }
}

/// `4GB`, `512MiB`, `2.5 GiB` → bytes.
fn byte_size(s: &str) -> Result<u64, String> {
    match s.trim().parse::<bytesize::ByteSize>() {
        Ok(b) if b.as_u64() > 0 => Ok(b.as_u64()),
        _ => Err(format!(
            "\"{s}\" is not a memory size such as 4GB or 512MiB"
        )),
    }
}
