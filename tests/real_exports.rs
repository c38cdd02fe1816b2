//! Exports in the layouts real tools write, read through the shipped presets: GA4's BigQuery
//! export (NDJSON and Parquet), Shopify's order export, an e-mail platform's clicks, a CRM
//! table, a Windows call-centre log, a till, and Google Ads' and Meta's spend downloads. The
//! fixtures in `tests/fixtures/exports` were written from the published layouts; the numbers
//! below were worked out by hand from them (see each test).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::Workdir;
use omnitouch::ingest::{self, Keep, LoadOptions, SourceAccount, Touchpoints};
use polars::prelude::*;

/// The settings every combination of presets needs.
const HEADER: &str = r#"[settings]
currency = "EUR"
exchange_rates = { USD = 0.92 }

[identity]
extra_kinds = ["order_id"]
phone_region = "GB"

"#;

/// The shop's time and value win over GA4's, when both are loaded.
const SHOP_FIRST: &str = r#"[conversions]
source_priority = ["shopify_orders", "ga4"]

"#;

/// Every preset of the combined fixture set, in config order.
const ALL: [&str; 8] = [
    "ga4-bigquery-ndjson",
    "shopify-orders",
    "email-clicks",
    "crm",
    "call-centre",
    "store-till",
    "google-ads-spend",
    "meta-ads-spend",
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// A work folder with the fixture exports under `exports/` and a config made of `HEADER`,
/// the named presets as shipped, and `extra`.
fn workdir(presets: &[&str], extra: &str) -> Workdir {
    let w = Workdir::new();
    copy_dir(&repo().join("tests/fixtures/exports"), &w.join("exports"));
    let mut config = HEADER.to_string();
    if presets.contains(&"shopify-orders") {
        config.push_str(SHOP_FIRST);
    }
    for p in presets {
        let path = repo().join("presets").join(format!("{p}.toml"));
        config.push_str(&std::fs::read_to_string(&path).expect("preset"));
        config.push('\n');
    }
    config.push_str(extra);
    w.write("omnitouch.toml", config);
    w
}

fn load(w: &Workdir, keep: Keep) -> Touchpoints {
    let config = omnitouch::config::Config::load(&w.join("omnitouch.toml")).expect("config");
    let options = LoadOptions {
        keep_all_rejects: true,
        progress: false,
    };
    ingest::load_part(&config, &options, keep).expect("load")
}

fn account<'a>(t: &'a Touchpoints, source: &str) -> &'a SourceAccount {
    t.accounting
        .sources
        .iter()
        .find(|s| s.source == source)
        .expect("source accounted")
}

/// (time as RFC 3339, kind, channel, value) of a source's frame rows, in order.
fn rows_of(t: &Touchpoints, source: &str) -> Vec<(String, String, String, f64)> {
    let f = &t.frame;
    let pick = f
        .column("source")
        .expect("source")
        .str()
        .expect("text")
        .equal(source);
    let f = f.filter(&pick).expect("filter");
    let ts = f.column("ts").expect("ts").datetime().expect("datetime");
    let kind = f.column("kind").expect("kind").str().expect("text");
    let channel = f.column("channel").expect("channel").str().expect("text");
    let value = f.column("value").expect("value").f64().expect("f64");
    (0..f.height())
        .map(|i| {
            let micros = ts.physical().get(i).expect("time");
            let time = chrono::DateTime::from_timestamp_micros(micros)
                .expect("in range")
                .format("%Y-%m-%dT%H:%M:%S%.fZ")
                .to_string();
            (
                time,
                kind.get(i).unwrap_or_default().to_string(),
                channel.get(i).unwrap_or_default().to_string(),
                value.get(i).unwrap_or_default(),
            )
        })
        .collect()
}

fn touch(time: &str, channel: &str) -> (String, String, String, f64) {
    (time.into(), "touch".into(), channel.into(), 0.0)
}

fn conversion(time: &str, channel: &str, value: f64) -> (String, String, String, f64) {
    (time.into(), "conversion".into(), channel.into(), value)
}

/// GA4's events: 16 rows in two daily files. Three are neither touch nor conversion
/// (first_visit, user_engagement, login: ignored). Ten page views and session starts fall in
/// four sessions (one touch each, at its first event, with its first event's channel: gclid →
/// Paid Search, utm e-mail → Email, a facebook.com referrer → Organic Social, nothing →
/// Direct): six merged. Three purchases are orders the shop reports too (merged).
fn ga4_touches() -> Vec<(String, String, String, f64)> {
    vec![
        touch("2024-03-18T09:00:00.000001Z", "Paid Search"),
        touch("2024-03-18T12:00:00Z", "Organic Social"),
        touch("2024-03-18T14:00:00Z", "Direct"),
        touch("2024-03-19T08:01:00Z", "Email"),
    ]
}

