//! What differs between SQL engines: quoting, reading files, parsing times, hashing. Each
//! piece is written per dialect by hand (a generic transpiler dropped the ordering of
//! ordered aggregates when it translated them).

use std::fmt;

/// An SQL engine the script is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// DuckDB 1.1 or later (the `icu` extension for time zones, bundled in its releases).
    Duckdb,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Duckdb => "duckdb",
        })
    }
}

/// A text as an SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Dialect {
    /// A column or table name, quoted.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Duckdb => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A cell as trimmed text, NULL when empty.
    pub fn text(self, expr: &str) -> String {
        match self {
            Dialect::Duckdb => format!("NULLIF(trim(CAST({expr} AS VARCHAR)), '')"),
        }
    }

    /// Whether `expr` (trimmed, lower-cased text) matches `pattern` anywhere, case-insensitively.
    pub fn regex(self, expr: &str, pattern: &str) -> String {
        match self {
            Dialect::Duckdb => format!(
                "regexp_matches({expr}, {})",
                literal(&format!("(?i){pattern}"))
            ),
        }
    }

    /// Whether `expr` contains `part`.
    pub fn contains(self, expr: &str, part: &str) -> String {
        match self {
            Dialect::Duckdb => format!("contains({expr}, {})", literal(part)),
        }
    }

    /// Lower-case hex SHA-256 of a text.
    pub fn sha256(self, expr: &str) -> String {
        match self {
            Dialect::Duckdb => format!("sha256({expr})"),
        }
    }

    /// Microseconds since the epoch of a time with a zone (or a UTC naive time).
    pub fn epoch_micros(self, expr: &str) -> String {
        match self {
            Dialect::Duckdb => format!("epoch_us({expr})"),
        }
    }

    /// A naive date and time read in the time zone `tz` (an IANA name), as a time with zone.
    pub fn in_zone(self, naive: &str, tz: &str) -> String {
        match self {
            Dialect::Duckdb => format!("timezone({}, {naive})", literal(tz)),
        }
    }

    /// A text parsed by a strftime pattern into a naive date and time; NULL when it does not
    /// match.
    pub fn strptime(self, text: &str, pattern: &str) -> String {
        match self {
            // chrono's `%.f` is an optional fraction with its dot; DuckDB's `%f` wants the
            // digits, so the pattern is tried with `.%f`, then without.
            Dialect::Duckdb if pattern.contains("%.f") => format!(
                "COALESCE(try_strptime({text}, {}), try_strptime({text}, {}))",
                literal(&pattern.replace("%.f", ".%f")),
                literal(&pattern.replace("%.f", ""))
            ),
            Dialect::Duckdb => format!("try_strptime({text}, {})", literal(pattern)),
        }
    }

    /// A cell's time when the file typed it as a date-time (Parquet, or what the engine's
    /// JSON reader detected): with its zone, or naive in `tz`; `otherwise` for other cells.
    pub fn native_time(self, cell: &str, tz: &str, otherwise: &str) -> String {
        match self {
            Dialect::Duckdb => format!(
                "CASE WHEN typeof({cell}) = 'TIMESTAMP WITH TIME ZONE' THEN epoch_us(TRY_CAST({cell} AS TIMESTAMPTZ)) \
                 WHEN typeof({cell}) IN ('TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'DATE') THEN epoch_us(timezone({}, TRY_CAST({cell} AS TIMESTAMP))) \
                 ELSE {otherwise} END",
                literal(tz)
            ),
        }
    }

    /// A text with a UTC offset or `Z` (RFC 3339) as a time with zone; NULL otherwise.
    pub fn with_offset(self, text: &str) -> String {
        match self {
            Dialect::Duckdb => format!(
                "CASE WHEN regexp_matches({text}, '(Z|z|[+-][0-9]{{2}}:?[0-9]{{2}})$') THEN TRY_CAST({text} AS TIMESTAMPTZ) END"
            ),
        }
    }

    /// A text as a number; NULL when it is not one.
    pub fn number(self, text: &str) -> String {
        match self {
            Dialect::Duckdb => format!("TRY_CAST({text} AS DOUBLE)"),
        }
    }

    /// A text as a whole number; NULL when it is not one.
    pub fn integer(self, text: &str) -> String {
        match self {
            Dialect::Duckdb => format!("TRY_CAST({text} AS BIGINT)"),
        }
    }

    /// A field of an NDJSON object (the row's `omnitouch_json`) as text; NULL when absent or
    /// null, or when the line is not an object.
    pub fn json_field(self, name: &str) -> String {
        match self {
            Dialect::Duckdb => format!(
                "json_extract_string(omnitouch_json, {})",
                literal(&format!("$.\"{}\"", name.replace('"', "\\\"")))
            ),
        }
    }

    /// The texts of a group joined with `separator` in the order of `order` (the piece a
    /// generic transpiler got wrong: it dropped the ordering).
    pub fn ordered_join(self, expr: &str, separator: &str, order: &str) -> String {
        match self {
            Dialect::Duckdb => format!(
                "string_agg({expr}, {} ORDER BY {order})",
                literal(separator)
            ),
        }
    }

    /// Whether a text is 64 hex digits.
    pub fn is_hex_digest(self, text: &str) -> String {
        match self {
            Dialect::Duckdb => format!("regexp_full_match({text}, '[0-9A-Fa-f]{{64}}')"),
        }
    }

    /// The rows of source `index`'s file: statements to run first, and a query giving every
    /// row with `omnitouch_line` (its line as the local reader counts it: a CSV record's
    /// first line, an NDJSON line, a Parquet row from 1) and `omnitouch_broken` (NULL, or the
    /// reason a row that cannot be read is rejected), beside the file's columns (for NDJSON,
    /// the object as `omnitouch_json`).
    pub fn read(
        self,
        index: usize,
        format: crate::io::Format,
        path: &str,
        csv: &crate::io::CsvOptions,
    ) -> (String, String) {
        use crate::io::Format;
        match self {
            Dialect::Duckdb => match format {
                Format::Csv => {
                    let delimiter = match csv.delimiter.as_deref() {
                        Some("tab") => "\t".to_string(),
                        Some(d) => d.to_string(),
                        None if path.ends_with(".tsv") => "\t".to_string(),
                        None => ",".to_string(),
                    };
                    let mut options = format!(
                        "header = {}, all_varchar = true, delim = {}, quote = {}, skip = {}, \
                         ignore_errors = true, store_rejects = true, \
                         rejects_table = 'omnitouch_broken_{index}', rejects_scan = 'omnitouch_scan_{index}'",
                        csv.has_header,
                        literal(&delimiter),
                        literal(&csv.quote),
                        csv.skip_rows
                    );
                    if let Some(encoding) = &csv.encoding {
                        options.push_str(&format!(", encoding = {}", literal(encoding)));
                    }
                    let first = csv.skip_rows + usize::from(csv.has_header) + 1;
                    // Rows that do not parse are left out of the scan and listed with their
                    // line; the scan's rows take the other lines in order (a record is one
                    // line: quoted line breaks would shift the numbers).
                    let setup = format!(
                        "CREATE OR REPLACE TEMP TABLE omnitouch_read_{index} AS
SELECT row_number() OVER () AS omnitouch_good, * FROM read_csv({}, {options});
CREATE OR REPLACE TEMP TABLE omnitouch_bad_{index} AS
SELECT line AS omnitouch_line,
  CASE WHEN bool_or(error_type = 'INVALID ENCODING') THEN 'invalid_encoding' ELSE 'ragged_row' END AS omnitouch_broken
FROM omnitouch_broken_{index} GROUP BY line;
CREATE OR REPLACE TEMP TABLE omnitouch_lines_{index} AS
SELECT row_number() OVER (ORDER BY line) AS omnitouch_good, line AS omnitouch_line
FROM (SELECT {first} + range AS line FROM range((SELECT count(*) FROM omnitouch_read_{index}) + (SELECT count(*) FROM omnitouch_bad_{index})))
WHERE line NOT IN (SELECT omnitouch_line FROM omnitouch_bad_{index});
",
                        literal(path)
                    );
                    let select = format!(
                        "SELECT l.omnitouch_line, CAST(NULL AS VARCHAR) AS omnitouch_broken, r.* EXCLUDE (omnitouch_good)
FROM omnitouch_read_{index} r JOIN omnitouch_lines_{index} l USING (omnitouch_good)
UNION ALL BY NAME
SELECT * FROM omnitouch_bad_{index}"
                    );
                    (setup, select)
                }
                // Lines as text, so that a broken line is a row to reject (not an error
                // that stops the script) and keeps its number; fields are taken out of
                // each object by name ([`Dialect::json_field`]).
                Format::Ndjson => (
                    String::new(),
                    format!(
                        "SELECT omnitouch_line, omnitouch_json,
  CASE WHEN omnitouch_json IS NULL THEN 'invalid_json' END AS omnitouch_broken
FROM (SELECT row_number() OVER () AS omnitouch_line,
  CASE WHEN json_valid(line) AND json_type(line) = 'OBJECT' THEN line END AS omnitouch_json
  FROM read_csv({}, columns = {{'line': 'VARCHAR'}}, header = false, delim = '\\x01', quote = '', escape = '', auto_detect = false, max_line_size = 100000000))",
                        literal(path)
                    ),
                ),
                Format::Parquet => (
                    String::new(),
                    format!(
                        "SELECT row_number() OVER () AS omnitouch_line, CAST(NULL AS VARCHAR) AS omnitouch_broken, * FROM read_parquet({})",
                        literal(path)
                    ),
                ),
            },
        }
    }

    /// Statements that set the session up (UTC for times, file order kept).
    pub fn preamble(self) -> &'static str {
        match self {
            Dialect::Duckdb => "SET TimeZone = 'UTC';\nSET preserve_insertion_order = true;\n",
        }
    }
}
