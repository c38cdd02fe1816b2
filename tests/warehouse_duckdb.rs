//! The DuckDB script against the local engine, differentially: on a generated export set
//! (CSV, NDJSON and Parquet; day-first and epoch times in three time zones; junk and hashed
//! identifiers; deliberately bad rows), the script's touchpoints and rejected rows equal
//! `omnitouch validate`'s, row for row, and under `[identity] guard = "isolate_shared"` its
//! identity map is `omnitouch stitch`'s, person numbers included, its path table is
//! `omnitouch journeys`', and each conversion's person and path are the report folder's. DuckDB runs from the `duckdb` Python package in the
//! scratch virtualenv `.ci/run` makes (OMNITOUCH_PYTHON); elsewhere the test says it skipped.

mod common;

use std::path::Path;
use std::process::Command;

use common::Workdir;
use polars::prelude::*;

/// Runs the script in DuckDB and writes its touchpoints (Parquet) and every row's outcome
/// (CSV) in file order.
const RUN_IN_DUCKDB: &str = r#"
import sys, duckdb
script, touchpoints, outcomes, accounting, people, paths, conversions = sys.argv[1:8]
con = duckdb.connect()
con.execute(open(script, encoding="utf-8").read())
con.execute(f"COPY (SELECT * FROM omnitouch_touchpoints ORDER BY source_index, line) TO '{touchpoints}' (FORMAT parquet)")
tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'omnitouch_rows_%' ORDER BY table_name").fetchall()]
union = " UNION ALL ".join(f"SELECT source, line, outcome FROM {t}" for t in tables)
con.execute(f"COPY ({union} ORDER BY source, line) TO '{outcomes}' (HEADER, DELIMITER ',')")
con.execute(f"COPY (SELECT kind, value, person_id FROM omnitouch_identity_map ORDER BY person_id, kind, value) TO '{people}' (HEADER, DELIMITER ',')")
con.execute(f"COPY (SELECT path, conversions, value, nulls FROM omnitouch_paths ORDER BY path) TO '{paths}' (HEADER, DELIMITER ',')")
con.execute(f"COPY (SELECT conversion_id, person_id, COALESCE(path, '') AS path FROM omnitouch_conversion_paths ORDER BY conversion_id) TO '{conversions}' (HEADER, DELIMITER ',')")
con.execute(f"COPY (SELECT source, rows_read, touches, conversions, identity_rows, ignored FROM omnitouch_accounting ORDER BY source_index) TO '{accounting}' (HEADER, DELIMITER ',')")
"#;

fn python_with_duckdb() -> Option<String> {
    let python = std::env::var("OMNITOUCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    if std::env::var("OMNITOUCH_REQUIRE_DUCKDB").as_deref() == Ok("1") {
        panic!("OMNITOUCH_REQUIRE_DUCKDB=1 but {python} cannot import duckdb");
    }
    eprintln!("SKIPPED the DuckDB check: no Python with duckdb (pip install duckdb, set OMNITOUCH_PYTHON)");
    None
}

