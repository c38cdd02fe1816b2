//! Journeys and the path table on small hand-built cases.

mod common;

use common::Workdir;
use omnitouch::config::Config;
use omnitouch::identity::{self, IdentityOptions};
use omnitouch::journey::{self, path_table, JourneyOptions, Journeys, PathTable, ReadOptions};
use predicates::prelude::*;

const SOURCES: &str = r#"
[[sources]]
name = "a"
path = "a.csv"
kind_column = "event"
touch_values = ["touch"]
conversion_values = ["conversion"]
timestamp = "ts"
ids = { cookie_id = "cookie", user_id = "user" }
channel = { column = "channel" }
value_column = "value"
conversion_type = { column = "ctype" }
dimensions = { region = "region" }

[[sources]]
name = "b"
path = "b.csv"
kind_column = "event"
touch_values = ["touch"]
conversion_values = ["conversion"]
timestamp = "ts"
ids = { cookie_id = "cookie", user_id = "user" }
channel = { column = "channel" }
value_column = "value"
conversion_type = { column = "ctype" }
dimensions = { region = "region" }
"#;

const HEADER: &str = "ts,cookie,user,event,channel,ctype,value,region\n";

/// `day cookie user event channel ctype value region`, whitespace-separated, `-` for empty.
fn csv(events: &[&str]) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2026-07-01T00:00:00Z").expect("base");
    let mut out = String::from(HEADER);
    for e in events {
        let f: Vec<&str> = e
            .split_whitespace()
            .map(|x| if x == "-" { "" } else { x })
            .collect();
        let day: f64 = f[0].parse().expect("day");
        let ts = base + chrono::Duration::seconds((day * 86_400.0) as i64);
        out.push_str(&format!("{},{}\n", ts.to_rfc3339(), f[1..].join(",")));
    }
    out
}

fn build(a: &[&str], b: &[&str], tweak: impl FnOnce(&mut JourneyOptions)) -> Journeys {
    let w = Workdir::new();
    w.write("a.csv", csv(a));
    w.write("b.csv", csv(b));
    let t = w.load(SOURCES).expect("loads");
    let config = Config::load(&w.join("omnitouch.toml")).expect("config");
    let people = identity::stitch(
        &t,
        &IdentityOptions::from_config(&config, &t.id_kinds).expect("options"),
    )
    .expect("stitches");
    let mut options = JourneyOptions::from_config(&config).expect("options");
    tweak(&mut options);
    let j = journey::build(&t, &people, &options).expect("builds");
    let s = &j.stats;
    assert_eq!(
        j.conversions_in,
        s.converting + s.unattributed + s.conversions_without_person,
        "every conversion is attributed, unattributed, or without a person"
    );
    j
}

/// Paths as "A > B" strings with "+" for converting and "-" for non-converting journeys.
fn paths(j: &Journeys) -> Vec<String> {
    j.journeys
        .iter()
        .map(|jn| {
            let names: Vec<&str> = jn
                .touches
                .iter()
                .map(|t| j.channels[t.channel as usize].as_str())
                .collect();
            format!(
                "{}{}",
                if jn.conversion.is_some() { "+" } else { "-" },
                names.join(" > ")
            )
        })
        .collect()
}

#[test]
fn the_lookback_window_drops_old_touches() {
    let j = build(
        &[
            "0 c1 - touch Email - - -",
            "35 c1 - touch PaidSearch - - -",
            "40 c1 - conversion Web - 10 -",
            "41 c1 - touch Display - - -",
        ],
        &[],
        |_| {},
    );
    assert_eq!(paths(&j), ["+PaidSearch", "-Display"]);
    assert_eq!(j.stats.touches_outside_window, 1);
    assert_eq!((j.stats.converting, j.stats.non_converting), (1, 1));
}

#[test]
fn each_conversion_takes_only_touches_since_the_previous_one() {
    let j = build(
        &[
            "1 c1 - touch A - - -",
            "2 c1 - conversion Web - 5 -",
            "3 c1 - touch B - - -",
            "3.5 c1 - touch C - - -",
            "4 c1 - conversion Web - 7 -",
        ],
        &[],
        |_| {},
    );
    assert_eq!(paths(&j), ["+A", "+B > C"]);
    let table = j.path_table();
    assert_eq!(table.conversions(), 2);
    assert_eq!(table.value(), 12.0);
    assert_eq!(table.nulls(), 0);
}

