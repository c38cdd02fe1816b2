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
con.execute(f"COPY omnitouch_conversion_paths TO '{conversions}.parquet' (FORMAT parquet)")
con.execute(f"COPY (SELECT source, rows_read, touches, conversions, identity_rows, ignored, merged_into_sessions, merged_into_conversions FROM omnitouch_accounting ORDER BY source_index) TO '{accounting}' (HEADER, DELIMITER ',')")
"#;

/// Writes the DuckDB script of `config` as `script.sql` and runs it with [`RUN_IN_DUCKDB`],
/// which writes `duck.parquet`, `outcomes.csv`, `accounting.csv`, `duck-map.csv`,
/// `duck-paths.csv`, `duck-conversions.csv` (and its Parquet twin) in the work folder.
fn run_script_in_duckdb(python: &str, w: &Workdir, config: &str) {
    duckdb_script(w, config, "script.sql");
    let mut run = Command::new(python);
    run.args(["-c", RUN_IN_DUCKDB]);
    for file in [
        "script.sql",
        "duck.parquet",
        "outcomes.csv",
        "accounting.csv",
        "duck-map.csv",
        "duck-paths.csv",
        "duck-conversions.csv",
    ] {
        run.arg(w.join(file));
    }
    let run = run.output().expect("python runs");
    assert!(
        run.status.success(),
        "DuckDB refused the script of {config}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// The local engine on `config`: `stitch -o map.csv`, `journeys -o paths.csv` and `run`
/// with `flags` (models and the like) into `report/`.
fn run_locally(w: &Workdir, config: &str, flags: &[&str]) {
    w.cmd()
        .args(["stitch", "-q", "--config", config, "-o", "map.csv"])
        .assert()
        .success();
    w.cmd()
        .args(["journeys", "-q", "--config", config, "-o", "paths.csv"])
        .assert()
        .success();
    w.cmd()
        .args(["run", "-q", "--config", config, "--out-dir", "report"])
        .args(flags)
        .assert()
        .success();
}

/// Writes the DuckDB script of `config` to `out`, in the work folder.
fn duckdb_script(w: &Workdir, config: &str, out: &str) {
    w.cmd()
        .args(["sql", "--config", config, "--dialect", "duckdb", "-o", out])
        .assert()
        .success();
}

fn frame(path: &Path) -> DataFrame {
    std::fs::File::open(path)
        .map_err(PolarsError::from)
        .and_then(|file| ParquetReader::new(file).finish())
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

/// The identity maps (kind, value, person_id) of the local engine and an engine are equal,
/// person numbers included, with more than `at_least` identifiers.
fn assert_same_people(local: &Path, engine: &Path, at_least: usize) {
    let read_map = |path: &Path| -> Vec<(u64, String, String)> {
        let mut rows: Vec<(u64, String, String)> = csv::Reader::from_path(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .deserialize::<(String, String, u64)>()
            .map(|r| {
                let (kind, value, person) = r.expect("map row");
                (person, kind, value)
            })
            .collect();
        rows.sort();
        rows
    };
    let (local_map, duck_map) = (read_map(local), read_map(engine));
    assert!(
        local_map.len() > at_least,
        "{} identifiers",
        local_map.len()
    );
    if let Some(i) = local_map.iter().zip(&duck_map).position(|(a, b)| a != b) {
        panic!(
            "identity maps differ first at {i}: local {:?}, DuckDB {:?}",
            local_map[i], duck_map[i]
        );
    }
    assert_eq!(duck_map.len(), local_map.len(), "identifiers in the map");
}

/// The path tables are equal: the same paths with the same counts, values equal but for the
/// last bits of floating-point sums taken in another order; more than `at_least` paths.
fn assert_same_paths(local: &Path, engine: &Path, at_least: usize) {
    let read_paths = |path: &Path| -> Vec<(String, u64, f64, u64)> {
        let mut rows: Vec<(String, u64, f64, u64)> = csv::Reader::from_path(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
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
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    };
    let (local_paths, duck_paths) = (read_paths(local), read_paths(engine));
    assert!(local_paths.len() > at_least, "{} paths", local_paths.len());
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
}

/// The credits of two report folders (credits.csv) and each conversion's credit
/// (conversions.parquet) are equal, but for the last bits of floating-point sums.
fn assert_same_credits(local: &Path, engine: &Path) {
    let credits = |folder: &Path| -> Vec<Vec<String>> {
        csv::Reader::from_path(folder.join("credits.csv"))
            .expect("credits.csv")
            .records()
            .map(|r| r.expect("credit row").iter().map(str::to_string).collect())
            .collect()
    };
    let close = |a: &str, b: &str| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        _ => a == b,
    };
    let (l, e) = (credits(local), credits(engine));
    assert!(l.len() > 5, "{} credit rows", l.len());
    assert_eq!(l.len(), e.len(), "credit rows");
    for (a, b) in l.iter().zip(&e) {
        assert!(
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(x, y)),
            "credits: local {a:?}, handed back {b:?}"
        );
    }
    let conversions = |folder: &Path| -> Vec<(String, String, String, String, f64)> {
        let df = frame(&folder.join("conversions.parquet"));
        let text = |name: &str| column_text(&df, name);
        let credit = column_text(&df, "credit");
        let mut rows: Vec<_> = text("conversion_id")
            .into_iter()
            .zip(text("person_id"))
            .zip(text("model"))
            .zip(text("channel"))
            .zip(credit)
            .map(|((((i, p), m), c), v)| {
                (
                    i.unwrap_or_default(),
                    p.unwrap_or_default(),
                    m.unwrap_or_default(),
                    c.unwrap_or_default(),
                    v.and_then(|v| v.parse().ok()).unwrap_or(f64::NAN),
                )
            })
            .collect();
        rows.sort_by(|a, b| (&a.0, &a.2, &a.3).cmp(&(&b.0, &b.2, &b.3)));
        rows
    };
    let (l, e) = (conversions(local), conversions(engine));
    assert!(l.len() > 100, "{} conversion credits", l.len());
    assert_eq!(l.len(), e.len(), "conversion credit rows");
    for (a, b) in l.iter().zip(&e) {
        assert_eq!((&a.0, &a.1, &a.2, &a.3), (&b.0, &b.1, &b.2, &b.3));
        assert!(
            (a.4 - b.4).abs() <= 1e-6,
            "credit of {:?}: local {}, handed back {}",
            (&a.0, &a.2, &a.3),
            a.4,
            b.4
        );
    }
}

/// Rows read, touches, conversions, identity rows and ignored per source: the report
/// folder's data-quality.json against the engine's accounting (CSV in source order).
fn assert_same_accounting(quality: &Path, engine: &Path) {
    let quality: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(quality).expect("data-quality.json"))
            .expect("json");
    let local_accounting: Vec<[String; 8]> = quality["sources"]
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
                n("merged_into_sessions"),
                n("merged_into_conversions"),
            ]
        })
        .collect();
    let duck_accounting: Vec<[String; 8]> = csv::Reader::from_path(engine)
        .expect("accounting.csv")
        .deserialize::<[String; 8]>()
        .map(|r| r.expect("accounting row"))
        .collect();
    assert_eq!(
        duck_accounting, local_accounting,
        "rows read, touches, conversions, identity rows, ignored, merged into sessions and conversions"
    );
}

