//! `omnitouch attribute` and `omnitouch models` through the real binary.

mod common;

use common::Workdir;
use polars::prelude::*;
use predicates::prelude::*;

const PATHS: &str = "path;total_conversions;total_conversion_value;total_null\n\
                     Email > Paid Search;2;30;1\n\
                     Email;1;10;3\n\
                     Paid Search > Paid Search;1;5;0\n\
                     Display > Email;0;0;2\n";

fn attribute(w: &Workdir, format: &str) -> String {
    w.stdout_ok(&[
        "attribute",
        "--paths",
        "paths.csv",
        "--model",
        "linear",
        "--model",
        "markov",
        "--format",
        format,
    ])
}

#[test]
fn every_text_format_snapshot() {
    let w = Workdir::new();
    w.write("paths.csv", PATHS);
    for format in ["table", "csv", "json", "markdown"] {
        insta::assert_snapshot!(format!("attribute_{format}"), attribute(&w, format));
    }
}

#[test]
fn parquet_output_reads_back() {
    let w = Workdir::new();
    w.write("paths.csv", PATHS);
    w.cmd()
        .args([
            "attribute",
            "--paths",
            "paths.csv",
            "--model",
            "first_touch",
            "--format",
            "parquet",
            "-o",
            "out.parquet",
        ])
        .assert()
        .success();
    let df = ParquetReader::new(std::fs::File::open(w.join("out.parquet")).expect("file"))
        .finish()
        .expect("parquet");
    assert_eq!(df.height(), 3);
    let total: f64 = df
        .column("conversions")
        .expect("col")
        .f64()
        .expect("f64")
        .iter()
        .flatten()
        .sum();
    assert_eq!(total, 4.0);
    w.cmd()
        .args(["attribute", "--paths", "paths.csv", "--format", "parquet"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--output"));
}

#[test]
fn all_models_run_on_a_path_table_and_time_decay_is_left_out_with_a_note() {
    let w = Workdir::new();
    w.write("paths.csv", PATHS);
    w.cmd()
        .args([
            "attribute",
            "--paths",
            "paths.csv",
            "--models",
            "all",
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("time_decay left out"))
        .stdout(
            predicate::str::contains("shao_li,")
                .and(predicate::str::contains("markov_order_3,"))
                .and(predicate::str::contains("shapley_conversion_rate,"))
                .and(predicate::str::contains("time_decay,").not()),
        );
    w.cmd()
        .args(["attribute", "--paths", "paths.csv", "--model", "time_decay"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("touch").and(predicate::str::contains("panicked").not()));
}

#[test]
fn attribute_runs_on_raw_exports_including_time_decay() {
    let w = Workdir::new();
    w.cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "attribute",
            "-q",
            "--model",
            "time_decay_7d",
            "--model",
            "markov",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("\"version\": 1")
                .and(predicate::str::contains("\"model\": \"time_decay_7d\""))
                .and(predicate::str::contains("removal_effects")),
        );
}

#[test]
fn models_lists_specs_and_a_models_dir_adds_more() {
    let w = Workdir::new();
    w.write(
        "specs/mine.toml",
        "name = \"late_heavy\"\nmodel = \"position_based\"\ndescription = \"mine\"\nparams = { first = 0.1, last = 0.8 }\n",
    );
    w.cmd().arg("models").assert().success().stdout(
        predicate::str::contains("u_shaped")
            .and(predicate::str::contains("markov_order_2"))
            .and(predicate::str::contains("half_life=7d")),
    );
    w.cmd()
        .args(["models", "--models-dir", "specs"])
        .assert()
        .success()
        .stdout(predicate::str::contains("late_heavy"));
    w.write("paths.csv", PATHS);
    w.cmd()
        .args([
            "attribute",
            "--paths",
            "paths.csv",
            "--models-dir",
            "specs",
            "--model",
            "late_heavy",
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("late_heavy,Email,"));
    w.write(
        "bad/x.toml",
        "name = \"x\"\nmodel = \"markov\"\nparams = { ordr = 2 }\n",
    );
    w.cmd()
        .args(["models", "--models-dir", "bad"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("x.toml").and(predicate::str::contains("ordr")));
}

#[test]
fn unknown_models_and_conflicting_choices_exit_1() {
    let w = Workdir::new();
    w.write("paths.csv", PATHS);
    w.cmd()
        .args(["attribute", "--paths", "paths.csv", "--model", "markv"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("markv"));
    w.cmd()
        .args([
            "attribute",
            "--paths",
            "paths.csv",
            "--model",
            "linear",
            "--models",
            "all",
        ])
        .assert()
        .code(1);
    w.cmd()
        .args(["attribute", "--paths", "paths.csv", "--models", "some"])
        .assert()
        .code(2);
}

#[test]
fn output_files_are_written_and_replaced_whole() {
    let w = Workdir::new();
    w.write("paths.csv", PATHS);
    w.write("out.csv", "old contents");
    w.cmd()
        .args([
            "attribute",
            "--paths",
            "paths.csv",
            "--model",
            "linear",
            "--format",
            "csv",
            "-o",
            "out.csv",
        ])
        .assert()
        .success()
        .stdout("");
    let text = std::fs::read_to_string(w.join("out.csv")).expect("written");
    assert!(text.starts_with("model,channel,conversions,value,conversions_share,value_share\n"));
    assert_eq!(text.lines().count(), 4);
}

#[test]
fn run_writes_the_report_folder_and_prints_the_comparison() {
    let w = Workdir::new();
    let out = w.join("report");
    w.cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("run")
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("rows read from 11 sources")
                .and(predicate::str::contains("Conversion share by model"))
                .and(predicate::str::contains("markov_order_2"))
                .and(predicate::str::contains("across devices")),
        );
    for f in [
        "credits.csv",
        "credits.json",
        "credits.md",
        "paths.parquet",
        "compare.json",
        "data-quality.json",
        "identity.json",
        "journeys.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let quality = std::fs::read_to_string(out.join("data-quality.json")).expect("read");
    assert!(quality.contains("\"reject_examples\"") && !quality.contains("\"row\""));
    let compare: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).expect("read"))
            .expect("json");
    assert_eq!(compare["baseline"], "last_touch");
    assert_eq!(compare["models"].as_array().map(Vec::len), Some(8));
}

#[test]
fn run_on_a_path_table_and_with_a_chosen_baseline() {
    let w = Workdir::new();
    w.write("paths.csv", PATHS);
    w.cmd()
        .args([
            "run",
            "-q",
            "--paths",
            "paths.csv",
            "--model",
            "linear",
            "--model",
            "markov",
            "--baseline",
            "markov",
            "--out",
            "r",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("change against markov"));
    assert!(w.join("r/credits.csv").is_file());
    assert!(!w.join("r/identity.json").exists());
}

#[test]
fn compare_in_every_format_and_its_baseline_rules() {
    let w = Workdir::new();
    w.write("paths.csv", PATHS);
    let compare = |extra: &[&str]| {
        w.stdout_ok(
            &[
                &[
                    "compare",
                    "--paths",
                    "paths.csv",
                    "--model",
                    "last_touch",
                    "--model",
                    "markov",
                ][..],
                extra,
            ]
            .concat(),
        )
    };
    for format in ["table", "csv", "json", "markdown"] {
        insta::assert_snapshot!(format!("compare_{format}"), compare(&["--format", format]));
    }
    compare(&["--format", "parquet", "-o", "compare.parquet"]);
    common::assert_parquet_matches_csv(&w.join("compare.parquet"), &compare(&["--format", "csv"]));
    // Without last_touch among the models, the first model is the baseline, by name.
    let out = w
        .cmd()
        .args([
            "compare",
            "--paths",
            "paths.csv",
            "--model",
            "linear",
            "--model",
            "markov",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"baseline\": \"linear\""));
    w.cmd()
        .args([
            "compare",
            "--paths",
            "paths.csv",
            "--model",
            "linear",
            "--baseline",
            "markov",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "\"markov\" is not among the models",
        ));
}

#[test]
fn fail_on_thresholds_exit_3_and_say_which() {
    let w = Workdir::new();
    let run = |fail_on: &[&str]| {
        let mut cmd = w.cmd();
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["run", "-q", "--out"])
            .arg(w.join("r"));
        for f in fail_on {
            cmd.args(["--fail-on", f]);
        }
        cmd.assert()
    };
    // The sample data has 145 rejected rows of 87,839 (0.17 %).
    run(&["rejected_rows>0.1%"])
        .code(3)
        .stderr(predicate::str::contains(
            "threshold tripped: rejected_rows is 0.17%",
        ));
    run(&["rejected_rows>1%", "unassigned>2%"]).success();
    run(&["unattributed>5%"])
        .code(3)
        .stderr(predicate::str::contains("unattributed"));
    run(&["rejected_rows>100"]).code(3);
    w.cmd()
        .args(["run", "--fail-on", "share>1%"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rejected_rows"));
}

/// Two touches and two conversions; spend with three bad rows and a channel without touches.
fn spend_fixture(w: &Workdir) {
    w.write(
        "events.csv",
        "ts,cookie,event,channel,value\n\
         2026-07-01T10:00:00Z,c1,touch,Email,\n\
         2026-07-01T11:00:00Z,c1,conversion,Web,40\n\
         2026-07-02T10:00:00Z,c2,touch,Search,\n\
         2026-07-02T11:00:00Z,c2,conversion,Web,60\n",
    );
    w.write(
        "spend.csv",
        "day,medium,amount\n2026-07-01,Email,10\n2026-07-02,Search,30\nnot a day,Email,5\n2026-07-03,,5\n2026-07-03,Search,-1\n2026-07-03,TV,100\n",
    );
    w.write(
        "omnitouch.toml",
        format!(
            r#"[spend]
path = "spend.csv"
date = "day"
channel = "medium"
cost = "amount"

{}"#,
            common::EVENTS_SOURCE
        ),
    );
}

#[test]
fn spend_gives_cpa_and_roas_and_bad_spend_rows_are_counted() {
    let w = Workdir::new();
    spend_fixture(&w);
    w.cmd()
        .args(["run", "-q", "--model", "last_touch", "--out", "r"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("spend: 6 rows read, 3 loaded, 0 ignored, 3 rejected")
                .and(
                    predicate::str::contains("bad_timestamp")
                        .or(predicate::str::contains("not a day")),
                )
                .and(predicate::str::contains(
                    "spend on channels with no attributed touches: TV",
                ))
                .and(predicate::str::contains("Return on ad spend")),
        );
    let csv = std::fs::read_to_string(w.join("r/spend.csv")).expect("spend.csv");
    assert_eq!(
        csv,
        "model,channel,cost,conversions,cpa,value,roas\n\
         last_touch,Email,10,1,10,40,4\n\
         last_touch,Search,30,1,30,60,2\n\
         last_touch,TV,100,0,,0,0\n"
    );
}

#[test]
fn budget_proposals_in_each_format_and_its_errors() {
    let w = Workdir::new();
    spend_fixture(&w);
    let budget = |extra: &[&str]| {
        w.stdout_ok(
            &[
                &[
                    "budget",
                    "-q",
                    "--model",
                    "last_touch",
                    "--total",
                    "150",
                    "--max-change",
                    "50%",
                ][..],
                extra,
            ]
            .concat(),
        )
    };
    for format in ["table", "csv", "json", "markdown"] {
        insta::assert_snapshot!(format!("budget_{format}"), budget(&["--format", format]));
    }
    budget(&["--format", "parquet", "-o", "budget.parquet"]);
    common::assert_parquet_matches_csv(&w.join("budget.parquet"), &budget(&["--format", "csv"]));
    w.cmd()
        .args([
            "budget",
            "--model",
            "last_touch",
            "--total",
            "100",
            "--max-change",
            "lots",
        ])
        .assert()
        .code(2);
    w.cmd()
        .args(["budget", "--model", "last_touch", "--total", "-5"])
        .assert()
        .code(2);
    w.write("paths.csv", PATHS);
    w.cmd()
        .args([
            "budget",
            "--paths",
            "paths.csv",
            "--model",
            "linear",
            "--total",
            "100",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--paths"));
    let no_spend = std::fs::read_to_string(w.join("omnitouch.toml"))
        .expect("config")
        .replace("[spend]\npath = \"spend.csv\"\ndate = \"day\"\nchannel = \"medium\"\ncost = \"amount\"\n", "");
    w.write("nospend.toml", no_spend);
    w.cmd()
        .args([
            "budget",
            "--config",
            "nospend.toml",
            "--model",
            "linear",
            "--total",
            "100",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("[spend]"));
}

#[test]
fn bootstrap_intervals_are_deterministic_for_a_seed_and_any_thread_count() {
    let w = Workdir::new();
    // A larger table so intervals are meaningful: 40 paths over 4 channels.
    let mut t = String::from("path,conversions,value,nulls\n");
    let ch = ["A", "B", "C", "D"];
    for i in 0..40 {
        let p = format!("{} > {}", ch[i % 4], ch[(i / 4) % 4]);
        t.push_str(&format!(
            "{p},{},{},{}\n",
            5 + i % 7,
            10 * (5 + i % 7),
            20 + i % 11
        ));
    }
    w.write("paths.csv", t);
    let run = |threads: &str, seed: &str| {
        let out = common::succeeded(w.cmd().env("RAYON_NUM_THREADS", threads).args([
            "attribute",
            "--paths",
            "paths.csv",
            "--model",
            "linear",
            "--model",
            "markov",
            "--bootstrap",
            "40",
            "--seed",
            seed,
            "--format",
            "csv",
        ]));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let one = run("1", "3");
    assert_eq!(one, run("2", "3"), "thread count changes nothing");
    assert_ne!(one, run("2", "4"), "another seed, other intervals");
    let mut reader = csv::Reader::from_reader(one.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(
        &header[6..],
        [
            "conversions_low",
            "conversions_high",
            "value_low",
            "value_high"
        ]
    );
    for r in reader.records() {
        let r = r.expect("row");
        let num = |i: usize| r[i].parse::<f64>().expect("number");
        // The point estimate lies inside its interval here (large counts, smooth models).
        assert!(num(6) <= num(2) && num(2) <= num(7), "{r:?}");
        assert!(num(6) < num(7), "a real interval: {r:?}");
    }
}

#[test]
fn bootstrap_intervals_in_each_format() {
    let w = Workdir::new();
    w.write("paths.csv", PATHS);
    for format in ["table", "csv", "json", "markdown"] {
        let args = [
            "attribute",
            "--paths",
            "paths.csv",
            "--model",
            "first_touch",
            "--model",
            "markov",
            "--bootstrap",
            "50",
            "--seed",
            "7",
            "--format",
            format,
        ];
        insta::assert_snapshot!(format!("bootstrap_{format}"), w.stdout_ok(&args));
    }
}

#[test]
fn run_with_bootstrap_writes_intervals_everywhere() {
    let w = Workdir::new();
    w.cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "-q",
            "--model",
            "linear",
            "--bootstrap",
            "5",
            "--out",
        ])
        .arg(w.join("r"))
        .assert()
        .success();
    let csv = std::fs::read_to_string(w.join("r/credits.csv")).expect("csv");
    assert!(csv
        .lines()
        .next()
        .is_some_and(|h| h.ends_with("value_low,value_high")));
    let json = std::fs::read_to_string(w.join("r/credits.json")).expect("json");
    assert!(json.contains("\"conversions_low\""));
    let html = std::fs::read_to_string(w.join("r/report.html")).expect("html");
    assert!(html.contains("90 % bootstrap intervals"));
}