#[test]
fn conversions_without_touches_are_unattributed_or_direct() {
    let events = ["5 c1 - conversion Web - 20 -", "6 c2 - touch Email - - -"];
    let j = build(&events, &[], |_| {});
    assert_eq!(j.stats.unattributed, 1);
    assert_eq!(j.path_table().conversions(), 0, "an empty path has no row");
    let d = build(&events, &[], |o| o.unattributed_to_direct = true);
    assert_eq!(paths(&d)[0], "+Direct");
    assert_eq!(d.stats.unattributed, 1);
    assert_eq!(d.path_table().conversions(), 1);
}

#[test]
fn lookback_can_differ_per_conversion_type() {
    let j = build(
        &[
            "0 c1 - touch Email - - -",
            "10 c1 - conversion In-store store - -",
            "0 c2 - touch Email - - -",
            "10 c2 - conversion Web online - -",
        ],
        &[],
        |o| {
            o.lookback_by_type.insert("store".into(), 5.0);
        },
    );
    assert_eq!(paths(&j), ["+", "+Email"]);
    assert_eq!(j.stats.unattributed, 1);
}

#[test]
fn split_by_type_closes_only_touches_since_the_same_type() {
    let events = [
        "1 c1 - touch A - - -",
        "2 c1 - conversion Web online 1 -",
        "3 c1 - touch B - - -",
        "4 c1 - conversion In-store store 2 -",
    ];
    let across = build(&events, &[], |_| {});
    assert_eq!(paths(&across), ["+A", "+B"]);
    let split = build(&events, &[], |o| o.split_by_type = true);
    assert_eq!(paths(&split), ["+A", "+A > B"]);
    let table = split.path_table();
    let types: Vec<&str> = table
        .rows
        .iter()
        .map(|r| r.conversion_type.as_str())
        .collect();
    assert_eq!(types, ["online", "store"]);
    assert!(across
        .path_table()
        .rows
        .iter()
        .all(|r| r.conversion_type.is_empty()));
}

#[test]
fn max_path_length_keeps_the_last_touches() {
    let j = build(
        &[
            "1 c1 - touch A - - -",
            "2 c1 - touch B - - -",
            "3 c1 - touch C - - -",
            "4 c1 - conversion Web - - -",
        ],
        &[],
        |o| o.max_path_length = Some(2),
    );
    assert_eq!(paths(&j), ["+B > C"]);
}

#[test]
fn open_journeys_near_the_end_can_be_left_out() {
    let events = [
        "1 c1 - touch A - - -",
        "49 c2 - touch B - - -",
        "50 c3 - touch C - - -",
    ];
    assert_eq!(paths(&build(&events, &[], |_| {})).len(), 3);
    let j = build(&events, &[], |o| o.exclude_open_days = Some(3.0));
    assert_eq!(paths(&j), ["-A"]);
    assert_eq!(j.stats.open_excluded, 2);
}

#[test]
fn ties_in_time_follow_source_order_then_input_order() {
    let j = build(
        &["1 c1 - touch A1 - - -", "1 c1 - touch A2 - - -"],
        &["1 c1 - touch B - - -", "2 c1 - conversion Web - - -"],
        |_| {},
    );
    assert_eq!(paths(&j), ["+A1 > A2 > B"]);
}

#[test]
fn cross_device_cross_source_and_online_to_offline_are_flagged() {
    let j = build(
        &[
            "1 phone u1 touch Email - - -",
            "1.5 laptop u1 touch Display - - -",
        ],
        &[
            "2 laptop u1 conversion In-store store 30 -",
            "3 c9 - touch A - - -",
            "4 c9 - conversion Web - - -",
        ],
        |_| {},
    );
    let flags: Vec<(bool, bool, bool)> = j
        .journeys
        .iter()
        .map(|x| (x.cross_device, x.cross_source, x.online_to_offline))
        .collect();
    // c9's touch and conversion are both in source b: one source, one device.
    assert_eq!(flags, [(true, true, true), (false, false, false)]);
    assert_eq!(
        (
            j.stats.cross_device,
            j.stats.cross_source,
            j.stats.online_to_offline
        ),
        (1, 1, 1)
    );
}