fn frame(path: &Path) -> DataFrame {
    LazyFrame::scan_parquet(
        path.to_string_lossy().as_ref().into(),
        ScanArgsParquet::default(),
    )
    .and_then(LazyFrame::collect)
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn column_text(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let s = df
        .column(name)
        .unwrap_or_else(|e| panic!("column {name}: {e}"))
        .cast(&DataType::String)
        .expect("as text");
    s.str()
        .expect("text")
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

#[test]
fn the_duckdb_script_loads_what_the_local_engine_loads() {
    let Some(python) = python_with_duckdb() else {
        return;
    };
    let w = Workdir::new();
    w.generate(1500, 11, &["--bad-rows", "0.01"]);
    // Rows a reader cannot take, between good ones: a ragged row and a cell that is not
    // UTF-8.
    let mut sms = std::fs::read(w.join("gen/sms_sends.csv")).expect("sms_sends.csv");
    sms.extend_from_slice(b"1789349015,only-two-fields\n");
    sms.extend_from_slice(
        b"1789349016,70c9829960176d32a696566d9b73b9b50058e545b451b7284552386dafa6a173,sms_\xff\n",
    );
    sms.extend_from_slice(
        b"1789349017,70c9829960176d32a696566d9b73b9b50058e545b451b7284552386dafa6a173,sms_01\n",
    );
    w.write("gen/sms_sends.csv", sms);
    // The order-free guard, which the script implements as the local engine does.
    let config = std::fs::read_to_string(w.join("gen/omnitouch.toml")).expect("config");
    w.write(
        "gen/omnitouch.toml",
        format!("{config}\n[identity]\nguard = \"isolate_shared\"\n"),
    );
    // The generated set maps no key the script does not write yet, except the web sessions'
    // referrer host, which no rule of this config needs: it uses the default rules.
    w.cmd()
        .args([
            "validate",
            "-q",
            "--config",
            "gen/omnitouch.toml",
            "-o",
            "local.parquet",
            "--rejects",
            "rejects.csv",
        ])
        .output()
        .expect("validate runs");
    w.cmd()
        .args([
            "sql",
            "--config",
            "gen/omnitouch.toml",
            "--dialect",
            "duckdb",
            "-o",
            "script.sql",
        ])
        .assert()
        .success();
    let run = Command::new(&python)
        .args(["-c", RUN_IN_DUCKDB])
        .arg(w.join("script.sql"))
        .arg(w.join("duck.parquet"))
        .arg(w.join("outcomes.csv"))
        .arg(w.join("accounting.csv"))
        .arg(w.join("duck-map.csv"))
        .arg(w.join("duck-paths.csv"))
        .arg(w.join("duck-conversions.csv"))
        .output()
        .expect("python runs");
    assert!(
        run.status.success(),
        "DuckDB refused the script: {}",
        String::from_utf8_lossy(&run.stderr)
    );

    // People: the same identity map, person numbers included.
    w.cmd()
        .args([
            "stitch",
            "-q",
            "--config",
            "gen/omnitouch.toml",
            "-o",
            "map.csv",
        ])
        .assert()
        .success();
    let read_map = |name: &str| -> Vec<(u64, String, String)> {
        let mut rows: Vec<(u64, String, String)> = csv::Reader::from_path(w.join(name))
            .expect(name)
            .deserialize::<(String, String, u64)>()
            .map(|r| {
                let (kind, value, person) = r.expect("map row");
                (person, kind, value)
            })
            .collect();
        rows.sort();
        rows
    };
    let (local_map, duck_map) = (read_map("map.csv"), read_map("duck-map.csv"));
    assert!(local_map.len() > 1000, "{} identifiers", local_map.len());
    if let Some(i) = local_map.iter().zip(&duck_map).position(|(a, b)| a != b) {
        panic!(
            "identity maps differ first at {i}: local {:?}, DuckDB {:?}",
            local_map[i], duck_map[i]
        );
    }
    assert_eq!(duck_map.len(), local_map.len(), "identifiers in the map");

    // The path table: the same paths with the same counts; values equal but for the last
    // bits of floating-point sums taken in another order.
    w.cmd()
        .args([
            "journeys",
            "-q",
            "--config",
            "gen/omnitouch.toml",
            "-o",
            "paths.csv",
        ])
        .assert()
        .success();
    let read_paths = |name: &str| -> Vec<(String, u64, f64, u64)> {
        csv::Reader::from_path(w.join(name))
            .expect(name)
            .deserialize::<std::collections::HashMap<String, String>>()
            .map(|r| {
                let r = r.expect("path row");
                let n = |k: &str| r[k].parse::<f64>().expect(k);
                (
                    r["path"].clone(),
                    n("conversions") as u64,
                    n("value"),
                    n("nulls") as u64,
                )
            })
            .collect()
    };
    let (mut local_paths, duck_paths) = (read_paths("paths.csv"), read_paths("duck-paths.csv"));
    local_paths.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(local_paths.len() > 100, "{} paths", local_paths.len());
    assert_eq!(duck_paths.len(), local_paths.len(), "paths");
    for (l, d) in local_paths.iter().zip(&duck_paths) {
        assert_eq!(
            (&l.0, l.1, l.3),
            (&d.0, d.1, d.3),
            "path, conversions, nulls"
        );
        assert!(
            (l.2 - d.2).abs() <= 1e-9 * l.2.abs().max(1.0),
            "value of {}: {} vs {}",
            l.0,
            l.2,
            d.2
        );
    }

    // Rows read, loaded and ignored per source, as the report folder's data-quality.json says.
    w.cmd()
        .args([
            "run",
            "-q",
            "--config",
            "gen/omnitouch.toml",
            "--model",
            "last_touch",
            "--per-conversion",
            "--out-dir",
            "report",
        ])
        .assert()
        .success();
    let quality: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(w.join("report/data-quality.json")).expect("data-quality.json"),
    )
    .expect("json");
    let local_accounting: Vec<[String; 6]> = quality["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| {
            let n = |k: &str| s[k].as_u64().expect(k).to_string();
            [
                s["source"].as_str().expect("source").to_string(),
                n("rows_read"),
                n("touches"),
                n("conversions"),
                n("identity_rows"),
                n("ignored"),
            ]
        })
        .collect();
    let duck_accounting: Vec<[String; 6]> = csv::Reader::from_path(w.join("accounting.csv"))
        .expect("accounting.csv")
        .deserialize::<[String; 6]>()
        .map(|r| r.expect("accounting row"))
        .collect();
    assert_eq!(
        duck_accounting, local_accounting,
        "rows read, touches, conversions, identity rows, ignored"
    );

    // Each conversion's person and path, as the report folder's conversions.parquet has them.
    let per_conversion = frame(&w.join("report/conversions.parquet"));
    let ids = column_text(&per_conversion, "conversion_id");
    let people = column_text(&per_conversion, "person_id");
    let paths = column_text(&per_conversion, "path");
    let mut local_conversions: Vec<(String, String, String)> = ids
        .into_iter()
        .zip(people)
        .zip(paths)
        .map(|((i, p), path)| {
            (
                i.unwrap_or_default(),
                p.unwrap_or_default(),
                path.unwrap_or_default(),
            )
        })
        .collect();
    local_conversions.sort();
    local_conversions.dedup();
    let duck_conversions: Vec<(String, String, String)> =
        csv::Reader::from_path(w.join("duck-conversions.csv"))
            .expect("duck-conversions.csv")
            .deserialize::<(String, String, Option<String>)>()
            .map(|r| {
                let (i, p, path) = r.expect("conversion row");
                (i, p, path.unwrap_or_default())
            })
            .filter(|r| !r.2.is_empty())
            .collect();
    assert!(
        local_conversions.len() > 100,
        "{} conversions",
        local_conversions.len()
    );
    assert_eq!(
        duck_conversions, local_conversions,
        "conversion id, person, path"
    );

    // Rejected rows: the same lines for the same reasons.
    let mut local: Vec<(String, u64, String)> = csv::Reader::from_path(w.join("rejects.csv"))
        .expect("rejects.csv")
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|r| {
            let r = r.expect("reject row");
            (
                r["source"].clone(),
                r["line"].parse().expect("line"),
                r["reason"].clone(),
            )
        })
        .collect();
    local.sort();
    let reasons = omnitouch::warehouse::REASONS;
    let mut duck: Vec<(String, u64, String)> = csv::Reader::from_path(w.join("outcomes.csv"))
        .expect("outcomes.csv")
        .deserialize::<(String, u64, String)>()
        .map(|r| r.expect("outcome row"))
        .filter(|r| reasons.contains(&r.2.as_str()))
        .collect();
    duck.sort();
    assert!(
        local.len() > 20,
        "the set has bad rows to reject: {}",
        local.len()
    );
    for reason in ["ragged_row", "invalid_encoding"] {
        assert!(
            local.iter().any(|r| r.0 == "sms" && r.2 == reason),
            "the planted {reason} row is rejected"
        );
    }
    assert_eq!(duck, local, "rejected rows");

    // Loaded rows: equal column by column, in input order.
    let local = frame(&w.join("local.parquet"))
        .sort(["seq"], SortMultipleOptions::default())
        .expect("sorted");
    let duck = frame(&w.join("duck.parquet"));
    assert_eq!(duck.height(), local.height(), "rows loaded");
    let ts_local: Vec<Option<i64>> = local
        .column("ts")
        .expect("ts")
        .cast(&DataType::Int64)
        .expect("micros")
        .i64()
        .expect("i64")
        .iter()
        .collect();
    let ts_duck: Vec<Option<i64>> = duck
        .column("ts_us")
        .expect("ts_us")
        .i64()
        .expect("i64")
        .iter()
        .collect();
    let first = ts_local.iter().zip(&ts_duck).position(|(a, b)| a != b);
    assert_eq!(first, None, "first differing time at row {first:?}");
    let compared = [
        "source",
        "kind",
        "channel",
        "value",
        "conversion_type",
        "conversion_id",
        "cookie_id",
        "device_id",
        "user_id",
        "email_sha256",
        "phone_sha256",
        "loyalty_id",
        "campaign",
        "device_type",
        "region",
    ];
    for name in compared {
        let (a, b) = (column_text(&local, name), column_text(&duck, name));
        if let Some(i) = a.iter().zip(&b).position(|(x, y)| x != y) {
            panic!(
                "column {name} differs first at row {i}: local {:?}, DuckDB {:?} ({} {:?})",
                a[i],
                b[i],
                column_text(&local, "source")[i].clone().unwrap_or_default(),
                column_text(&local, "conversion_id")[i]
            );
        }
    }
}
