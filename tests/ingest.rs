//! Ingest through the library: every config option, every reject reason, every format.

mod common;

use common::{assert_balanced, rejected, strings, times, values, Workdir};
use polars::prelude::*;

#[test]
fn csv_touches_get_channels_ids_dimensions_and_utc_times() {
    let w = Workdir::new();
    w.write(
        "web.csv",
        "when,cookie,login,src,med,camp,ref,region\n\
         2026-07-01T10:00:00Z,c1,,google,cpc,brand,,North\n\
         2026-07-01T12:00:00+02:00,c2,u2,,,,https://www.facebook.com/,\n\
         2026-07-02T09:30:00Z,c1,u1,,,,,South\n",
    );
    let t = w
        .load(
            r#"
            [[sources]]
            name = "web"
            path = "web.csv"
            kind = "touch"
            timestamp = "when"
            timestamp_format = "rfc3339"
            ids = { cookie_id = "cookie", user_id = "login" }
            channel = { fields = { utm_source = "src", utm_medium = "med", utm_campaign = "camp", referrer = "ref" } }
            dimensions = { region = "region", campaign = "camp" }
            "#,
        )
        .expect("loads");
    assert_balanced(&t);
    assert_eq!(
        times(&t),
        [
            "2026-07-01T10:00:00Z",
            "2026-07-01T10:00:00Z",
            "2026-07-02T09:30:00Z"
        ]
    );
    assert_eq!(
        strings(&t, "channel"),
        [
            Some("Paid Search".into()),
            Some("Organic Social".into()),
            Some("Direct".into())
        ]
    );
    assert_eq!(
        strings(&t, "cookie_id"),
        [Some("c1".into()), Some("c2".into()), Some("c1".into())]
    );
    assert_eq!(
        strings(&t, "user_id"),
        [None, Some("u2".into()), Some("u1".into())]
    );
    assert_eq!(
        strings(&t, "region"),
        [Some("North".into()), None, Some("South".into())]
    );
    assert_eq!(strings(&t, "campaign")[0].as_deref(), Some("brand"));
    assert_eq!(strings(&t, "kind"), vec![Some("touch".to_string()); 3]);
    assert_eq!(strings(&t, "conversion_type"), vec![None; 3]);
    assert_eq!(values(&t), [0.0, 0.0, 0.0]);
    // Channel ids index the sorted dictionary.
    assert_eq!(t.channels, ["Direct", "Organic Social", "Paid Search"]);
    let ids: Vec<Option<u32>> = t
        .frame
        .column("channel_id")
        .expect("channel_id")
        .u32()
        .expect("u32")
        .iter()
        .collect();
    assert_eq!(ids, [Some(2), Some(1), Some(0)]);
    assert_eq!(t.id_kinds, ["cookie_id", "user_id"]);
    assert_eq!(t.dimensions, ["campaign", "region"]);
    let web = &t.accounting.sources[0];
    assert_eq!((web.rows_read, web.touches, web.unassigned), (3, 3, 0));
    assert_eq!(web.channels.get("Direct"), Some(&1));
}

