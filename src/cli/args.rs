//! Argument definitions (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Omnichannel multi-touch attribution from raw touchpoint exports.
#[derive(Debug, Parser)]
#[command(name = "omnitouch", version, about, long_about = None)]
pub struct Cli {
    /// No progress bars or notes on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load every source, print the data accounting and channel mix; exit 1 on a structural
    /// problem (or any rejected row with --strict).
    Validate(ValidateArgs),
    /// Write a realistic synthetic omnichannel export set, its config and a truth file.
    Generate(GenerateArgs),
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

/// `omnitouch validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
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
    #[arg(long, value_name = "DIR")]
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
}
