//! Replays the committed fuzz corpus (fuzz/corpus/<target>/) and every crash ever found
//! (fuzz/regressions/<target>/) through the fuzz targets' bodies, so `cargo test` keeps them
//! fixed without needing cargo fuzz or a nightly toolchain.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for kind in ["corpus", "regressions"] {
        let Ok(dir) = std::fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        for entry in dir {
            let path = entry.expect("entry").path();
            out.push((
                path.display().to_string(),
                std::fs::read(&path).expect("read"),
            ));
        }
    }
    out.sort();
    out
}

fn replay(target: &str, run: impl Fn(&[u8])) {
    let cases = inputs(target);
    assert!(!cases.is_empty(), "no corpus for {target}");
    for (name, data) in cases {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&data)));
        assert!(outcome.is_ok(), "{target} panics on {name}");
    }
}

#[test]
fn path_table_corpus() {
    let scratch = tempfile::tempdir().expect("scratch");
    replay("path_table", |d| targets::path_table(d, scratch.path()));
}

#[test]
fn config_corpus() {
    replay("config", targets::config);
}

#[test]
fn timestamp_corpus() {
    replay("timestamp", targets::timestamp);
}

#[test]
fn channel_rules_corpus() {
    replay("channel_rules", targets::channel_rules);
}
