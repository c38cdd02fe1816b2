//! `--by`, `--period`, `--from`/`--to`, `--compare-previous` and the share_shift threshold.

mod common;

use common::Workdir;
use predicates::prelude::*;

/// Two months, two regions. July: Email converts in North, Search in South. August: Search
/// converts twice in North.
fn fixture(w: &Workdir) {
    w.write(
        "events.csv",
        "ts,cookie,event,channel,value,region\n\
         2026-07-01T10:00:00Z,c1,touch,Email,,North\n\
         2026-07-01T11:00:00Z,c1,conversion,Web,40,North\n\
         2026-07-02T10:00:00Z,c2,touch,Search,,South\n\
         2026-07-02T11:00:00Z,c2,conversion,Web,60,South\n\
         2026-07-03T10:00:00Z,c3,touch,Email,,South\n\
         2026-08-01T10:00:00Z,c4,touch,Search,,North\n\
         2026-08-01T11:00:00Z,c4,conversion,Web,30,North\n\
         2026-08-02T10:00:00Z,c5,touch,Email,,North\n\
         2026-08-02T10:30:00Z,c5,touch,Search,,North\n\
         2026-08-02T11:00:00Z,c5,conversion,Web,50,North\n",
    );
    w.write(
        "omnitouch.toml",
        format!(
            "{}dimensions = {{ region = \"region\" }}\n",
            common::EVENTS_SOURCE
        ),
    );
}

fn attribute(w: &Workdir, extra: &[&str]) -> String {
    w.stdout_ok(
        &[
            &[
                "attribute",
                "-q",
                "--model",
                "last_touch",
                "--model",
                "linear",
            ][..],
            extra,
        ]
        .concat(),
    )
}

#[test]
fn credits_by_segment_in_each_format() {
    let w = Workdir::new();
    fixture(&w);
    for format in ["csv", "markdown", "json", "table"] {
        insta::assert_snapshot!(
            format!("by_region_{format}"),
            attribute(&w, &["--by", "region", "--format", format])
        );
    }
    let csv = attribute(&w, &["--by", "region", "--format", "csv"]);
    assert!(csv.starts_with("segment,model,channel,"));
    assert!(csv.contains("North,last_touch,Search,2,"));
}

#[test]
fn credits_per_period_and_within_dates() {
    let w = Workdir::new();
    fixture(&w);
    for format in ["csv", "markdown", "json", "table"] {
        insta::assert_snapshot!(
            format!("by_month_{format}"),
            attribute(&w, &["--period", "month", "--format", format])
        );
    }
    let weeks = attribute(&w, &["--period", "week", "--format", "csv"]);
    assert!(weeks.contains("2026-W27,") && weeks.contains("2026-W31,"));
    let july = attribute(
        &w,
        &[
            "--from",
            "2026-07-01",
            "--to",
            "2026-07-31",
            "--format",
            "csv",
        ],
    );
    // A window alone is no breakdown: the credits are the window's.
    assert!(july.starts_with("model,channel,"), "{july}");
    assert!(july.contains("\nlast_touch,Email,1,"), "{july}");
    let both = attribute(
        &w,
        &["--period", "month", "--by", "region", "--format", "csv"],
    );
    assert!(both.contains("2026-08 / North,"));
}

#[test]
fn change_against_the_previous_period_in_each_format() {
    let w = Workdir::new();
    fixture(&w);
    for format in ["csv", "markdown", "json", "table"] {
        insta::assert_snapshot!(
            format!("compare_previous_{format}"),
            attribute(
                &w,
                &[
                    "--period",
                    "month",
                    "--compare-previous",
                    "--format",
                    format
                ]
            )
        );
    }
    attribute(
        &w,
        &[
            "--period",
            "month",
            "--compare-previous",
            "--format",
            "parquet",
            "-o",
            "shifts.parquet",
        ],
    );
    common::assert_parquet_matches_csv(
        &w.join("shifts.parquet"),
        &attribute(
            &w,
            &["--period", "month", "--compare-previous", "--format", "csv"],
        ),
    );
    // Search under last touch: 50 % of July's conversions, 100 % of August's: +50 points.
    let csv = attribute(
        &w,
        &["--period", "month", "--compare-previous", "--format", "csv"],
    );
    assert!(
        csv.contains("2026-08,2026-07,last_touch,Search,1,0.5,0.5"),
        "{csv}"
    );
    w.cmd()
        .args(["attribute", "--compare-previous"])
        .assert()
        .code(2);
}

