//! One source's rows in SQL: read, classified (loaded, ignored, or rejected with the reason
//! the local engine gives, checked in its order), and mapped onto the canonical columns.

use super::dialect::Dialect;
use super::Unsupported;
use crate::config::{ChannelSpec, Config, RowCondition, RowKind, RuleConfig, SourceConfig};
use crate::ingest::channels::default_rules;
use crate::ingest::junk::{JunkFilter, DEFAULT_JUNK, HASHED_JUNK};
use crate::ingest::normalize::{Normalizer, Rule};
use crate::io::path::FieldPath;
use crate::io::timestamp::{TimestampFormat, MAX_MICROS, MIN_MICROS};
use crate::io::Format;

/// What the script needs to know beyond the source itself.
pub struct Context<'a> {
    pub dialect: Dialect,
    pub config: &'a Config,
    /// Every identity kind of the load, in the canonical table's column order.
    pub id_kinds: &'a [String],
    /// Every dimension of the load.
    pub dimensions: &'a [String],
    pub normalizer: &'a Normalizer,
}

/// A source's rows in SQL.
pub struct SourceRows {
    /// The statements that build `omnitouch_rows_<index>`, or for a source whose rows a
    /// session key or conversion id groups, `omnitouch_ungrouped_<index>` (the rows before the
    /// groups are decided; [`super::grouping`] then builds `omnitouch_rows_<index>`).
    pub sql: String,
    /// Whether the source groups rows.
    pub grouped: bool,
    /// The table's columns but `value` and `outcome`, which grouping decides again.
    pub columns: Vec<String>,
}

