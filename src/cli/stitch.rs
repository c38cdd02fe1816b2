//! `omnitouch stitch`: identifiers into people.

use super::args::StitchArgs;
use super::validate::warn_and_exit;
use super::Exit;
use crate::identity::{self, IdentityOptions};
use crate::ingest::Keep;
use crate::pipeline::load;
use crate::report::{accounting, identity as tables};

pub fn run(args: &StitchArgs, quiet: bool) -> anyhow::Result<Exit> {
    // Identifiers interned as they are read: stitching needs no frame column of them.
    let (config, loaded) = load(&args.config, Keep::Interned, quiet)?;
    let mut options = IdentityOptions::from_config(&config, &loaded.id_kinds)?;
    if args.no_guards {
        options = options.without_guards();
    }
    let stitched = identity::stitch(&loaded, &options)?;
    println!("{}", accounting::summary_line(&loaded.accounting));
    println!("\n{}", tables::stitch_table(&stitched.stats));
    println!("\n{}", tables::identifiers_table(&stitched.stats));
    if let Some(t) = tables::guards_table(&stitched.stats) {
        println!("\n{t}");
    }
    if let Some(t) = tables::large_components_table(&stitched.stats) {
        println!("\nLargest components (check for shared devices or junk identifiers)\n{t}");
    }
    if let Some(truth) = &args.truth {
        let score = identity::evaluate(&stitched.map, &identity::read_truth(truth)?);
        println!("\n{}", tables::score_line(&score));
    }
    if let Some(out) = &args.out {
        identity::write_map(&stitched.map, out)?;
        if !quiet {
            eprintln!("wrote the identity map to {}", out.display());
        }
    }
    let warnings = crate::pipeline::checks::data_warnings(&config, &loaded, None);
    Ok(warn_and_exit(&args.config, &loaded.accounting, &warnings))
}
