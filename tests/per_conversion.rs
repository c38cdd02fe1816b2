//! `conversions.parquet`: each conversion's credit per channel and model sums to the model's
//! credits (conversions and value) per channel, and to each conversion (1 and its value).

mod common;

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).expect("parquet"))
        .finish()
        .expect("reads")
}

fn texts<'a>(f: &'a DataFrame, name: &str) -> Vec<&'a str> {
    f.column(name)
        .expect(name)
        .str()
        .expect("text")
        .iter()
        .map(|v| v.unwrap_or_default())
        .collect()
}

fn numbers(f: &DataFrame, name: &str) -> Vec<f64> {
    f.column(name)
        .expect(name)
        .f64()
        .expect("f64")
        .iter()
        .map(|v| v.unwrap_or_default())
        .collect()
}

#[test]
fn per_conversion_credits_add_up_to_every_models_credits_and_to_each_conversion() {
    let dir = tempfile::tempdir().expect("dir");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/omnitouch.toml");
    assert_cmd::Command::cargo_bin("omnitouch")
        .expect("binary")
        .args(["-q", "run", "--config"])
        .arg(&config)
        .arg("--out-dir")
        .arg(dir.path().join("r"))
        .args(["--models", "all", "--per-conversion"])
        .assert()
        .success();
    let table = read(&dir.path().join("r/conversions.parquet"));
    let (ids, models, channels) = (
        texts(&table, "conversion_id"),
        texts(&table, "model"),
        texts(&table, "channel"),
    );
    let (credit, value_credit, value) = (
        numbers(&table, "credit"),
        numbers(&table, "value_credit"),
        numbers(&table, "value"),
    );
    let mut by_channel: HashMap<(&str, &str), (f64, f64)> = HashMap::new();
    let mut by_conversion: HashMap<(&str, &str), (f64, f64, f64)> = HashMap::new();
    for r in 0..table.height() {
        let c = by_channel.entry((models[r], channels[r])).or_default();
        c.0 += credit[r];
        c.1 += value_credit[r];
        let v = by_conversion.entry((models[r], ids[r])).or_default();
        v.0 += credit[r];
        v.1 += value_credit[r];
        v.2 = value[r];
    }
    let credits = std::fs::read_to_string(dir.path().join("r/credits.csv")).expect("credits");
    let mut checked = std::collections::BTreeSet::new();
    for line in credits.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (conversions, value) = (
            f[2].parse::<f64>().expect("number"),
            f[3].parse::<f64>().expect("number"),
        );
        let (c, v) = by_channel.get(&(f[0], f[1])).copied().unwrap_or_default();
        assert!(
            (c - conversions).abs() <= 1e-6 * conversions.max(1.0)
                && (v - value).abs() <= 1e-6 * value.max(1.0),
            "{}: {} per conversion {c} / {v}, credits {conversions} / {value}",
            f[0],
            f[1]
        );
        checked.insert(f[0].to_string());
    }
    assert!(checked.len() >= 8, "every model checked: {checked:?}");
    for ((model, id), (c, v, value)) in by_conversion {
        assert!((c - 1.0).abs() < 1e-6, "{model} {id}: {c}");
        assert!(
            (v - value).abs() <= 1e-6 * value.max(1.0),
            "{model} {id}: {v} of {value}"
        );
    }
}

/// Not written by default; `[report] per_conversion = true` asks for it as the flag does.
#[test]
fn the_config_can_ask_for_the_per_conversion_table() {
    let w = common::Workdir::new();
    w.write(
        "events.csv",
        "ts,cookie,event,channel,value\n2026-03-01T10:00:00Z,c1,touch,Email,\n2026-03-01T11:00:00Z,c1,conversion,,5\n",
    );
    for (report, written) in [("", false), ("[report]\nper_conversion = true\n", true)] {
        w.write(
            "omnitouch.toml",
            format!("{report}\n{}", common::EVENTS_SOURCE),
        );
        let out = if written { "a" } else { "b" };
        w.stdout_ok(&[
            "run",
            "--config",
            "omnitouch.toml",
            "--out-dir",
            out,
            "--model",
            "linear",
        ]);
        assert_eq!(
            w.join(&format!("{out}/conversions.parquet")).exists(),
            written,
            "{report:?}"
        );
    }
}