#[test]
fn kind_column_sorts_touches_conversions_ignored_and_unknown() {
    let w = Workdir::new();
    w.write(
        "events.csv",
        "ts,email,event,amount,type\n\
         2026-07-01 10:00:00,e1,Click,,\n\
         2026-07-01 11:00:00,e1,send,,\n\
         2026-07-01 12:00:00,e1,purchase,25.5,subscription\n\
         2026-07-01 13:00:00,e1,purchase,,\n\
         2026-07-01 14:00:00,e1,unsubscribe,,\n\
         2026-07-01 15:00:00,e1,,,\n",
    );
    let t = w
        .load(
            r#"
            [[sources]]
            name = "esp"
            path = "events.csv"
            kind_column = "event"
            touch_values = ["click", "open"]
            conversion_values = ["purchase"]
            ignore_values = ["send"]
            timestamp = "ts"
            ids = { email_sha256 = "email" }
            channel = { value = "Email" }
            value_column = "amount"
            conversion_type = { column = "type" }
            "#,
        )
        .expect("loads");
    assert_balanced(&t);
    let s = &t.accounting.sources[0];
    assert_eq!(
        (s.rows_read, s.touches, s.conversions, s.ignored),
        (6, 1, 2, 1)
    );
    assert_eq!(rejected(&t, "esp", "unknown_kind"), 2);
    assert_eq!(
        strings(&t, "kind"),
        [
            Some("touch".into()),
            Some("conversion".into()),
            Some("conversion".into())
        ]
    );
    assert_eq!(values(&t), [0.0, 25.5, 0.0]);
    assert_eq!(
        strings(&t, "conversion_type"),
        [None, Some("subscription".into()), Some("conversion".into())]
    );
    let reject = t
        .rejects
        .iter()
        .find(|r| r.line == 6)
        .expect("line 6 rejected");
    assert_eq!(reject.column.as_deref(), Some("event"));
    assert!(reject.detail.contains("unsubscribe"), "{}", reject.detail);
}

/// An orders export: conversions with a user and a revenue column.
const ORDERS: &str = r#"
[[sources]]
name = "orders"
path = "orders.csv"
kind = "conversion"
timestamp = "ts"
ids = { user_id = "user" }
value_column = "revenue"
"#;

#[test]
fn conversion_values_must_be_finite_non_negative_numbers() {
    let w = Workdir::new();
    w.write(
        "orders.csv",
        "ts,user,revenue\n\
         2026-07-01T10:00:00Z,u1,10\n\
         2026-07-01T10:00:00Z,u1,-1\n\
         2026-07-01T10:00:00Z,u1,abc\n\
         2026-07-01T10:00:00Z,u1,inf\n\
         2026-07-01T10:00:00Z,u1,NaN\n\
         2026-07-01T10:00:00Z,u1,\n\
         2026-07-01T10:00:00Z,u1, 7.25 \n",
    );
    let t = w
        .load(&format!(
            "{ORDERS}conversion_type = {{ value = \"order\" }}\n"
        ))
        .expect("loads");
    assert_balanced(&t);
    assert_eq!(values(&t), [10.0, 0.0, 7.25]);
    assert_eq!(rejected(&t, "orders", "bad_value"), 4);
    assert_eq!(
        strings(&t, "conversion_type"),
        vec![Some("order".to_string()); 3]
    );
    // Conversions of a source without a channel have a null channel.
    assert_eq!(strings(&t, "channel"), vec![None; 3]);
    let lines: Vec<u64> = t.rejects.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4, 5, 6]);
}

#[test]
fn rejects_name_the_right_line_after_blank_lines_and_crlf_ends() {
    let w = Workdir::new();
    // Lines: 1 header, 2 good, 3 blank, 4 bad, 5 good, 6 blank, 7 blank, 8 bad, 9 "x" bad.
    let rows = [
        "ts,user,revenue",
        "2026-07-01T10:00:00Z,u1,10",
        "",
        "2026-07-01T11:00:00Z,u2,-1",
        "2026-07-01T12:00:00Z,u3,5",
        "",
        "",
        "2026-07-01T13:00:00Z,u4,-2",
        "2026-07-01T14:00:00Z,u5,x",
    ];
    for end in ["\n", "\r\n"] {
        w.write("orders.csv", rows.join(end) + end);
        let t = w.load(ORDERS).expect("loads");
        assert_balanced(&t);
        let lines: Vec<u64> = t.rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 8, 9], "line ends {end:?}");
    }
}

