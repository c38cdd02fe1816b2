//! Terminal tables fit the terminal: at 80 and 120 columns no table line is wider (columns
//! go to further tables, each with the row labels, instead of wrapping mid-word), and markers
//! are explained under their table.

use std::path::Path;

use assert_cmd::Command;

fn sample_config() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/omnitouch.toml")
}

fn stdout_at(columns: usize, args: &[&str]) -> String {
    let out = Command::cargo_bin("omnitouch")
        .expect("binary")
        .env("COLUMNS", columns.to_string())
        .env("NO_COLOR", "1")
        .args(args)
        .arg("--config")
        .arg(sample_config())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf-8")
}

fn table_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|l| l.starts_with(['┌', '│', '╞', '├', '└']))
}

#[test]
fn tables_fit_80_and_120_columns() {
    let dir = tempfile::tempdir().expect("dir");
    let report = dir.path().join("report");
    let report = report.to_str().expect("utf-8 path");
    for columns in [80, 120] {
        for args in [
            &["-q", "compare", "--models", "all"][..],
            &["-q", "run", "--out-dir", report][..],
            &["-q", "validate"][..],
        ] {
            let out = stdout_at(columns, args);
            assert!(table_lines(&out).count() > 0, "{args:?} drew tables");
            for line in table_lines(&out) {
                assert!(
                    line.chars().count() <= columns,
                    "{args:?} at {columns} columns: {line}"
                );
            }
        }
    }
}

#[test]
fn compare_explains_its_markers_and_spend_has_roas_and_cpa_apart() {
    let dir = tempfile::tempdir().expect("dir");
    let report = dir.path().join("report");
    let compare = stdout_at(
        120,
        &[
            "-q",
            "compare",
            "--model",
            "last_touch",
            "--model",
            "markov",
        ],
    );
    assert!(compare.contains(
        "in brackets the change in points against last_touch; * = the channels the models disagree on most"
    ));
    let run = stdout_at(
        120,
        &[
            "-q",
            "run",
            "--model",
            "last_touch",
            "--out-dir",
            report.to_str().expect("utf-8 path"),
        ],
    );
    assert!(run.contains("ROAS last_touch") && run.contains("CPA last_touch"));
    assert!(
        !run.contains("ROAS / CPA"),
        "no cell holds ROAS and CPA together"
    );
}
