//! `conversions.parquet`: each conversion's credit per channel under each model, one row per
//! conversion, model and channel, joinable to the order table by `conversion_id` and to the
//! identity map by `person_id` (docs/outputs.md).

use polars::prelude::*;

use crate::attribution::per_conversion::Credit;
use crate::journey::Journeys;

/// The table of `credits` (from [`crate::attribution::per_conversion::credits`]) with each
/// conversion's id, time, type, value, person and path; `models` names the models by index.
pub fn frame(
    journeys: &Journeys,
    models: &[String],
    credits: &[Credit],
) -> PolarsResult<DataFrame> {
    let n = credits.len();
    let mut id = Vec::with_capacity(n);
    let mut ts = Vec::with_capacity(n);
    let mut kind = Vec::with_capacity(n);
    let mut value = Vec::with_capacity(n);
    let mut person = Vec::with_capacity(n);
    let mut path = Vec::with_capacity(n);
    let mut model = Vec::with_capacity(n);
    let mut channel = Vec::with_capacity(n);
    let mut credit = Vec::with_capacity(n);
    let mut value_credit = Vec::with_capacity(n);
    let mut path_text: Option<(usize, String)> = None;
    for c in credits {
        let j = &journeys.journeys[c.journey];
        let Some(conversion) = &j.conversion else {
            continue;
        };
        // Paths are written once per journey, not once per credit row.
        if path_text.as_ref().is_none_or(|(at, _)| *at != c.journey) {
            let names: Vec<&str> = j
                .touches
                .iter()
                .map(|t| journeys.channels[t.channel as usize].as_str())
                .collect();
            path_text = Some((c.journey, names.join(" > ")));
        }
        id.push(conversion.id.as_str());
        ts.push(conversion.ts);
        kind.push(conversion.conversion_type.as_str());
        value.push(conversion.value);
        person.push(j.person);
        path.push(path_text.as_ref().map_or(String::new(), |(_, p)| p.clone()));
        model.push(models[c.model].as_str());
        channel.push(journeys.channels[c.channel as usize].as_str());
        credit.push(c.conversions);
        value_credit.push(c.value);
    }
    let height = id.len();
    let ts = Int64Chunked::from_vec("ts".into(), ts)
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_series();
    DataFrame::new(
        height,
        vec![
            Column::new("conversion_id".into(), id),
            ts.into(),
            Column::new("conversion_type".into(), kind),
            Column::new("value".into(), value),
            Column::new("person_id".into(), person),
            Column::new("path".into(), path),
            Column::new("model".into(), model),
            Column::new("channel".into(), channel),
            Column::new("credit".into(), credit),
            Column::new("value_credit".into(), value_credit),
        ],
    )
}