#[test]
fn timestamps_reject_unparseable_out_of_range_and_nonexistent_local_times() {
    let w = Workdir::new();
    w.write(
        "calls.csv",
        "t,phone\n\
         2026-07-01 11:00:00,p1\n\
         01/07/2026,p1\n\
         ,p1\n\
         1960-01-01 00:00:00,p1\n\
         2026-03-29 01:30:00,p1\n",
    );
    let t = w
        .load(
            r#"
            [settings]
            timezone = "Europe/London"

            [[sources]]
            name = "calls"
            path = "calls.csv"
            kind = "touch"
            timestamp = "t"
            timestamp_format = "%Y-%m-%d %H:%M:%S"
            ids = { phone_sha256 = "phone" }
            channel = { value = "Call Centre" }
            "#,
        )
        .expect("loads");
    assert_balanced(&t);
    // The settings time zone applies: 11:00 in London in July is 10:00 UTC.
    assert_eq!(times(&t), ["2026-07-01T10:00:00Z"]);
    assert_eq!(rejected(&t, "calls", "bad_timestamp"), 2);
    assert_eq!(rejected(&t, "calls", "timestamp_out_of_range"), 1);
    assert_eq!(rejected(&t, "calls", "nonexistent_local_time"), 1);
}

#[test]
fn source_time_zone_overrides_the_default_and_epochs_parse() {
    let w = Workdir::new();
    w.write("a.csv", "t,id\n2026-07-01 06:00:00,x\n");
    w.write("b.csv", "t,id\n1782900000\n");
    w.write("c.csv", "t,id\n1782900000000,z\n");
    let t = w
        .load(
            r#"
            [[sources]]
            name = "a"
            path = "a.csv"
            kind = "touch"
            timestamp = "t"
            timezone = "America/New_York"
            ids = { cookie_id = "id" }
            channel = { value = "Direct" }

            [[sources]]
            name = "b"
            path = "b.csv"
            kind = "touch"
            timestamp = "t"
            timestamp_format = "epoch_s"
            ids = { cookie_id = "id" }
            channel = { value = "Direct" }

            [[sources]]
            name = "c"
            path = "c.csv"
            kind = "touch"
            timestamp = "t"
            timestamp_format = "epoch_ms"
            ids = { cookie_id = "id" }
            channel = { value = "Direct" }
            "#,
        )
        .expect("loads");
    assert_balanced(&t);
    // b's only row has no identifier (its id cell is missing: a ragged row).
    assert_eq!(rejected(&t, "b", "ragged_row"), 1);
    assert_eq!(times(&t), ["2026-07-01T10:00:00Z", "2026-07-01T10:00:00Z"]);
}

#[test]
fn rows_without_any_identifier_are_rejected() {
    let w = Workdir::new();
    w.write(
        "t.csv",
        "t,cookie,user\n2026-07-01T10:00:00Z,,\n2026-07-01T10:00:00Z,  ,u\n2026-07-01T10:00:00Z, , \n",
    );
    let t = w
        .load(
            r#"
            [[sources]]
            name = "s"
            path = "t.csv"
            kind = "touch"
            timestamp = "t"
            ids = { cookie_id = "cookie", user_id = "user" }
            channel = { value = "Direct" }
            "#,
        )
        .expect("loads");
    assert_balanced(&t);
    assert_eq!(rejected(&t, "s", "no_identifier"), 2);
    // Blank identifiers are trimmed to null.
    assert_eq!(strings(&t, "cookie_id"), [None]);
    let detail = &t.rejects[0].detail;
    assert!(
        detail.contains("cookie") && detail.contains("user"),
        "{detail}"
    );
}

#[test]
fn bom_crlf_semicolons_and_quotes_are_read() {
    let w = Workdir::new();
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(
        b"ts;id;note\r\n2026-07-01T10:00:00Z;'a;1';'x'\r\n2026-07-01T11:00:00Z;b;y\r\n",
    );
    w.write("bom.csv", bytes);
    let t = w
        .load(
            r#"
            [[sources]]
            name = "s"
            path = "bom.csv"
            csv = { delimiter = ";", quote = "'" }
            kind = "touch"
            timestamp = "ts"
            ids = { cookie_id = "id" }
            channel = { value = "Direct" }
            dimensions = { note = "note" }
            "#,
        )
        .expect("the BOM does not hide the first column name");
    assert_balanced(&t);
    assert_eq!(
        strings(&t, "cookie_id"),
        [Some("a;1".into()), Some("b".into())]
    );
    assert_eq!(strings(&t, "note"), [Some("x".into()), Some("y".into())]);
    assert_eq!(t.accounting.sources[0].rows_read, 2);
}

