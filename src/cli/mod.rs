//! Command-line interface: parses arguments and calls the library stages. No logic of its own.

mod args;
mod attribute;
mod budget;
mod evaluate;
mod explain;
mod generate;
mod journeys;
mod run;
mod sql;
mod stitch;
mod validate;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};

/// Exit codes a script can rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// Failure: bad input, bad config, rejected rows under `--strict`.
    Failure = 1,
    /// Usage error (clap reports these itself).
    Usage = 2,
    /// A `--fail-on` threshold tripped.
    Threshold = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// Parses the command line, runs it, and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(n) = cli.threads {
        // Before any pool starts: Polars reads its size from the environment once.
        std::env::set_var("POLARS_MAX_THREADS", n.to_string());
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
        {
            eprintln!("error: cannot start {n} threads: {e}");
            return Exit::Failure.into();
        }
    }
    match run(&cli) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            Exit::Failure.into()
        }
    }
}

/// Writes omnitouch's man page to standard output, or every page (one per command too) into
/// `out_dir`.
fn man(out_dir: Option<&std::path::Path>) -> anyhow::Result<Exit> {
    let cli = <Cli as clap::CommandFactory>::command();
    let render = |cmd: clap::Command| -> anyhow::Result<String> {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut page)?;
        Ok(String::from_utf8_lossy(&page).into_owned())
    };
    let Some(dir) = out_dir else {
        print!("{}", render(cli)?);
        return Ok(Exit::Ok);
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    crate::output::write_text(&dir.join("omnitouch.1"), &render(cli.clone())?)?;
    for sub in cli.get_subcommands() {
        let name = format!("omnitouch-{}", sub.get_name());
        let page = render(
            sub.clone()
                .display_name(name.clone())
                .bin_name(format!("omnitouch {}", sub.get_name())),
        )?;
        crate::output::write_text(&dir.join(format!("{name}.1")), &page)?;
    }
    Ok(Exit::Ok)
}

/// Runs a parsed command line.
pub fn run(cli: &Cli) -> anyhow::Result<Exit> {
    match &cli.command {
        Command::Validate(args) => validate::run(args, cli.quiet),
        Command::Stitch(args) => stitch::run(args, cli.quiet),
        Command::Journeys(args) => journeys::run(args, cli.quiet),
        Command::Run(args) => run::run(args, cli.quiet),
        Command::Attribute(args) => attribute::run(args, cli.quiet),
        Command::Compare(args) => attribute::compare(args, cli.quiet),
        Command::Budget(args) => budget::run(args, cli.quiet),
        Command::Explain(args) => explain::run(args, cli.quiet),
        Command::Models(args) => attribute::list(args),
        Command::Generate(args) => generate::run(args, cli.quiet),
        Command::GeneratePaths(args) => generate::paths(args, cli.quiet),
        Command::Evaluate(args) => evaluate::run(args, cli.quiet),
        Command::Sql(args) => sql::run(args),
        Command::Completions(args) => {
            let mut cli = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut cli, "omnitouch", &mut std::io::stdout());
            Ok(Exit::Ok)
        }
        Command::Man(args) => man(args.out_dir.as_deref()),
    }
}
