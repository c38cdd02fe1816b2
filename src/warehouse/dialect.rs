//! What differs between SQL engines: quoting, reading files, parsing times, hashing. Each
//! piece is written per dialect by hand (a generic transpiler dropped the ordering of
//! ordered aggregates when it translated them).

use std::fmt;

/// An SQL engine the script is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// DuckDB 1.1 or later (the `icu` extension for time zones, bundled in its releases).
    Duckdb,
    /// Apache Spark 4 SQL (Databricks, or PySpark in local mode): one compound statement
    /// (`BEGIN … END`, SQL scripting) run with the session time zone UTC.
    Spark,
    /// BigQuery GoogleSQL: a multi-statement script (BigQuery scripting) run with a default
    /// dataset for its tables. Sources are tables (`table =`).
    Bigquery,
    /// Snowflake SQL, with Snowflake Scripting for the loop. Sources are tables (`table =`).
    Snowflake,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Duckdb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::Bigquery => "bigquery",
            Dialect::Snowflake => "snowflake",
        })
    }
}

/// A CSV source's delimiter: configured (`tab` by name), else a tab for `.tsv` files, else a
/// comma, as the local reader takes it.
fn csv_delimiter(csv: &crate::io::CsvOptions, path: &str) -> String {
    match csv.delimiter.as_deref() {
        Some("tab") => "\t".to_string(),
        Some(d) => d.to_string(),
        None if path.ends_with(".tsv") => "\t".to_string(),
        None => ",".to_string(),
    }
}

/// A strftime pattern as a Java date-time pattern (Spark's), when every item has one.
fn java_pattern(pattern: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            if c.is_ascii_alphabetic() {
                out.push_str(&format!("'{c}'"));
            } else if c == '\'' {
                out.push_str("''");
            } else {
                out.push(c);
            }
            continue;
        }
        let item = match chars.next()? {
            'Y' => "yyyy",
            'm' => "MM",
            'd' => "dd",
            'H' => "HH",
            'M' => "mm",
            'S' => "ss",
            'b' => "MMM",
            'p' => "a",
            'I' => "hh",
            '%' => "%",
            '.' if chars.next() == Some('f') => "[.SSSSSS]",
            _ => return None,
        };
        out.push_str(item);
    }
    Some(out)
}

/// A strftime pattern as a Snowflake format (`%.f`, an optional fraction, is left to the
/// caller), when every item has one.
fn snowflake_pattern(pattern: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            if c.is_ascii_alphabetic() {
                out.push_str(&format!("\"{c}\""));
            } else {
                out.push(c);
            }
            continue;
        }
        out.push_str(match chars.next()? {
            'Y' => "YYYY",
            'm' => "MM",
            'd' => "DD",
            'H' => "HH24",
            'M' => "MI",
            'S' => "SS",
            'b' => "MON",
            'p' => "AM",
            'I' => "HH12",
            _ => return None,
        });
    }
    Some(out)
}

impl Dialect {
    /// A text as an SQL string literal.
    pub fn lit(self, text: &str) -> String {
        match self {
            Dialect::Duckdb => format!("'{}'", text.replace('\'', "''")),
            // Spark, BigQuery and Snowflake read backslashes in literals as escapes.
            Dialect::Spark | Dialect::Bigquery | Dialect::Snowflake => {
                format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
            }
        }
    }

