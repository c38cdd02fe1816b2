#![allow(dead_code)] // each fuzz binary uses one of these
//! Bodies of the fuzz targets, shared by the cargo-fuzz binaries (fuzz_targets/) and by the
//! regression test that replays the committed corpus in `cargo test` (tests/fuzz_corpus.rs).
//! Each must return normally for every input: errors are fine, panics are bugs.

use std::path::Path;

use omnitouch::attribution::{self, Catalogue, ModelInput};
use omnitouch::config::Config;
use omnitouch::ingest::channels::{default_rules, ChannelRules};
use omnitouch::io::timestamp::{parse_timezone, TimestampFormat, TimestampParser};
use omnitouch::journey::{path_table, ReadOptions};

/// The path-table reader on arbitrary bytes; every model on what it accepts.
pub fn path_table(data: &[u8], scratch: &Path) {
    let file = scratch.join("paths.csv");
    if std::fs::write(&file, data).is_err() {
        return;
    }
    let Ok(table) = path_table::read(&file, &ReadOptions::default()) else {
        return;
    };
    let Ok(catalogue) = Catalogue::load(&[]) else {
        return;
    };
    let input = ModelInput {
        table: &table,
        journeys: None,
    };
    for spec in catalogue.specs() {
        if let Ok(a) = attribution::run(std::slice::from_ref(spec), &input) {
            for r in a {
                let total: f64 = r.conversions.iter().sum();
                assert!(total.is_finite(), "{}: credits are not finite", r.model);
            }
        }
    }
}

/// The config parser on arbitrary text, then the channel rules it describes.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::parse(text, Path::new("fuzz/omnitouch.toml")) {
        let _ = ChannelRules::from_config(&config.channels);
    }
}

/// Timestamp parsing: line 1 a format spec, line 2 a time zone, the rest cells to parse.
pub fn timestamp(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let format = TimestampFormat::parse(lines.next().unwrap_or("auto"))
        .unwrap_or_else(|_| TimestampFormat::parse("auto").expect("auto is a format"));
    let tz = parse_timezone(lines.next().unwrap_or("UTC"))
        .unwrap_or_else(|_| parse_timezone("UTC").expect("UTC is a zone"));
    let parser = TimestampParser::new(format, tz);
    for cell in lines {
        let _ = parser.parse_str(cell);
    }
    if data.len() >= 8 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&data[..8]);
        let _ = parser.parse_i64(i64::from_le_bytes(word));
        let _ = parser.parse_f64(f64::from_le_bytes(word));
        let _ = parser.from_native(i64::from_le_bytes(word), data.len().is_multiple_of(2));
    }
}

/// The shipped channel rules on arbitrary field values (fields separated by NUL bytes).
pub fn channel_rules(data: &[u8]) {
    // Compiled once: compiling the rules' regexes per input would dominate the run.
    static RULES: std::sync::OnceLock<ChannelRules> = std::sync::OnceLock::new();
    let rules = RULES.get_or_init(|| {
        ChannelRules::compile(&default_rules()).unwrap_or_else(|e| panic!("shipped rules: {e}"))
    });
    let text = String::from_utf8_lossy(data);
    let cells: Vec<&str> = text.split('\0').collect();
    let values: Vec<Option<&str>> = (0..rules.fields().len())
        .map(|i| cells.get(i).copied().filter(|c| !c.is_empty()))
        .collect();
    let _ = rules.classify(&values);
}
