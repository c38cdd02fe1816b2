//! The job where the data lives: SQL scripts, compiled from the same `omnitouch.toml`, that
//! build omnitouch's tables inside an engine the team already runs (`omnitouch sql`).
//!
//! This first part writes the canonical touchpoints and the row accounting:
//! - `omnitouch_rows_<n>`: every row of source n with its line, outcome (`touch`,
//!   `conversion`, `identity`, `ignored`, or the reject reason the local engine gives) and its
//!   canonical columns;
//! - `omnitouch_touchpoints`: the loaded touches and conversions, in the layout of
//!   `omnitouch validate -o` (times as UTC microseconds in `ts_us`);
//! - `omnitouch_accounting`: rows read, loaded, ignored and rejected by reason, per source.
//!
//! - with `[identity] guard = "isolate_shared"`, people: `omnitouch_nodes`, `omnitouch_edges`,
//!   `omnitouch_shared`, `omnitouch_components` and `omnitouch_identity_map` (kind, value,
//!   person_id, numbered as `omnitouch stitch` numbers them).
//!
//! Config keys the script does not write yet are refused by name ([`Unsupported`]) rather
//! than approximated.

pub mod dialect;
mod identity;
mod journeys;
mod touchpoints;

use std::fmt::Write as _;

pub use dialect::Dialect;

use crate::config::Config;
use crate::identity::{Guard, IdentityOptions};
use crate::ingest::normalize::Normalizer;

/// A config key of a source that the SQL script does not write yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub source: String,
    pub key: String,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "source \"{}\": {} is not written to SQL yet; run this source with the local engine",
            self.source, self.key
        )
    }
}

/// Said in the script (and by `omnitouch sql`) when the config keeps the default guard.
pub const NO_PEOPLE: &str =
    "-- No people: the config's identity guard is `limits`, whose result depends on the order
-- links are seen, which SQL engines do not keep. With [identity] guard = \"isolate_shared\"
-- (the same rule here and in the local engine) the script also builds the identity map.
";

/// Reject reasons a script can give, in the accounting's column order.
pub const REASONS: [&str; 8] = [
    "ragged_row",
    "invalid_encoding",
    "invalid_json",
    "unknown_kind",
    "no_identifier",
    "bad_timestamp",
    "timestamp_out_of_range",
    "bad_value",
];

