//! `omnitouch sql`: the warehouse script for one dialect.

use super::args::SqlArgs;
use super::Exit;
use crate::config::Config;
use crate::pipeline::{config_path, ConfigArgs};

/// Writes the script to the output file or standard output.
pub fn run(args: &SqlArgs) -> anyhow::Result<Exit> {
    let path = config_path(&ConfigArgs {
        config: args.config.clone(),
        rejects: None,
        strict: false,
    })?;
    let config = Config::load(&path)?;
    let script = crate::warehouse::script(&config, args.dialect)?;
    match &args.output {
        Some(file) => crate::output::write_text(file, &script)?,
        None => print!("{script}"),
    }
    Ok(Exit::Ok)
}
