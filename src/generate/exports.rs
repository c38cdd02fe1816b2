//! The export files: one writer per channel system, with its columns, delimiter and
//! file format, the rows counted per file, and the timestamp layouts the exports use.

use super::*;

/// The export writers and their counts.
pub(super) struct Sinks {
    pub(super) web: TextSink,
    pub(super) app: JsonSink,
    pub(super) ads: ParquetSink,
    pub(super) email: TextSink,
    pub(super) sms: TextSink,
    pub(super) push: JsonSink,
    pub(super) calls: TextSink,
    pub(super) pos: ParquetSink,
    pub(super) orders: TextSink,
    pub(super) crm: TextSink,
    pub(super) logins: TextSink,
    pub(super) counts: BTreeMap<String, FileCounts>,
    pub(super) bad_rate: f64,
    pub(super) junk_rate: f64,
    /// Every export written as Parquet.
    pub(super) parquet: bool,
}

pub(super) const WEB: &str = "web_sessions.csv";
pub(super) const APP: &str = "app_sessions.ndjson";
pub(super) const ADS: &str = "ad_clicks.parquet";
pub(super) const EMAIL: &str = "email_events.csv";
pub(super) const SMS: &str = "sms_sends.csv";
pub(super) const PUSH: &str = "push_notifications.ndjson";
pub(super) const CALLS: &str = "call_centre.csv";
pub(super) const POS: &str = "pos_transactions.parquet";
pub(super) const ORDERS: &str = "orders.csv";
pub(super) const CRM: &str = "crm_identities.csv";
pub(super) const LOGINS: &str = "app_logins.csv";

/// Each export's file and the source name its config gives it.
const SOURCES: [(&str, &str); 11] = [
    (WEB, "web_sessions"),
    (APP, "app_sessions"),
    (ADS, "ad_clicks"),
    (EMAIL, "email"),
    (SMS, "sms"),
    (PUSH, "push"),
    (CALLS, "call_centre"),
    (POS, "store_pos"),
    (ORDERS, "online_orders"),
    (CRM, "crm"),
    (LOGINS, "app_logins"),
];

/// The type of a typed (NDJSON or Parquet) export column.
#[derive(Clone, Copy)]
enum Cell {
    Text,
    Int,
    Float,
    /// A timestamp, UTC or naive local time.
    Time {
        utc: bool,
    },
}

