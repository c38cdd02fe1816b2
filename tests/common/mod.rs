//! Test helpers: a temporary work folder with files, a config, and the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use omnitouch::config::Config;
use omnitouch::ingest::{self, LoadOptions, Touchpoints};

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
        cmd.current_dir(self.path()).env("NO_COLOR", "1");
        cmd
    }

    /// Runs the binary with `args`, asserts success and returns its stdout.
    pub fn stdout_ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "omnitouch {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
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
