//! The real binary: exit codes, messages, `--rejects`, `--strict`, generate → validate.

mod common;

use std::path::Path;

use common::Workdir;
use predicates::prelude::*;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn no_panic() -> impl Predicate<str> {
    predicate::str::contains("panicked").not()
}

#[test]
fn a_reader_that_stops_early_gets_no_panic() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("dir");
    let bin = assert_cmd::cargo::cargo_bin("omnitouch");
    let mut child = std::process::Command::new(bin)
        .args(["-q", "run", "--config"])
        .arg(repo().join("sample-data/omnitouch.toml"))
        .arg("--out")
        .arg(dir.path().join("report"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a line");
    // The reader is gone (as `| head -1` would be) before the tables are printed.
    let out = child.wait_with_output().expect("ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(first.contains("window: all data"), "{first}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn validate_with_no_arguments_uses_the_bundled_sample_data() {
    let mut cmd = Workdir::new().cmd();
    cmd.current_dir(repo())
        .arg("validate")
        .assert()
        .success()
        .stderr(predicate::str::contains("sample-data/omnitouch.toml"))
        .stdout(
            predicate::str::contains("web_sessions")
                .and(predicate::str::contains("store_pos"))
                .and(predicate::str::contains("crm"))
                .and(predicate::str::contains("Rejected rows"))
                .and(predicate::str::contains("Channel mix"))
                .and(predicate::str::contains("rows read from 11 sources")),
        );
}

#[test]
fn strict_fails_when_rows_are_rejected() {
    let mut cmd = Workdir::new().cmd();
    cmd.current_dir(repo())
        .args(["validate", "--strict", "-q"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--strict").and(no_panic()));
}

#[test]
fn strict_passes_on_clean_data() {
    let w = Workdir::new();
    w.write("t.csv", "ts,id\n2026-07-01T00:00:00Z,a\n");
    w.write(
        "omnitouch.toml",
        "[[sources]]\nname = \"s\"\npath = \"t.csv\"\nkind = \"touch\"\ntimestamp = \"ts\"\nids = { cookie_id = \"id\" }\nchannel = { value = \"Direct\" }\n",
    );
    w.cmd()
        .args(["validate", "--strict"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 rejected"));
}

#[test]
fn rejects_file_lists_every_rejected_row() {
    let w = Workdir::new();
    let out = w.join("rejects.csv");
    let mut cmd = w.cmd();
    cmd.current_dir(repo())
        .args(["validate", "-q", "--rejects"])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).expect("rejects written");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("header").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        ["source", "file", "line", "reason", "column", "detail", "row"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("sample-data/truth/summary.json")).expect("truth"),
    )
    .expect("json");
    let bad: u64 = truth["files"]
        .as_object()
        .expect("files")
        .values()
        .map(|f| f["bad"].as_u64().expect("bad"))
        .sum();
    assert_eq!(rows.len() as u64, bad);
    assert!(rows
        .iter()
        .all(|r| r[2].parse::<u64>().expect("line number") >= 1));
}

/// Generates a set of 3000 people (all-Parquet with `--parquet`), checks that loading it
/// accounts for every row as its truth says, and returns the loaded totals.
fn check_generated_set(extra: &[&str]) -> omnitouch::ingest::SourceAccount {
    let w = Workdir::new();
    w.cmd()
        .args([
            "generate",
            "--people",
            "3000",
            "--seed",
            "7",
            "--bad-rows",
            "0.01",
            "--out",
            "gen",
        ])
        .args(extra)
        .assert()
        .success()
        .stdout(predicate::str::contains("3000 people"));
    let config = omnitouch::config::Config::load(&w.join("gen/omnitouch.toml")).expect("config");
    let loaded =
        omnitouch::ingest::load(&config, &omnitouch::ingest::LoadOptions::default()).expect("load");
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(w.join("gen/truth/summary.json")).expect("truth"),
    )
    .expect("json");
    let files = truth["files"].as_object().expect("files");
    let mut total_bad = 0;
    for (file, counts) in files {
        let source = counts["source"].as_str().expect("source");
        let account = loaded
            .accounting
            .sources
            .iter()
            .find(|s| s.source == source)
            .unwrap_or_else(|| panic!("no source {source} for {file}"));
        assert!(account.balanced());
        assert_eq!(
            account.rows_read,
            counts["rows"].as_u64().expect("rows"),
            "{source}"
        );
        assert_eq!(
            account.rejected_total(),
            counts["bad"].as_u64().expect("bad"),
            "{source}"
        );
        assert_eq!(
            account.ignored,
            counts["ignored"].as_u64().expect("ignored"),
            "{source}"
        );
        total_bad += account.rejected_total();
    }
    assert!(total_bad > 0, "bad rows were planted");
    let total = loaded.accounting.total();
    assert_eq!(total.touches, truth["touches"].as_u64().expect("touches"));
    assert_eq!(
        total.conversions,
        truth["conversions"].as_u64().expect("conversions")
    );
    assert_eq!(total.unassigned, 0);
    // Every default channel group the generator plants is recognised by the rules.
    for channel in truth["channel_effects"]
        .as_object()
        .expect("effects")
        .keys()
    {
        assert!(loaded.channels.contains(channel), "{channel} not loaded");
    }

    w.cmd()
        .args(["validate", "--config", "gen/omnitouch.toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("rows read from 11 sources"));
    total
}

#[test]
fn generated_sets_validate_and_account_for_every_row() {
    let mixed = check_generated_set(&[]);
    let parquet = check_generated_set(&["--parquet"]);
    // The same people and touches, whatever the file format.
    assert_eq!(mixed.touches, parquet.touches);
    assert_eq!(mixed.conversions, parquet.conversions);
    // Parquet holds no ragged or cut-off rows: fewer rows are rejected.
    assert!(parquet.rejected_total() < mixed.rejected_total());
}

#[test]
fn generate_parquet_writes_only_parquet_exports() {
    let w = Workdir::new();
    w.cmd()
        .args([
            "generate",
            "-q",
            "--people",
            "200",
            "--parquet",
            "--out",
            "gen",
        ])
        .assert()
        .success();
    let mut exports: Vec<String> = std::fs::read_dir(w.join("gen"))
        .expect("folder")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n != "omnitouch.toml" && n != "spend.csv" && n != "truth")
        .collect();
    exports.sort();
    assert_eq!(exports.len(), 11, "{exports:?}");
    assert!(
        exports.iter().all(|n| n.ends_with(".parquet")),
        "{exports:?}"
    );
    let config = std::fs::read_to_string(w.join("gen/omnitouch.toml")).expect("config");
    let paths: Vec<&str> = config
        .lines()
        .filter(|l| l.starts_with("path = ") && !l.contains("spend.csv"))
        .collect();
    assert_eq!(paths.len(), 11);
    assert!(paths.iter().all(|l| l.ends_with(".parquet\"")), "{paths:?}");
    assert!(!config.contains("delimiter"));
}

#[test]
fn generate_is_deterministic_for_a_seed() {
    let w = Workdir::new();
    for (dir, seed) in [("a", "3"), ("b", "3"), ("c", "4")] {
        w.cmd()
            .args([
                "generate", "-q", "--people", "300", "--seed", seed, "--out", dir,
            ])
            .assert()
            .success();
    }
    let read = |d: &str, f: &str| std::fs::read(w.join(d).join(f)).expect("file");
    for f in [
        "web_sessions.csv",
        "ad_clicks.parquet",
        "app_sessions.ndjson",
        "pos_transactions.parquet",
        "truth/identities.parquet",
        "spend.csv",
    ] {
        assert_eq!(read("a", f), read("b", f), "{f} differs for the same seed");
    }
    assert_ne!(read("a", "web_sessions.csv"), read("c", "web_sessions.csv"));
}

#[test]
fn generate_refuses_a_bad_share() {
    Workdir::new()
        .cmd()
        .args(["generate", "--bad-rows", "2", "--out", "x"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--bad-rows").and(no_panic()));
}

#[test]
fn usage_errors_exit_2() {
    let w = Workdir::new();
    w.cmd().args(["validate", "--bogus"]).assert().code(2);
    w.cmd().arg("frobnicate").assert().code(2);
    w.cmd()
        .args(["generate", "--people", "ten", "--out", "x"])
        .assert()
        .code(2);
}

#[test]
fn missing_config_is_a_clear_error() {
    let w = Workdir::new();
    w.cmd()
        .arg("validate")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--config").and(no_panic()));
    w.cmd()
        .args(["validate", "--config", "nope.toml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nope.toml").and(no_panic()));
}

#[test]
fn validate_output_snapshot() {
    let w = Workdir::new();
    w.write(
        "web.csv",
        "ts,cookie,src,med,ref\n\
         2026-07-01T10:00:00Z,c1,google,cpc,\n\
         2026-07-01T11:00:00Z,c2,,,https://www.google.com/\n\
         not a time,c3,,,\n\
         2026-07-01T12:00:00Z,,,,\n\
         2026-07-01T13:00:00Z,c4,flyer,qr,\n",
    );
    w.write(
        "orders.ndjson",
        "{\"at\": \"2026-07-02T10:00:00Z\", \"cookie\": \"c1\", \"revenue\": 99.5}\n\
         {\"at\": \"2026-07-02T11:00:00Z\", \"cookie\": \"c2\", \"revenue\": -5}\n",
    );
    w.write(
        "omnitouch.toml",
        r#"
[[sources]]
name = "web"
path = "web.csv"
kind = "touch"
timestamp = "ts"
ids = { cookie_id = "cookie" }
channel = { fields = { utm_source = "src", utm_medium = "med", referrer = "ref" } }

[[sources]]
name = "orders"
path = "orders.ndjson"
kind = "conversion"
timestamp = "at"
ids = { cookie_id = "cookie" }
value_column = "revenue"
"#,
    );
    let out = w.cmd().args(["validate", "-q"]).output().expect("runs");
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

/// `generate-paths` writes a table in ChannelAttribution's layout that omnitouch reads back:
/// every journey counted, the channels asked for, the same table for the same seed.
#[test]
fn generate_paths_writes_a_readable_table() {
    let w = Workdir::new();
    let generate = |file: &str, seed: &str| {
        w.cmd()
            .args([
                "generate-paths",
                "-q",
                "--journeys",
                "3000",
                "--channels",
                "7",
            ])
            .args(["--mean-length", "3", "--seed", seed, "--output", file])
            .assert()
            .success()
            .stdout(predicate::str::contains("3000 journeys"));
        std::fs::read_to_string(w.join(file)).expect("table")
    };
    let a = generate("a.csv", "1");
    assert!(a.starts_with("path;total_conversions;total_conversion_value;total_null\n"));
    assert_eq!(a, generate("b.csv", "1"));
    assert_ne!(a, generate("c.csv", "2"));
    let table = omnitouch::journey::path_table::read(
        &w.join("a.csv"),
        &omnitouch::journey::ReadOptions::default(),
    )
    .expect("reads");
    assert_eq!(table.conversions() + table.nulls(), 3000);
    assert_eq!(table.channels.len(), 7);
    w.cmd()
        .args(["generate-paths", "--channels", "0", "--output", "d.csv"])
        .assert()
        .code(1);
}

#[test]
fn the_version_names_the_commit_and_completions_and_man_pages_are_generated() {
    let w = Workdir::new();
    let version = w.stdout_ok(&["--version"]);
    assert!(
        version.starts_with(&format!("omnitouch {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    // Built from this checkout: the hash names a commit of its history (HEAD's, or an earlier
    // one when the build script last ran before the latest commit).
    let hash = version
        .split("(commit ")
        .nth(1)
        .and_then(|rest| rest.split([')', '-']).next())
        .unwrap_or_default()
        .to_string();
    let in_history = std::process::Command::new("git")
        .args(["merge-base", "--is-ancestor", &hash, "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status();
    if let Ok(status) = in_history {
        if hash != "unknown" {
            assert!(
                status.success(),
                "{version}: {hash} is not a commit of this checkout"
            );
        }
    }
    for shell in ["bash", "zsh", "fish"] {
        let script = w.stdout_ok(&["completions", shell]);
        assert!(
            script.contains("omnitouch") && script.contains("validate"),
            "{shell}"
        );
    }
    w.cmd().args(["man", "--out-dir", "man"]).assert().success();
    for page in ["omnitouch.1", "omnitouch-run.1", "omnitouch-sql.1"] {
        let text = std::fs::read_to_string(w.join(&format!("man/{page}"))).expect(page);
        assert!(
            text.starts_with(".ie") || text.contains(".TH"),
            "{page} is roff"
        );
    }
    let run = std::fs::read_to_string(w.join("man/omnitouch-run.1")).expect("run page");
    assert!(
        run.contains("omnitouch run") && run.contains("fail\\-on"),
        "the run page lists its options"
    );
}

/// `omnitouch evaluate` on one small generated set: the truth's shares add up to one, and
/// each model's reported error is the mean absolute difference of its shares from them.
#[test]
fn evaluate_scores_models_against_the_planted_truth() {
    let w = Workdir::new();
    w.cmd()
        .args([
            "evaluate",
            "-q",
            "--people",
            "1500",
            "--seeds",
            "1",
            "--model",
            "last_touch",
            "--model",
            "markov",
            "--scenario",
            "intent",
            "-o",
            "eval.json",
            "--chart",
            "eval.html",
        ])
        .assert()
        .success();
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.join("eval.json")).expect("json"))
            .expect("parses");
    let e = &all[0];
    assert_eq!(e["scenario"], "intent");
    let page = std::fs::read_to_string(w.join("eval.html")).expect("chart page");
    assert!(page.contains("<svg") && page.contains("intent · markov: "));
    let truth = e["truth"].as_object().expect("truth");
    let total: f64 = truth.values().map(|v| v.as_f64().expect("share")).sum();
    assert!((total - 1.0).abs() < 1e-9, "true shares sum to {total}");
    let models = e["models"].as_array().expect("models");
    assert_eq!(models.len(), 2);
    for m in models {
        let shares = m["shares"].as_object().expect("shares");
        let error: f64 = truth
            .iter()
            .map(|(c, t)| (shares[c].as_f64().expect("share") - t.as_f64().expect("truth")).abs())
            .sum::<f64>()
            / truth.len() as f64;
        let reported = m["error_points"][0].as_f64().expect("error");
        assert!(
            (100.0 * error - reported).abs() < 1e-9,
            "{}: {reported} vs {}",
            m["model"],
            100.0 * error
        );
        let rank = m["rank_correlation"][0].as_f64().expect("rank");
        assert!((-1.0..=1.0).contains(&rank), "{rank}");
    }
}

/// `generate --scenario unstitched`: the same people, half of whom never log in, so fewer
/// app logins link devices to accounts than in the baseline of the same seed.
#[test]
fn the_unstitched_scenario_links_fewer_devices() {
    let w = Workdir::new();
    for (dir, scenario) in [("base", "baseline"), ("apart", "unstitched")] {
        w.cmd()
            .args([
                "generate",
                "-q",
                "--people",
                "600",
                "--seed",
                "3",
                "--out-dir",
                dir,
                "--scenario",
                scenario,
            ])
            .assert()
            .success();
    }
    let logins = |dir: &str| {
        std::fs::read_to_string(w.join(&format!("{dir}/app_logins.csv")))
            .expect("logins")
            .lines()
            .count()
    };
    let (base, apart) = (logins("base"), logins("apart"));
    assert!(
        apart * 10 < base * 8,
        "logins: {apart} unstitched against {base}"
    );
    let summary = std::fs::read_to_string(w.join("apart/truth/summary.json")).expect("summary");
    assert!(
        summary.contains("\"scenario\": \"unstitched\""),
        "{summary}"
    );
}

/// `evaluate --config FILE`: a user's generator settings, effects by channel name included;
/// a channel the generator does not have is an error naming the ones it has.
#[test]
fn evaluate_runs_on_a_users_generator_settings() {
    let w = Workdir::new();
    w.write(
        "evaluate.toml",
        "people = 800\nseeds = 1\nscenarios = [\"offline\"]\nmodels = [\"last_touch\"]\n\n[effects]\n\"Paid Search\" = 2.5\n",
    );
    w.cmd()
        .args([
            "evaluate",
            "-q",
            "--config",
            "evaluate.toml",
            "-o",
            "eval.json",
        ])
        .assert()
        .success();
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.join("eval.json")).expect("json"))
            .expect("parses");
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    assert_eq!(all[0]["scenario"], "offline");
    assert_eq!(all[0]["people"], 800);
    assert_eq!(all[0]["models"][0]["model"], "last_touch");
    // With an effect of 2.5 log-odds, Paid Search causes most conversions.
    let truth = all[0]["truth"].as_object().expect("truth");
    let search = truth["Paid Search"].as_f64().expect("share");
    assert!(
        truth.values().all(|v| v.as_f64().unwrap_or(0.0) <= search),
        "{truth:?}"
    );
    w.write("bad.toml", "[effects]\n\"Paid Serch\" = 1.0\n");
    w.cmd()
        .args(["evaluate", "-q", "--config", "bad.toml"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("Paid Serch").and(predicate::str::contains("Paid Search")),
        );
}
