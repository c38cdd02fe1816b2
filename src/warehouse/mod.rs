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
mod grouping;
mod identity;
mod journeys;
mod touchpoints;

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

/// The statements of `text`, written as DuckDB's `CREATE OR REPLACE TABLE name AS …;`, as
/// `d` creates tables.
fn for_dialect(d: Dialect, text: &str) -> String {
    const CREATE: &str = "CREATE OR REPLACE TABLE ";
    if d == Dialect::Duckdb {
        return text.to_string();
    }
    text.split_inclusive(";\n")
        .map(|statement| {
            let made = statement.find(CREATE).and_then(|at| {
                let (comments, rest) = statement.split_at(at);
                let (name, query) = rest[CREATE.len()..].split_once(" AS\n")?;
                let query = query.trim_end().trim_end_matches(';');
                Some(format!("{comments}{}", d.create(name, query)))
            });
            made.unwrap_or_else(|| statement.to_string())
        })
        .collect()
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
    let mut sources = Vec::new();
    for (index, source) in config.sources.iter().enumerate() {
        let rows =
            touchpoints::source_rows(&cx, index, source).map_err(|e| anyhow::anyhow!("{e}"))?;
        sql.push_str(&rows.sql);
        sql.push('\n');
        sources.push(rows);
    }
    sql.push_str(&grouping::statements(dialect, config, &sources));
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
                 CASE WHEN outcome = 'conversion' THEN value ELSE CAST(0 AS {float}) END AS value, \
                 CASE WHEN outcome = 'conversion' THEN conversion_type END AS conversion_type, \
                 CASE WHEN outcome = 'conversion' THEN conversion_id END AS conversion_id, \
                 {i} AS source_index, line, {} \
                 FROM omnitouch_rows_{i} WHERE outcome IN ('touch', 'conversion')",
                columns.join(", "),
                float = d.float()
            )
        })
        .collect();
    sql.push_str(&d.create("omnitouch_touchpoints", &touch_rows.join("\nUNION ALL\n")));
    sql.push('\n');
    let reason_counts: Vec<String> = REASONS
        .iter()
        .map(|r| {
            format!(
                "{} AS rejected_{r}",
                d.count_if(&format!("outcome = '{r}'"))
            )
        })
        .collect();
    let accounting_rows: Vec<String> = (0..config.sources.len())
        .map(|i| {
            format!(
                "SELECT source, {i} AS source_index, count(*) AS rows_read, \
                 {} AS loaded, {} AS touches, {} AS conversions, {} AS identity_rows, \
                 {} AS ignored, {} AS merged_into_sessions, {} AS merged_into_conversions, {} \
                 FROM omnitouch_rows_{i} GROUP BY source",
                d.count_if("outcome IN ('touch', 'conversion', 'identity')"),
                d.count_if("outcome = 'touch'"),
                d.count_if("outcome = 'conversion'"),
                d.count_if("outcome = 'identity'"),
                d.count_if("outcome = 'ignored'"),
                d.count_if("outcome = 'merged_session'"),
                d.count_if("outcome = 'merged_conversion'"),
                reason_counts.join(", ")
            )
        })
        .collect();
    sql.push_str(&d.create(
        "omnitouch_accounting",
        &accounting_rows.join("\nUNION ALL\n"),
    ));
    sql.push('\n');
    let options = IdentityOptions::from_config(config, &id_kinds)?;
    if options.guard == Guard::IsolateShared {
        let source_kinds: Vec<Vec<&String>> = config
            .sources
            .iter()
            .map(|s| id_kinds.iter().filter(|k| s.ids.contains_key(*k)).collect())
            .collect();
        let grouped: Vec<bool> = sources.iter().map(|s| s.grouped).collect();
        sql.push_str(&identity::statements(
            d,
            &id_kinds,
            &source_kinds,
            &grouped,
            &options,
        ));
        sql.push('\n');
        let journey_options = crate::journey::JourneyOptions::from_config(config)?;
        sql.push_str(
            &journeys::statements(d, &journey_options).map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    } else {
        sql.push_str(NO_PEOPLE);
    }
    Ok(match d {
        // Statements one after another; the loop is a block of its own.
        Dialect::Duckdb | Dialect::Bigquery | Dialect::Snowflake => sql,
        // One compound statement: spark.sql() and Databricks run it whole.
        Dialect::Spark => {
            let (comments, body) = sql.split_at(sql.find("\n\n").map_or(0, |i| i + 2));
            format!("{comments}-- Run with spark.sql.session.timeZone = UTC.\nBEGIN\n{body}END;\n")
        }
    })
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
        assert_eq!(Dialect::Duckdb.lit("O'Brien"), "'O''Brien'");
        assert_eq!(Dialect::Spark.lit("O'Brien \\d"), "'O\\'Brien \\\\d'");
        assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
        assert_eq!(Dialect::Duckdb.ident("a \"b\""), "\"a \"\"b\"\"\"");
    }

    #[test]
    fn keys_not_written_yet_are_refused_by_name() {
        for (key, line) in [
            ("decimal", "decimal = \",\""),
            ("a glob path", "format = \"csv\"\n[[sources]]\nname = \"more\"\npath = \"web-*.csv\"\nkind = \"touch\"\ntimestamp = \"ts\"\nids = { cookie_id = \"c\" }\nchannel = { value = \"Web\" }"),
        ] {
            let err = script(&config(line), Dialect::Duckdb).expect_err(key);
            let text = err.to_string();
            assert!(
                (text.contains("source \"web\"") || text.contains("source \"more\""))
                    && text.contains(key),
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

#[cfg(test)]
mod spark_tests {
    use super::*;

    #[test]
    fn the_spark_script_is_one_compound_statement_with_a_loop_for_people() {
        let text = "[identity]\nguard = \"isolate_shared\"\n\n[[sources]]\nname = \"web\"\npath = \"web.csv\"\nkind = \"touch\"\ntimestamp = \"ts\"\ntimestamp_format = \"%d/%m/%Y %H:%M:%S%.f\"\nids = { cookie_id = \"c\", user_id = \"u\" }\nchannel = { value = \"Web\" }\n";
        let config = Config::parse(text, std::path::Path::new("omnitouch.toml")).expect("config");
        let sql = script(&config, Dialect::Spark).expect("script");
        let body = sql.split_once("\nBEGIN\n").expect("BEGIN").1;
        assert!(body.trim_end().ends_with("END;"));
        assert!(
            body.contains("WHILE changed > 0 DO"),
            "components by a loop"
        );
        assert!(
            body.contains("string_agg(`channel`, ' > ') WITHIN GROUP (ORDER BY place)")
                || body.contains("string_agg(channel, ' > ') WITHIN GROUP (ORDER BY place)")
        );
        assert!(body.contains("try_to_timestamp("));
        assert!(
            body.contains("'dd/MM/yyyy HH:mm:ss[.SSSSSS]'"),
            "strftime as a Java pattern"
        );
        assert!(
            !body.contains("CREATE OR REPLACE TABLE"),
            "the session catalog cannot replace"
        );
        // A pattern item Spark has no equivalent of is refused, by name.
        let odd = text.replace("%d/%m/%Y %H:%M:%S%.f", "%j %H:%M");
        let config = Config::parse(&odd, std::path::Path::new("omnitouch.toml")).expect("config");
        let err = script(&config, Dialect::Spark).expect_err("no %j in Spark");
        assert!(err.to_string().contains("timestamp_format"), "{err}");
    }
}