/// The rows of source `index`: every row, its outcome (`touch`, `conversion`, `identity`,
/// `ignored`, or a reject reason) and its canonical columns.
pub fn source_rows(
    cx: &Context,
    index: usize,
    source: &SourceConfig,
) -> Result<SourceRows, Unsupported> {
    let d = cx.dialect;
    let name = source.name.get_ref();
    let unsupported = |key: &str| Unsupported {
        source: name.clone(),
        key: key.to_string(),
    };
    for (set, key) in [
        (source.decimal.is_some(), "decimal"),
        (source.conversions_are_touches, "conversions_are_touches"),
    ] {
        if set {
            return Err(unsupported(key));
        }
    }
    let (setup, read, format) = match &source.table {
        Some(table) => (String::new(), d.read_table(table), None),
        None => {
            let (setup, read, format) =
                read_file(cx, index, source).map_err(|k| unsupported(&k))?;
            (setup, read, Some(format))
        }
    };
    let col = |c: &str| -> Result<String, Unsupported> {
        let nested = match format {
            // A CSV header is a plain name, dots and all.
            Some(Format::Csv) => None,
            _ => FieldPath::parse(c),
        };
        match (nested, format) {
            (None, Some(Format::Ndjson)) => Ok(d.json_field(c)),
            (None, _) => Ok(d.ident(c)),
            (Some(_), Some(Format::Ndjson)) => Err(unsupported("a nested field path in NDJSON")),
            (Some(path), _) => d
                .nested(&path)
                .ok_or_else(|| unsupported(&format!("a nested field path in {d}"))),
        }
    };
    let mut cells = Vec::new();
    cells.push("omnitouch_line AS line".into());
    cells.push("omnitouch_broken AS broken".into());
    cells.push(format!("{} AS passes", filter(cx, source, &col)?));
    cells.push(format!("{} AS row_kind", kind(cx, source, &col)?));
    for (slot, kind) in cx.id_kinds.iter().enumerate() {
        let expr = match source.ids.get(kind) {
            Some(c) => identifier(cx, slot, &d.text(&col(c)?)),
            None => "CAST(NULL AS STRING)".to_string(),
        };
        cells.push(format!("{expr} AS {}", d.ident(kind)));
    }
    let (ts_text, ts) = match &source.timestamp {
        Some(c) => {
            let tz = source
                .timezone
                .as_deref()
                .or(cx.config.settings.timezone.as_deref())
                .unwrap_or("UTC");
            let format =
                TimestampFormat::parse(source.timestamp_format.as_deref().unwrap_or("auto"))
                    .map_err(|_| unsupported("timestamp_format"))?;
            let cell = col(c)?;
            let parsed =
                timestamp(d, &cell, &format, tz).ok_or_else(|| unsupported("timestamp_format"))?;
            (d.text(&cell), d.native_time(&cell, tz, &parsed))
        }
        None => ("CAST(NULL AS STRING)".into(), "CAST(NULL AS BIGINT)".into()),
    };
    cells.push(format!("{ts_text} AS ts_text"));
    cells.push(format!("{ts} AS ts"));
    let value = match &source.value_column {
        Some(c) => {
            let text = d.text(&col(c)?);
            let n = d.number(&text);
            format!(
                "CASE WHEN {text} IS NULL THEN CAST(0 AS {float}) WHEN {n} >= 0 AND {} THEN {n} END",
                d.is_finite(&n),
                float = d.float()
            )
        }
        None => format!("CAST(0 AS {})", d.float()),
    };
    cells.push(format!("{value} AS value"));
    let (rule_fields, channel) = channel(cx, source, &col)?;
    for (alias, expr) in &rule_fields {
        cells.push(format!("{expr} AS {alias}"));
    }
    let conversion_type = match &source.conversion_type {
        Some(spec) => match (&spec.value, &spec.column) {
            (Some(v), _) => d.lit(v),
            (None, Some(c)) => format!("COALESCE({}, 'conversion')", d.text(&col(c)?)),
            (None, None) => "'conversion'".into(),
        },
        None => "'conversion'".into(),
    };
    cells.push(format!("{conversion_type} AS conversion_type"));
    for dim in cx.dimensions {
        let expr = match source.dimensions.get(dim) {
            Some(c) => format!("CAST({} AS STRING)", col(c)?),
            None => "CAST(NULL AS STRING)".to_string(),
        };
        cells.push(format!("{expr} AS {}", d.ident(dim)));
    }
    let grouped = !source.session_key.is_empty() || source.conversion_id.is_some();
    if grouped {
        // A session key is its columns' texts, none empty, joined by a unit separator (as
        // the local engine joins them); a conversion id is its cell's text.
        let session = if source.session_key.is_empty() {
            "CAST(NULL AS STRING)".to_string()
        } else {
            let parts = source
                .session_key
                .iter()
                .map(|c| Ok(d.text(&col(c)?)))
                .collect::<Result<Vec<String>, Unsupported>>()?;
            let empty: Vec<String> = parts.iter().map(|p| format!("{p} IS NULL")).collect();
            format!(
                "CASE WHEN {} THEN NULL ELSE {} END",
                empty.join(" OR "),
                parts.join(&format!(" || {} || ", d.lit("\u{1f}")))
            )
        };
        cells.push(format!("{session} AS omnitouch_session"));
        let order = match &source.conversion_id {
            Some(c) => d.text(&col(c)?),
            None => "CAST(NULL AS STRING)".to_string(),
        };
        cells.push(format!("{order} AS omnitouch_order"));
    }

    let any_id = if source.ids.is_empty() {
        "false".to_string()
    } else {
        source
            .ids
            .keys()
            .map(|k| format!("{} IS NOT NULL", d.ident(k)))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    // The local engine's order: filters, kind, identifiers, time, value.
    let outcome = format!(
        "CASE WHEN broken IS NOT NULL THEN broken \
         WHEN NOT passes THEN 'ignored' \
         WHEN row_kind IS NULL THEN 'unknown_kind' \
         WHEN row_kind = 'ignored' THEN 'ignored' \
         WHEN NOT ({any_id}) THEN 'no_identifier' \
         WHEN row_kind = 'identity' THEN 'identity' \
         WHEN ts IS NULL THEN 'bad_timestamp' \
         WHEN ts < {MIN_MICROS} OR ts >= {MAX_MICROS} THEN 'timestamp_out_of_range' \
         WHEN row_kind = 'conversion' AND value IS NULL THEN 'bad_value' \
         ELSE row_kind END"
    );
    let line_id = format!("{} || ':' || CAST(line AS STRING)", d.lit(name));
    let mut outer = vec![
        format!("{channel} AS channel"),
        format!("{outcome} AS outcome"),
    ];
    let mut columns: Vec<String> = cells
        .iter()
        .filter_map(|c| c.rsplit_once(" AS ").map(|(_, alias)| alias.to_string()))
        .filter(|alias| alias != "value")
        .chain([
            "source".to_string(),
            "channel".to_string(),
            "conversion_id".to_string(),
        ])
        .collect();
    if grouped {
        let id_count: Vec<String> = source
            .ids
            .keys()
            .map(|k| format!("CASE WHEN {} IS NULL THEN 0 ELSE 1 END", d.ident(k)))
            .collect();
        outer.push(format!(
            "COALESCE(omnitouch_order, {line_id}) AS conversion_id"
        ));
        // What the local engine's grouping scan takes: a row the filters keep, of a grouped
        // kind, with its key; usable when it would load (identifiers, time, value).
        outer.push(
            "CASE WHEN broken IS NULL AND passes AND row_kind = 'touch' THEN omnitouch_session \
             WHEN broken IS NULL AND passes AND row_kind = 'conversion' THEN omnitouch_order END AS group_key"
                .to_string(),
        );
        outer.push(format!(
            "({any_id}) AND ts IS NOT NULL AND ts >= {MIN_MICROS} AND ts < {MAX_MICROS} \
             AND (row_kind <> 'conversion' OR value IS NOT NULL) AS usable"
        ));
        outer.push(format!("{} AS id_count", id_count.join(" + ")));
        columns.extend(["group_key", "usable", "id_count"].map(String::from));
    } else {
        outer.push(format!("{line_id} AS conversion_id"));
    }
    let table = match grouped {
        true => format!("omnitouch_ungrouped_{index}"),
        false => format!("omnitouch_rows_{index}"),
    };
    let sql = format!(
        "{setup}{}",
        d.create(
            &table,
            &format!(
                "WITH raw AS ({read}),\ncells AS (\n  SELECT\n    {}\n  FROM raw\n)\nSELECT {} AS source, *, {}\nFROM cells",
                cells.join(",\n    "),
                d.lit(name),
                outer.join(",\n  "),
            )
        )
    );
    Ok(SourceRows {
        sql,
        grouped,
        columns,
    })
}

/// The statements that read a source's file, the query over its rows, and its format; Err
/// with the config key the script cannot write.
fn read_file(
    cx: &Context,
    index: usize,
    source: &SourceConfig,
) -> Result<(String, String, Format), String> {
    let d = cx.dialect;
    if matches!(d, Dialect::Bigquery | Dialect::Snowflake) {
        return Err(format!(
            "a file `path` in {d} (load the file into a table and name it with `table =`)"
        ));
    }
    if source.path.contains(['*', '?', '[']) {
        // Line numbers (and the ids made from them) are per file.
        return Err("a glob path".into());
    }
    let format = source
        .format
        .or_else(|| Format::from_path(std::path::Path::new(&source.path)))
        .ok_or("format")?;
    // A config named without a folder has an empty base: the current one.
    let base = match cx.config.base_dir.as_os_str().is_empty() {
        true => std::path::PathBuf::from("."),
        false => cx.config.base_dir.clone(),
    };
    let base = std::fs::canonicalize(&base).unwrap_or(base);
    let path = base.join(&source.path);
    let (setup, read) = d
        .read(index, format, &path.to_string_lossy(), &source.csv)
        .ok_or_else(|| format!("csv.skip_rows in {d}"))?;
    Ok((setup, read, format))
}

/// `skip_when` and `keep_when` as one condition: true when the row is read.
fn filter(
    cx: &Context,
    source: &SourceConfig,
    col: &impl Fn(&str) -> Result<String, Unsupported>,
) -> Result<String, Unsupported> {
    let d = cx.dialect;
    let test = |c: &RowCondition| -> Result<String, Unsupported> {
        let v = d.folded(&col(&c.column)?);
        Ok(if let Some(values) = &c.equals {
            let values: Vec<String> = values
                .to_vec()
                .iter()
                .map(|x| x.trim().to_lowercase())
                .collect();
            format!("{v} IN ({})", d.lit_list(values.iter().map(String::as_str)))
        } else if let Some(prefixes) = &c.starts_with {
            let tests: Vec<String> = prefixes
                .to_vec()
                .iter()
                .map(|p| {
                    let p = p.trim().to_lowercase();
                    format!("substr({v}, 1, {}) = {}", p.chars().count(), d.lit(&p))
                })
                .collect();
            format!("({})", tests.join(" OR "))
        } else if c.empty == Some(false) {
            format!("{v} <> ''")
        } else {
            format!("{v} = ''")
        })
    };
    let mut parts = Vec::new();
    for c in &source.skip_when {
        parts.push(format!("NOT ({})", test(c)?));
    }
    for c in &source.keep_when {
        parts.push(test(c)?);
    }
    Ok(if parts.is_empty() {
        "true".into()
    } else {
        parts.join(" AND ")
    })
}

/// The row's kind: `touch`, `conversion`, `identity`, `ignored`, or NULL for a value in no
/// list.
fn kind(
    cx: &Context,
    source: &SourceConfig,
    col: &impl Fn(&str) -> Result<String, Unsupported>,
) -> Result<String, Unsupported> {
    if let Some(k) = source.kind {
        return Ok(match k {
            RowKind::Touch => "'touch'",
            RowKind::Conversion => "'conversion'",
            RowKind::Identity => "'identity'",
        }
        .into());
    }
    let Some(c) = &source.kind_column else {
        return Ok("'touch'".into());
    };
    let d = cx.dialect;
    let v = d.folded(&col(c)?);
    let list = |values: &[String]| {
        if values.is_empty() {
            "NULL".to_string()
        } else {
            let values: Vec<String> = values.iter().map(|x| x.trim().to_lowercase()).collect();
            d.lit_list(values.iter().map(String::as_str))
        }
    };
    let other = if source.ignore_other_values {
        "'ignored'"
    } else {
        "NULL"
    };
    Ok(format!(
        "CASE WHEN {v} IN ({}) THEN 'touch' WHEN {v} IN ({}) THEN 'conversion' WHEN {v} IN ({}) THEN 'ignored' ELSE {other} END",
        list(&source.touch_values),
        list(&source.conversion_values),
        list(&source.ignore_values)
    ))
}

/// An identifier cell (trimmed text) normalised as the local engine does for kind `slot`.
fn identifier(cx: &Context, slot: usize, text: &str) -> String {
    let d = cx.dialect;
    let junk = junk_test(d, cx.normalizer.junk(), text);
    match cx.normalizer.rule(slot) {
        Rule::Trim => text.to_string(),
        Rule::Lowercase | Rule::Email => {
            format!("CASE WHEN {junk} THEN {text} ELSE lower({text}) END")
        }
        // Digests are lowercased; junk is kept; anything else is the raw value, hashed.
        Rule::EmailSha256 => format!(
            "CASE WHEN {} THEN lower({text}) WHEN {junk} THEN {text} ELSE {} END",
            d.is_hex_digest(text),
            d.sha256(&format!("lower({text})"))
        ),
        // Raw phone numbers need libphonenumber to reach E.164: only digests and junk are
        // written here, and the docs say so.
        Rule::Phone | Rule::PhoneSha256 => format!(
            "CASE WHEN {} THEN lower({text}) ELSE {text} END",
            d.is_hex_digest(text)
        ),
    }
}

/// Whether a trimmed identifier is junk (`[identity]` values and patterns, and the defaults).
pub fn junk_test(d: Dialect, junk: &JunkFilter, text: &str) -> String {
    let (defaults, values, patterns) = junk.parts();
    let mut tests = Vec::new();
    let mut listed: Vec<String> = values.iter().map(|v| v.to_lowercase()).collect();
    if defaults {
        listed.extend(DEFAULT_JUNK.iter().map(|v| v.to_string()));
        tests.push(d.full_match(text, "[0-]+"));
    }
    listed.push(HASHED_JUNK.to_string());
    tests.push(format!(
        "lower({text}) IN ({})",
        d.lit_list(listed.iter().map(String::as_str))
    ));
    for p in patterns {
        tests.push(d.regex(text, p));
    }
    format!("({})", tests.join(" OR "))
}

/// A timestamp cell as UTC microseconds since the epoch; None for a format the script does
/// not write yet.
fn timestamp(d: Dialect, cell: &str, format: &TimestampFormat, tz: &str) -> Option<String> {
    let text = d.text(cell);
    let naive = |pattern: &str| {
        d.strptime(&text, pattern)
            .map(|naive| d.epoch_micros(&d.in_zone(&naive, tz)))
    };
    // Numbers outside the accepted years become -1, which the outcome calls out of range
    // (a cast would fail on them, or wrap).
    let epoch = |scale: &str| {
        let micros = format!("({} * {scale})", d.number(&text));
        format!(
            "CASE WHEN {micros} < {MIN_MICROS} OR {micros} >= {MAX_MICROS} THEN -1 ELSE CAST(round({micros}) AS BIGINT) END"
        )
    };
    Some(match format {
        TimestampFormat::Rfc3339 => d.epoch_micros(&d.with_offset(&text)),
        TimestampFormat::EpochSeconds => epoch("1e6"),
        TimestampFormat::EpochMillis => epoch("1e3"),
        TimestampFormat::EpochMicros => epoch("1"),
        TimestampFormat::EpochNanos => epoch("1e-3"),
        TimestampFormat::Pattern(p) if !p.contains('z') => naive(p)?,
        // Native date-times (Parquet) are naive in the source's zone or carry their own.
        // As the local `auto`: RFC 3339, then an offset after a space, then naive layouts,
        // then a number, its unit by its size.
        TimestampFormat::Auto => {
            let n = d.number(&text);
            format!(
                "COALESCE({}, {}, {}, {}, {}, {}, CASE WHEN abs({n}) > 1e17 THEN {} WHEN abs({n}) > 1e14 THEN {} WHEN abs({n}) > 1e11 THEN {} ELSE {} END)",
                d.epoch_micros(&d.with_offset(&text)),
                d.epoch_micros(&d.with_offset(&d.offset_joined(&text))),
                naive("%Y-%m-%d %H:%M:%S%.f")?,
                naive("%Y-%m-%dT%H:%M:%S%.f")?,
                naive("%Y-%m-%d %H:%M")?,
                naive("%Y-%m-%d")?,
                epoch("1e-3"),
                epoch("1"),
                epoch("1e3"),
                epoch("1e6"),
            )
        }
        _ => return None,
    })
}

/// The channel: fixed, a column, or the rules (the config's, then the defaults) on the
/// source's rule fields. Returns the rule fields to compute first (alias, expression) and
/// the channel expression over them.
fn channel(
    cx: &Context,
    source: &SourceConfig,
    col: &impl Fn(&str) -> Result<String, Unsupported>,
) -> Result<(Vec<(String, String)>, String), Unsupported> {
    let d = cx.dialect;
    let Some(spec) = &source.channel else {
        return Ok((Vec::new(), "CAST(NULL AS STRING)".into()));
    };
    let ChannelSpec {
        column,
        value,
        fields,
        url,
        set,
    } = spec;
    if let Some(v) = value {
        return Ok((Vec::new(), d.lit(v)));
    }
    if let Some(c) = column {
        return Ok((Vec::new(), d.text(&col(c)?)));
    }
    let mut rules: Vec<RuleConfig> = cx.config.channels.rules.clone();
    if cx.config.channels.use_defaults {
        rules.extend(default_rules());
    }
    // A rule field's text, as the local engine takes it: a mapped column, else a fixed value,
    // else the landing URL's parameter; `referrer_host`, when nothing gives it, is the host of
    // the referrer.
    let landing = match url {
        Some(c) => Some(d.text(&col(c)?)),
        None => None,
    };
    let given = |name: &str| -> Result<Option<String>, Unsupported> {
        if let Some(c) = fields.as_ref().and_then(|f| f.get(name)) {
            return Ok(Some(d.text(&col(c)?)));
        }
        if let Some(v) = set.as_ref().and_then(|s| s.get(name)) {
            return Ok(Some(d.lit(v.trim())));
        }
        Ok(landing.as_ref().map(|u| url_field(d, u, name)))
    };
    // Each rule field once, trimmed and lower-cased ('' when absent), as a column.
    let mut columns: Vec<(String, String)> = Vec::new();
    let mut field = |name: &str| -> Result<String, Unsupported> {
        let alias = d.ident(&format!("omnitouch_field_{name}"));
        if columns.iter().any(|(a, _)| *a == alias) {
            return Ok(alias);
        }
        let named = |f: &Option<std::collections::BTreeMap<String, String>>| {
            f.as_ref().is_some_and(|f| f.contains_key(name))
        };
        let text = if name == "referrer_host" && !named(fields) && !named(set) {
            given("referrer")?.map(|r| host(d, &r))
        } else {
            given(name)?
        };
        let expr = match text {
            Some(t) => format!("lower(COALESCE({t}, ''))"),
            None => "''".into(),
        };
        columns.push((alias.clone(), expr));
        Ok(alias)
    };
    let mut arms = Vec::new();
    for rule in &rules {
        let mut conditions = Vec::new();
        for c in &rule.when {
            let v = field(&c.field)?;
            let test = if let Some(values) = &c.equals {
                let values: Vec<String> =
                    values.to_vec().iter().map(|x| x.to_lowercase()).collect();
                format!("{v} IN ({})", d.lit_list(values.iter().map(String::as_str)))
            } else if let Some(parts) = &c.contains {
                let tests: Vec<String> = parts
                    .to_vec()
                    .iter()
                    .map(|p| d.contains(&v, &p.to_lowercase()))
                    .collect();
                format!("{v} <> '' AND ({})", tests.join(" OR "))
            } else if let Some(pattern) = &c.regex {
                format!("{v} <> '' AND {}", d.regex(&v, pattern))
            } else if c.empty == Some(false) {
                format!("{v} <> ''")
            } else {
                format!("{v} = ''")
            };
            conditions.push(format!("({test})"));
        }
        let when = if conditions.is_empty() {
            "true".to_string()
        } else {
            conditions.join(" AND ")
        };
        arms.push(format!(
            "WHEN {when} THEN {}",
            d.lit(rule.channel.get_ref())
        ));
    }
    let expr = format!(
        "CASE {} ELSE {} END",
        arms.join("\n      "),
        d.lit(crate::ingest::channels::UNASSIGNED)
    );
    Ok((columns, expr))
}

/// Click-id parameters of a landing URL, in the order the local engine looks for them.
const CLICK_IDS: [&str; 7] = [
    "gclid", "gbraid", "wbraid", "dclid", "msclkid", "fbclid", "ttclid",
];

/// Rule field `name` from a landing URL's query (`utm_source=…`; `click_id`: the name of the
/// first click-id parameter present): the first parameter of that name, case-insensitive,
/// whose value is not blank, decoded and trimmed. NULL when absent.
fn url_field(d: Dialect, url: &str, name: &str) -> String {
    let query = d.regex_extract(url, "^[^#?]*[?]([^#]*)", 1);
    let value = |key: &str| {
        d.regex_extract(
            &format!("'&' || {query}"),
            &format!("&{key}=([^&]*[^&+ ][^&]*)"),
            1,
        )
    };
    if name == "click_id" {
        let arms: Vec<String> = CLICK_IDS
            .iter()
            .map(|id| format!("WHEN {} IS NOT NULL THEN {}", value(id), d.lit(id)))
            .collect();
        return format!("CASE {} END", arms.join(" "));
    }
    format!("NULLIF(trim({}), '')", d.url_decode(&value(name)))
}

/// The host of a referrer URL, lowercased and without a leading `www.`; a referrer without a
/// scheme is read as `https://` + it, as the local engine reads it.
fn host(d: Dialect, referrer: &str) -> String {
    let pattern = "^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#@]*@)?([^/?#:]*)";
    let found = format!(
        "lower(COALESCE({}, {}))",
        d.regex_extract(referrer, pattern, 2),
        d.regex_extract(&format!("'https://' || {referrer}"), pattern, 2)
    );
    format!("CASE WHEN substr({found}, 1, 4) = 'www.' THEN substr({found}, 5) ELSE {found} END")
}
