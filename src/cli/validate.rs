//! `omnitouch validate`: load everything, print the accounting and the channel mix.

use super::args::{ConfigArgs, ValidateArgs};
use super::Exit;
use crate::ingest::{Accounting, Keep};
use crate::pipeline::load;
use crate::report::accounting as tables;

pub fn run(args: &ValidateArgs, quiet: bool) -> anyhow::Result<Exit> {
    // The canonical frame is built only when asked for: the accounting needs none of it.
    let keep = match args.frame_out {
        Some(_) => Keep::All,
        None => Keep::Identities,
    };
    let (_, mut loaded) = load(&args.config, keep, quiet)?;
    if let Some(path) = &args.frame_out {
        crate::report::render::write_frame(path, &mut loaded.frame)?;
        if !quiet {
            eprintln!(
                "wrote the canonical table ({} rows) to {}",
                loaded.frame.height(),
                path.display()
            );
        }
    }
    println!("{}", tables::sources_table(&loaded.accounting));
    if loaded.accounting.total().rejected_total() > 0 {
        println!("\nRejected rows");
        println!(
            "{}",
            tables::rejections_table(&loaded.accounting, &loaded.rejects)
        );
    }
    println!("\nChannel mix (touches)");
    println!("{}", tables::channel_mix_table(&loaded.accounting));
    println!("\n{}", tables::summary_line(&loaded.accounting));
    Ok(strict_exit(&args.config, &loaded.accounting))
}

/// `--strict`: any rejected row fails the run. Call after the accounting is printed.
pub fn strict_exit(args: &ConfigArgs, accounting: &Accounting) -> Exit {
    if let Some(rejected) = crate::pipeline::strict_failure(args, accounting) {
        eprintln!("error: --strict: {rejected} rows were rejected (see the rejections table, or write them with --rejects)");
        Exit::Failure
    } else {
        Exit::Ok
    }
}
