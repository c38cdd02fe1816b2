//! Argument definitions (clap derive).

pub use crate::pipeline::options::{
    BootstrapArgs, ConfigArgs, InputArgs, MainJobOptions, ModelChoice, PeriodArgs,
};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Omnichannel multi-touch attribution from raw touchpoint exports.
#[derive(Debug, Parser)]
#[command(
    name = "omnitouch",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("OMNITOUCH_COMMIT"), ")"),
    about,
    long_about = None
)]
pub struct Cli {
    /// No progress bars or notes on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Worker threads (default: one per core). Results are identical for any count.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load every source, print the data accounting and channel mix; exit 1 on a structural
    /// problem (or any rejected row with --strict).
    Validate(ValidateArgs),
    /// Stitch identifiers into people; print the identity statistics, write the identity map.
    Stitch(StitchArgs),
    /// Build journeys and the path table; print journey statistics, top paths, path lengths.
    Journeys(Box<JourneysArgs>),
    /// The main job: load, stitch, build journeys, run the models, write the report folder
    /// and print the data accounting and the model comparison.
    Run(Box<RunArgs>),
    /// Attribute conversions and value to channels with one or more models.
    Attribute(Box<AttributeArgs>),
    /// Compare models side by side: shares per channel, spread, change against a baseline.
    Compare(Box<CompareArgs>),
    /// Propose next period's budget per channel from spend and attributed value.
    Budget(Box<BudgetArgs>),
    /// Explain how each model splits one conversion (--conversion ID) or one path (--path
    /// "A > B"): the splits, Markov removal effects and transitions, Shapley coalitions.
    Explain(Box<ExplainArgs>),
    /// List every model: base models with their parameters, shipped specs, specs in folders.
    Models(ModelsArgs),
    /// Write a realistic synthetic omnichannel export set, its config and a truth file.
    Generate(GenerateArgs),
    /// Write a synthetic path table (ChannelAttribution's layout) for benchmarks.
    GeneratePaths(GeneratePathsArgs),
    /// Score every model against planted truth on generated data: which model to believe.
    Evaluate(EvaluateArgs),
    /// Write the SQL script that builds the touchpoints, row accounting, people and path
    /// table inside DuckDB or Spark, from the same config (docs/warehouse.md).
    Sql(SqlArgs),
    /// Write a shell completion script (bash, zsh, fish, elvish, powershell) to standard
    /// output.
    Completions(CompletionsArgs),
    /// Write the man pages (roff): omnitouch's to standard output, or with --out-dir one
    /// file per page (omnitouch.1, omnitouch-run.1, …).
    Man(ManArgs),
}

/// `omnitouch completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `omnitouch man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write every page into this folder (created when missing); view with `man -l FILE`.
    #[arg(long = "out-dir", value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// `omnitouch sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// Config file (default: ./omnitouch.toml, else sample-data/omnitouch.toml).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// The engine the script is written for.
    #[arg(long, value_enum)]
    pub dialect: crate::warehouse::Dialect,
    /// Write the script to this file (default: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `omnitouch run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub job: MainJobOptions,
    /// Report folder (created when missing; its report files are replaced).
    #[arg(
        long = "out-dir",
        alias = "out",
        value_name = "DIR",
        default_value = "omnitouch-report"
    )]
    pub out: PathBuf,
}

/// `omnitouch budget`.
#[derive(Debug, Args)]
pub struct BudgetArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The model whose attributed value drives the proposal.
    #[arg(long, value_name = "NAME")]
    pub model: String,
    /// A folder of model spec files (*.toml) to add; repeatable.
    #[arg(long, value_name = "DIR")]
    pub models_dir: Vec<PathBuf>,
    /// Next period's total budget.
    #[arg(long, value_name = "AMOUNT", value_parser = positive_amount)]
    pub total: f64,
    /// Today's spend and credits from this date on (YYYY-MM-DD, UTC; else [report] from).
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// ... up to and including this date (else [report] to).
    #[arg(long, value_name = "DATE")]
    pub to: Option<chrono::NaiveDate>,
    /// Length of the next period in days (default: as long as today's).
    #[arg(long, value_name = "DAYS", value_parser = positive_amount)]
    pub days: Option<f64>,
    /// Largest change of any channel's budget, in percent of today's spend.
    #[arg(long, value_name = "PERCENT", default_value = "20%", value_parser = percent)]
    pub max_change: f64,
    #[command(flatten)]
    pub destination: OutputArgs,
}

fn positive_amount(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("\"{s}\" is not an amount above 0")),
    }
}

/// `20%` or `20` → 0.2.
fn percent(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let number = t.strip_suffix('%').unwrap_or(t);
    match number.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x / 100.0),
        _ => Err(format!("\"{s}\" is not a percentage such as 20%")),
    }
}

/// `omnitouch compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub models: ModelChoice,
    /// Model the share changes are measured against (default: `[report] baseline`, else
    /// last_touch).
    #[arg(long, value_name = "MODEL")]
    pub baseline: Option<String>,
    #[command(flatten)]
    pub destination: OutputArgs,
}