/// The script for `dialect` that builds the touchpoint and accounting tables from the
/// sources of `config`.
pub fn script(config: &Config, dialect: Dialect) -> anyhow::Result<String> {
    let id_kinds = config.id_kinds();
    let dimensions: Vec<String> = {
        let mut d: Vec<String> = config
            .sources
            .iter()
            .flat_map(|s| s.dimensions.keys().cloned())
            .collect();
        d.sort();
        d.dedup();
        d
    };
    let normalizer = Normalizer::from_config(config, &id_kinds)?;
    let cx = touchpoints::Context {
        dialect,
        config,
        id_kinds: &id_kinds,
        dimensions: &dimensions,
        normalizer: &normalizer,
    };
    let mut sql = format!(
        "-- omnitouch {}: touchpoints and row accounting for {dialect}, from {}\n-- Written by `omnitouch sql`; see docs/warehouse.md.\n{}\n",
        env!("CARGO_PKG_VERSION"),
        config.path.display(),
        dialect.preamble()
    );
    for (index, source) in config.sources.iter().enumerate() {
        let rows =
            touchpoints::source_rows(&cx, index, source).map_err(|e| anyhow::anyhow!("{e}"))?;
        sql.push_str(&rows);
        sql.push('\n');
    }
    let d = dialect;
    let columns: Vec<String> = id_kinds
        .iter()
        .chain(&dimensions)
        .map(|c| d.ident(c))
        .collect();
    let touch_rows: Vec<String> = (0..config.sources.len())
        .map(|i| {
            format!(
                "SELECT ts AS ts_us, source, outcome AS kind, channel, \
                 CASE WHEN outcome = 'conversion' THEN value ELSE 0.0 END AS value, \
                 CASE WHEN outcome = 'conversion' THEN conversion_type END AS conversion_type, \
                 CASE WHEN outcome = 'conversion' THEN conversion_id END AS conversion_id, \
                 {i} AS source_index, line, {} \
                 FROM omnitouch_rows_{i} WHERE outcome IN ('touch', 'conversion')",
                columns.join(", ")
            )
        })
        .collect();
    let _ = writeln!(
        sql,
        "CREATE OR REPLACE TABLE omnitouch_touchpoints AS\n{};\n",
        touch_rows.join("\nUNION ALL\n")
    );
    let reason_counts: Vec<String> = REASONS
        .iter()
        .map(|r| format!("count(*) FILTER (WHERE outcome = '{r}') AS rejected_{r}"))
        .collect();
    let accounting_rows: Vec<String> = (0..config.sources.len())
        .map(|i| {
            format!(
                "SELECT source, {i} AS source_index, count(*) AS rows_read, \
                 count(*) FILTER (WHERE outcome IN ('touch', 'conversion', 'identity')) AS loaded, \
                 count(*) FILTER (WHERE outcome = 'touch') AS touches, \
                 count(*) FILTER (WHERE outcome = 'conversion') AS conversions, \
                 count(*) FILTER (WHERE outcome = 'identity') AS identity_rows, \
                 count(*) FILTER (WHERE outcome = 'ignored') AS ignored, {} \
                 FROM omnitouch_rows_{i} GROUP BY source",
                reason_counts.join(", ")
            )
        })
        .collect();
    let _ = writeln!(
        sql,
        "CREATE OR REPLACE TABLE omnitouch_accounting AS\n{};\n",
        accounting_rows.join("\nUNION ALL\n")
    );
    let options = IdentityOptions::from_config(config, &id_kinds)?;
    if options.guard == Guard::IsolateShared {
        let source_kinds: Vec<Vec<&String>> = config
            .sources
            .iter()
            .map(|s| id_kinds.iter().filter(|k| s.ids.contains_key(*k)).collect())
            .collect();
        sql.push_str(&identity::statements(d, &id_kinds, &source_kinds, &options));
        sql.push('\n');
        let journey_options = crate::journey::JourneyOptions::from_config(config)?;
        sql.push_str(
            &journeys::statements(d, &journey_options).map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    } else {
        sql.push_str(NO_PEOPLE);
    }
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(source: &str) -> Config {
        let text = format!(
            "[[sources]]\nname = \"web\"\npath = \"web.csv\"\nkind = \"touch\"\ntimestamp = \"ts\"\nids = {{ cookie_id = \"c\" }}\nchannel = {{ value = \"Web\" }}\n{source}"
        );
        Config::parse(&text, std::path::Path::new("omnitouch.toml")).expect("config")
    }

    #[test]
    fn names_and_texts_are_quoted() {
        assert_eq!(dialect::literal("O'Brien"), "'O''Brien'");
        assert_eq!(Dialect::Duckdb.ident("a \"b\""), "\"a \"\"b\"\"\"");
    }

    #[test]
    fn keys_not_written_yet_are_refused_by_name() {
        for (key, line) in [
            ("session_key", "session_key = [\"c\"]"),
            ("decimal", "decimal = \",\""),
            (
                "a nested field path",
                "dimensions = { page = \"event_params[key=page].value\" }",
            ),
        ] {
            let err = script(&config(line), Dialect::Duckdb).expect_err(key);
            let text = err.to_string();
            assert!(
                text.contains("source \"web\"") && text.contains(key),
                "{key}: {text}"
            );
        }
    }

    #[test]
    fn a_source_becomes_rows_touchpoints_and_accounting() {
        let sql = script(&config(""), Dialect::Duckdb).expect("script");
        for table in [
            "omnitouch_rows_0",
            "omnitouch_touchpoints",
            "omnitouch_accounting",
        ] {
            assert!(
                sql.contains(&format!("CREATE OR REPLACE TABLE {table}")),
                "{table}"
            );
        }
        assert!(sql.contains("'Web' AS channel"));
    }
}