#[test]
fn tab_separated_and_headerless_files() {
    let w = Workdir::new();
    w.write("a.tsv", "ts\tid\n2026-07-01T10:00:00Z\tx\n");
    w.write("b.csv", "2026-07-01T10:00:00Z|y\n2026-07-01T11:00:00Z|z\n");
    let t = w
        .load(
            r#"
            [[sources]]
            name = "tsv"
            path = "a.tsv"
            kind = "touch"
            timestamp = "ts"
            ids = { cookie_id = "id" }
            channel = { value = "Direct" }

            [[sources]]
            name = "bare"
            path = "b.csv"
            csv = { delimiter = "|", has_header = false }
            kind = "touch"
            timestamp = "column_1"
            ids = { cookie_id = "column_2" }
            channel = { value = "Direct" }
            "#,
        )
        .expect("loads");
    assert_balanced(&t);
    assert_eq!(
        strings(&t, "cookie_id"),
        [Some("x".into()), Some("y".into()), Some("z".into())]
    );
    assert_eq!(t.accounting.sources[1].rows_read, 2);
}

#[test]
fn ragged_rows_and_invalid_utf8_are_rejected_with_their_lines() {
    let w = Workdir::new();
    let mut bytes = b"ts,id,x\n2026-07-01T10:00:00Z,a,1\n2026-07-01T10:00:00Z,b\n".to_vec();
    bytes.extend_from_slice(b"2026-07-01T10:00:00Z,\xff\xfe,1\n2026-07-01T10:00:00Z,c,1,extra\n");
    bytes.extend_from_slice(b"2026-07-01T10:00:00Z,\"multi\nline\",1\n2026-07-01T10:00:00Z,d,1\n");
    w.write("r.csv", bytes);
    let t = w
        .load(
            r#"
            [[sources]]
            name = "s"
            path = "r.csv"
            kind = "touch"
            timestamp = "ts"
            ids = { cookie_id = "id" }
            channel = { value = "Direct" }
            "#,
        )
        .expect("loads");
    assert_balanced(&t);
    assert_eq!(rejected(&t, "s", "ragged_row"), 2);
    assert_eq!(rejected(&t, "s", "invalid_encoding"), 1);
    let mut lines: Vec<(u64, &str)> = t
        .rejects
        .iter()
        .map(|r| (r.line, r.reason.name()))
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            (3, "ragged_row"),
            (4, "invalid_encoding"),
            (5, "ragged_row")
        ]
    );
    // A quoted field spanning two lines is one row; the next row is on line 8.
    assert_eq!(
        strings(&t, "cookie_id"),
        [
            Some("a".into()),
            Some("multi\nline".into()),
            Some("d".into())
        ]
    );
}

#[test]
fn ndjson_rows_with_numbers_nulls_and_broken_lines() {
    let w = Workdir::new();
    w.write(
        "app.ndjson",
        "{\"ts\": 1782900000000, \"device\": \"d1\", \"user\": null, \"v\": 3.5}\n\
         \n\
         {\"ts\": 1782900000000, \"device\": \"d2\", \"user\": \"u2\"}\n\
         {\"ts\": 17829\n\
         [1, 2]\n\
         {\"ts\": \"2026-07-01T10:00:00Z\", \"device\": 42, \"user\": true, \"v\": -1}\n",
    );
    let t = w
        .load(
            r#"
            [[sources]]
            name = "app"
            path = "app.ndjson"
            kind = "conversion"
            timestamp = "ts"
            ids = { device_id = "device", user_id = "user" }
            value_column = "v"
            "#,
        )
        .expect("loads");
    assert_balanced(&t);
    let s = &t.accounting.sources[0];
    assert_eq!(s.format, "ndjson");
    assert_eq!((s.rows_read, s.conversions), (5, 2));
    assert_eq!(rejected(&t, "app", "invalid_json"), 2);
    assert_eq!(rejected(&t, "app", "bad_value"), 1);
    assert_eq!(
        strings(&t, "device_id"),
        [Some("d1".into()), Some("d2".into())]
    );
    assert_eq!(strings(&t, "user_id"), [None, Some("u2".into())]);
    assert_eq!(values(&t), [3.5, 0.0]);
    let lines: Vec<u64> = t.rejects.iter().map(|r| r.line).collect();
    assert_eq!(lines, [4, 5, 6]);
}

