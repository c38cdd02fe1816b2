//! Paths into nested cells: `traffic_source.medium` (a field of an NDJSON object or a Parquet
//! struct) and `event_params[key=page_location].value.string_value` (the element of a list of
//! objects whose `key` is `page_location`, as GA4's BigQuery export holds event parameters).
//!
//! A column name that exists as it is (a CSV header `utm.source`, a JSON key with a dot) is
//! always read as that column; only a name the file does not have is read as a path.

use polars::prelude::*;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A field of an object or struct.
    Field(String),
    /// The first element of a list of objects whose field `key` equals `value` (compared as
    /// text, so `[key=5]` finds `{"key": 5}` too).
    Where { key: String, value: String },
}

/// A parsed path: the top-level column, then the steps inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    /// The column (NDJSON key, Parquet column) the path starts in.
    pub top: String,
    /// Steps inside that column; empty for a plain column.
    pub steps: Vec<Step>,
}

impl FieldPath {
    /// Parses `a.b[key=v].c`; None when `name` has no `.` or `[` outside a selector (a plain
    /// column) or is not a well-formed path.
    pub fn parse(name: &str) -> Option<FieldPath> {
        let mut parts: Vec<Step> = Vec::new();
        let mut rest = name;
        let mut first = true;
        while !rest.is_empty() {
            if !first {
                rest = rest.strip_prefix('.')?;
            }
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let field = &rest[..end];
            if field.is_empty() {
                return None;
            }
            parts.push(Step::Field(field.to_string()));
            rest = &rest[end..];
            while let Some(inner) = rest.strip_prefix('[') {
                let close = inner.find(']')?;
                let (key, value) = inner[..close].split_once('=')?;
                let (key, value) = (key.trim(), value.trim().trim_matches(['"', '\'']));
                if key.is_empty() {
                    return None;
                }
                parts.push(Step::Where {
                    key: key.to_string(),
                    value: value.to_string(),
                });
                rest = &inner[close + 1..];
            }
            first = false;
        }
        let mut steps = parts.into_iter();
        let Some(Step::Field(top)) = steps.next() else {
            return None;
        };
        let steps: Vec<Step> = steps.collect();
        (!steps.is_empty()).then_some(FieldPath { top, steps })
    }

    /// The value at this path in a JSON object; Err with the keys that exist where the path
    /// fails (for an error message), Ok(None) when the path leads through a null or a list
    /// without a matching element (an absent value, not a wrong path).
    pub fn json<'v>(
        &self,
        object: &'v serde_json::Map<String, serde_json::Value>,
    ) -> Result<Option<&'v serde_json::Value>, String> {
        let Some(mut at) = object.get(&self.top) else {
            return Err(keys_of(object.keys()));
        };
        let mut walked = self.top.clone();
        for step in &self.steps {
            at = match (step, at) {
                (_, serde_json::Value::Null) => return Ok(None),
                (Step::Field(name), serde_json::Value::Object(map)) => match map.get(name) {
                    Some(v) => v,
                    None => return Err(format!("in \"{walked}\": {}", keys_of(map.keys()))),
                },
                (Step::Where { key, value }, serde_json::Value::Array(items)) => {
                    let found = items
                        .iter()
                        .find(|item| item.get(key).is_some_and(|k| reads_as(k, value)));
                    match found {
                        Some(v) => v,
                        None => return Ok(None),
                    }
                }
                (Step::Field(_), other) => {
                    return Err(format!(
                        "\"{walked}\" is {}, not an object",
                        json_kind(other)
                    ))
                }
                (Step::Where { .. }, other) => {
                    return Err(format!("\"{walked}\" is {}, not a list", json_kind(other)))
                }
            };
            walked.push_str(&step_text(step));
        }
        Ok(Some(at))
    }

    /// Checks the path against a Parquet column's type; Err with the fields that exist where
    /// it fails.
    pub fn check_dtype(&self, dtype: &DataType) -> Result<(), String> {
        let mut at = dtype;
        let mut walked = self.top.clone();
        for step in &self.steps {
            at = match (step, at) {
                (Step::Field(name), DataType::Struct(fields)) => {
                    match fields.iter().find(|f| f.name().as_str() == name) {
                        Some(f) => f.dtype(),
                        None => {
                            let names = fields.iter().map(|f| f.name().to_string());
                            return Err(format!("in \"{walked}\": {}", keys_of(names)));
                        }
                    }
                }
                (Step::Where { key, .. }, DataType::List(inner)) => match &**inner {
                    DataType::Struct(fields) if fields.iter().any(|f| f.name() == key) => &**inner,
                    _ => {
                        return Err(format!(
                            "\"{walked}\" is not a list of structs with a field \"{key}\""
                        ))
                    }
                },
                (Step::Field(_), other) => {
                    return Err(format!("\"{walked}\" is {other}, not a struct"))
                }
                (Step::Where { .. }, other) => {
                    return Err(format!("\"{walked}\" is {other}, not a list"))
                }
            };
            walked.push_str(&step_text(step));
        }
        Ok(())
    }

    /// The values at this path for every row of `column` (the path's top column), one per
    /// row, null where the path leads through a null or finds no list element. Whole columns
    /// at a time: a list step looks each row's elements up by their offsets, not row by row.
    pub fn series(&self, column: &Series) -> PolarsResult<Series> {
        let mut at = column.clone();
        for step in &self.steps {
            at = match step {
                Step::Field(name) => at.struct_()?.field_by_name(name)?,
                Step::Where { key, value } => list_where(at.list()?, key, value)?,
            };
        }
        Ok(at)
    }
}