#[test]
fn transforms_from_the_config_apply_in_order() {
    let j = build(
        &[
            "1 c1 - touch Direct - - -",
            "2 c1 - touch Email - - -",
            "2.01 c1 - touch Email - - -",
            "3 c1 - touch Direct - - -",
            "4 c1 - conversion Web - - -",
        ],
        &[],
        |o| {
            o.transforms = ["remove:Direct", "unique"]
                .iter()
                .map(|t| journey::Transform::parse(t).expect("parses"))
                .collect()
        },
    );
    assert_eq!(paths(&j), ["+Email"]);
}

#[test]
fn segments_come_from_the_conversion_row() {
    let j = build(
        &[
            "1 c1 - touch A - - North",
            "2 c1 - conversion Web - 3 South",
            "3 c2 - touch A - - East",
        ],
        &[],
        |o| o.segment = Some("region".into()),
    );
    let t = j.path_table();
    let seg: Vec<(&str, u64, u64)> = t
        .rows
        .iter()
        .map(|r| (r.segment.as_str(), r.conversions, r.nulls))
        .collect();
    assert_eq!(seg, [("East", 0, 1), ("South", 1, 0)]);
}

#[test]
fn conversions_with_only_junk_identifiers_have_no_person() {
    let j = build(&["1 undefined - conversion Web - 5 -"], &[], |_| {});
    assert_eq!(j.stats.conversions_without_person, 1);
}

fn sample_table() -> PathTable {
    PathTable::from_named([
        (
            vec!["Email".into(), "Paid Search".into()],
            String::new(),
            String::new(),
            3,
            120.25,
            7,
        ),
        (
            vec!["Direct".into()],
            String::new(),
            String::new(),
            0,
            0.0,
            11,
        ),
        (
            vec!["Display".into(), "Email".into()],
            "online".into(),
            "North".into(),
            1,
            0.1 + 0.2,
            0,
        ),
    ])
}

#[test]
fn a_path_table_written_and_read_back_is_identical() {
    let w = Workdir::new();
    let table = sample_table();
    for name in ["p.csv", "p.parquet"] {
        path_table::write(&table, &w.join(name)).expect("writes");
        let back = path_table::read(&w.join(name), &ReadOptions::default()).expect("reads");
        assert_eq!(back, table, "{name}");
    }
}

#[test]
fn the_channelattribution_layout_reads_with_its_delimiter_detected() {
    let w = Workdir::new();
    w.write(
        "ca.csv",
        "path;total_conversions;total_conversion_value;total_null\n\
         eta > iota > alpha;2;10.5;3\n\
         alpha ;0;0;4\n\
         alpha;1;2;0\n",
    );
    let t = path_table::read(&w.join("ca.csv"), &ReadOptions::default()).expect("reads");
    assert_eq!(t.channels, ["alpha", "eta", "iota"]);
    assert_eq!((t.conversions(), t.value(), t.nulls()), (3, 12.5, 7));
    assert_eq!(t.rows.len(), 2, "alpha rows merge after trimming");
    assert_eq!(t.path_text(&t.rows[1].path), "eta > iota > alpha");

    w.write("tab.tsv", "route\tconv\tamount\tlost\nx|y\t1\t1\t0\n");
    let custom = ReadOptions {
        path_column: Some("route".into()),
        conversions_column: Some("conv".into()),
        value_column: Some("amount".into()),
        nulls_column: Some("lost".into()),
        separator: Some("|".into()),
        delimiter: None,
    };
    let t = path_table::read(&w.join("tab.tsv"), &custom).expect("reads");
    assert_eq!(t.channels, ["x", "y"]);
}

