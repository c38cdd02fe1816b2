//! Lift tests (`[[experiments]]`) beside the models, worked by hand: four people, each one
//! touch and one conversion of 10; Email touched three of them, Search one.

mod common;

use common::Workdir;

const CONFIG: &str = r#"
[[sources]]
name = "touches"
path = "touches.csv"
kind = "touch"
timestamp = "ts"
ids = { cookie_id = "cookie" }
channel = { column = "channel" }

[[sources]]
name = "orders"
path = "orders.csv"
kind = "conversion"
timestamp = "ts"
ids = { cookie_id = "cookie" }
value_column = "value"

[[experiments]]
channel = "Email"
from = "2026-03-01"
to = "2026-03-10"
incremental_conversions = 1
interval = [0.5, 1.5]
method = "A/B test"
"#;

fn workdir() -> Workdir {
    let w = Workdir::new();
    w.write(
        "touches.csv",
        "ts,cookie,channel\n2026-03-01T10:00:00Z,a,Email\n2026-03-02T10:00:00Z,b,Email\n2026-03-03T10:00:00Z,c,Search\n2026-03-20T10:00:00Z,d,Email\n",
    );
    w.write(
        "orders.csv",
        "ts,cookie,value\n2026-03-01T12:00:00Z,a,10\n2026-03-02T12:00:00Z,b,10\n2026-03-03T12:00:00Z,c,10\n2026-03-20T12:00:00Z,d,10\n",
    );
    w.write("omnitouch.toml", CONFIG);
    w
}

/// The first model's calibrated credit to `channel` in experiments.json (`what`:
/// `conversions` or `value`).
fn calibrated_credit(e: &serde_json::Value, channel: &str, what: &str) -> f64 {
    e["calibrated"][0]["credits"]
        .as_array()
        .expect("credits")
        .iter()
        .find(|c| c["channel"] == channel)
        .and_then(|c| c[what].as_f64())
        .expect(channel)
}

#[test]
fn each_model_is_set_beside_the_test_and_calibrated_to_it() {
    let w = workdir();
    let out = w
        .cmd()
        .args(["run", "--model", "last_touch", "--out-dir", "report"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Lift tests beside the models"), "{stdout}");
    assert!(stdout.contains("OUTSIDE"), "{stdout}");
    assert!(
        stdout.contains("Agrees best with the lift tests: last_touch"),
        "{stdout}"
    );
    let e: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(w.join("report/experiments.json")).expect("experiments.json"),
    )
    .expect("json");
    // In the window (1-10 March) last touch gives Email the two conversions of a and b.
    let check = &e["checks"][0];
    assert_eq!(check["credited"], 2.0);
    assert_eq!(check["inside"], false);
    // Calibrated: Email's 3 scaled by 1/2 (measured 1 over credited 2) to 1.5; the 2.5 left
    // go to Search, the only other channel; values likewise (30 → 15, 10 → 25).
    let calibrated = &e["calibrated"][0];
    assert_eq!(calibrated["model"], "calibrated:last_touch");
    let credit = |channel: &str, what: &str| calibrated_credit(&e, channel, what);
    assert!((credit("Email", "conversions") - 1.5).abs() < 1e-12);
    assert!((credit("Search", "conversions") - 2.5).abs() < 1e-12);
    assert!((credit("Email", "value") - 15.0).abs() < 1e-9);
    assert!((credit("Search", "value") - 25.0).abs() < 1e-9);
    let page = std::fs::read_to_string(w.join("report/report.html")).expect("page");
    assert!(page.contains("Lift tests beside the models") && page.contains("class=\"outside\""));
    // The calibrated shares on the page: Email 1.5 of 4 conversions, 37.5 %.
    assert!(
        page.contains("calibrated:last_touch") && page.contains("37.5%"),
        "calibrated shares on the page"
    );
}

#[test]
fn a_test_whose_interval_misses_its_measurement_is_a_config_error() {
    let w = workdir();
    w.write(
        "omnitouch.toml",
        CONFIG.replace("interval = [0.5, 1.5]", "interval = [2, 3]"),
    );
    let out = w.cmd().args(["validate", "-q"]).output().expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("[[experiments]] Email") && err.contains("interval"),
        "{err}"
    );
}

#[test]
fn without_tests_the_report_says_the_choice_is_a_judgement() {
    let w = workdir();
    let config = CONFIG
        .split("[[experiments]]")
        .next()
        .expect("sources")
        .to_string();
    w.write("omnitouch.toml", config);
    let out = w
        .cmd()
        .args(["run", "--model", "last_touch", "--out-dir", "report"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Four journeys of one touch each.
    assert!(
        stdout.contains("no lift tests")
            && stdout.contains("average 1.0 touches")
            && stdout.contains("judgement"),
        "{stdout}"
    );
    assert!(!w.join("report/experiments.json").exists());
    let page = std::fs::read_to_string(w.join("report/report.html")).expect("page");
    assert!(page.contains("Which model to believe"));
}

#[test]
fn a_value_test_calibrates_value_and_leaves_conversions_to_the_model() {
    let w = workdir();
    w.write(
        "omnitouch.toml",
        CONFIG.replace(
            "incremental_conversions = 1\ninterval = [0.5, 1.5]",
            "incremental_value = 10\nvalue_interval = [5, 15]",
        ),
    );
    w.cmd()
        .args(["run", "-q", "--model", "last_touch", "--out-dir", "report"])
        .assert()
        .success();
    let e: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(w.join("report/experiments.json")).expect("experiments.json"),
    )
    .expect("json");
    // In the window last touch gives Email the value of a and b: 20, outside [5, 15].
    assert_eq!(e["checks"][0]["quantity"], "value");
    assert_eq!(e["checks"][0]["credited"], 20.0);
    assert_eq!(e["checks"][0]["inside"], false);
    // Value: Email 30 x 10/20 = 15, Search 10 + 15 = 25; conversions as last touch has them.
    let get = |channel: &str, what: &str| calibrated_credit(&e, channel, what);
    assert!((get("Email", "value") - 15.0).abs() < 1e-9);
    assert!((get("Search", "value") - 25.0).abs() < 1e-9);
    assert_eq!(get("Email", "conversions"), 3.0);
    assert_eq!(get("Search", "conversions"), 1.0);
}