/// `omnitouch attribute`.
#[derive(Debug, Args)]
pub struct AttributeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub models: ModelChoice,
    #[command(flatten)]
    pub bootstrap: BootstrapArgs,
    #[command(flatten)]
    pub periods: PeriodArgs,
    #[command(flatten)]
    pub destination: OutputArgs,
}

/// `omnitouch explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub models: ModelChoice,
    #[command(flatten)]
    pub periods: PeriodArgs,
    /// The conversion to explain, by its id (the source's conversion_id, else source:line).
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "path",
        required_unless_present = "path"
    )]
    pub conversion: Option<String>,
    /// The path to explain: channel names, first touch first, separated by `>`.
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// `table` (default) or `json`.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

/// `omnitouch evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// People per generated set [default: 20000].
    #[arg(long)]
    pub people: Option<u64>,
    /// Generated sets, seeds 1 to N [default: 3].
    #[arg(long)]
    pub seeds: Option<u64>,
    /// A model to score (repeatable). Default: every model, and data_driven.
    #[arg(long, value_name = "NAME")]
    pub model: Vec<String>,
    /// A scenario to generate (repeatable). Default: every scenario.
    #[arg(long, value_enum)]
    pub scenario: Vec<crate::generate::Scenario>,
    /// Also write a page (HTML) with a chart of each model's error per scenario.
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    /// Generator settings (TOML: people, seeds, days, junk_rate, shared_devices, scenarios,
    /// models, [effects] by channel); flags given on the command line win.
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also write the scores, shares and truth as JSON here.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `omnitouch models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// A folder of model spec files (*.toml) to add; repeatable.
    #[arg(long, value_name = "DIR")]
    pub models_dir: Vec<PathBuf>,
}

/// `omnitouch stitch`.
#[derive(Debug, Args)]
pub struct StitchArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Write the identity map (kind, value, person_id) here (.parquet or .csv).
    #[arg(long = "output", short = 'o', alias = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Score the stitching against a truth file (kind, value, person_id), as `generate` writes.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// Turn the guards off (no junk list, no limits), to see what they prevent.
    #[arg(long)]
    pub no_guards: bool,
}

/// `omnitouch journeys`.
#[derive(Debug, Args)]
pub struct JourneysArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the path table here (.parquet or .csv).
    #[arg(long = "output", short = 'o', alias = "paths-out", value_name = "FILE")]
    pub paths_out: Option<PathBuf>,
    /// How many top paths to show.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

/// `omnitouch validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Write the canonical touchpoint table (every loaded row, as mapped from the exports)
    /// here: Parquet (.parquet) or Arrow IPC (.arrow).
    #[arg(long = "output", short = 'o', alias = "frame-out", value_name = "FILE")]
    pub frame_out: Option<PathBuf>,
}

/// `omnitouch generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of people.
    #[arg(long, default_value_t = 20_000)]
    pub people: u64,
    /// Random seed; the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output folder (created when missing).
    #[arg(long = "out-dir", alias = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// First day of the generated period (YYYY-MM-DD).
    #[arg(long, default_value = "2026-07-01")]
    pub start: chrono::NaiveDate,
    /// Length of the period in days.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(7..=3650))]
    pub days: u32,
    /// Share of rows made deliberately bad (unparseable time, negative value, no id…).
    #[arg(long, default_value_t = 0.002)]
    pub bad_rows: f64,
    /// Share of empty identifier cells written as junk ("0", "undefined", the nil UUID…).
    #[arg(long, default_value_t = 0.005)]
    pub junk_rate: f64,
    /// Share of two-person households sharing a tablet.
    #[arg(long, default_value_t = 0.02)]
    pub shared_devices: f64,
    /// Write every export as Parquet instead of the usual mix of CSV, NDJSON and Parquet.
    #[arg(long)]
    pub parquet: bool,
    /// How conversions come about (baseline; intent: brand search follows the intent to buy;
    /// starter: Display only starts journeys; unstitched: half the people never log in;
    /// offline: loyalty-card holders mostly buy in store).
    #[arg(long, value_enum, default_value = "baseline")]
    pub scenario: crate::generate::Scenario,
}

/// `omnitouch generate-paths`.
#[derive(Debug, Args)]
pub struct GeneratePathsArgs {
    /// Journeys to draw (converting and not).
    #[arg(long, default_value_t = 1_000_000)]
    pub journeys: u64,
    /// Channels (1 to 255).
    #[arg(long, default_value_t = 12)]
    pub channels: u32,
    /// Mean path length (geometric).
    #[arg(long, default_value_t = 4.0)]
    pub mean_length: f64,
    /// Random seed; the same seed gives the same table.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output file (CSV, `;`-separated, ChannelAttribution's column names).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// One row per journey (1 conversion with its value, or 1 null), as an export of
    /// journeys is shaped, instead of one row per distinct path.
    #[arg(long)]
    pub per_journey: bool,
}

/// Where and how a command writes its data.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format (table, csv, json, markdown, parquet; parquet needs --output).
    #[arg(long, value_enum, default_value = "table")]
    pub format: crate::report::credits::OutputFormat,
    /// Write here instead of stdout (atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