#[test]
fn ga4_events_become_one_touch_per_session_through_nested_fields() {
    let w = workdir(&["ga4-bigquery-ndjson", "shopify-orders"], "");
    let t = load(&w, Keep::All);
    let ga4 = account(&t, "ga4");
    assert_eq!(
        (ga4.rows_read, ga4.touches, ga4.conversions, ga4.ignored),
        (16, 4, 0, 3)
    );
    assert_eq!(
        (ga4.merged_into_sessions, ga4.merged_into_conversions),
        (6, 3)
    );
    assert!(ga4.balanced());
    assert_eq!(rows_of(&t, "ga4"), ga4_touches());
    let device = t
        .frame
        .column("device")
        .expect("device")
        .str()
        .expect("text");
    assert_eq!(
        device.iter().take(4).collect::<Vec<_>>(),
        [
            Some("desktop"),
            Some("mobile"),
            Some("desktop"),
            Some("desktop")
        ],
        "dimensions read through struct fields (device.category)"
    );
}

#[test]
fn without_a_session_key_every_page_view_is_a_touch() {
    let w = workdir(&["ga4-bigquery-ndjson", "shopify-orders"], "");
    let config = std::fs::read_to_string(w.join("omnitouch.toml")).expect("config");
    let without = config.replace("session_key = [", "# session_key = [");
    w.write("omnitouch.toml", without);
    let t = load(&w, Keep::All);
    let ga4 = account(&t, "ga4");
    assert_eq!((ga4.touches, ga4.merged_into_sessions), (10, 0));
    // Ben's cart page view, with his own shop as the referrer, is a touch of its own.
    assert!(rows_of(&t, "ga4").contains(&touch("2024-03-18T12:02:00Z", "Referral")));
}

/// The same events as BigQuery's Parquet export holds them: records as structs, repeated
/// fields as lists of structs. Written here from the NDJSON fixture by Polars' JSON reader.
#[test]
fn ga4_parquet_reads_structs_and_lists_of_structs_with_the_same_paths() {
    let w = workdir(&["ga4-bigquery-parquet", "shopify-orders"], "");
    for day in ["20240318", "20240319"] {
        let json = w.join(&format!("exports/ga4/events_{day}.ndjson"));
        let mut frame = JsonReader::new(std::fs::File::open(&json).expect("ndjson"))
            .with_json_format(JsonFormat::JsonLines)
            .finish()
            .expect("json lines");
        assert!(
            matches!(frame.column("event_params").expect("params").dtype(), DataType::List(inner) if matches!(inner.as_ref(), DataType::Struct(_))),
            "event_params is a list of structs"
        );
        let parquet = std::fs::File::create(w.join(&format!("exports/ga4/events_{day}.parquet")))
            .expect("create");
        ParquetWriter::new(parquet)
            .finish(&mut frame)
            .expect("write");
        std::fs::remove_file(json).expect("remove the json");
    }
    let t = load(&w, Keep::All);
    let ga4 = account(&t, "ga4");
    assert_eq!(ga4.format, "parquet");
    assert_eq!(
        (ga4.rows_read, ga4.touches, ga4.ignored, ga4.merged()),
        (16, 4, 3, 9)
    );
    assert_eq!(rows_of(&t, "ga4"), ga4_touches());
}