#[test]
fn the_duckdb_script_loads_what_the_local_engine_loads() {
    let Some(python) = common::python_with("duckdb", "the DuckDB check") else {
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
    run_script_in_duckdb(&python, &w, "gen/omnitouch.toml");

    run_locally(
        &w,
        "gen/omnitouch.toml",
        &[
            "--model",
            "last_touch",
            "--model",
            "time_decay_7d",
            "--model",
            "markov",
            "--per-conversion",
        ],
    );
    // People: the same identity map, person numbers included.
    assert_same_people(&w.join("map.csv"), &w.join("duck-map.csv"), 1000);
    // The path table: the same paths with the same counts; values equal but for the last
    // bits of floating-point sums taken in another order.
    assert_same_paths(&w.join("paths.csv"), &w.join("duck-paths.csv"), 100);
    // Rows read, loaded and ignored per source, as the report folder's data-quality.json says.
    assert_same_accounting(
        &w.join("report/data-quality.json"),
        &w.join("accounting.csv"),
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

    // Handed back: the engine's path table and per-conversion paths give the report folder's
    // credits and each conversion's credit, as the run on the exports gave them.
    w.cmd()
        .args([
            "run",
            "-q",
            "--paths",
            "duck-paths.csv",
            "--conversions",
            "duck-conversions.csv.parquet",
            "--model",
            "last_touch",
            "--model",
            "time_decay_7d",
            "--model",
            "markov",
            "--per-conversion",
            "--out-dir",
            "handed-back",
        ])
        .assert()
        .success();
    assert_same_credits(&w.join("report"), &w.join("handed-back"));

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

/// Loads each export file into a DuckDB table `proj.ds.<stem>` (CSV cells as text, as a
/// warehouse load of strings; NDJSON and Parquet with the types DuckDB gives them), runs the
/// script of the tables config and writes its identity map, path table and accounting.
const RUN_ON_TABLES: &str = r#"
import sys, duckdb
script, people, paths, accounting = sys.argv[1:5]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute("ATTACH ':memory:' AS proj")
con.execute("CREATE SCHEMA proj.ds")
for spec in sys.argv[5:]:
    stem, path = spec.split("=", 1)
    if path.endswith(".parquet"):
        rows = f"read_parquet('{path}')"
    elif path.endswith(".ndjson"):
        rows = f"read_json('{path}', format = 'newline_delimited')"
    else:
        rows = f"read_csv('{path}', all_varchar = true)"
    con.execute(f"CREATE TABLE proj.ds.{stem} AS SELECT * FROM {rows}")
con.execute(open(script, encoding="utf-8").read())
con.execute(f"COPY (SELECT kind, value, person_id FROM omnitouch_identity_map) TO '{people}' (HEADER, DELIMITER ',')")
con.execute(f"COPY (SELECT path, conversions, value, nulls FROM omnitouch_paths) TO '{paths}' (HEADER, DELIMITER ',')")
con.execute(f"COPY (SELECT source, rows_read, touches, conversions, identity_rows, ignored, merged_into_sessions, merged_into_conversions FROM omnitouch_accounting ORDER BY source_index) TO '{accounting}' (HEADER, DELIMITER ',')")
"#;

#[test]
fn sources_named_as_tables_give_the_local_engines_people_and_paths() {
    let Some(python) = common::python_with("duckdb", "the DuckDB check") else {
        return;
    };
    let w = Workdir::new();
    w.generate(1500, 12, &[]);
    let tables = w.tables_config();
    let config = std::fs::read_to_string(w.join("gen/omnitouch.toml")).expect("config");
    w.write(
        "gen/omnitouch.toml",
        format!("{config}\n[identity]\nguard = \"isolate_shared\"\n"),
    );
    duckdb_script(&w, "gen/tables.toml", "tables.sql");
    let run = Command::new(&python)
        .args(["-c", RUN_ON_TABLES])
        .arg(w.join("tables.sql"))
        .arg(w.join("duck-map.csv"))
        .arg(w.join("duck-paths.csv"))
        .arg(w.join("accounting.csv"))
        .args(
            tables
                .iter()
                .map(|(stem, file)| format!("{stem}={}", file.display())),
        )
        .output()
        .expect("python runs");
    assert!(
        run.status.success(),
        "DuckDB refused the tables script: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    run_locally(&w, "gen/omnitouch.toml", &["--model", "last_touch"]);
    assert_same_people(&w.join("map.csv"), &w.join("duck-map.csv"), 1000);
    assert_same_paths(&w.join("paths.csv"), &w.join("duck-paths.csv"), 100);
    assert_same_accounting(
        &w.join("report/data-quality.json"),
        &w.join("accounting.csv"),
    );
}

/// GA4's export schema as Parquet (the fixture's NDJSON written out by DuckDB: records as
/// structs, event parameters as a list of key/value structs), read through nested paths.
const GA4_CONFIG: &str = r#"
[identity]
guard = "isolate_shared"

[[sources]]
name = "ga4"
path = "events.parquet"
kind_column = "event_name"
touch_values = ["session_start", "page_view"]
conversion_values = ["purchase"]
ignore_other_values = true
timestamp = "event_timestamp"
timestamp_format = "epoch_us"
ids = { cookie_id = "user_pseudo_id", customer_id = "user_id" }
channel = { fields = { utm_source = "collected_traffic_source.manual_source", utm_medium = "collected_traffic_source.manual_medium", click_id = "collected_traffic_source.gclid" } }
value_column = "ecommerce.purchase_revenue"
dimensions = { device = "device.category", session = "event_params[key=ga_session_id].value.int_value", page = "event_params[key=page_location].value.string_value" }
"#;

const GA4_IN_DUCKDB: &str = r#"
import sys, duckdb
fixtures, parquet, script, local, out = sys.argv[1:6]
con = duckdb.connect()
if script == "-":
    con.execute(f"COPY (SELECT * FROM read_json('{fixtures}/events_*.ndjson', format = 'newline_delimited') ORDER BY event_timestamp) TO '{parquet}' (FORMAT parquet)")
    sys.exit(0)
con.execute(open(script, encoding="utf-8").read())
columns = "kind, channel, value, cookie_id, customer_id, device, session, page"
mine = con.sql(f"SELECT ts_us, {columns} FROM omnitouch_touchpoints ORDER BY line").fetchall()
theirs = con.sql(f"SELECT epoch_us(ts), {columns} FROM '{local}' ORDER BY seq").fetchall()
with open(out, "w") as f:
    f.write(repr(mine) + "\n" + repr(theirs) + "\n")
"#;

#[test]
fn nested_fields_of_the_ga4_export_are_read_as_the_local_engine_reads_them() {
    let Some(python) = common::python_with("duckdb", "the DuckDB check") else {
        return;
    };
    let w = Workdir::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exports/ga4");
    let duck = |script: &str| {
        let run = Command::new(&python)
            .args(["-c", GA4_IN_DUCKDB])
            .arg(&fixtures)
            .arg(w.join("events.parquet"))
            .arg(script)
            .arg(w.join("local.parquet"))
            .arg(w.join("compared.txt"))
            .output()
            .expect("python runs");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    };
    duck("-");
    w.write("omnitouch.toml", GA4_CONFIG);
    w.cmd()
        .args(["validate", "-q", "-o", "local.parquet"])
        .assert()
        .success();
    w.cmd()
        .args(["sql", "--dialect", "duckdb", "-o", "script.sql"])
        .assert()
        .success();
    duck(w.join("script.sql").to_str().expect("utf-8 path"));
    let compared = std::fs::read_to_string(w.join("compared.txt")).expect("compared");
    let (mine, theirs) = compared.split_once('\n').expect("two lines");
    assert_eq!(
        mine,
        theirs.trim_end(),
        "touchpoints: DuckDB's, then the local engine's"
    );
    for seen in [
        "'desktop'",
        "'1710752400'",
        "utm_campaign=spring_sale",
        "'Email'",
        "45.5",
    ] {
        assert!(
            mine.contains(seen),
            "{seen} read through a nested path: {mine}"
        );
    }
}

/// Runs a script in DuckDB and writes its path table (CSV).
const PATHS_IN_DUCKDB: &str = r#"
import sys, duckdb
script, paths = sys.argv[1:3]
con = duckdb.connect()
con.execute(open(script, encoding="utf-8").read())
con.execute(f"COPY (SELECT path, conversions, value, nulls FROM omnitouch_paths) TO '{paths}' (HEADER, DELIMITER ',')")
"#;

#[test]
fn path_transforms_give_the_local_engines_paths() {
    let Some(python) = common::python_with("duckdb", "the DuckDB check") else {
        return;
    };
    let w = Workdir::new();
    w.generate(1500, 13, &[]);
    let config = std::fs::read_to_string(w.join("gen/omnitouch.toml")).expect("config");
    for transforms in [
        r#"["unique"]"#,
        r#"["frequency"]"#,
        r#"["first"]"#,
        r#"["remove:Direct|Email"]"#,
        r#"["trim:2"]"#,
        r#"["session:120"]"#,
        r#"["session:1440", "remove:Direct", "unique", "trim:3"]"#,
    ] {
        w.write(
            "gen/transformed.toml",
            format!(
                "{config}\n[identity]\nguard = \"isolate_shared\"\n\n[journeys]\ntransforms = {transforms}\n"
            ),
        );
        duckdb_script(&w, "gen/transformed.toml", "transformed.sql");
        let run = Command::new(&python)
            .args(["-c", PATHS_IN_DUCKDB])
            .arg(w.join("transformed.sql"))
            .arg(w.join("duck-paths.csv"))
            .output()
            .expect("python runs");
        assert!(
            run.status.success(),
            "{transforms}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        w.cmd()
            .args([
                "journeys",
                "-q",
                "--config",
                "gen/transformed.toml",
                "-o",
                "paths.csv",
            ])
            .assert()
            .success();
        eprintln!("transforms {transforms}");
        assert_same_paths(&w.join("paths.csv"), &w.join("duck-paths.csv"), 50);
    }
}

#[test]
fn sessions_and_conversion_ids_are_counted_once_as_locally() {
    let Some(python) = common::python_with("duckdb", "the DuckDB check") else {
        return;
    };
    let w = Workdir::new();
    w.generate(1500, 14, &[]);
    // Orders again in a second export (the first 200, some a day later and at another
    // value), and line items: orders whose rows repeat, summed.
    let orders = std::fs::read_to_string(w.join("gen/orders.csv")).expect("orders.csv");
    let mut lines = orders.lines();
    let header = lines.next().expect("header");
    let rows: Vec<&str> = lines.collect();
    let mut copy = format!("{header}\n");
    // A third of the copies at another value (the copy's source comes first, so its value
    // wins), a third without identifiers (not usable: the first export's row is kept).
    for (i, row) in rows.iter().take(200).enumerate() {
        let mut cells: Vec<&str> = row.split(',').collect();
        match i % 3 {
            0 => cells[7] = "1.25",
            1 => cells[2..6].fill(""),
            _ => {}
        }
        copy.push_str(&cells.join(","));
        copy.push('\n');
    }
    w.write("gen/orders_copy.csv", copy);
    let mut items = orders.clone();
    for row in rows.iter().step_by(7) {
        items.push_str(row);
        items.push('\n');
    }
    w.write("gen/orders.csv", items);
    let config = std::fs::read_to_string(w.join("gen/omnitouch.toml")).expect("config");
    let config = config
        .replace(
            "timestamp = \"session_start\"\n",
            "timestamp = \"session_start\"\nsession_key = [\"ga_cookie\", \"device_category\"]\n",
        )
        .replace(
            "path = \"orders.csv\"\n",
            "path = \"orders.csv\"\nconversion_id = \"order_id\"\nline_items = \"sum\"\n",
        );
    let copy_source = config
        .split("[[sources]]")
        .find(|s| s.contains("path = \"orders.csv\""))
        .expect("the orders source")
        .replace("name = \"online_orders\"", "name = \"orders_copy\"")
        .replace("orders.csv", "orders_copy.csv")
        .replace("line_items = \"sum\"\n", "");
    w.write(
        "gen/omnitouch.toml",
        format!(
            "[conversions]\nsource_priority = [\"orders_copy\"]\n\n{config}\n[[sources]]{copy_source}\n[identity]\nguard = \"isolate_shared\"\n"
        ),
    );
    run_script_in_duckdb(&python, &w, "gen/omnitouch.toml");
    run_locally(
        &w,
        "gen/omnitouch.toml",
        &[
            "--model",
            "last_touch",
            "--model",
            "time_decay_7d",
            "--per-conversion",
        ],
    );
    let quality: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(w.join("report/data-quality.json")).expect("quality"),
    )
    .expect("json");
    let merged = |field: &str| -> u64 {
        quality["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .map(|s| s[field].as_u64().expect(field))
            .sum()
    };
    eprintln!(
        "merged: {} sessions, {} conversions",
        merged("merged_into_sessions"),
        merged("merged_into_conversions")
    );
    assert!(merged("merged_into_sessions") > 100, "sessions merge rows");
    assert!(
        merged("merged_into_conversions") > 200,
        "order ids merge rows"
    );
    assert_same_accounting(
        &w.join("report/data-quality.json"),
        &w.join("accounting.csv"),
    );
    assert_same_people(&w.join("map.csv"), &w.join("duck-map.csv"), 1000);
    assert_same_paths(&w.join("paths.csv"), &w.join("duck-paths.csv"), 100);
    w.cmd()
        .args([
            "run",
            "-q",
            "--paths",
            "duck-paths.csv",
            "--conversions",
            "duck-conversions.csv.parquet",
            "--model",
            "last_touch",
            "--model",
            "time_decay_7d",
            "--per-conversion",
            "--out-dir",
            "handed-back",
        ])
        .assert()
        .success();
    assert_same_credits(&w.join("report"), &w.join("handed-back"));
}

/// Landing pages and referrers of awkward shapes: upper-case and repeated parameters, blank
/// values, `+` and `%XX`, a fragment that looks like a query, relative pages, referrers
/// without a scheme, with a user and port, of a non-web scheme.
const VISITS: &str = "ts,cookie,landing,ref
2026-03-01T10:00:00Z,c1,https://shop.example/?utm_source=Google&utm_medium=cpc&gclid=abc,https://www.Google.com/search?q=x
2026-03-01T10:01:00Z,c2,/products/mug?UTM_SOURCE=news%20letter&utm_medium=e-mail,m.facebook.com/
2026-03-01T10:02:00Z,c3,https://shop.example/landing?utm_source=&utm_source=bing+ads&msclkid=1,android-app://com.google.android.gm/
2026-03-01T10:03:00Z,c4,https://shop.example/#/page?utm_source=fragment,
2026-03-01T10:04:00Z,c5,https://shop.example/?fbclid=x&gclid=,http://user@www.example.org:8080/path
2026-03-01T10:05:00Z,c6,not a url,google.com:443/x
2026-03-01T10:06:00Z,c7,https://shop.example/?utm_source=caf%C3%A9&utm_medium=%20social%20,HTTPS://WWW.BING.COM
2026-03-01T10:07:00Z,c8,https://shop.example/?utm_campaign=a&b&utm_source=x=y,https://news.example.net/deals
2026-03-01T10:08:00Z,c9,https://shop.example/?utm_medium=email&utm_medium=sms&wbraid=w,https://t.co/abc
";

#[test]
fn landing_urls_and_referrer_hosts_give_the_local_rule_fields() {
    let Some(python) = common::python_with("duckdb", "the DuckDB check") else {
        return;
    };
    let w = Workdir::new();
    w.write("visits.csv", VISITS);
    // One config per field: a rule per value the rows could give, so that each row's channel
    // is its field's value.
    let candidates: [(&str, &[&str]); 4] = [
        (
            "utm_source",
            &[
                "google",
                "news letter",
                "bing ads",
                "fragment",
                "café",
                "x=y",
            ],
        ),
        ("utm_medium", &["cpc", "e-mail", "social", "email", "sms"]),
        (
            "click_id",
            &["gclid", "msclkid", "fbclid", "wbraid", "gbraid"],
        ),
        (
            "referrer_host",
            &[
                "google.com",
                "m.facebook.com",
                "com.google.android.gm",
                "example.org",
                "bing.com",
                "news.example.net",
                "t.co",
            ],
        ),
    ];
    for (field, values) in candidates {
        let mut rules: Vec<String> = values
            .iter()
            .map(|v| {
                format!(
                    "{{ channel = \"{v}\", when = [{{ field = \"{field}\", equals = \"{v}\" }}] }}"
                )
            })
            .collect();
        rules.push(format!(
            "{{ channel = \"(none)\", when = [{{ field = \"{field}\", empty = true }}] }}"
        ));
        w.write(
            "omnitouch.toml",
            format!(
                "[channels]\nuse_defaults = false\nrules = [\n  {}\n]\n\n[[sources]]\nname = \"visits\"\npath = \"visits.csv\"\nkind = \"touch\"\ntimestamp = \"ts\"\nids = {{ cookie_id = \"cookie\" }}\nchannel = {{ url = \"landing\", fields = {{ referrer = \"ref\" }} }}\n\n[identity]\nguard = \"isolate_shared\"\n",
                rules.join(",\n  ")
            ),
        );
        w.cmd()
            .args(["validate", "-q", "-o", "local.parquet"])
            .assert()
            .success();
        run_script_in_duckdb(&python, &w, "omnitouch.toml");
        let local = column_text(
            &frame(&w.join("local.parquet"))
                .sort(["seq"], SortMultipleOptions::default())
                .expect("sorted"),
            "channel",
        );
        let duck = column_text(&frame(&w.join("duck.parquet")), "channel");
        assert_eq!(
            duck, local,
            "{field} of each row: DuckDB, then the local engine"
        );
        let named = local
            .iter()
            .filter(|c| !matches!(c.as_deref(), Some("(none)" | "Unassigned")))
            .count();
        assert!(named >= 4, "{field}: most rows give a value: {local:?}");
    }
}

#[test]
fn the_ga4_and_shopify_presets_run_in_sql_as_locally() {
    let Some(python) = common::python_with("duckdb", "the DuckDB check") else {
        return;
    };
    let w = Workdir::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exports");
    let run = Command::new(&python)
        .args(["-c", GA4_IN_DUCKDB])
        .arg(fixtures.join("ga4"))
        .arg(w.join("events.parquet"))
        .args(["-", "-", "-"])
        .output()
        .expect("python runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::copy(
        fixtures.join("shopify/orders_export_1.csv"),
        w.join("orders_export_1.csv"),
    )
    .expect("copy");
    // The presets as shipped, each reading one file (the scripts read no globs).
    let preset = |name: &str, glob: &str, file: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("presets/{name}.toml"));
        let text = std::fs::read_to_string(path).expect("preset");
        assert!(text.contains(glob), "{name} reads {glob}");
        text.replace(glob, file)
    };
    w.write(
        "omnitouch.toml",
        format!(
            "[identity]\nextra_kinds = [\"order_id\"]\nguard = \"isolate_shared\"\n\n[conversions]\nsource_priority = [\"shopify_orders\", \"ga4\"]\n\n{}\n{}",
            preset("ga4-bigquery-parquet", "exports/ga4/events_*.parquet", "events.parquet"),
            preset("shopify-orders", "exports/shopify/orders_export_*.csv", "orders_export_1.csv"),
        ),
    );
    w.cmd()
        .args(["validate", "-q", "-o", "local.parquet"])
        .assert()
        .success();
    run_script_in_duckdb(&python, &w, "omnitouch.toml");
    run_locally(&w, "omnitouch.toml", &["--model", "last_touch"]);
    assert_same_accounting(
        &w.join("report/data-quality.json"),
        &w.join("accounting.csv"),
    );
    assert_same_people(&w.join("map.csv"), &w.join("duck-map.csv"), 4);
    assert_same_paths(&w.join("paths.csv"), &w.join("duck-paths.csv"), 1);
    let local = frame(&w.join("local.parquet"))
        .sort(["seq"], SortMultipleOptions::default())
        .expect("sorted");
    let duck = frame(&w.join("duck.parquet"));
    for name in [
        "source",
        "kind",
        "channel",
        "value",
        "conversion_id",
        "cookie_id",
        "email_sha256",
        "order_id",
    ] {
        assert_eq!(
            column_text(&duck, name),
            column_text(&local, name),
            "{name}: DuckDB, then the local engine"
        );
    }
    let channels = column_text(&local, "channel");
    for seen in ["Paid Search", "Organic Social", "Email"] {
        assert!(
            channels.iter().any(|c| c.as_deref() == Some(seen)),
            "{seen} from the landing pages: {channels:?}"
        );
    }
}