/// For each list of structs, the first element whose field `key` reads `value` as text.
fn list_where(lists: &ListChunked, key: &str, value: &str) -> PolarsResult<Series> {
    let lists = lists.rechunk();
    let elements = lists.get_inner();
    let keys = elements
        .struct_()?
        .field_by_name(key)?
        .cast(&DataType::String)?;
    let keys = keys.str()?;
    let offsets = lists.offsets()?;
    let valid = lists.is_not_null();
    let picks: IdxCa = offsets
        .windows(2)
        .zip(valid.iter())
        .map(|(range, valid)| {
            if valid != Some(true) {
                return None;
            }
            (range[0]..range[1])
                .find(|&i| keys.get(i as usize) == Some(value))
                .map(|i| i as IdxSize)
        })
        .collect();
    elements.take(&picks)
}

/// Whether a JSON scalar reads as `text`: a string equal to it, a number of its value, a
/// boolean `true` or `false`.
fn reads_as(v: &serde_json::Value, text: &str) -> bool {
    match v {
        serde_json::Value::String(s) => s == text,
        serde_json::Value::Number(n) => match (n.as_i64(), text.parse::<i64>()) {
            (Some(i), Ok(t)) => i == t,
            _ => n.as_f64().is_some_and(|f| text.parse::<f64>() == Ok(f)),
        },
        serde_json::Value::Bool(b) => text == if *b { "true" } else { "false" },
        _ => false,
    }
}

fn step_text(step: &Step) -> String {
    match step {
        Step::Field(name) => format!(".{name}"),
        Step::Where { key, value } => format!("[{key}={value}]"),
    }
}

fn keys_of<S: AsRef<str>>(keys: impl Iterator<Item = S>) -> String {
    let keys: Vec<String> = keys.map(|k| k.as_ref().to_string()).collect();
    if keys.is_empty() {
        "(none)".into()
    } else {
        keys.join(", ")
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "text",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ga4_event() -> serde_json::Map<String, serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"event_name":"page_view","traffic_source":{"source":"google","medium":"cpc"},
                "event_params":[
                  {"key":"ga_session_id","value":{"int_value":1718000000}},
                  {"key":"page_location","value":{"string_value":"https://shop.example/?gclid=x"}}]}"#,
        )
        .expect("json");
        match v {
            serde_json::Value::Object(m) => m,
            _ => panic!("object"),
        }
    }

    #[test]
    fn paths_parse_into_fields_and_selectors() {
        assert_eq!(FieldPath::parse("utm_source"), None);
        let p =
            FieldPath::parse("event_params[key=page_location].value.string_value").expect("path");
        assert_eq!(p.top, "event_params");
        assert_eq!(
            p.steps,
            [
                Step::Where {
                    key: "key".into(),
                    value: "page_location".into()
                },
                Step::Field("value".into()),
                Step::Field("string_value".into()),
            ]
        );
        assert_eq!(FieldPath::parse("a..b"), None);
        assert_eq!(FieldPath::parse("a[=x].b"), None);
        assert_eq!(FieldPath::parse("a[key=x"), None);
    }

    #[test]
    fn json_paths_find_nested_values_and_list_elements() {
        let event = ga4_event();
        let at = |p: &str| FieldPath::parse(p).expect("path").json(&event);
        assert_eq!(
            at("traffic_source.medium"),
            Ok(Some(&serde_json::json!("cpc")))
        );
        assert_eq!(
            at("event_params[key=ga_session_id].value.int_value"),
            Ok(Some(&serde_json::json!(1718000000)))
        );
        assert_eq!(
            at("event_params[key=page_title].value.string_value"),
            Ok(None),
            "a parameter the event lacks is an absent value"
        );
        assert_eq!(
            at("traffic_source.campaign"),
            Err("in \"traffic_source\": medium, source".into())
        );
    }

    #[test]
    fn parquet_paths_select_struct_fields_and_list_elements() {
        let row = |keys: &[&str], values: &[i64]| {
            let key = Series::new("key".into(), keys);
            let value = Series::new("value".into(), values);
            StructChunked::from_series("e".into(), keys.len(), [key, value].iter())
                .expect("struct")
                .into_series()
        };
        // Rows: [a=1, b=2], [b=3], [].
        let lists = Series::new(
            "p".into(),
            [row(&["a", "b"], &[1, 2]), row(&["b"], &[3]), row(&[], &[])],
        );
        let path = FieldPath::parse("p[key=b].value").expect("path");
        path.check_dtype(lists.dtype())
            .expect("the path fits the type");
        let got: Vec<Option<i64>> = path
            .series(&lists)
            .expect("series")
            .i64()
            .expect("ints")
            .iter()
            .collect();
        assert_eq!(got, [Some(2), Some(3), None]);
        let wrong = FieldPath::parse("p[key=b].amount").expect("path");
        assert_eq!(
            wrong.check_dtype(lists.dtype()),
            Err("in \"p[key=b]\": key, value".into())
        );
    }
}