#[test]
fn share_shift_threshold_exits_3() {
    let w = Workdir::new();
    fixture(&w);
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "-q", "--model", "last_touch", "--out", "r"];
        args.extend_from_slice(extra);
        w.cmd().args(&args).assert()
    };
    run(&[
        "--period",
        "month",
        "--compare-previous",
        "--fail-on",
        "share_shift>60pp",
    ])
    .success();
    assert!(w.join("r/period_shifts.csv").is_file());
    assert!(w.join("r/credits_by_segment.json").is_file());
    // A later run without a breakdown leaves no stale breakdown behind, and says what it wrote.
    w.cmd()
        .args(["run", "--model", "last_touch", "--out", "r"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("compare.md")
                .and(predicate::str::contains("period_shifts").not()),
        );
    assert!(!w.join("r/period_shifts.csv").exists());
    assert!(!w.join("r/credits_by_segment.json").exists());
    assert!(w.join("r/credits.csv").is_file());
    run(&["--fail-on", "share_shift>5pp"])
        .code(1)
        .stderr(predicate::str::contains("--compare-previous"));
    run(&[
        "--period",
        "month",
        "--compare-previous",
        "--fail-on",
        "share_shift>5%",
    ])
    .code(2)
    .stderr(predicate::str::contains("share_shift>5pp"));
}

/// What a tripped run says, for every metric: one line per threshold, and exit code 3.
#[test]
fn fail_on_messages_snapshot() {
    let w = Workdir::new();
    fixture(&w);
    let mut events = std::fs::read_to_string(w.join("events.csv")).expect("events");
    // A bad timestamp (rejected) and a conversion whose person has no touches (unattributed).
    events.push_str(
        "bad,c6,conversion,Web,50,North\n2026-08-03T11:00:00Z,c7,conversion,Web,20,North\n",
    );
    w.write("events.csv", events);
    let out = w
        .cmd()
        .args(["run", "-q", "--model", "last_touch", "--out", "r"])
        .args(["--period", "month", "--compare-previous"])
        // Two conversions a month in partial months: judged only when asked.
        .args(["--min-period-conversions", "0", "--include-partial-periods"])
        .args([
            "--fail-on",
            "share_shift>5pp",
            "--fail-on",
            "rejected_rows>1%",
        ])
        .args(["--fail-on", "unattributed>1%", "--fail-on", "unassigned>0"])
        .args([
            "--fail-on",
            "rows_without_person>0",
            "--fail-on",
            "rejected_rows>0",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    insta::assert_snapshot!("fail_on_stderr", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_path_table_breaks_down_by_its_segment_column_but_has_no_periods() {
    let w = Workdir::new();
    w.write(
        "paths.csv",
        "path,conversions,value,nulls,conversion_type,segment\nA > B,2,20,1,,North\nB,1,5,0,,South\n",
    );
    let out = w
        .cmd()
        .args([
            "attribute",
            "--paths",
            "paths.csv",
            "--by",
            "segment",
            "--model",
            "linear",
            "--format",
            "csv",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("North,linear,A,1,") && text.contains("South,linear,B,1,"),
        "{text}"
    );
    w.cmd()
        .args(["attribute", "--paths", "paths.csv", "--period", "week"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("journey times"));
}

#[test]
fn the_example_weekly_workflow_command_runs() {
    // The flags of examples/weekly-report.yml, with fixed dates for the `date` calls.
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/weekly-report.yml"
    ))
    .expect("example");
    for flag in [
        "--period week",
        "--compare-previous",
        "--bootstrap 200",
        "--fail-on 'share_shift>5pp'",
    ] {
        assert!(yaml.contains(flag), "the example no longer uses {flag}");
    }
    let w = Workdir::new();
    let out = w
        .cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "-q", "--out"])
        .arg(w.join("report"))
        .args([
            "--period",
            "week",
            "--from",
            "2026-08-31",
            "--to",
            "2026-09-27",
            "--compare-previous",
            "--bootstrap",
            "20",
            "--seed",
            "1",
            "--fail-on",
            "rejected_rows>1%",
            "--fail-on",
            "unassigned>2%",
            "--fail-on",
            "share_shift>5pp",
        ])
        .output()
        .expect("runs");
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(3),
        "exit {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "compare.md",
        "credits.md",
        "period_shifts.csv",
        "credits_by_segment.csv",
        "report.html",
    ] {
        assert!(w.join("report").join(f).is_file(), "{f}");
    }
}