/// Empty column buffers for typed columns.
fn typed(columns: &[(&'static str, Cell)]) -> Vec<(&'static str, ColumnBuf)> {
    columns
        .iter()
        .map(|&(name, cell)| {
            let buf = match cell {
                Cell::Text => ColumnBuf::Str(Vec::new()),
                Cell::Int => ColumnBuf::I64(Vec::new()),
                Cell::Float => ColumnBuf::F64(Vec::new()),
                Cell::Time { utc } => ColumnBuf::Datetime {
                    micros: Vec::new(),
                    utc,
                },
            };
            (name, buf)
        })
        .collect()
}

const WEB_COLUMNS: [&str; 11] = [
    "session_id",
    "session_start",
    "ga_cookie",
    "login_id",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer",
    "landing_page",
    "device_category",
    "region",
];
const APP_COLUMNS: [(&str, Cell); 6] = [
    ("ts", Cell::Int),
    ("device_id", Cell::Text),
    ("user_id", Cell::Text),
    ("attr_source", Cell::Text),
    ("attr_medium", Cell::Text),
    ("device_type", Cell::Text),
];
const AD_COLUMNS: [(&str, Cell); 7] = [
    ("click_id", Cell::Text),
    ("click_time", Cell::Time { utc: false }),
    ("cookie", Cell::Text),
    ("platform", Cell::Text),
    ("ad_type", Cell::Text),
    ("campaign", Cell::Text),
    ("cost", Cell::Float),
];
const EMAIL_COLUMNS: [&str; 4] = [
    "event_time",
    "recipient_hash",
    "event_type",
    "campaign_name",
];
const SMS_COLUMNS: [&str; 3] = ["sent_at", "phone_hash", "message_campaign"];
const PUSH_COLUMNS: [(&str, Cell); 4] = [
    ("device", Cell::Text),
    ("sent_at", Cell::Text),
    ("campaign", Cell::Text),
    ("platform", Cell::Text),
];
const CALL_COLUMNS: [&str; 5] = [
    "call_time",
    "caller_phone_hash",
    "call_type",
    "order_value",
    "region",
];
const POS_COLUMNS: [(&str, Cell); 5] = [
    ("txn_time", Cell::Time { utc: true }),
    ("loyalty_number", Cell::Text),
    ("receipt_email_hash", Cell::Text),
    ("store_region", Cell::Text),
    ("amount", Cell::Float),
];
const ORDER_COLUMNS: [&str; 10] = [
    "order_id",
    "created_at",
    "cookie",
    "app_device_id",
    "user_id",
    "email_hash",
    "platform",
    "revenue",
    "order_type",
    "region",
];
const CRM_COLUMNS: [&str; 6] = [
    "customer_id",
    "web_account_id",
    "email_sha256",
    "phone_sha256",
    "loyalty_id",
    "created_on",
];
const LOGIN_COLUMNS: [&str; 3] = ["login_time", "device_id", "user_id"];

impl Sinks {
    pub(super) fn create(
        dir: &Path,
        bad_rate: f64,
        junk_rate: f64,
        parquet: bool,
    ) -> Result<Sinks> {
        let p = |f: &str| dir.join(f);
        // (delimiter, CRLF line ends, byte-order mark)
        let comma = (b',', false, false);
        Ok(Sinks {
            web: TextSink::create(&p(WEB), &WEB_COLUMNS, comma, parquet)?,
            app: JsonSink::create(&p(APP), typed(&APP_COLUMNS), parquet)?,
            ads: ParquetSink::create(&p(ADS), typed(&AD_COLUMNS)),
            email: TextSink::create(&p(EMAIL), &EMAIL_COLUMNS, (b';', false, false), parquet)?,
            sms: TextSink::create(&p(SMS), &SMS_COLUMNS, comma, parquet)?,
            push: JsonSink::create(&p(PUSH), typed(&PUSH_COLUMNS), parquet)?,
            // The call-centre system writes Windows line ends and a byte-order mark.
            calls: TextSink::create(&p(CALLS), &CALL_COLUMNS, (b',', true, true), parquet)?,
            pos: ParquetSink::create(&p(POS), typed(&POS_COLUMNS)),
            orders: TextSink::create(&p(ORDERS), &ORDER_COLUMNS, comma, parquet)?,
            crm: TextSink::create(&p(CRM), &CRM_COLUMNS, comma, parquet)?,
            logins: TextSink::create(&p(LOGINS), &LOGIN_COLUMNS, comma, parquet)?,
            counts: SOURCES
                .iter()
                .map(|(f, s)| {
                    (
                        f.to_string(),
                        FileCounts {
                            source: s.to_string(),
                            ..FileCounts::default()
                        },
                    )
                })
                .collect(),
            bad_rate,
            junk_rate,
            parquet,
        })
    }

    /// What an export writes where an identifier is missing: usually nothing, sometimes junk.
    pub(super) fn missing(&self, rng: &mut ChaCha8Rng) -> &'static str {
        if self.junk_rate > 0.0 && rng.gen::<f64>() < self.junk_rate {
            JUNK[rng.gen_range(0..JUNK.len())]
        } else {
            ""
        }
    }

    pub(super) fn count(&mut self, file: &str, bad: bool, ignored: bool) {
        if let Some(c) = self.counts.get_mut(file) {
            c.rows += 1;
            c.bad += u64::from(bad);
            c.ignored += u64::from(ignored);
        }
    }

    /// Whether to add a bad copy of the row just written.
    pub(super) fn plant_bad(&self, rng: &mut ChaCha8Rng) -> bool {
        self.bad_rate > 0.0 && rng.gen::<f64>() < self.bad_rate
    }

    pub(super) fn finish(self) -> Result<BTreeMap<String, FileCounts>> {
        let counts = if self.parquet {
            self.counts
                .iter()
                .map(|(file, c)| (parquet_name(file), c.clone()))
                .collect()
        } else {
            self.counts.clone()
        };
        self.web.finish()?;
        self.app.finish()?;
        self.ads.finish()?;
        self.email.finish()?;
        self.sms.finish()?;
        self.push.finish()?;
        self.calls.finish()?;
        self.pos.finish()?;
        self.orders.finish()?;
        self.crm.finish()?;
        self.logins.finish()?;
        Ok(counts)
    }
}

/// An export's file name in an all-Parquet set.
pub(super) fn parquet_name(file: &str) -> String {
    match file.rsplit_once('.') {
        Some((stem, _)) => format!("{stem}.parquet"),
        None => file.to_string(),
    }
}

pub(super) fn rfc3339(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub(super) fn local(micros: i64, tz: Tz, pattern: &str) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| t.with_timezone(&tz).format(pattern).to_string())
        .unwrap_or_default()
}

pub(super) fn naive_local_micros(micros: i64, tz: Tz) -> i64 {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| {
            t.with_timezone(&tz)
                .naive_local()
                .and_utc()
                .timestamp_micros()
        })
        .unwrap_or(micros)
}