    /// The name of the 64-bit floating-point type.
    pub fn float(self) -> &'static str {
        match self {
            Dialect::Bigquery => "FLOAT64",
            _ => "DOUBLE",
        }
    }

    /// The number of a group's rows for which `condition` holds.
    pub fn count_if(self, condition: &str) -> String {
        match self {
            Dialect::Bigquery => format!("COUNTIF({condition})"),
            _ => format!("count_if({condition})"),
        }
    }

    /// A statement that (re)creates table `name` from `query`.
    pub fn create(self, name: &str, query: &str) -> String {
        match self {
            Dialect::Duckdb | Dialect::Bigquery | Dialect::Snowflake => {
                format!("CREATE OR REPLACE TABLE {name} AS\n{query};\n")
            }
            // The session catalog cannot replace a table from a query: dropped, then made.
            Dialect::Spark => format!(
                "DROP TABLE IF EXISTS {name};\nCREATE TABLE {name} USING parquet AS\n{query};\n"
            ),
        }
    }

    /// Whether `text` matches `pattern` as a whole.
    pub fn full_match(self, text: &str, pattern: &str) -> String {
        match self {
            Dialect::Duckdb => format!("regexp_full_match({text}, {})", self.lit(pattern)),
            Dialect::Spark => format!("({text} RLIKE {})", self.lit(&format!("^(?:{pattern})$"))),
            Dialect::Bigquery => format!(
                "REGEXP_CONTAINS({text}, {})",
                self.lit(&format!("^(?:{pattern})$"))
            ),
            // Snowflake's REGEXP_LIKE matches the whole text.
            Dialect::Snowflake => format!("REGEXP_LIKE({text}, {})", self.lit(pattern)),
        }
    }

    /// Whether a number is finite.
    pub fn is_finite(self, n: &str) -> String {
        match self {
            Dialect::Duckdb => format!("isfinite({n})"),
            Dialect::Spark => format!("(NOT isnan({n}) AND abs({n}) < double('Infinity'))"),
            Dialect::Bigquery => format!("(NOT IS_NAN({n}) AND NOT IS_INF({n}))"),
            Dialect::Snowflake => {
                format!("({n} <> 'NaN'::DOUBLE AND abs({n}) <> 'inf'::DOUBLE)")
            }
        }
    }

    /// A column or table name, quoted.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::Bigquery => format!("`{}`", name.replace('`', "\\`")),
            Dialect::Duckdb => format!("\"{}\"", name.replace('"', "\"\"")),
            // An unquoted name is stored upper-cased: a plain name is quoted as it is stored
            // (so a column made as `event_name` is found, and `order` is not a keyword);
            // any other name is quoted as written.
            Dialect::Snowflake => {
                let plain = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                let stored = if plain {
                    name.to_ascii_uppercase()
                } else {
                    name.to_string()
                };
                format!("\"{}\"", stored.replace('"', "\"\""))
            }
        }
    }

    /// A cell as trimmed text, NULL when empty.
    pub fn text(self, expr: &str) -> String {
        match self {
            Dialect::Duckdb => format!("NULLIF(trim(CAST({expr} AS VARCHAR)), '')"),
            _ => format!("NULLIF(trim(CAST({expr} AS STRING)), '')"),
        }
    }

    /// A cell as rules, filters and kind lists compare it: trimmed, lower-cased, `''` when
    /// absent.
    pub fn folded(self, expr: &str) -> String {
        format!("lower(COALESCE({}, ''))", self.text(expr))
    }

    /// Texts as a list of literals for `IN (…)`.
    pub fn lit_list<'a>(self, texts: impl IntoIterator<Item = &'a str>) -> String {
        texts
            .into_iter()
            .map(|t| self.lit(t))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether `expr` (trimmed, lower-cased text) matches `pattern` anywhere, case-insensitively.
    pub fn regex(self, expr: &str, pattern: &str) -> String {
        match self {
            Dialect::Spark => format!("({expr} RLIKE {})", self.lit(&format!("(?i){pattern}"))),
            Dialect::Duckdb => format!(
                "regexp_matches({expr}, {})",
                self.lit(&format!("(?i){pattern}"))
            ),
            Dialect::Bigquery => format!(
                "REGEXP_CONTAINS({expr}, {})",
                self.lit(&format!("(?i){pattern}"))
            ),
            Dialect::Snowflake => {
                format!(
                    "(REGEXP_INSTR({expr}, {}, 1, 1, 0, 'i') > 0)",
                    self.lit(pattern)
                )
            }
        }
    }

    /// Group `group` of the first case-insensitive match of `pattern` in `text`; NULL when
    /// there is none or it is empty.
    pub fn regex_extract(self, text: &str, pattern: &str, group: usize) -> String {
        match self {
            Dialect::Duckdb | Dialect::Spark => format!(
                "NULLIF(regexp_extract({text}, {}, {group}), '')",
                self.lit(&format!("(?i){pattern}"))
            ),
            // BigQuery takes the one group a pattern has: the others are made non-capturing.
            Dialect::Bigquery => {
                let mut n = 0;
                let mut single = String::new();
                let mut chars = pattern.chars().peekable();
                while let Some(c) = chars.next() {
                    single.push(c);
                    if c == '\\' {
                        if let Some(next) = chars.next() {
                            single.push(next);
                        }
                    } else if c == '(' && chars.peek() != Some(&'?') {
                        n += 1;
                        if n != group {
                            single.push_str("?:");
                        }
                    }
                }
                format!(
                    "NULLIF(REGEXP_EXTRACT({text}, {}), '')",
                    self.lit(&format!("(?i){single}"))
                )
            }
            Dialect::Snowflake => format!(
                "NULLIF(REGEXP_SUBSTR({text}, {}, 1, 1, 'ie', {group}), '')",
                self.lit(pattern)
            ),
        }
    }

    /// A URL query value decoded as a form: `+` a space, `%XX` the byte it names (DuckDB and
    /// Spark); BigQuery and Snowflake have no such function: only `+` is decoded there.
    pub fn url_decode(self, value: &str) -> String {
        match self {
            Dialect::Duckdb => format!("url_decode(replace({value}, '+', ' '))"),
            Dialect::Spark => format!("COALESCE(try_url_decode({value}), {value})"),
            Dialect::Bigquery | Dialect::Snowflake => format!("replace({value}, '+', ' ')"),
        }
    }

    /// Whether `expr` contains `part`.
    pub fn contains(self, expr: &str, part: &str) -> String {
        match self {
            Dialect::Spark => format!("(instr({expr}, {}) > 0)", self.lit(part)),
            Dialect::Bigquery => format!("(STRPOS({expr}, {}) > 0)", self.lit(part)),
            Dialect::Duckdb => format!("contains({expr}, {})", self.lit(part)),
            Dialect::Snowflake => format!("CONTAINS({expr}, {})", self.lit(part)),
        }
    }

    /// Lower-case hex SHA-256 of a text.
    pub fn sha256(self, expr: &str) -> String {
        match self {
            Dialect::Spark | Dialect::Snowflake => format!("sha2({expr}, 256)"),
            Dialect::Bigquery => format!("TO_HEX(SHA256({expr}))"),
            Dialect::Duckdb => format!("sha256({expr})"),
        }
    }

    /// Microseconds since the epoch of a time with a zone (or a UTC naive time).
    pub fn epoch_micros(self, expr: &str) -> String {
        match self {
            Dialect::Spark => format!("unix_micros({expr})"),
            Dialect::Bigquery => format!("UNIX_MICROS({expr})"),
            Dialect::Duckdb => format!("epoch_us({expr})"),
            Dialect::Snowflake => format!("DATE_PART(epoch_microsecond, {expr})"),
        }
    }

    /// A naive date and time read in the time zone `tz` (an IANA name), as a time with zone.
    pub fn in_zone(self, naive: &str, tz: &str) -> String {
        match self {
            Dialect::Spark => format!("to_utc_timestamp({naive}, {})", self.lit(tz)),
            Dialect::Bigquery => format!("TIMESTAMP({naive}, {})", self.lit(tz)),
            Dialect::Duckdb => format!("timezone({}, {naive})", self.lit(tz)),
            // A naive time in UTC, which DATE_PART's epoch reads as UTC.
            Dialect::Snowflake => {
                format!("CONVERT_TIMEZONE({}, 'UTC', {naive})", self.lit(tz))
            }
        }
    }

    /// A text parsed by a strftime pattern into a naive date and time; NULL when it does not
    /// match. None for a pattern with an item the engine has no equivalent of.
    pub fn strptime(self, text: &str, pattern: &str) -> Option<String> {
        Some(match self {
            // chrono's `%.f` is an optional fraction with its dot; DuckDB's `%f` wants the
            // digits, so the pattern is tried with `.%f`, then without.
            Dialect::Duckdb if pattern.contains("%.f") => format!(
                "COALESCE(try_strptime({text}, {}), try_strptime({text}, {}))",
                self.lit(&pattern.replace("%.f", ".%f")),
                self.lit(&pattern.replace("%.f", ""))
            ),
            Dialect::Duckdb => format!("try_strptime({text}, {})", self.lit(pattern)),
            Dialect::Spark => format!(
                "try_to_timestamp({text}, {})",
                self.lit(&java_pattern(pattern)?)
            ),
            // `%E*S` is seconds with an optional fraction of any length.
            Dialect::Bigquery => {
                let pattern = pattern.replace("%S%.f", "%E*S");
                if pattern.contains("%.f") {
                    return None;
                }
                format!("SAFE.PARSE_DATETIME({}, {text})", self.lit(&pattern))
            }
            Dialect::Snowflake => {
                let parse =
                    |format: String| format!("TRY_TO_TIMESTAMP_NTZ({text}, {})", self.lit(&format));
                match pattern.split_once("%.f") {
                    Some((head, tail)) => {
                        let (head, tail) = (snowflake_pattern(head)?, snowflake_pattern(tail)?);
                        format!(
                            "COALESCE({}, {})",
                            parse(format!("{head}.FF{tail}")),
                            parse(format!("{head}{tail}"))
                        )
                    }
                    None => parse(snowflake_pattern(pattern)?),
                }
            }
        })
    }

    /// A cell's time when the file typed it as a date-time (Parquet, or what the engine's
    /// JSON reader detected): with its zone, or naive in `tz`; `otherwise` for other cells.
    pub fn native_time(self, cell: &str, tz: &str, otherwise: &str) -> String {
        match self {
            Dialect::Spark => format!(
                "CASE WHEN typeof({cell}) = 'timestamp' THEN unix_micros(try_cast({cell} AS TIMESTAMP)) \
                 WHEN typeof({cell}) IN ('timestamp_ntz', 'date') THEN unix_micros(to_utc_timestamp(try_cast({cell} AS TIMESTAMP), {})) \
                 ELSE {otherwise} END",
                self.lit(tz)
            ),
            Dialect::Duckdb => format!(
                "CASE WHEN typeof({cell}) = 'TIMESTAMP WITH TIME ZONE' THEN epoch_us(TRY_CAST({cell} AS TIMESTAMPTZ)) \
                 WHEN typeof({cell}) IN ('TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'DATE') THEN epoch_us(timezone({}, TRY_CAST({cell} AS TIMESTAMP))) \
                 ELSE {otherwise} END",
                self.lit(tz)
            ),
            // Tables have one type per column: their times arrive as text, which the
            // pattern parses ([`Dialect::text`] of a TIMESTAMP carries its offset).
            Dialect::Bigquery | Dialect::Snowflake => otherwise.to_string(),
        }
    }

    /// The value at a nested path (`device.category`, `event_params[key=page].value.string_value`)
    /// of a Parquet struct or a table's record; None where the engine keeps such values in
    /// a semi-structured type the script does not read (Snowflake's VARIANT).
    pub fn nested(self, path: &crate::io::path::FieldPath) -> Option<String> {
        use crate::io::path::Step;
        let mut expr = self.ident(&path.top);
        for (depth, step) in path.steps.iter().enumerate() {
            let e = format!("omnitouch_e{depth}");
            expr = match (self, step) {
                (Dialect::Snowflake, _) => return None,
                (Dialect::Duckdb, Step::Field(f)) => format!("struct_extract({expr}, {})", self.lit(f)),
                (Dialect::Spark | Dialect::Bigquery, Step::Field(f)) => {
                    format!("{expr}.{}", self.ident(f))
                }
                // The first element whose key, as text, is the value.
                (Dialect::Duckdb, Step::Where { key, value }) => format!(
                    "list_filter({expr}, lambda {e}: CAST(struct_extract({e}, {}) AS VARCHAR) = {})[1]",
                    self.lit(key),
                    self.lit(value)
                ),
                (Dialect::Spark, Step::Where { key, value }) => format!(
                    "try_element_at(filter({expr}, {e} -> CAST({e}.{} AS STRING) = {}), 1)",
                    self.ident(key),
                    self.lit(value)
                ),
                (Dialect::Bigquery, Step::Where { key, value }) => format!(
                    "(SELECT {e} FROM UNNEST({expr}) AS {e} WITH OFFSET AS {e}_at WHERE CAST({e}.{} AS STRING) = {} ORDER BY {e}_at LIMIT 1)",
                    self.ident(key),
                    self.lit(value)
                ),
            };
        }
        Some(expr)
    }

    /// A text with a UTC offset or `Z` (RFC 3339) as a time with zone; NULL otherwise.
    pub fn with_offset(self, text: &str) -> String {
        match self {
            Dialect::Spark => format!(
                "CASE WHEN {text} RLIKE '(Z|z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$' THEN try_cast({text} AS TIMESTAMP) END"
            ),
            Dialect::Duckdb => format!(
                "CASE WHEN regexp_matches({text}, '(Z|z|[+-][0-9]{{2}}:?[0-9]{{2}})$') THEN TRY_CAST({text} AS TIMESTAMPTZ) END"
            ),
            Dialect::Bigquery => format!(
                "CASE WHEN REGEXP_CONTAINS({text}, '(Z|z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') THEN SAFE_CAST({text} AS TIMESTAMP) END"
            ),
            Dialect::Snowflake => format!(
                "CASE WHEN REGEXP_LIKE({text}, '.*(Z|z|[+-][0-9]{{2}}:?[0-9]{{2}})') THEN TRY_TO_TIMESTAMP_TZ({text}) END"
            ),
        }
    }

    /// A text whose offset follows its time after a space (`2024-03-19 09:10:30 +0100`, as
    /// Shopify writes it) with the space taken out, which the engines' casts need.
    pub fn offset_joined(self, text: &str) -> String {
        let pattern = self.lit(" ([+-][0-9]{2}:?[0-9]{2})$");
        match self {
            Dialect::Spark => format!("regexp_replace({text}, {pattern}, '$1')"),
            Dialect::Duckdb => format!("regexp_replace({text}, {pattern}, '\\1')"),
            Dialect::Bigquery | Dialect::Snowflake => {
                format!("REGEXP_REPLACE({text}, {pattern}, {})", self.lit("\\1"))
            }
        }
    }

    /// A text as a number; NULL when it is not one.
    pub fn number(self, text: &str) -> String {
        match self {
            Dialect::Spark => format!("try_cast({text} AS DOUBLE)"),
            Dialect::Duckdb => format!("TRY_CAST({text} AS DOUBLE)"),
            Dialect::Bigquery => format!("SAFE_CAST({text} AS FLOAT64)"),
            Dialect::Snowflake => format!("TRY_TO_DOUBLE({text})"),
        }
    }

    /// A field of an NDJSON object (the row's `omnitouch_json`) as text; NULL when absent or
    /// null, or when the line is not an object.
    pub fn json_field(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!(
                "get_json_object(omnitouch_json, {})",
                self.lit(&format!("$['{}']", name.replace('\'', "\\'")))
            ),
            Dialect::Duckdb => format!(
                "json_extract_string(omnitouch_json, {})",
                self.lit(&format!("$.\"{}\"", name.replace('"', "\\\"")))
            ),
            Dialect::Bigquery => format!(
                "JSON_VALUE(omnitouch_json, {})",
                self.lit(&format!("$.\"{}\"", name.replace('"', "\\\"")))
            ),
            Dialect::Snowflake => format!(
                "CAST(PARSE_JSON(omnitouch_json):{} AS STRING)",
                self.ident(name)
            ),
        }
    }

    /// The texts of a group joined with `separator` in the order of `order` (the piece a
    /// generic transpiler got wrong: it dropped the ordering).
    pub fn ordered_join(self, expr: &str, separator: &str, order: &str) -> String {
        match self {
            Dialect::Spark => format!(
                "string_agg({expr}, {}) WITHIN GROUP (ORDER BY {order})",
                self.lit(separator)
            ),
            Dialect::Duckdb | Dialect::Bigquery => format!(
                "string_agg({expr}, {} ORDER BY {order})",
                self.lit(separator)
            ),
            Dialect::Snowflake => format!(
                "LISTAGG({expr}, {}) WITHIN GROUP (ORDER BY {order})",
                self.lit(separator)
            ),
        }
    }

    /// Whether a text is 64 hex digits.
    pub fn is_hex_digest(self, text: &str) -> String {
        self.full_match(text, "[0-9A-Fa-f]{64}")
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
    ) -> Option<(String, String)> {
        use crate::io::Format;
        Some(match self {
            Dialect::Spark => self.spark_read(index, format, path, csv)?,
            // Files reach these engines as tables (`bq load`, `COPY INTO`).
            Dialect::Bigquery | Dialect::Snowflake => return None,
            Dialect::Duckdb => match format {
                Format::Csv => {
                    let delimiter = csv_delimiter(csv, path);
                    let mut options = format!(
                        "header = {}, all_varchar = true, delim = {}, quote = {}, skip = {}, \
                         ignore_errors = true, store_rejects = true, \
                         rejects_table = 'omnitouch_broken_{index}', rejects_scan = 'omnitouch_scan_{index}'",
                        csv.has_header,
                        self.lit(&delimiter),
                        self.lit(&csv.quote),
                        csv.skip_rows
                    );
                    if let Some(encoding) = &csv.encoding {
                        options.push_str(&format!(", encoding = {}", self.lit(encoding)));
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
                        self.lit(path)
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
                        self.lit(path)
                    ),
                ),
                Format::Parquet => (
                    String::new(),
                    format!(
                        "SELECT row_number() OVER () AS omnitouch_line, CAST(NULL AS VARCHAR) AS omnitouch_broken, * FROM read_parquet({})",
                        self.lit(path)
                    ),
                ),
            },
        })
    }

    /// The rows of a warehouse table, as [`Dialect::read`] gives a file's: `omnitouch_line`
    /// is a row number where numbering is cheap, and a unique id in BigQuery and Snowflake,
    /// where numbering every row of a large table runs on one worker. It only tells rows
    /// apart: a table has no order, so ties in time fall in the engine's order.
    pub fn read_table(self, table: &str) -> String {
        let (line, from) = match self {
            Dialect::Duckdb => ("row_number() OVER ()", table.to_string()),
            Dialect::Spark => (
                "row_number() OVER (ORDER BY monotonically_increasing_id())",
                table.to_string(),
            ),
            Dialect::Bigquery => ("GENERATE_UUID()", format!("`{}`", table.trim_matches('`'))),
            Dialect::Snowflake => ("UUID_STRING()", table.to_string()),
        };
        format!("SELECT {line} AS omnitouch_line, CAST(NULL AS STRING) AS omnitouch_broken, t.* FROM {from} AS t")
    }

    /// Spark's reading of a source file ([`Dialect::read`]): a temporary view over the
    /// file, rows numbered in file order. Spark's CSV reader takes ragged rows as rows and
    /// has no option to skip lines before the header (None).
    fn spark_read(
        self,
        index: usize,
        format: crate::io::Format,
        path: &str,
        csv: &crate::io::CsvOptions,
    ) -> Option<(String, String)> {
        use crate::io::Format;
        let numbered = "row_number() OVER (ORDER BY monotonically_increasing_id())";
        Some(match format {
            Format::Csv => {
                if csv.skip_rows > 0 {
                    return None;
                }
                let delimiter = csv_delimiter(csv, path);
                let setup = format!(
                    "CREATE OR REPLACE TEMPORARY VIEW omnitouch_file_{index} USING csv OPTIONS (path {path}, header '{}', sep {}, quote {}, encoding {}, mode 'PERMISSIVE', inferSchema 'false');
CREATE OR REPLACE TEMPORARY VIEW omnitouch_text_{index} USING text OPTIONS (path {path});
",
                    csv.has_header,
                    self.lit(&delimiter),
                    self.lit(&csv.quote),
                    self.lit(csv.encoding.as_deref().unwrap_or("UTF-8")),
                    path = self.lit(path),
                );
                // Spark's reader pads a short row and cuts a long one: a row is ragged when its
                // line, holding no quote, splits into another number of fields than the first
                // line (lines with quotes are taken as the reader took them).
                let separator = self.lit(&format!("\\Q{delimiter}\\E"));
                let fields = |line: &str| format!("size(split({line}, {separator}, -1))");
                let select = format!(
                    "SELECT r.*, CASE WHEN instr(l.value, {quote}) = 0 AND {} <> (SELECT {} FROM omnitouch_lines_{index} WHERE n = 1) THEN 'ragged_row' END AS omnitouch_broken
FROM (SELECT {numbered} + {} AS omnitouch_line, * FROM omnitouch_file_{index}) r
JOIN omnitouch_lines_{index} l ON l.n = r.omnitouch_line",
                    fields("l.value"),
                    fields("value"),
                    usize::from(csv.has_header),
                    quote = self.lit(&csv.quote),
                );
                let setup = format!(
                    "{setup}CREATE OR REPLACE TEMPORARY VIEW omnitouch_lines_{index} AS SELECT {numbered} AS n, value FROM omnitouch_text_{index};\n"
                );
                (setup, select)
            }
            Format::Ndjson => (
                format!(
                    "CREATE OR REPLACE TEMPORARY VIEW omnitouch_file_{index} USING text OPTIONS (path {});\n",
                    self.lit(path)
                ),
                format!(
                    "SELECT omnitouch_line, omnitouch_json,
  CASE WHEN omnitouch_json IS NULL THEN 'invalid_json' END AS omnitouch_broken
FROM (SELECT {numbered} AS omnitouch_line,
  CASE WHEN json_object_keys(value) IS NOT NULL THEN value END AS omnitouch_json
  FROM omnitouch_file_{index})"
                ),
            ),
            Format::Parquet => (
                String::new(),
                format!(
                    "SELECT {numbered} AS omnitouch_line, CAST(NULL AS STRING) AS omnitouch_broken, * FROM parquet.{}",
                    self.ident(path)
                ),
            ),
        })
    }

    /// Statements that set the session up (UTC for times, file order kept).
    pub fn preamble(self) -> &'static str {
        match self {
            Dialect::Spark | Dialect::Bigquery => "",
            Dialect::Snowflake => "ALTER SESSION SET TIMEZONE = 'UTC';\n",
            Dialect::Duckdb => "SET TimeZone = 'UTC';\nSET preserve_insertion_order = true;\n",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflake_names_are_quoted_as_snowflake_stores_them() {
        assert_eq!(Dialect::Snowflake.ident("event_name"), "\"EVENT_NAME\"");
        assert_eq!(Dialect::Snowflake.ident("order"), "\"ORDER\"");
        assert_eq!(Dialect::Snowflake.ident("Event Name"), "\"Event Name\"");
        assert_eq!(Dialect::Bigquery.ident("a`b"), "`a\\`b`");
    }

    #[test]
    fn strftime_patterns_become_each_engines_own() {
        let bq = Dialect::Bigquery.strptime("x", "%d/%m/%Y %H:%M:%S%.f");
        assert_eq!(
            bq.as_deref(),
            Some("SAFE.PARSE_DATETIME('%d/%m/%Y %H:%M:%E*S', x)")
        );
        let sf = Dialect::Snowflake.strptime("x", "%Y-%m-%dT%H:%M:%S%.f");
        assert_eq!(
            sf.as_deref(),
            Some("COALESCE(TRY_TO_TIMESTAMP_NTZ(x, 'YYYY-MM-DD\"T\"HH24:MI:SS.FF'), TRY_TO_TIMESTAMP_NTZ(x, 'YYYY-MM-DD\"T\"HH24:MI:SS'))")
        );
        assert_eq!(Dialect::Snowflake.strptime("x", "%j"), None);
        assert_eq!(Dialect::Bigquery.strptime("x", "%H%.f"), None);
    }

    #[test]
    fn nested_paths_pick_the_first_element_with_the_key() {
        let path = crate::io::path::FieldPath::parse("event_params[key=page].value.string_value")
            .expect("a path");
        assert_eq!(
            Dialect::Bigquery.nested(&path).as_deref(),
            Some("(SELECT omnitouch_e0 FROM UNNEST(`event_params`) AS omnitouch_e0 WITH OFFSET AS omnitouch_e0_at WHERE CAST(omnitouch_e0.`key` AS STRING) = 'page' ORDER BY omnitouch_e0_at LIMIT 1).`value`.`string_value`")
        );
        assert_eq!(
            Dialect::Spark.nested(&path).as_deref(),
            Some("try_element_at(filter(`event_params`, omnitouch_e0 -> CAST(omnitouch_e0.`key` AS STRING) = 'page'), 1).`value`.`string_value`")
        );
        assert_eq!(Dialect::Snowflake.nested(&path), None);
    }
}
