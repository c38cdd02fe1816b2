//! The bad-input corpus (tests/corpus/*/case.toml): every broken or awkward input ends in a
//! clean error or a success with the right numbers, and never in a panic.

mod common;

use std::path::Path;

use serde::Deserialize;

/// One case's expected outcome.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    about: String,
    args: Vec<String>,
    exit: i32,
    #[serde(default)]
    stdout: Vec<String>,
    #[serde(default)]
    stderr: Vec<String>,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Runs one case in `dir`; returns what went wrong, if anything.
fn check(name: &str, dir: &Path, case: &Case) -> Option<String> {
    let out = assert_cmd::Command::cargo_bin("omnitouch")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(&case.args)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(case.exit) {
        problems.push(format!(
            "exit {:?}, expected {}",
            out.status.code(),
            case.exit
        ));
    }
    if stderr.contains("panicked at") || out.status.code() == Some(101) {
        problems.push("panicked".into());
    }
    for want in &case.stdout {
        if !stdout.contains(want.as_str()) {
            problems.push(format!("stdout lacks {want:?}"));
        }
    }
    for want in &case.stderr {
        if !stderr.contains(want.as_str()) {
            problems.push(format!("stderr lacks {want:?}"));
        }
    }
    (!problems.is_empty()).then(|| {
        format!(
            "{name} ({}): {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            case.about,
            problems.join("; ")
        )
    })
}

#[test]
fn every_corpus_case_has_its_stated_outcome() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .expect("corpus")
        .map(|e| e.expect("entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 40, "{} cases", names.len());
    let mut failures = Vec::new();
    for name in &names {
        let text = std::fs::read_to_string(root.join(name).join("case.toml"))
            .unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
        let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
        let work = tempfile::tempdir().expect("temp dir");
        copy_dir(&root.join(name), work.path());
        failures.extend(check(name, work.path(), &case));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A truncated Parquet export: a clean error naming the file.
#[test]
fn a_truncated_parquet_export_is_a_clean_error() {
    use polars::prelude::*;
    let w = common::Workdir::new();
    let mut df = df!(
        "ts" => ["2026-07-01T10:00:00Z", "2026-07-01T11:00:00Z"],
        "cookie" => ["c1", "c1"],
        "event" => ["touch", "conversion"],
        "channel" => ["Email", "Web"],
        "value" => [None, Some(40.0)],
    )
    .expect("frame");
    let path = w.join("events.parquet");
    ParquetWriter::new(std::fs::File::create(&path).expect("create"))
        .finish(&mut df)
        .expect("parquet");
    let config = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/parquet-empty-file/omnitouch.toml"),
    )
    .expect("config");
    w.write("omnitouch.toml", config);
    let case = Case {
        about: "a whole Parquet export".into(),
        args: vec!["validate".into()],
        exit: 0,
        stdout: vec!["2 rows read from 1 sources: 2 loaded".into()],
        stderr: vec![],
    };
    assert_eq!(check("parquet-whole", w.path(), &case), None);
    let bytes = std::fs::read(&path).expect("read");
    for keep in [bytes.len() / 2, bytes.len() - 3, 8] {
        std::fs::write(&path, &bytes[..keep]).expect("truncate");
        let case = Case {
            about: format!("a Parquet export cut to {keep} bytes"),
            args: vec!["validate".into()],
            exit: 1,
            stdout: vec![],
            stderr: vec!["events.parquet: not a readable Parquet file".into()],
        };
        assert_eq!(check("parquet-truncated", w.path(), &case), None);
    }
}

/// A path of 100,000 touches: every model runs and the credits add up.
#[test]
fn a_huge_path_is_attributed() {
    let w = common::Workdir::new();
    let channels = ["A", "B", "C", "D", "E"];
    let path: Vec<&str> = (0..100_000)
        .map(|i| channels[(i * 7 + i / 3) % 5])
        .collect();
    w.write(
        "paths.csv",
        format!(
            "path,conversions,value,nulls\n{},3,300,2\nA > B,1,10,4\n",
            path.join(" > ")
        ),
    );
    let out = w.stdout_ok(&[
        "attribute",
        "--paths",
        "paths.csv",
        "--models",
        "all",
        "--format",
        "csv",
    ]);
    let mut per_model: std::collections::BTreeMap<String, f64> = Default::default();
    for line in out.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        *per_model.entry(cells[0].to_string()).or_default() +=
            cells[2].parse::<f64>().expect("number");
    }
    assert!(per_model.len() >= 10, "{per_model:?}");
    for (model, total) in per_model {
        assert!((total - 4.0).abs() < 1e-9, "{model}: {total}");
    }
}