#[test]
fn ndjson_key_in_no_line_is_a_structural_error() {
    let w = Workdir::new();
    w.write("a.ndjson", "{\"ts\": 1782900000, \"d\": \"x\"}\n");
    let err = w
        .load(
            r#"
            [[sources]]
            name = "app"
            path = "a.ndjson"
            kind = "touch"
            timestamp = "ts"
            ids = { device_id = "device" }
            channel = { value = "Direct" }
            "#,
        )
        .expect_err("device is missing");
    let msg = err.to_string();
    assert!(
        msg.contains("a.ndjson") && msg.contains("\"device\"") && msg.contains("ids.device_id"),
        "{msg}"
    );
}

fn write_parquet(w: &Workdir, name: &str, df: DataFrame) {
    write_parquet_groups(w, name, df, None);
}

/// Writes a Parquet file with row groups of at most `group_rows` rows (None: Polars' default).
fn write_parquet_groups(w: &Workdir, name: &str, mut df: DataFrame, group_rows: Option<usize>) {
    let file = std::fs::File::create(w.join(name)).expect("create");
    ParquetWriter::new(file)
        .with_row_group_size(group_rows)
        .finish(&mut df)
        .expect("write parquet");
}

fn micros(ts: &[i64], tz: Option<TimeZone>, name: &str) -> Column {
    Int64Chunked::from_vec(name.into(), ts.to_vec())
        .into_datetime(TimeUnit::Microseconds, tz)
        .into_series()
        .into()
}

#[test]
fn parquet_native_datetimes_numbers_and_strings() {
    let w = Workdir::new();
    const T: i64 = 1_782_900_000_000_000; // 2026-07-01T10:00:00Z
    let df = DataFrame::new(
        4,
        vec![
            micros(&[T, T, T, T], Some(TimeZone::UTC), "at"),
            // Naive wall-clock time in New York: 06:00 is 10:00 UTC.
            micros(&[T - 4 * 3_600_000_000; 4], None, "local"),
            Column::new("card".into(), [Some("L1"), None, Some("L3"), Some("L4")]),
            Column::new("store".into(), [7i64, 8, 9, 10]),
            Column::new("amount".into(), [12.5f64, 3.0, f64::NAN, 1.0]),
        ],
    )
    .expect("frame");
    write_parquet(&w, "pos.parquet", df);
    let t = w
        .load(
            r#"
            [[sources]]
            name = "pos"
            path = "pos.parquet"
            kind = "conversion"
            timestamp = "at"
            ids = { loyalty_id = "card" }
            channel = { value = "In-store" }
            value_column = "amount"
            dimensions = { store = "store" }

            [[sources]]
            name = "pos_local"
            path = "pos.parquet"
            kind = "conversion"
            timestamp = "local"
            timezone = "America/New_York"
            ids = { loyalty_id = "card" }
            "#,
        )
        .expect("loads");
    assert_balanced(&t);
    assert_eq!(rejected(&t, "pos", "no_identifier"), 1);
    assert_eq!(rejected(&t, "pos", "bad_value"), 1);
    assert_eq!(t.accounting.sources[0].format, "parquet");
    assert_eq!(t.accounting.sources[0].conversions, 2);
    assert_eq!(t.accounting.sources[1].conversions, 3);
    assert!(times(&t).iter().all(|s| s == "2026-07-01T10:00:00Z"));
    assert_eq!(
        strings(&t, "store")[..2],
        [Some("7".into()), Some("10".into())]
    );
    let line = t
        .rejects
        .iter()
        .find(|r| r.reason.name() == "bad_value")
        .map(|r| r.line);
    assert_eq!(line, Some(3), "Parquet rejects name their 1-based row");
}