#[test]
fn a_wrong_path_names_the_keys_that_exist_where_it_fails() {
    let w = workdir(&["ga4-bigquery-ndjson", "shopify-orders"], "");
    let config = std::fs::read_to_string(w.join("omnitouch.toml")).expect("config");
    w.write(
        "omnitouch.toml",
        config.replace("\"device.category\"", "\"device.kind\""),
    );
    let err = w
        .cmd()
        .args(["validate", "--config", "omnitouch.toml"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains("column \"device.kind\" (mapped by `dimensions.device`) is not in the file; columns found: in \"device\": category, is_limited_ad_tracking, language, mobile_brand_name, operating_system, web_info"),
        "{err}"
    );
}

/// The shop's export has one row per line item: order #1001 has two rows (the second without
/// Total or Created at), #1002 one. GA4 has a purchase of #1001 and two of #1002. Four rows are
/// merged; two conversions remain, at the shop's times, with its totals.
#[test]
fn orders_count_once_across_line_items_and_sources() {
    let w = workdir(&["ga4-bigquery-ndjson", "shopify-orders"], "");
    let t = load(&w, Keep::All);
    let shop = account(&t, "shopify_orders");
    assert_eq!(
        (
            shop.rows_read,
            shop.conversions,
            shop.merged_into_conversions
        ),
        (3, 2, 1)
    );
    assert_eq!(account(&t, "ga4").conversions, 0);
    assert_eq!(
        rows_of(&t, "shopify_orders"),
        [
            conversion("2024-03-19T08:10:30Z", "", 80.0),
            conversion("2024-03-18T12:10:20Z", "", 45.5),
        ]
    );

    // With GA4 first, GA4's first report of each order wins (its time and revenue).
    let config = std::fs::read_to_string(w.join("omnitouch.toml")).expect("config");
    w.write(
        "omnitouch.toml",
        config.replace(
            "source_priority = [\"shopify_orders\", \"ga4\"]",
            "source_priority = [\"ga4\"]",
        ),
    );
    let t = load(&w, Keep::All);
    assert_eq!(
        (
            account(&t, "ga4").conversions,
            account(&t, "ga4").merged_into_conversions,
            account(&t, "shopify_orders").merged_into_conversions
        ),
        (2, 1, 3)
    );
    assert_eq!(
        rows_of(&t, "ga4")
            .into_iter()
            .filter(|r| r.1 == "conversion")
            .collect::<Vec<_>>(),
        [
            // A purchase event's own channel (its page has no campaign) is kept, not used.
            conversion("2024-03-18T12:10:00Z", "Direct", 45.5),
            conversion("2024-03-19T08:10:00Z", "Direct", 80.0),
        ]
    );
}

#[test]
fn line_items_can_be_summed() {
    let w = Workdir::new();
    w.write(
        "lines.csv",
        "order,ts,email,amount\n\
         A1,2024-03-01T10:00:00Z,x@example.com,10.00\n\
         A1,2024-03-01T10:00:00Z,x@example.com,2.50\n\
         A2,2024-03-01T11:00:00Z,y@example.com,7\n",
    );
    let config = |rule: &str| {
        format!(
            r#"[[sources]]
name = "orders"
path = "lines.csv"
kind = "conversion"
timestamp = "ts"
ids = {{ email_sha256 = "email" }}
value_column = "amount"
conversion_id = "order"
line_items = "{rule}"
"#
        )
    };
    let values = |rule: &str| common::values(&w.load(&config(rule)).expect("load"));
    assert_eq!(values("sum"), [12.5, 7.0]);
    assert_eq!(values("once"), [10.0, 7.0]);
}

/// Google Ads: two title lines, four campaign-days with "1,122.75"-style costs, two
/// "Total: …" lines (ignored). Meta: two days in USD at 0.92. Every campaign is Paid Search
/// (google / cpc) or Paid Social (facebook / paid) by the default rules.
#[test]
fn spend_downloads_load_with_their_titles_totals_separators_and_currencies() {
    let w = workdir(&ALL, "");
    let config = omnitouch::config::Config::load(&w.join("omnitouch.toml")).expect("config");
    let spend = ingest::load_spend(&config).expect("spend").expect("some");
    let accounts: Vec<(String, u64, u64, u64, u64)> = spend
        .accounts
        .iter()
        .map(|a| {
            (
                a.source.clone(),
                a.rows_read,
                a.spend_rows,
                a.ignored,
                a.rejected_total(),
            )
        })
        .collect();
    assert_eq!(
        accounts,
        [
            ("google_ads".to_string(), 6, 4, 2, 0),
            ("meta_ads".to_string(), 2, 2, 0, 0)
        ]
    );
    let by_channel = spend.by_channel();
    assert_eq!(by_channel.len(), 2);
    assert!((by_channel["Paid Search"] - 1832.0).abs() < 1e-9);
    assert!((by_channel["Paid Social"] - 92.0).abs() < 1e-9);
}

#[test]
fn campaign_rules_and_unknown_currencies_in_spend() {
    let w = workdir(
        &ALL,
        r#"
[[channels.rules]]
channel = "Brand Search"
when = [{ field = "utm_campaign", contains = "brand" }, { field = "utm_medium", equals = "cpc" }]
"#,
    );
    let config = std::fs::read_to_string(w.join("omnitouch.toml")).expect("config");
    // Without a rate for USD, Meta's rows are rejected, and say why.
    w.write(
        "omnitouch.toml",
        config.replace("exchange_rates = { USD = 0.92 }", ""),
    );
    let config = omnitouch::config::Config::load(&w.join("omnitouch.toml")).expect("config");
    let spend = ingest::load_spend(&config).expect("spend").expect("some");
    let by_channel = spend.by_channel();
    assert!((by_channel["Brand Search"] - (1122.75 + 98.05)).abs() < 1e-9);
    assert!((by_channel["Paid Search"] - (310.20 + 301.00)).abs() < 1e-9);
    assert!(!by_channel.contains_key("Paid Social"));
    let meta = &spend.accounts[1];
    assert_eq!(meta.rejected_total(), 2);
    let reject = spend
        .rejects
        .iter()
        .find(|r| r.source == "meta_ads")
        .expect("a meta reject");
    assert_eq!(reject.reason.name(), "unknown_currency");
    assert_eq!(
        reject.detail,
        "\"USD\" is not EUR and has no rate in [settings] exchange_rates"
    );
}

/// The call log is Windows-1252 ("Zoë" is one byte 0xEB) with day-first times and "£1,250.00";
/// read as UTF-8 every row is rejected, and the message says what to set.
#[test]
fn a_windows_1252_log_reads_with_its_encoding_and_is_rejected_without() {
    let w = workdir(&["crm", "call-centre"], "");
    let t = load(&w, Keep::All);
    let calls = account(&t, "calls");
    assert_eq!(
        (
            calls.rows_read,
            calls.touches,
            calls.conversions,
            calls.conversion_touches
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(
        calls.rejected.keys().map(|r| r.name()).collect::<Vec<_>>(),
        ["no_identifier"]
    );
    let agent = t.frame.column("agent").expect("agent").str().expect("text");
    assert_eq!(agent.get(0), Some("Zoë"));
    assert_eq!(
        rows_of(&t, "calls"),
        [
            touch("2024-03-18T10:00:00Z", "Call Centre"),
            touch("2024-03-21T09:30:00Z", "Call Centre"),
            conversion("2024-03-21T09:30:00Z", "Call Centre", 1250.0),
        ]
    );

    let config = std::fs::read_to_string(w.join("omnitouch.toml")).expect("config");
    w.write(
        "omnitouch.toml",
        config.replace("csv = { encoding = \"windows-1252\" }", ""),
    );
    let t = load(&w, Keep::All);
    let calls = account(&t, "calls");
    assert_eq!(calls.rejected.values().sum::<u64>(), 3);
    let reject = t
        .rejects
        .iter()
        .find(|r| r.reason.name() == "invalid_encoding")
        .expect("an encoding reject");
    assert!(
        reject.detail.contains("set csv.encoding"),
        "{}",
        reject.detail
    );
}

#[test]
fn utf16_files_with_a_byte_order_mark_are_read() {
    let w = Workdir::new();
    let text = "ts,cookie,channel\r\n2024-03-01T10:00:00Z,c1,Café\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    w.write("touches.csv", bytes);
    let t = w
        .load(
            r#"[[sources]]
name = "touches"
path = "touches.csv"
csv = { encoding = "utf-16" }
kind = "touch"
timestamp = "ts"
ids = { cookie_id = "cookie" }
channel = { column = "channel" }
"#,
        )
        .expect("load");
    assert_eq!(
        rows_of(&t, "touches"),
        [touch("2024-03-01T10:00:00Z", "Café")]
    );
}

#[test]
fn rows_can_be_kept_by_a_condition_and_values_use_a_decimal_comma() {
    let w = Workdir::new();
    w.write(
        "orders.csv",
        "Bestellung;Datum;Kunde;Status;Betrag\n\
         1;01.03.2024 10:00;k1;bezahlt;1.234,50 €\n\
         2;01.03.2024 11:00;k2;storniert;99,00 €\n\
         3;01.03.2024 12:00;k3;;5,00 €\n",
    );
    let t = w
        .load(
            r#"[[sources]]
name = "orders"
path = "orders.csv"
csv = { delimiter = ";" }
kind = "conversion"
timestamp = "Datum"
timestamp_format = "day_first"
ids = { customer_id = "Kunde" }
value_column = "Betrag"
decimal = ","
keep_when = [{ column = "Status", equals = ["bezahlt", "versendet"] }]
"#,
        )
        .expect("load");
    let a = account(&t, "orders");
    assert_eq!((a.rows_read, a.conversions, a.ignored), (3, 1, 2));
    assert_eq!(
        rows_of(&t, "orders"),
        [conversion("2024-03-01T10:00:00Z", "", 1234.5)]
    );
}

/// A conversion source listed before a touch source, with a touch at the very instant of the
/// conversion: the touch is in the conversion's journey whatever the config's order.
#[test]
fn a_touch_at_the_instant_of_a_conversion_comes_first_whatever_the_source_order() {
    let w = Workdir::new();
    w.write(
        "orders.csv",
        "ts,customer,amount\n2024-03-01T10:00:00Z,k1,50\n",
    );
    w.write(
        "visits.csv",
        "ts,customer,channel\n2024-03-01T09:00:00Z,k1,Email\n2024-03-01T10:00:00Z,k1,Paid Search\n",
    );
    let orders = r#"[[sources]]
name = "orders"
path = "orders.csv"
kind = "conversion"
timestamp = "ts"
ids = { customer_id = "customer" }
value_column = "amount"
"#;
    let visits = r#"[[sources]]
name = "visits"
path = "visits.csv"
kind = "touch"
timestamp = "ts"
ids = { customer_id = "customer" }
channel = { column = "channel" }
"#;
    let last_touch = |config: String| {
        w.write("omnitouch.toml", config);
        let out = w.stdout_ok(&[
            "attribute",
            "--config",
            "omnitouch.toml",
            "--model",
            "last_touch",
            "--format",
            "csv",
        ]);
        out.lines()
            .filter(|l| l.starts_with("last_touch,"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let conversions_first = last_touch(format!("{orders}\n{visits}"));
    let touches_first = last_touch(format!("{visits}\n{orders}"));
    assert_eq!(conversions_first, touches_first);
    assert!(
        conversions_first
            .iter()
            .any(|l| l.starts_with("last_touch,Paid Search,1,50")),
        "{conversions_first:?}"
    );
}

/// The whole fixture set through `run`, checked against numbers worked out by hand:
///
/// People: Anna (GA4 cookie, login C1001, shop e-mail, Klaviyo e-mail in another case), Ben
/// (GA4 cookie linked to his shop e-mail by order #1002), Carla (CRM: phone, loyalty card),
/// Dan (one Direct visit).
/// Journeys: Anna: Paid Search (18th) > Email (Klaviyo click) > Email (GA4 session) → #1001,
/// 80.00. Ben: Organic Social → #1002, 45.50. Carla: Call Centre (enquiry) > In-store (the
/// purchase's own touch) → store purchase 120.00; then Call Centre (the order's own touch) →
/// phone order 1,250.00. Dan: no conversion.
#[test]
fn the_combined_exports_run_end_to_end_to_the_hand_worked_numbers() {
    let w = workdir(&ALL, "");
    let out = w.stdout_ok(&[
        "run",
        "--config",
        "omnitouch.toml",
        "--out",
        "report",
        "--model",
        "last_touch",
        "--model",
        "first_touch",
        "--model",
        "linear",
        "--per-conversion",
    ]);
    assert!(
        out.contains("27 rows read from 6 sources: 12 loaded (6 touches, 4 conversions (2 also touches), 2 identity), 3 ignored, 10 merged (6 into sessions, 4 into conversions), 2 rejected (7.4%)"),
        "{out}"
    );
    assert!(
        out.contains("4 people; 4 converting journeys, 0 unattributed conversions, 1 non-converting journeys"),
        "{out}"
    );
    assert!(
        out.contains(
            "spend: 8 rows read, 6 loaded, 2 ignored, 0 rejected; total cost 1924.00 on 2 channels"
        ),
        "{out}"
    );
    let credits = std::fs::read_to_string(w.join("report/credits.csv")).expect("credits");
    let mut got: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    for line in credits.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let number = |s: &str| s.parse::<f64>().expect("number");
        got.insert((f[0].into(), f[1].into()), (number(f[2]), number(f[3])));
    }
    let expected: [(&str, &str, f64, f64); 13] = [
        ("last_touch", "Email", 1.0, 80.0),
        ("last_touch", "Organic Social", 1.0, 45.5),
        ("last_touch", "In-store", 1.0, 120.0),
        ("last_touch", "Call Centre", 1.0, 1250.0),
        ("first_touch", "Paid Search", 1.0, 80.0),
        ("first_touch", "Organic Social", 1.0, 45.5),
        ("first_touch", "Call Centre", 2.0, 1370.0),
        ("linear", "Paid Search", 1.0 / 3.0, 80.0 / 3.0),
        ("linear", "Email", 2.0 / 3.0, 160.0 / 3.0),
        ("linear", "Organic Social", 1.0, 45.5),
        ("linear", "In-store", 0.5, 60.0),
        ("linear", "Call Centre", 1.5, 1310.0),
        ("linear", "Direct", 0.0, 0.0),
    ];
    for (model, channel, conversions, value) in expected {
        let (c, v) = got[&(model.to_string(), channel.to_string())];
        assert!(
            (c - conversions).abs() < 1e-9 && (v - value).abs() < 1e-9,
            "{model} {channel}: got {c} / {v}, expected {conversions} / {value}"
        );
    }
    for model in ["last_touch", "first_touch", "linear"] {
        let (c, v) = got
            .iter()
            .filter(|((m, _), _)| m == model)
            .fold((0.0, 0.0), |(c, v), (_, (c1, v1))| (c + c1, v + v1));
        assert!(
            (c - 4.0).abs() < 1e-9 && (v - 1495.5).abs() < 1e-9,
            "{model}"
        );
    }

    // Per conversion, joinable by order id: linear splits #1001 (Paid Search > Email >
    // Email) a third and two thirds; the phone order, whose source names no id, is
    // `calls:3` (its line).
    let table = ParquetReader::new(
        std::fs::File::open(w.join("report/conversions.parquet")).expect("conversions"),
    )
    .finish()
    .expect("parquet");
    let text = |name: &str| -> Vec<String> {
        table
            .column(name)
            .expect(name)
            .str()
            .expect("text")
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect()
    };
    let (ids, models, channels) = (text("conversion_id"), text("model"), text("channel"));
    let credit: Vec<f64> = table
        .column("credit")
        .expect("credit")
        .f64()
        .expect("f64")
        .iter()
        .map(|v| v.unwrap_or_default())
        .collect();
    let mut distinct: Vec<&String> = ids.iter().collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct, ["#1001", "#1002", "R-9001", "calls:3"]);
    let linear_1001: Vec<(&str, f64)> = (0..table.height())
        .filter(|&r| ids[r] == "#1001" && models[r] == "linear")
        .map(|r| (channels[r].as_str(), credit[r]))
        .collect();
    assert_eq!(linear_1001.len(), 2);
    for (channel, c) in linear_1001 {
        let want = if channel == "Email" {
            2.0 / 3.0
        } else {
            1.0 / 3.0
        };
        assert!((c - want).abs() < 1e-12, "{channel} {c}");
    }
}

#[test]
fn explain_shows_each_models_split_of_one_order_and_what_it_rests_on() {
    let w = workdir(&ALL, "");
    let explain = |args: &[&str]| {
        let mut all = vec![
            "-q",
            "explain",
            "--config",
            "omnitouch.toml",
            "--model",
            "linear",
            "--model",
            "markov",
            "--model",
            "shapley",
        ];
        all.extend_from_slice(args);
        w.cmd().args(&all).assert()
    };
    let out = explain(&["--conversion", "#1001", "--format", "json"])
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(
        doc["path"],
        serde_json::json!(["Paid Search", "Email", "Email"])
    );
    assert_eq!(doc["conversion"]["value"], 80.0);
    let linear = &doc["splits"][0];
    assert_eq!(linear["model"], "linear");
    let credit = |split: &serde_json::Value, channel: &str| {
        split["credits"]
            .as_array()
            .expect("credits")
            .iter()
            .find(|c| c[0] == channel)
            .map(|c| c[1].as_f64().expect("number"))
            .expect("channel")
    };
    assert!((credit(linear, "Email") - 2.0 / 3.0).abs() < 1e-12);
    assert!((credit(linear, "Paid Search") - 1.0 / 3.0).abs() < 1e-12);
    let markov = &doc["markov"][0];
    assert_eq!(markov["model"], "markov");
    assert_eq!(
        markov["removal_effects"].as_array().expect("effects").len(),
        2
    );
    assert!(markov["transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .any(|t| t[0] == "(start)" && t[1] == "Paid Search"));
    assert!(!doc["shapley"][0]["coalitions"]
        .as_array()
        .expect("coalitions")
        .is_empty());
    // A path works too, and an unknown id names what ids are.
    let table = explain(&["--path", "Organic Social"])
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&table).contains("conversion #1002"));
    explain(&["--conversion", "#9999"])
        .code(1)
        .stderr(predicates::str::contains(
            "no conversion has the id \"#9999\"",
        ));
}
