//! Channels from landing-page URLs: utm parameters inside a shop's `Landing Site` (a path with
//! a query) or GA4's `page_location` (an absolute URL), and ad platforms' click ids.

mod common;

use common::Workdir;
use polars::prelude::*;

/// Sessions as a shop exports them: the landing site is a path with its query, and the
/// referring site a URL.
const SESSIONS: &str = "\
Session,Started,Landing Site,Referring Site
1,2026-03-01T10:00:00Z,/products/mug?utm_source=google&utm_medium=cpc&utm_campaign=spring,
2,2026-03-01T11:00:00Z,/?utm_source=Newsletter&utm_medium=EMAIL,
3,2026-03-01T12:00:00Z,https://shop.example/collections?gclid=Cj0KCQ,
4,2026-03-01T13:00:00Z,https://shop.example/?fbclid=IwAR2x&utm_source=facebook,
5,2026-03-01T14:00:00Z,/,
6,2026-03-01T15:00:00Z,/blog/post,https://www.facebook.com/
7,2026-03-01T16:00:00Z,not a url at all %%%,
";

fn channels(w: &Workdir, channel: &str) -> Vec<Option<String>> {
    w.write("sessions.csv", SESSIONS);
    w.write(
        "omnitouch.toml",
        format!(
            r#"[[sources]]
name = "sessions"
path = "sessions.csv"
kind = "touch"
timestamp = "Started"
ids = {{ cookie_id = "Session" }}
channel = {channel}
"#
        ),
    );
    frame_channels(w)
}

/// The channel of every row of the canonical table `validate --frame-out` writes.
fn frame_channels(w: &Workdir) -> Vec<Option<String>> {
    w.stdout_ok(&[
        "validate",
        "--config",
        "omnitouch.toml",
        "--frame-out",
        "frame.parquet",
    ]);
    let frame = ParquetReader::new(std::fs::File::open(w.join("frame.parquet")).expect("frame"))
        .finish()
        .expect("parquet");
    frame
        .column("channel")
        .expect("channel column")
        .str()
        .expect("text")
        .iter()
        .map(|c| c.map(str::to_string))
        .collect()
}

#[test]
fn utm_parameters_and_click_ids_come_from_the_landing_url() {
    let w = Workdir::new();
    let got = channels(
        &w,
        r#"{ url = "Landing Site", fields = { referrer = "Referring Site" } }"#,
    );
    let want = [
        "Paid Search",    // utm_source=google, utm_medium=cpc
        "Email",          // utm_medium=EMAIL, any case
        "Paid Search",    // gclid: a Google Ads click
        "Paid Social",    // fbclid wins over the organic-looking utm_source
        "Direct",         // no parameters, no referrer
        "Organic Social", // the referrer, from its own column
        "Direct",         // an unreadable URL gives no parameters
    ];
    let got: Vec<&str> = got.iter().map(|c| c.as_deref().unwrap_or("-")).collect();
    assert_eq!(got, want);
}

#[test]
fn without_the_url_the_same_rows_are_direct() {
    let w = Workdir::new();
    let got = channels(&w, r#"{ fields = { referrer = "Referring Site" } }"#);
    let direct = got
        .iter()
        .filter(|c| c.as_deref() == Some("Direct"))
        .count();
    assert_eq!(direct, 6, "only the referrer row is classified: {got:?}");
}

#[test]
fn rules_can_test_the_referrers_host() {
    let w = Workdir::new();
    w.write(
        "visits.csv",
        "ts,cookie,referrer\n\
         2026-03-01T10:00:00Z,c1,https://www.Facebook.com/groups/tea\n\
         2026-03-01T11:00:00Z,c2,https://shop.example/cart\n\
         2026-03-01T12:00:00Z,c3,news.ycombinator.com/item?id=1\n\
         2026-03-01T13:00:00Z,c4,\n",
    );
    w.write(
        "omnitouch.toml",
        r#"[[channels.rules]]
channel = "Direct"                       # the shop's own pages are not a referral
when = [{ field = "referrer_host", equals = "shop.example" }]

[[channels.rules]]
channel = "Community"
when = [{ field = "referrer_host", equals = ["facebook.com", "news.ycombinator.com"] }]

[[sources]]
name = "visits"
path = "visits.csv"
kind = "touch"
timestamp = "ts"
ids = { cookie_id = "cookie" }
channel = { fields = { referrer = "referrer" } }
"#,
    );
    let got = frame_channels(&w);
    let got: Vec<&str> = got.iter().map(|c| c.as_deref().unwrap_or("-")).collect();
    assert_eq!(got, ["Community", "Direct", "Community", "Direct"]);
}
