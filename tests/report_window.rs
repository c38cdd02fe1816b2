//! One window governs the report: `--from` / `--to` (or `[report] from` / `to`) select the
//! conversions reported, their journeys reach back the lookback before the window, and every
//! output says which window it describes.

mod common;

use common::Workdir;

const DAY: i64 = 86_400;

/// 2026-01-01T00:00:00Z.
const DAY_ZERO: i64 = 1_767_225_600;

fn time(day: i64, minute: i64) -> String {
    chrono::DateTime::from_timestamp(DAY_ZERO + day * DAY + 12 * 3600 + minute * 60, 0)
        .expect("in range")
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A small deterministic generator (the exact numbers do not matter, only that both runs
/// read the same rows).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Rows (day, csv line) of 400 people over 120 days: a few touches on four channels, and for
/// some a conversion after their last touch (no one touches after converting, and no one
/// converts in the lookback before the window, days 30–59: there a run on cut data and a
/// window necessarily differ, see `Journeys::window`).
fn rows() -> Vec<(i64, bool, String)> {
    let mut rng = Lcg(7);
    let channels = ["Email", "Paid Search", "Display", "Organic Social"];
    let mut rows = Vec::new();
    for p in 0..400 {
        let touches = 1 + rng.below(5);
        let mut last = 0;
        for _ in 0..touches {
            let day = rng.below(115) as i64;
            last = last.max(day);
            let channel = channels[rng.below(4) as usize];
            rows.push((
                day,
                false,
                format!("{},p{p},touch,{channel},", time(day, p)),
            ));
        }
        let day = last + rng.below(4) as i64;
        if rng.below(10) < 5 && !(30..60).contains(&day) {
            let value = 10 + rng.below(90);
            rows.push((
                day,
                true,
                format!("{},p{p},conversion,,{value}", time(day, p + 1)),
            ));
        }
    }
    rows
}

fn write_events(w: &Workdir, keep: impl Fn(i64, bool) -> bool) {
    let mut text = String::from("ts,cookie,event,channel,value\n");
    for (day, conversion, line) in rows() {
        if keep(day, conversion) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    w.write("events.csv", text);
    w.write("omnitouch.toml", common::EVENTS_SOURCE);
}

/// `spend.csv` with a cost per channel on each of `days`, and the config reading it.
fn write_spend(w: &Workdir, days: std::ops::Range<i64>, per_day: &[(&str, u32)]) {
    let mut spend = String::from("date,channel,cost\n");
    for day in days {
        for (channel, cost) in per_day {
            spend.push_str(&format!("{},{channel},{cost}\n", &time(day, 0)[..10]));
        }
    }
    w.write("spend.csv", &spend);
    w.write(
        "omnitouch.toml",
        format!("[spend]\npath = \"spend.csv\"\n\n{}", common::EVENTS_SOURCE),
    );
}

fn credits(w: &Workdir, window: &[&str]) -> String {
    let mut args = vec![
        "attribute",
        "--config",
        "omnitouch.toml",
        "--format",
        "csv",
        "--model",
        "last_touch",
        "--model",
        "first_touch",
        "--model",
        "linear",
        "--model",
        "markov",
        "--model",
        "markov:order=2",
    ];
    args.extend_from_slice(window);
    w.stdout_ok(&args)
}

/// Window: days 60–89 (2026-03-02 – 2026-03-31), lookback 30 days (from day 30).
#[test]
fn a_window_equals_a_run_on_the_data_cut_to_it_and_its_lookback() {
    let full = Workdir::new();
    write_events(&full, |_, _| true);
    let windowed = credits(&full, &["--from", "2026-03-02", "--to", "2026-03-31"]);

    let cut = Workdir::new();
    write_events(&cut, |day, conversion| {
        if conversion {
            (60..90).contains(&day)
        } else {
            (30..90).contains(&day)
        }
    });
    assert_eq!(windowed, credits(&cut, &[]));
    assert_ne!(
        windowed,
        credits(&full, &[]),
        "the window changes the credits"
    );
}

#[test]
fn every_output_of_run_states_its_window() {
    let w = Workdir::new();
    write_events(&w, |_, _| true);
    let config = format!(
        "[report]\nfrom = \"2026-03-02\"\nto = \"2026-03-31\"\n\n{}",
        common::EVENTS_SOURCE
    );
    w.write("omnitouch.toml", &config);
    let out = w.stdout_ok(&[
        "run",
        "--config",
        "omnitouch.toml",
        "--out",
        "r",
        "--model",
        "last_touch",
        "--model",
        "linear",
    ]);
    let line = "window: 2026-03-02 – 2026-03-31";
    assert!(out.contains(line), "{out}");
    assert!(out.contains("lookback 30 days; models last_touch, linear; config omnitouch.toml"));
    for md in ["credits.md", "compare.md"] {
        let text = std::fs::read_to_string(w.join(&format!("r/{md}"))).expect("markdown");
        assert!(text.starts_with(&format!("_{line}")), "{md}: {text}");
    }
    for json in [
        "credits.json",
        "compare.json",
        "journeys.json",
        "data-quality.json",
    ] {
        let doc: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(w.join(&format!("r/{json}"))).expect("json"),
        )
        .expect("parses");
        assert_eq!(doc["report"]["window_from"], "2026-03-02", "{json}");
        assert_eq!(doc["report"]["window_to"], "2026-03-31", "{json}");
        assert_eq!(doc["report"]["lookback_days"], 30.0, "{json}");
    }
    let html = std::fs::read_to_string(w.join("r/report.html")).expect("html");
    assert!(html.contains(line));

    // The credits add up to the window's conversions, which journeys.json counts.
    let journeys: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.join("r/journeys.json")).expect("json"))
            .expect("parses");
    let in_window = rows()
        .iter()
        .filter(|(day, conversion, _)| *conversion && (60..90).contains(day))
        .count() as f64;
    assert_eq!(journeys["conversions_in"], in_window);
    let credits: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.join("r/credits.json")).expect("json"))
            .expect("parses");
    let total: f64 = credits["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["model"] == "last_touch")
        .map(|r| r["conversions"].as_f64().expect("number"))
        .sum();
    assert!(
        total <= in_window && total > 0.0,
        "{total} of {in_window} conversions credited"
    );
}