#[test]
fn fractional_or_negative_counts_are_errors_naming_line_and_column() {
    let w = Workdir::new();
    w.write(
        "p.csv",
        "path,total_conversions,total_conversion_value,total_null\na,1,1,0\nb,1.5,1,0\n",
    );
    let msg = path_table::read(&w.join("p.csv"), &ReadOptions::default())
        .expect_err("fractional")
        .to_string();
    assert!(
        msg.contains("line 3") && msg.contains("total_conversions") && msg.contains("1.5"),
        "{msg}"
    );
    w.write("n.csv", "path,conversions,value,nulls\na,1,1,-2\n");
    let msg = path_table::read(&w.join("n.csv"), &ReadOptions::default())
        .expect_err("negative")
        .to_string();
    assert!(msg.contains("line 2") && msg.contains("nulls"), "{msg}");
    w.write("e.csv", "path,conversions,value,nulls\na >> b,1,1,0\n");
    assert!(path_table::read(&w.join("e.csv"), &ReadOptions::default()).is_err());
}

/// A path table of `rows` rows (several MB, so it is read in parallel chunks), with blank
/// lines and CRLF line ends mixed in.
fn big_table(rows: usize, quoted: bool) -> String {
    let mut text = String::from("path,conversions,value,nulls,conversion_type,segment\r\n");
    for i in 0..rows {
        let path = format!("c{} > c{} > c{}", i % 7, i % 11, i % 13);
        let path = if quoted { format!("\"{path}\"") } else { path };
        let segment = ["", "North", "South"][i % 3];
        let end = if i % 4 == 0 { "\r\n" } else { "\n" };
        text.push_str(&format!(
            "{path},{},{}.5,{},online,{segment}{end}",
            i % 3,
            i % 5,
            i % 2
        ));
        if i % 99_999 == 0 {
            text.push('\n');
        }
    }
    text
}

#[test]
fn a_large_table_reads_the_same_in_parallel_chunks_as_in_one_pass() {
    let w = Workdir::new();
    // No quote: chunks in parallel. Quoted paths: one sequential pass.
    w.write("chunks.csv", big_table(200_000, false));
    w.write("one-pass.csv", big_table(200_000, true));
    assert!(
        std::fs::metadata(w.join("chunks.csv"))
            .expect("written")
            .len()
            > 4 << 20
    );
    let chunks = path_table::read(&w.join("chunks.csv"), &ReadOptions::default()).expect("reads");
    let one = path_table::read(&w.join("one-pass.csv"), &ReadOptions::default()).expect("reads");
    assert_eq!(chunks, one);
    assert_eq!(chunks.rows.len(), 7 * 11 * 13 * 3);
    assert_eq!(
        chunks.conversions(),
        (0..200_000u64).map(|i| i % 3).sum::<u64>()
    );
}

#[test]
fn an_error_deep_in_a_large_table_names_its_line() {
    let w = Workdir::new();
    for quoted in [false, true] {
        let mut text = big_table(300_000, quoted);
        // A bad count on line 250,002, and a later one that must not win.
        let line_start = |t: &str, line: usize| {
            t.match_indices('\n')
                .nth(line - 2)
                .map(|(i, _)| i + 1)
                .expect("line")
        };
        let at = line_start(&text, 250_002);
        let comma = at + text[at..].find(',').expect("comma");
        text.insert(comma + 1, 'x');
        let later = line_start(&text, 290_000);
        let comma = later + text[later..].find(',').expect("comma");
        text.insert(comma + 1, 'y');
        w.write("bad.csv", &text);
        let msg = path_table::read(&w.join("bad.csv"), &ReadOptions::default())
            .expect_err("bad count")
            .to_string();
        assert!(
            msg.contains("line 250002 column conversions"),
            "quoted {quoted}: {msg}"
        );
    }
}

#[test]
fn journeys_command_on_the_sample_data_shows_cross_device_and_offline() {
    let w = Workdir::new();
    let out = w.join("paths.csv");
    w.cmd()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["journeys", "-q", "--paths-out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(r"converting journeys across devices\s+┆\s+[1-9]")
                .expect("regex")
                .and(
                    predicate::str::is_match(r"online touches → offline conversion\s+┆\s+[1-9]")
                        .expect("regex"),
                )
                .and(predicate::str::contains("Top paths")),
        );
    let table = path_table::read(&out, &ReadOptions::default()).expect("reads");
    assert!(table.conversions() > 0 && table.nulls() > 0);
    w.cmd()
        .arg("journeys")
        .arg("--paths")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "{} conversions",
            table.conversions()
        )));
}
