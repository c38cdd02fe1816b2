//! Identifiers written differently in two exports link once normalised: an e-mail in another
//! case (and raw in one export, hashed in the other), a phone number national in one and
//! international in the other. Without normalisation the same data links nothing.

mod common;

use common::Workdir;

/// Web sessions logged in with a raw e-mail, in the case the user typed it.
const WEB: &str = "session_start,ga_cookie,login_email,utm_source,utm_medium\n\
                   2026-03-01T10:00:00Z,GA1.2.111,Person0@Example.com,google,cpc\n\
                   2026-03-02T10:00:00Z,GA1.2.222,,newsletter,email\n";

/// A shop's order export: the e-mail lowercased with a stray space, as a raw value.
const ORDERS: &str = "Name,Email,Created at,Total\n\
                      #1001, person0@example.com ,2026-03-03 09:00:00 +0100,120.50\n";

/// A call-centre log (national numbers) and a CRM table (international numbers, hashed e-mails
/// in upper case) that tie the second cookie to a phone order.
const CALLS: &str = "call_time,caller,order_value\n2026-03-04T12:00:00Z,020 7946 0958,80\n";

fn crm() -> String {
    // SHA-256 of "someone@example.com", in upper-case hex as some tools write it.
    let hash = "72497F475E4F76D0B28F57C73A084ECE576D170874EBA3EE2609D9AFE4B71AAB";
    format!("cookie,email_hash,phone\nGA1.2.222,{hash},+44 20 7946 0958\n")
}

fn config(normalize: &str) -> String {
    format!(
        r#"
[identity]
phone_region = "GB"
{normalize}

[[sources]]
name = "web"
path = "web.csv"
kind = "touch"
timestamp = "session_start"
ids = {{ cookie_id = "ga_cookie", email_sha256 = "login_email" }}
channel = {{ fields = {{ utm_source = "utm_source", utm_medium = "utm_medium" }} }}

[[sources]]
name = "orders"
path = "orders.csv"
kind = "conversion"
timestamp = "Created at"
ids = {{ email_sha256 = "Email" }}
value_column = "Total"

[[sources]]
name = "calls"
path = "calls.csv"
kind = "conversion"
timestamp = "call_time"
ids = {{ phone_sha256 = "caller" }}
value_column = "order_value"

[[sources]]
name = "crm"
path = "crm.csv"
kind = "identity"
ids = {{ cookie_id = "cookie", email_sha256 = "email_hash", phone_sha256 = "phone" }}
"#
    )
}

fn paths(w: &Workdir, config_text: &str) -> String {
    w.write("omnitouch.toml", config_text);
    w.stdout_ok(&[
        "journeys",
        "--config",
        "omnitouch.toml",
        "--paths-out",
        "paths.csv",
    ]);
    std::fs::read_to_string(w.join("paths.csv")).expect("paths")
}

fn workdir() -> Workdir {
    let w = Workdir::new();
    w.write("web.csv", WEB);
    w.write("orders.csv", ORDERS);
    w.write("calls.csv", CALLS);
    w.write("crm.csv", crm());
    w
}

#[test]
fn emails_and_phones_link_across_exports_once_normalised() {
    let w = workdir();
    let table = paths(&w, &config(""));
    // The order follows the Paid Search session (same e-mail, other case and spacing); the
    // phone order follows the e-mail session of the cookie the CRM ties to that phone.
    assert!(
        table.contains("Paid Search,1,120.5,0"),
        "the shop order joins the web session: {table}"
    );
    assert!(
        table.contains("Email,1,80,0"),
        "the phone order joins the e-mail touch: {table}"
    );
}

#[test]
fn without_normalisation_nothing_links() {
    let w = workdir();
    let table = paths(
        &w,
        &config("normalize = { email_sha256 = \"trim\", phone_sha256 = \"trim\" }"),
    );
    // Both touches stay non-converting journeys: no path has a conversion.
    assert!(
        table
            .lines()
            .skip(1)
            .all(|row| row.split(',').nth(1) == Some("0")),
        "no conversion is attributed when identifiers are compared as written: {table}"
    );
    assert_eq!(table.lines().count(), 3, "{table}");
}

#[test]
fn a_bad_normalisation_names_the_key() {
    let w = workdir();
    w.write(
        "omnitouch.toml",
        config("normalize = { email_sha256 = \"upper\" }"),
    );
    w.cmd()
        .args(["validate", "--config", "omnitouch.toml"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("normalize.email_sha256"))
        .stderr(predicates::str::contains(
            "\"upper\" is not a normalisation",
        ));
    w.write(
        "omnitouch.toml",
        config("").replace("phone_region = \"GB\"", "phone_region = \"Britain\""),
    );
    w.cmd()
        .args(["validate", "--config", "omnitouch.toml"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("phone_region"));
}