#[test]
fn large_parquet_files_are_read_in_windows_and_batches_with_the_right_row_numbers() {
    use omnitouch::io::read::{BATCH_ROWS, WINDOW_ROWS};
    let w = Workdir::new();
    const T: i64 = 1_782_900_000_000_000;
    // Two windows, the second of two batches.
    let n = WINDOW_ROWS + BATCH_ROWS + 5;
    // 0-based: in the second batch of the first window, and in the second window.
    let bad_rows = [BATCH_ROWS + 7, WINDOW_ROWS + 3];
    let cards: Vec<String> = (0..n).map(|i| format!("L{i}")).collect();
    let amounts: Vec<f64> = (0..n)
        .map(|i| if bad_rows.contains(&i) { f64::NAN } else { 1.0 })
        .collect();
    let df = DataFrame::new(
        n,
        vec![
            micros(&vec![T; n], Some(TimeZone::UTC), "at"),
            Column::new("card".into(), cards),
            Column::new("amount".into(), amounts),
        ],
    )
    .expect("frame");
    // Row groups of 50,000 rows: windows of whole groups (300,000 rows, then the rest).
    write_parquet_groups(&w, "pos.parquet", df, Some(50_000));
    let t = w
        .load(
            r#"
            [[sources]]
            name = "pos"
            path = "pos.parquet"
            kind = "conversion"
            timestamp = "at"
            ids = { loyalty_id = "card" }
            channel = { value = "In-store" }
            value_column = "amount"
            "#,
        )
        .expect("loads");
    assert_balanced(&t);
    assert_eq!(t.accounting.sources[0].rows_read, n as u64);
    assert_eq!(t.accounting.sources[0].conversions, n as u64 - 2);
    let line = t.rejects.iter().map(|r| r.line).collect::<Vec<_>>();
    assert_eq!(line, bad_rows.map(|r| r as u64 + 1));
    // Rows keep their order across batches and windows: the last frame row is the file's last.
    let cards = strings(&t, "loyalty_id");
    assert_eq!(cards.len(), n - 2);
    assert_eq!(cards[n - 3], Some(format!("L{}", n - 1)));
    assert_eq!(cards[WINDOW_ROWS], Some(format!("L{}", WINDOW_ROWS + 1)));
}

#[test]
fn identity_sources_fill_the_links_frame() {
    let w = Workdir::new();
    w.write(
        "crm.csv",
        "cust,email,phone,card\nC1,e1,,L1\nC2,,p2,\n,,,\n",
    );
    let t = w
        .load(
            r#"
            [[sources]]
            name = "crm"
            path = "crm.csv"
            kind = "identity"
            ids = { customer_id = "cust", email_sha256 = "email", phone_sha256 = "phone", loyalty_id = "card" }
            "#,
        )
        .expect("loads");
    assert_balanced(&t);
    assert_eq!(t.frame.height(), 0);
    assert_eq!(t.links.height(), 2);
    assert_eq!(t.accounting.sources[0].identity_rows, 2);
    assert_eq!(rejected(&t, "crm", "no_identifier"), 1);
    let col: Vec<Option<&str>> = t
        .links
        .column("loyalty_id")
        .expect("col")
        .str()
        .expect("str")
        .iter()
        .collect();
    assert_eq!(col, [Some("L1"), None]);
}

#[test]
fn a_glob_reads_every_matching_file_in_name_order() {
    let w = Workdir::new();
    w.write("exports/day2.csv", "ts,id\n2026-07-02T00:00:00Z,b\n");
    w.write("exports/day1.csv", "ts,id\n2026-07-01T00:00:00Z,a\n");
    w.write("exports/notes.txt", "not matched\n");
    let t = w
        .load(
            r#"
            [[sources]]
            name = "days"
            path = "exports/day*.csv"
            kind = "touch"
            timestamp = "ts"
            ids = { cookie_id = "id" }
            channel = { value = "Direct" }
            "#,
        )
        .expect("loads");
    assert_eq!(t.accounting.sources[0].files, 2);
    assert_eq!(
        strings(&t, "cookie_id"),
        [Some("a".into()), Some("b".into())]
    );
    let seq: Vec<u64> = t
        .frame
        .column("seq")
        .expect("seq")
        .u64()
        .expect("u64")
        .iter()
        .map(|v| v.expect("seq"))
        .collect();
    assert_eq!(seq, [0, 1]);
}

