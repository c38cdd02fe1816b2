//! The four dialects of `omnitouch sql`, parsed: the scripts for DuckDB, Spark, BigQuery and
//! Snowflake from one config whose sources are warehouse tables are read by sqlglot in each
//! dialect, every statement strictly (none left as an opaque command), the ordered path
//! aggregation kept, and the loop's scripting exactly as written. BigQuery and Snowflake are
//! not run here (no service); DuckDB and Spark are run by `warehouse_duckdb` and
//! `benches/warehouse/spark_differential.py`. sqlglot comes from the scratch virtualenv
//! `.ci/run` makes (OMNITOUCH_PYTHON); elsewhere the test says it skipped.

mod common;

use std::process::Command;

use common::Workdir;

const CHECKER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/warehouse/parse_script.py"
);

/// What the checker found in a script.
fn parse(
    python: &str,
    dialect: &str,
    script: &std::path::Path,
) -> Result<serde_json::Value, String> {
    let out = Command::new(python)
        .arg(CHECKER)
        .arg(dialect)
        .arg(script)
        .output()
        .expect("python runs");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).expect("checker JSON");
    let commands = found["commands"].as_array().expect("commands");
    if !commands.is_empty() {
        return Err(format!("taken as opaque commands: {commands:?}"));
    }
    Ok(found)
}

#[test]
fn every_dialect_parses_with_its_ordered_aggregation_and_loop() {
    let Some(python) = common::python_with("sqlglot", "the dialect parse check") else {
        return;
    };
    let w = Workdir::new();
    w.generate(200, 5, &[]);
    w.tables_config();
    for (dialect, aggregation) in [
        ("duckdb", "' > ' ORDER BY place)"),
        ("spark", "WITHIN GROUP (ORDER BY place)"),
        ("bigquery", "STRING_AGG(channel, ' > ' ORDER BY place)"),
        (
            "snowflake",
            "LISTAGG(channel, ' > ') WITHIN GROUP (ORDER BY place)",
        ),
    ] {
        let script = format!("{dialect}.sql");
        w.cmd()
            .args([
                "sql",
                "--config",
                "gen/tables.toml",
                "--dialect",
                dialect,
                "-o",
                &script,
            ])
            .assert()
            .success();
        let found =
            parse(&python, dialect, &w.join(&script)).unwrap_or_else(|e| panic!("{dialect}: {e}"));
        let created: Vec<&str> = found["created"]
            .as_array()
            .expect("created")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        for table in [
            "omnitouch_touchpoints",
            "omnitouch_accounting",
            "omnitouch_components",
            "omnitouch_identity_map",
            "omnitouch_conversion_paths",
            "omnitouch_paths",
        ] {
            assert!(
                created.contains(&table),
                "{dialect} creates {table}: {created:?}"
            );
        }
        let journeys = found["journey_paths_sql"].as_str().expect("journey paths");
        assert!(
            journeys.contains(aggregation),
            "{dialect}: the path is aggregated in order ({aggregation}) after parsing"
        );
        let scaffold = found["scaffold"].as_array().expect("scaffold").len();
        match dialect {
            "duckdb" => assert_eq!(scaffold, 0, "DuckDB walks recursively"),
            _ => assert!(scaffold >= 4, "{dialect}: components by a loop"),
        }
        // The checker can fail: a statement that does not parse is reported.
        let broken = w.write(
            &format!("{dialect}-broken.sql"),
            format!(
                "{}\nCREATE OR REPLACE TABLE broken AS SELECT FROM WHERE;\n",
                std::fs::read_to_string(w.join(&script)).expect("script")
            ),
        );
        assert!(
            parse(&python, dialect, &broken).is_err(),
            "{dialect}: a broken statement is caught"
        );
    }
}

#[test]
fn tables_are_for_the_warehouse_and_files_for_engines_that_read_them() {
    let w = Workdir::new();
    w.generate(200, 5, &[]);
    w.tables_config();
    // The local engine names the table source and says where tables are read.
    let out = w
        .cmd()
        .args(["run", "-q", "--config", "gen/tables.toml"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("table = \"proj.ds.") && err.contains("omnitouch sql"),
        "{err}"
    );
    // BigQuery and Snowflake read tables: a file source is refused by name.
    for dialect in ["bigquery", "snowflake"] {
        let out = w
            .cmd()
            .args([
                "sql",
                "--config",
                "gen/omnitouch.toml",
                "--dialect",
                dialect,
            ])
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{dialect}");
        assert!(
            err.contains("`table =`") && err.contains(dialect),
            "{dialect}: {err}"
        );
    }
}
