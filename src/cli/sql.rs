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
    if script.contains(crate::warehouse::NO_PEOPLE) {
        eprintln!("note: the script builds no people: set [identity] guard = \"isolate_shared\" for an identity map that equals the local one (docs/warehouse.md)");
    }
    match &args.output {
        Some(file) => crate::output::write_text(file, &script)?,
        None => print!("{script}"),
    }
    Ok(Exit::Ok)
}