#[test]
fn channel_column_values_are_kept_and_empty_ones_are_unassigned() {
    let w = Workdir::new();
    w.write(
        "t.csv",
        "ts,id,ch\n2026-07-01T00:00:00Z,a,TV\n2026-07-01T00:00:00Z,b,\n",
    );
    let t = w
        .load(
            r#"
            [[sources]]
            name = "s"
            path = "t.csv"
            kind = "touch"
            timestamp = "ts"
            ids = { cookie_id = "id" }
            channel = { column = "ch" }
            "#,
        )
        .expect("loads");
    assert_eq!(
        strings(&t, "channel"),
        [Some("TV".into()), Some("Unassigned".into())]
    );
    assert_eq!(t.accounting.sources[0].unassigned, 1);
}

#[test]
fn config_rules_come_before_defaults_or_replace_them() {
    let w = Workdir::new();
    w.write(
        "t.csv",
        "ts,id,src,med\n2026-07-01T00:00:00Z,a,google,cpc\n2026-07-01T00:00:00Z,b,flyer,qr\n",
    );
    let source = r#"
        [[sources]]
        name = "s"
        path = "t.csv"
        kind = "touch"
        timestamp = "ts"
        ids = { cookie_id = "id" }
        channel = { fields = { utm_source = "src", utm_medium = "med" } }
    "#;
    let extended = w
        .load(&format!(
            r#"
            [[channels.rules]]
            channel = "Print"
            when = [{{ field = "utm_medium", equals = "qr" }}]
            {source}"#
        ))
        .expect("loads");
    assert_eq!(
        strings(&extended, "channel"),
        [Some("Paid Search".into()), Some("Print".into())]
    );
    let replaced = w
        .load(&format!(
            r#"
            [channels]
            use_defaults = false
            [[channels.rules]]
            channel = "Print"
            when = [{{ field = "utm_medium", equals = "qr" }}]
            {source}"#
        ))
        .expect("loads");
    assert_eq!(
        strings(&replaced, "channel"),
        [Some("Unassigned".into()), Some("Print".into())]
    );
    assert_eq!(replaced.accounting.sources[0].unassigned, 1);
}

#[test]
fn extra_identity_kinds_become_columns() {
    let w = Workdir::new();
    w.write("t.csv", "ts,hh\n2026-07-01T00:00:00Z,H1\n");
    let t = w
        .load(
            r#"
            [identity]
            extra_kinds = ["household_id"]

            [[sources]]
            name = "s"
            path = "t.csv"
            kind = "touch"
            timestamp = "ts"
            ids = { household_id = "hh" }
            channel = { value = "TV" }
            "#,
        )
        .expect("loads");
    assert_eq!(t.id_kinds, ["household_id"]);
    assert_eq!(strings(&t, "household_id"), [Some("H1".into())]);
}

#[test]
fn explicit_format_overrides_the_extension_and_header_only_files_load_nothing() {
    let w = Workdir::new();
    w.write("export.dat", "{\"ts\": 1782900000, \"d\": \"x\"}\n");
    w.write("empty.csv", "ts,id\n");
    let t = w
        .load(
            r#"
            [[sources]]
            name = "dat"
            path = "export.dat"
            format = "ndjson"
            kind = "touch"
            timestamp = "ts"
            ids = { device_id = "d" }
            channel = { value = "App" }

            [[sources]]
            name = "empty"
            path = "empty.csv"
            kind = "touch"
            timestamp = "ts"
            ids = { cookie_id = "id" }
            channel = { value = "Direct" }
            "#,
        )
        .expect("loads");
    assert_eq!(t.accounting.sources[0].touches, 1);
    assert_eq!(t.accounting.sources[1].rows_read, 0);
    assert_balanced(&t);
}
