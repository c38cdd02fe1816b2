//! `validate` checks everything `run` checks before its models, and warns about what would
//! quietly spoil a result; `--strict` turns the warnings into exit code 1.

mod common;

use common::Workdir;
use predicates::prelude::*;

/// Touches in one export and orders in another, the same people's e-mails written in another
/// case: nothing links unless e-mails are normalised.
fn case_split(w: &Workdir, normalize: &str) {
    w.write(
        "visits.csv",
        "ts,email,channel\n\
         2026-03-01T10:00:00Z,Person0@Example.com,Email\n\
         2026-03-01T10:00:00Z,Person1@Example.com,Paid Search\n\
         2026-03-01T10:00:00Z,Person2@Example.com,Email\n",
    );
    w.write(
        "orders.csv",
        "ts,email,total\n\
         2026-03-02T10:00:00Z,person0@example.com,10\n\
         2026-03-02T10:00:00Z,person1@example.com,20\n\
         2026-03-02T10:00:00Z,person2@example.com,30\n",
    );
    w.write(
        "omnitouch.toml",
        format!(
            r#"{normalize}
[[sources]]
name = "visits"
path = "visits.csv"
kind = "touch"
timestamp = "ts"
ids = {{ user_id = "email" }}
channel = {{ column = "channel" }}

[[sources]]
name = "orders"
path = "orders.csv"
kind = "conversion"
timestamp = "ts"
ids = {{ user_id = "email" }}
value_column = "total"
"#
        ),
    );
}

#[test]
fn identifiers_that_differ_only_in_case_and_unattributed_conversions_are_warned_about() {
    let w = Workdir::new();
    case_split(&w, "");
    let out = validate(&w, &[]).success().get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: 6 values of user_id differ from another only in case or spaces, so they do not link: set [identity] normalize = { user_id = \"email\" }"),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("warning: 3 of 3 conversions (100%) have no touch in their lookback window"),
        "{stderr}"
    );
    validate(&w, &["--strict"])
        .code(1)
        .stderr(predicates::str::contains(
            "error: --strict: 2 warnings (above)",
        ));

    // The fix the warning names makes both go away.
    case_split(&w, "[identity]\nnormalize = { user_id = \"email\" }\n");
    let out = validate(&w, &["--strict"]).success().get_output().clone();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
}

#[test]
fn run_says_the_same_warnings_loudly() {
    let w = Workdir::new();
    case_split(&w, "");
    w.cmd()
        .args([
            "run",
            "--config",
            "omnitouch.toml",
            "--model",
            "last_touch",
            "--out",
            "r",
        ])
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "warning: 3 of 3 conversions (100%) have no touch",
        ));
}

/// `validate` on the work folder's `omnitouch.toml`, with `extra` arguments.
fn validate(w: &Workdir, extra: &[&str]) -> assert_cmd::assert::Assert {
    w.cmd()
        .args(["validate", "--config", "omnitouch.toml"])
        .args(extra)
        .assert()
}

/// A touch export `visits.csv` with the columns ts, cookie and channel.
const VISITS: &str = r#"[[sources]]
name = "visits"
path = "visits.csv"
kind = "touch"
timestamp = "ts"
ids = { cookie_id = "cookie" }
channel = { column = "channel" }
"#;

#[test]
fn a_source_with_most_rows_rejected_is_a_warning_and_fails_strict() {
    let w = Workdir::new();
    w.write(
        "visits.csv",
        "ts,cookie,channel\nyesterday,c1,Email\nlast week,c2,Email\n2026-03-01T10:00:00Z,c3,Email\n",
    );
    w.write("omnitouch.toml", VISITS);
    validate(&w, &[])
        .success()
        .stderr(predicates::str::contains(
            "warning: source \"visits\": 2 of 3 rows rejected (67%), 2 of them as bad_timestamp",
        ));
    validate(&w, &["--strict"]).code(1);
}

#[test]
fn a_header_in_one_column_names_the_delimiter_it_looks_like() {
    let w = Workdir::new();
    w.write(
        "visits.csv",
        "ts;cookie;channel\n2026-03-01T10:00:00Z;c1;Email\n",
    );
    w.write("omnitouch.toml", VISITS);
    validate(&w, &[])
        .code(1)
        .stderr(predicates::str::contains(
            "columns found: ts;cookie;channel (one column: the header looks ;-separated; set csv = { delimiter = \";\" })",
        ));
}

