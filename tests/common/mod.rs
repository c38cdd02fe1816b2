//! Test helpers: a temporary work folder with files, a config, and the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use omnitouch::config::Config;
use omnitouch::ingest::{self, LoadOptions, Touchpoints};

/// Config of one `events.csv` export with the columns ts, cookie, event (touch or
/// conversion), channel and value.
pub const EVENTS_SOURCE: &str = r#"[[sources]]
name = "events"
path = "events.csv"
kind_column = "event"
touch_values = ["touch"]
conversion_values = ["conversion"]
timestamp = "ts"
ids = { cookie_id = "cookie" }
channel = { column = "channel" }
value_column = "value"
"#;

/// A temporary folder holding a test's exports and config.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file (bytes as given, so BOMs, CRLF and invalid UTF-8 survive).
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, contents).expect("write");
        path
    }

    /// Writes `omnitouch.toml` and parses it.
    pub fn config(&self, text: &str) -> Result<Config, omnitouch::Error> {
        let path = self.write("omnitouch.toml", text);
        Config::load(&path)
    }

    /// Writes the config and loads its data, keeping every reject.
    pub fn load(&self, config: &str) -> Result<Touchpoints, omnitouch::Error> {
        let config = self.config(config)?;
        ingest::load(
            &config,
            &LoadOptions {
                keep_all_rejects: true,
                progress: false,
            },
        )
    }

    /// The binary, run in this folder.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("omnitouch").expect("binary");
        // No terminal width: tables are drawn whole, whatever the shell running the tests.
        cmd.current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("COLUMNS");
        cmd
    }

    /// Generates an export set of `people` with `seed` into `gen/` (its config:
    /// `gen/omnitouch.toml`), with any further `generate` options.
    #[allow(dead_code)]
    pub fn generate(&self, people: u32, seed: u64, extra: &[&str]) {
        self.cmd()
            .args(["generate", "-q", "--out-dir", "gen", "--people"])
            .arg(people.to_string())
            .arg("--seed")
            .arg(seed.to_string())
            .args(extra)
            .assert()
            .success();
    }

    /// Runs the binary with `args`, asserts success and returns its stdout.
    /// Rewrites the generated set's config (`gen/omnitouch.toml`) as `gen/tables.toml`, whose
    /// sources are warehouse tables `proj.ds.<file stem>` (spend stays a file: the warehouse
    /// script does not read it), under the order-free identity guard. Returns each table's
    /// stem with the file it stands for.
    pub fn tables_config(&self) -> Vec<(String, PathBuf)> {
        let text = std::fs::read_to_string(self.join("gen/omnitouch.toml")).expect("config");
        let mut in_source = false;
        let mut tables = Vec::new();
        let mut out = String::new();
        for line in text.lines() {
            if line.starts_with('[') {
                in_source = line.trim() == "[[sources]]";
            }
            match line.strip_prefix("path = \"") {
                Some(rest) if in_source => {
                    let file = rest.trim_end_matches('"');
                    let stem = Path::new(file)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .expect("a file name");
                    out.push_str(&format!("table = \"proj.ds.{stem}\"\n"));
                    tables.push((stem, self.join("gen").join(file)));
                }
                _ => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out.push_str("\n[identity]\nguard = \"isolate_shared\"\n");
        self.write("gen/tables.toml", &out);
        tables
    }

    pub fn stdout_ok(&self, args: &[&str]) -> String {
        let out = succeeded(self.cmd().args(args));
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }
}

/// Runs a command, asserts that it succeeded (showing its stderr if not) and returns its output.
pub fn succeeded(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Asserts that a Parquet output holds the same table as the command's CSV output:
/// same columns, same rows, same cells (numbers compared as numbers).
pub fn assert_parquet_matches_csv(parquet: &Path, csv_text: &str) {
    use polars::prelude::*;
    let df = ParquetReader::new(std::fs::File::open(parquet).expect("parquet file"))
        .finish()
        .expect("reads as parquet");
    assert_frame_matches_csv(&df, csv_text);
}

/// Asserts that a frame holds the same table as a CSV text: same columns, same rows, same
/// cells (numbers compared as numbers).
pub fn assert_frame_matches_csv(df: &polars::prelude::DataFrame, csv_text: &str) {
    use polars::prelude::*;
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names, header);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(df.height(), records.len());
    for (c, name) in header.iter().enumerate() {
        let column = df.column(name).expect("column");
        for (r, record) in records.iter().enumerate() {
            let cell = column.get(r).expect("cell");
            let text = record[c].to_string();
            match text.parse::<f64>() {
                Ok(x) => {
                    let y = match cell {
                        AnyValue::Float64(y) => y,
                        AnyValue::Int64(y) => y as f64,
                        other => panic!("{name} row {r}: {other:?} is not a number"),
                    };
                    assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{name} row {r}");
                }
                // A null is an empty CSV cell.
                Err(_) if cell.is_null() => assert_eq!("", text, "{name} row {r}"),
                Err(_) => assert_eq!(cell.str_value(), text, "{name} row {r}"),
            }
        }
    }
}

/// Strings of a frame column (None for nulls).
pub fn strings(t: &Touchpoints, column: &str) -> Vec<Option<String>> {
    t.frame
        .column(column)
        .expect("column")
        .str()
        .expect("string column")
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

/// Timestamps of the frame as RFC 3339 UTC strings.
pub fn times(t: &Touchpoints) -> Vec<String> {
    let ts = t.frame.column("ts").expect("ts");
    ts.datetime()
        .expect("datetime")
        .physical()
        .iter()
        .map(|v| {
            chrono::DateTime::from_timestamp_micros(v.expect("non-null ts"))
                .expect("valid")
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
        .collect()
}

/// Values of the frame's `value` column.
pub fn values(t: &Touchpoints) -> Vec<f64> {
    t.frame
        .column("value")
        .expect("value")
        .f64()
        .expect("f64")
        .iter()
        .map(|v| v.expect("non-null value"))
        .collect()
}

/// Rejected-row count of one source for one reason name.
pub fn rejected(t: &Touchpoints, source: &str, reason: &str) -> u64 {
    t.accounting
        .sources
        .iter()
        .find(|s| s.source == source)
        .expect("source")
        .rejected
        .iter()
        .filter(|(r, _)| r.name() == reason)
        .map(|(_, n)| *n)
        .sum()
}

/// Every source's rows balance: read = loaded + ignored + rejected.
pub fn assert_balanced(t: &Touchpoints) {
    for s in &t.accounting.sources {
        assert!(
            s.balanced(),
            "unbalanced accounting for {}: {s:?}",
            s.source
        );
    }
}

/// The Python (OMNITOUCH_PYTHON, else `python3`) when it can import `module`; None, said on
/// stderr, when it cannot, unless `OMNITOUCH_REQUIRE_<MODULE>=1` (set by `.ci/run`) makes a
/// missing module a failure rather than a skip.
pub fn python_with(module: &str, check: &str) -> Option<String> {
    let python = std::env::var("OMNITOUCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    let require = format!("OMNITOUCH_REQUIRE_{}", module.to_uppercase());
    if std::env::var(&require).as_deref() == Ok("1") {
        panic!("{require}=1 but {python} cannot import {module}");
    }
    eprintln!(
        "SKIPPED {check}: no Python with {module} (pip install {module}, set OMNITOUCH_PYTHON)"
    );
    None
}
