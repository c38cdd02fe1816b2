//! Determinism, accounting and safety of outputs, on generated data with planted bad rows.

mod common;

use common::Workdir;
use omnitouch::attribution::{self, Catalogue, ModelInput};
use omnitouch::config::Config;
use omnitouch::identity::{self, IdentityOptions};
use omnitouch::ingest::{self, LoadOptions};
use omnitouch::journey::{self, JourneyOptions};
use predicates::prelude::*;

fn generated(w: &Workdir) {
    w.cmd()
        .args(["generate", "-q", "--out", "data", "--people", "500"])
        .args(["--seed", "11", "--bad-rows", "0.03", "--junk-rate", "0.03"])
        .assert()
        .success();
}

/// Every file of a folder, by name, as bytes.
fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn outputs_are_byte_identical_across_runs_and_thread_counts() {
    let w = Workdir::new();
    generated(&w);
    let run = |tag: &str, threads: Option<&str>| {
        std::fs::create_dir(w.join(tag)).expect("mkdir");
        let mut cmd = w.cmd();
        if let Some(n) = threads {
            cmd.args(["--threads", n]);
        }
        cmd.args([
            "run",
            "-q",
            "-c",
            "data/omnitouch.toml",
            "--bootstrap",
            "25",
        ])
        .args(["--out", &format!("{tag}/report")])
        .args(["--rejects", &format!("{tag}/rejects.csv")])
        .assert()
        .success();
        let mut cmd = w.cmd();
        if let Some(n) = threads {
            cmd.args(["--threads", n]);
        }
        cmd.args([
            "attribute",
            "-q",
            "-c",
            "data/omnitouch.toml",
            "--models",
            "all",
        ])
        .args(["--by", "device_type", "--format", "parquet"])
        .args(["--output", &format!("{tag}/by-device.parquet")])
        .assert()
        .success();
        let mut all = files(&w.join(&format!("{tag}/report")));
        all.extend(
            files(&w.join(tag))
                .into_iter()
                .filter(|(n, _)| n != "report"),
        );
        all
    };
    let one = run("t1", Some("1"));
    let names: Vec<&str> = one.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "credits.csv",
        "credits.json",
        "paths.parquet",
        "report.html",
        "rejects.csv",
        "by-device.parquet",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    for (tag, threads) in [("t2", Some("2")), ("again", Some("1")), ("default", None)] {
        let other = run(tag, threads);
        assert_eq!(other.len(), one.len());
        for ((name, a), (_, b)) in one.iter().zip(&other) {
            assert!(a == b, "{name} differs between t1 and {tag}");
        }
    }
    w.cmd().args(["--threads", "0", "models"]).assert().code(2);
}

#[test]
fn rows_and_conversions_are_all_accounted_for() {
    let w = Workdir::new();
    generated(&w);
    let config = Config::load(&w.join("data/omnitouch.toml")).expect("config");
    let t = ingest::load(&config, &LoadOptions::default()).expect("loads");
    let mut rejected = 0;
    for s in &t.accounting.sources {
        assert_eq!(
            s.rows_read,
            s.touches + s.conversions + s.identity_rows + s.ignored + s.rejected_total(),
            "{}",
            s.source
        );
        rejected += s.rejected_total();
    }
    assert!(rejected > 0, "bad rows were planted");
    let people = identity::stitch(
        &t,
        &IdentityOptions::from_config(&config, &t.id_kinds).expect("options"),
    )
    .expect("stitches");
    let j = journey::build(
        &t,
        &people,
        &JourneyOptions::from_config(&config).expect("options"),
    )
    .expect("journeys");
    let s = &j.stats;
    assert_eq!(
        j.conversions_in,
        s.converting + s.unattributed + s.conversions_without_person
    );
    assert!(s.unattributed > 0 && s.converting > 0);
    let table = j.path_table();
    let input = ModelInput {
        table: &table,
        journeys: Some(&j),
    };
    let catalogue = Catalogue::load(&[]).expect("catalogue");
    let results = attribution::run(catalogue.specs(), &input).expect("models");
    for a in results {
        let credited: f64 = a.conversions.iter().sum();
        assert!(
            (credited - s.converting as f64).abs() < 1e-6,
            "{}: {credited} credited of {} attributed conversions",
            a.model,
            s.converting
        );
    }
}

#[test]
fn refuses_to_write_over_an_input() {
    let w = Workdir::new();
    generated(&w);
    let paths = "path,conversions,value,nulls\nA > B,2,20,1\nB,1,5,3\n";
    w.write("paths.csv", paths);
    w.cmd()
        .args(["attribute", "--paths", "paths.csv", "--model", "linear"])
        .args(["--format", "csv", "--output", "./paths.csv"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("one of this run's inputs"));
    assert_eq!(
        std::fs::read_to_string(w.join("paths.csv")).expect("read"),
        paths
    );
    let web = std::fs::read(w.join("data/web_sessions.csv")).expect("an export");
    w.cmd()
        .args(["validate", "-c", "data/omnitouch.toml"])
        .args(["--rejects", "data/web_sessions.csv"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("data/web_sessions.csv")
                .and(predicate::str::contains("refusing to overwrite")),
        );
    assert_eq!(
        std::fs::read(w.join("data/web_sessions.csv")).expect("read"),
        web
    );
    let config = std::fs::read(w.join("data/omnitouch.toml")).expect("config");
    w.cmd()
        .args(["stitch", "-q", "-c", "data/omnitouch.toml"])
        .args(["--out", "data/omnitouch.toml"])
        .assert()
        .code(1);
    assert_eq!(
        std::fs::read(w.join("data/omnitouch.toml")).expect("read"),
        config
    );
}

/// The main job opens no socket at all (checked with strace, when it is installed; `.ci/run`
/// installs it and sets OMNITOUCH_REQUIRE_STRACE=1 so CI cannot skip this).
#[test]
fn the_main_job_opens_no_network_socket() {
    let strace = std::process::Command::new("strace").arg("-V").output();
    if strace.is_err() {
        assert!(
            std::env::var_os("OMNITOUCH_REQUIRE_STRACE").is_none(),
            "strace is required here but not installed"
        );
        eprintln!("skipped: strace is not installed");
        return;
    }
    let w = Workdir::new();
    generated(&w);
    let trace = w.join("trace.txt");
    let status = std::process::Command::new("strace")
        .current_dir(w.path())
        .args(["-f", "-e", "trace=socket,connect,sendto", "-o"])
        .arg(&trace)
        .arg(assert_cmd::cargo::cargo_bin("omnitouch"))
        .args(["run", "-q", "-c", "data/omnitouch.toml", "--out", "r"])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("strace runs");
    assert!(status.success());
    let calls = std::fs::read_to_string(&trace).expect("trace");
    assert!(
        calls.contains("exited with 0"),
        "strace traced the run: {calls}"
    );
    let network: Vec<&str> = calls
        .lines()
        .filter(|l| l.contains("socket(") || l.contains("connect(") || l.contains("sendto("))
        .collect();
    assert!(network.is_empty(), "network calls: {network:?}");
}