fn one_source(extra: &str) -> String {
    format!("{extra}\n{}", common::EVENTS_SOURCE)
}

#[test]
fn validate_checks_the_report_models_and_the_spend_as_run_does() {
    let w = Workdir::new();
    w.write(
        "events.csv",
        "ts,cookie,event,channel,value\n2026-03-01T10:00:00Z,c1,touch,Email,\n2026-03-01T11:00:00Z,c1,conversion,,5\n",
    );
    let fails_with = |extra: &str, message: &str| {
        w.write("omnitouch.toml", one_source(extra));
        validate(&w, &[])
            .code(1)
            .stderr(predicates::str::contains(message));
    };
    fails_with(
        "[report]\nmodels = [\"last_touch\", \"markow\"]\n",
        "[report] models: unknown model \"markow\" (did you mean \"markov\"?)",
    );
    fails_with(
        "[report]\nmodels = [\"last_touch\"]\nbaseline = \"linear\"\n",
        "[report] baseline \"linear\" is not among [report] models (last_touch)",
    );
    // A spend file that is not there is the error run would give.
    fails_with("[spend]\npath = \"spend.csv\"\n", "spend.csv");

    w.write(
        "spend.csv",
        "date,channel,cost\n2026-03-01,Email,5\n2026-03-01,,3\n",
    );
    validate(&w, &[]).success().stdout(
        predicates::str::contains("Spend").and(predicates::str::contains("missing_channel")),
    );
}

#[test]
fn rows_that_are_not_utf8_name_the_encoding_setting() {
    let w = Workdir::new();
    // "Café" in Windows-1252: é is the one byte 0xE9.
    let mut text = b"ts,cookie,channel\n2026-03-01T10:00:00Z,c1,Caf".to_vec();
    text.extend([0xE9, b'\n']);
    text.extend(b"2026-03-01T11:00:00Z,c2,Email\n2026-03-01T12:00:00Z,c3,Email\n");
    w.write("visits.csv", text);
    w.write("omnitouch.toml", VISITS);
    validate(&w, &[])
        .success()
        .stderr(predicates::str::contains(
            "warning: source \"visits\": 1 rows are not valid UTF-8: if the file is in another encoding, set csv = { encoding = \"windows-1252\" }",
        ));
}

#[test]
fn errors_name_the_place_of_the_problem() {
    let w = Workdir::new();
    w.write(
        "visits.csv",
        "ts,cookie,channel\n2026-03-01T10:00:00Z,c1,Email\n",
    );
    w.write(
        "omnitouch.toml",
        format!("[settings]\ntimezone = \"Europe/Londn\"\n\n{VISITS}"),
    );
    validate(&w, &[]).code(1).stderr(predicates::str::contains(
        "omnitouch.toml: [settings] timezone: \"Europe/Londn\" is not an IANA time zone name",
    ));
    w.cmd()
        .args(["validate", "--config", "missing.toml"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "missing.toml: no such config file (pass --config FILE",
        ));
}

#[test]
fn one_file_is_dash_o_and_a_folder_out_dir_with_the_old_spellings_kept() {
    let w = Workdir::new();
    w.write(
        "visits.csv",
        "ts,cookie,channel\n2026-03-01T10:00:00Z,c1,Email\n",
    );
    w.write("omnitouch.toml", VISITS);
    for (args, written) in [
        (&["validate", "-o", "a.parquet"][..], "a.parquet"),
        (&["validate", "--frame-out", "b.parquet"][..], "b.parquet"),
        (&["stitch", "-o", "c.csv"][..], "c.csv"),
        (&["stitch", "--out", "d.csv"][..], "d.csv"),
        (&["journeys", "--output", "e.csv"][..], "e.csv"),
        (&["journeys", "--paths-out", "f.csv"][..], "f.csv"),
        (
            &["run", "--out-dir", "g", "--model", "last_touch"][..],
            "g/credits.csv",
        ),
        (
            &["run", "--out", "h", "--model", "last_touch"][..],
            "h/credits.csv",
        ),
    ] {
        let mut all = vec!["-q"];
        all.extend_from_slice(args);
        all.extend(["--config", "omnitouch.toml"]);
        w.cmd().args(&all).assert().success();
        assert!(w.join(written).exists(), "{args:?} wrote {written}");
    }
}