#[test]
fn spend_is_cut_to_the_window_and_a_gap_is_warned_about() {
    let w = Workdir::new();
    write_events(&w, |_, _| true);
    // Spend on every day of January to April, 10 a day on Email.
    write_spend(&w, 0..120, &[("Email", 10)]);
    let run = |window: &[&str]| {
        let mut args = vec![
            "run",
            "--config",
            "omnitouch.toml",
            "--out",
            "r",
            "--model",
            "last_touch",
        ];
        args.extend_from_slice(window);
        let out = w.cmd().args(&args).assert().success().get_output().clone();
        let spend = std::fs::read_to_string(w.join("r/spend.csv")).expect("spend");
        let email = spend
            .lines()
            .find(|l| l.starts_with("last_touch,Email,"))
            .expect("an Email row")
            .to_string();
        (email, String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (email, _) = run(&["--from", "2026-03-02", "--to", "2026-03-31"]);
    assert!(email.starts_with("last_touch,Email,300,"), "{email}");
    let (email, _) = run(&[]);
    assert!(email.starts_with("last_touch,Email,1200,"), "{email}");

    // Spend for half the window only: ROAS would be off, and the run says so.
    write_spend(&w, 60..75, &[("Email", 10)]);
    let (_, stderr) = run(&["--from", "2026-03-02", "--to", "2026-03-31"]);
    assert!(
        stderr
            .contains("warning: spend covers 2026-03-02 – 2026-03-16 but the conversions reported"),
        "{stderr}"
    );
}

#[test]
fn budget_reads_the_windows_spend_and_states_the_next_periods_length() {
    let w = Workdir::new();
    write_events(&w, |_, _| true);
    write_spend(&w, 0..120, &[("Email", 10), ("Display", 20)]);
    let out = w.stdout_ok(&[
        "budget",
        "--config",
        "omnitouch.toml",
        "--model",
        "last_touch",
        "--total",
        "210",
        "--max-change",
        "0%",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-31",
        "--days",
        "7",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        doc["plan"]["basis"],
        "Today's spend: 30 days, 2026-03-02 – 2026-03-31; next period: 7 days, spend and value scaled by 7/30"
    );
    // 30 days of 10 and 20 a day, put on 7 days: 70 and 140; with no change allowed, the
    // proposal is today's spend.
    let current = |channel: &str| {
        doc["plan"]["channels"]
            .as_array()
            .expect("channels")
            .iter()
            .find(|c| c["channel"] == channel)
            .map(|c| c["current"].as_f64().expect("number"))
            .expect("channel")
    };
    assert!((current("Email") - 70.0).abs() < 1e-9);
    assert!((current("Display") - 140.0).abs() < 1e-9);
}

/// The sample data runs from Wednesday 2026-07-01 to Monday 2026-09-28: its first and last
/// ISO weeks are partial, and their shifts are flagged and not judged.
#[test]
fn partial_weeks_are_flagged_and_thin_periods_are_not_judged() {
    let dir = tempfile::tempdir().expect("dir");
    let config =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/omnitouch.toml");
    let run = |min: &str| {
        let out = assert_cmd::Command::cargo_bin("omnitouch")
            .expect("binary")
            .current_dir(dir.path())
            .args(["-q", "run", "--config"])
            .arg(&config)
            .args([
                "--out-dir",
                "r",
                "--model",
                "last_touch",
                "--period",
                "week",
                "--compare-previous",
                "--fail-on",
                "share_shift>0.1pp",
                "--min-period-conversions",
                min,
            ])
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, stderr) = run("100");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("largest judged share shift: "), "{stderr}");
    assert!(
        !stderr.contains("2026-W40 against"),
        "the partial last week is passed over"
    );
    let shifts = std::fs::read_to_string(dir.path().join("r/period_shifts.csv")).expect("csv");
    let header: Vec<&str> = shifts.lines().next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (partial, judged) = (col("partial"), col("judged"));
    for line in shifts.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let edge = f[0] == "2026-W40" || f[1] == "2026-W27";
        assert_eq!(f[partial] == "true", edge, "{line}");
        if edge {
            assert_eq!(f[judged], "false", "{line}");
        }
    }
    // Weeks of about 250 conversions are too thin for a floor of 100,000: nothing is judged.
    let (code, stderr) = run("100000");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("threshold tripped"), "{stderr}");
}

#[test]
fn roas_per_period_sets_each_periods_spend_against_its_credits() {
    let w = Workdir::new();
    write_events(&w, |_, _| true);
    write_spend(&w, 0..120, &[("Email", 10)]);
    w.stdout_ok(&[
        "-q",
        "run",
        "--config",
        "omnitouch.toml",
        "--out-dir",
        "r",
        "--model",
        "last_touch",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-31",
        "--period",
        "week",
    ]);
    let by_period = std::fs::read_to_string(w.join("r/spend_by_period.csv")).expect("csv");
    assert!(
        by_period.starts_with("period,model,channel,cost,"),
        "{by_period}"
    );
    // 2026-03-02 is the Monday of ISO week 10: a whole week of 10 a day; the window's last
    // two days (30 and 31 March) open week 14.
    assert!(
        by_period.contains("\n2026-W10,last_touch,Email,70,"),
        "{by_period}"
    );
    assert!(
        by_period.contains("\n2026-W14,last_touch,Email,20,"),
        "{by_period}"
    );
}
