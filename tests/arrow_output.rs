//! `--format arrow` and `validate --frame-out`: typed Arrow IPC and Parquet files that other
//! tools read. The files are read back with pyarrow (a scratch virtualenv, installed by
//! `.ci/run`; `OMNITOUCH_PYTHON` picks the interpreter), as an analyst's notebook would.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Workdir;
use polars::prelude::{IpcReader, SerReader};

const PATHS: &str = "path;total_conversions;total_conversion_value;total_null\n\
                     Email > Paid Search;2;30;1\n\
                     Email;1;10;3\n\
                     Paid Search > Paid Search;1;5;0\n\
                     Display > Email;0;0;2\n";

/// A Python with pyarrow, or None (then the test says it skipped the pyarrow part, unless
/// `OMNITOUCH_REQUIRE_PYARROW=1` makes it required, as in CI).
fn python_with_pyarrow() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("OMNITOUCH_PYTHON").map(PathBuf::from),
        Some(PathBuf::from("/var/tmp/omnitouch-venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    let found = candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", "import pyarrow"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("OMNITOUCH_REQUIRE_PYARROW").is_none(),
            "OMNITOUCH_REQUIRE_PYARROW is set but no Python with pyarrow was found"
        );
        eprintln!("skipped the pyarrow part: no Python with pyarrow (see .ci/run)");
    }
    found
}

/// Reads an Arrow IPC or Parquet file with pyarrow; returns `schema` lines (`name: type`) and
/// the rows as JSON lines.
fn read_with_pyarrow(python: &Path, file: &Path) -> String {
    let script = r#"
import json, sys
import pyarrow.ipc as ipc, pyarrow.parquet as pq
path = sys.argv[1]
table = pq.read_table(path) if path.endswith(".parquet") else ipc.open_file(path).read_all()
for field in table.schema:
    print(f"{field.name}: {field.type}")
for row in table.to_pylist():
    print(json.dumps(row, sort_keys=True, default=str))
"#;
    let out = Command::new(python)
        .args(["-c", script])
        .arg(file)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "pyarrow could not read {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn attribute_to(w: &Workdir, format: &str, output: &str) {
    w.cmd()
        .args([
            "attribute",
            "--paths",
            "paths.csv",
            "--model",
            "linear",
            "--model",
            "first_touch",
            "--format",
            format,
            "-o",
            output,
        ])
        .assert()
        .success();
}

#[test]
fn credits_as_arrow_round_trip_through_pyarrow() {
    let w = Workdir::new();
    w.write("paths.csv", PATHS);
    attribute_to(&w, "arrow", "credits.arrow");
    attribute_to(&w, "csv", "credits.csv");
    // Polars reads it back with the same rows as the CSV.
    let file = std::fs::File::open(w.join("credits.arrow")).expect("arrow file");
    let df = IpcReader::new(file)
        .finish()
        .expect("polars reads the IPC file");
    common::assert_frame_matches_csv(
        &df,
        &std::fs::read_to_string(w.join("credits.csv")).expect("csv"),
    );
    let Some(python) = python_with_pyarrow() else {
        return;
    };
    let text = read_with_pyarrow(&python, &w.join("credits.arrow"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        &lines[..6],
        [
            "model: large_string",
            "channel: large_string",
            "conversions: double",
            "value: double",
            "conversions_share: double",
            "value_share: double",
        ],
        "typed columns: {text}"
    );
    // 2 models × 3 channels; linear gives Email 2 of the 4 conversions (hand-computed:
    // 1/2 + 1 + 0 + 0 over the paths, weighted by their conversions).
    assert_eq!(lines.len(), 6 + 6, "{text}");
    let email_linear = lines
        .iter()
        .find(|l| l.contains("\"channel\": \"Email\"") && l.contains("\"model\": \"linear\""))
        .expect("the linear Email row");
    assert!(
        email_linear.contains("\"conversions\": 2.0"),
        "{email_linear}"
    );
}

#[test]
fn comparison_columns_keep_their_types_in_arrow() {
    let w = Workdir::new();
    w.write("paths.csv", PATHS);
    w.cmd()
        .args([
            "compare",
            "--paths",
            "paths.csv",
            "--model",
            "linear",
            "--model",
            "last_touch",
            "--format",
            "arrow",
            "-o",
            "compare.arrow",
        ])
        .assert()
        .success();
    let Some(python) = python_with_pyarrow() else {
        return;
    };
    let text = read_with_pyarrow(&python, &w.join("compare.arrow"));
    for typed in ["rank: int64", "disputed: bool", "delta_vs_baseline: double"] {
        assert!(text.contains(typed), "{typed} missing from {text}");
    }
}

#[test]
fn arrow_output_needs_a_file() {
    let w = Workdir::new();
    w.write("paths.csv", PATHS);
    w.cmd()
        .args(["attribute", "--paths", "paths.csv", "--format", "arrow"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "arrow output needs --output FILE",
        ));
}

#[test]
fn validate_writes_the_canonical_table_it_loaded() {
    let w = Workdir::new();
    w.write(
        "web.csv",
        "time,cookie,source\n\
         2026-07-01T10:00:00Z,c1,google\n\
         2026-07-02T10:00:00Z,c2,newsletter\n\
         not a time,c3,google\n",
    );
    w.write(
        "omnitouch.toml",
        r#"[[sources]]
name = "web"
path = "web.csv"
kind = "touch"
timestamp = "time"
ids = { cookie_id = "cookie" }
channel = { column = "source" }
"#,
    );
    for name in ["frame.arrow", "frame.parquet"] {
        w.cmd()
            .args([
                "validate",
                "--config",
                "omnitouch.toml",
                "--frame-out",
                name,
            ])
            .assert()
            .success();
    }
    w.cmd()
        .args([
            "validate",
            "--config",
            "omnitouch.toml",
            "--frame-out",
            "frame.txt",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains(".parquet or .arrow"));
    let Some(python) = python_with_pyarrow() else {
        return;
    };
    for name in ["frame.arrow", "frame.parquet"] {
        let text = read_with_pyarrow(&python, &w.join(name));
        assert!(text.contains("ts: timestamp[us, tz=UTC]"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("cookie_id:") && l.contains("string")),
            "{text}"
        );
        // Two rows loaded; the third is rejected (bad timestamp) and not in the table.
        let rows: Vec<&str> = text.lines().filter(|l| l.starts_with('{')).collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(rows[0].contains("\"channel\": \"google\""), "{}", rows[0]);
        assert!(rows[1].contains("\"cookie_id\": \"c2\""), "{}", rows[1]);
    }
}
