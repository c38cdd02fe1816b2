//! Journeys in SQL: each person's rows in the local engine's order, cut at conversions,
//! touches kept within the lookback, and the path table and per-conversion paths made from
//! them.

use super::dialect::Dialect;
use super::Unsupported;
use crate::journey::{JourneyOptions, Transform};

const DAY_MICROS: f64 = 86_400_000_000.0;

/// A number of days as whole microseconds, cut as the local engine cuts it.
fn micros(days: f64) -> i64 {
    (days * DAY_MICROS) as i64
}

/// Statements that build `omnitouch_row_people`, `omnitouch_events`,
/// `omnitouch_journey_paths`, `omnitouch_conversion_paths` and `omnitouch_paths`.
pub fn statements(d: Dialect, options: &JourneyOptions) -> Result<String, Unsupported> {
    let unsupported = |key: &str| Unsupported {
        source: "[journeys]".into(),
        key: key.into(),
    };
    if options.split_by_type {
        return Err(unsupported("split_by_conversion_type"));
    }
    let lookback = if options.lookback_by_type.is_empty() {
        micros(options.lookback_days).to_string()
    } else {
        let arms: Vec<String> = options
            .lookback_by_type
            .iter()
            .map(|(t, days)| format!("WHEN {} THEN {}", d.lit(t), micros(*days)))
            .collect();
        format!(
            "CASE conversion_type {} ELSE {} END",
            arms.join(" "),
            micros(options.lookback_days)
        )
    };
    let open = match options.exclude_open_days {
        Some(days) => format!(
            "last_touch_ts >= (SELECT max(ts_us) FROM omnitouch_touchpoints) - {}",
            micros(days)
        ),
        None => "false".into(),
    };
    let keep_last = options
        .max_path_length
        .map_or("true".to_string(), |n| format!("from_end <= {n}"));
    let direct = if options.unattributed_to_direct {
        d.lit(crate::journey::DIRECT)
    } else {
        "NULL".into()
    };
    let person_order = "ORDER BY ts_us, is_conversion, channel NULLS FIRST, source_index, line";
    let transforms = transform_steps(d, &options.transforms);
    let last_step = options.transforms.len();
    let path = d.ordered_join("channel", " > ", "place");
    let times = d.ordered_join("CAST(ts_us AS STRING)", " ", "place");
    let float = d.float();
    let converted = d.count_if("converted");
    let open_count = d.count_if("NOT converted");
    let text = format!(
        "-- Journeys: a person's rows in time order (touches before conversions at one instant,
-- then by channel name, then input order); a conversion closes the touches since the
-- previous conversion that fall in its lookback; touches after the last conversion make a
-- non-converting journey. The path transforms then apply in the config's order (step_1 …),
-- before max_path_length.
CREATE OR REPLACE TABLE omnitouch_row_people AS
WITH ranked AS (
  SELECT i.source_index, i.line, k.kind, i.value,
    row_number() OVER (PARTITION BY i.source_index, i.line ORDER BY k.priority, i.kind_index) AS place
  FROM omnitouch_row_ids i JOIN omnitouch_kinds k ON k.kind_index = i.kind_index
)
SELECT r.source_index, r.line, m.person_id
FROM ranked r JOIN omnitouch_identity_map m ON m.kind = r.kind AND m.value = r.value
WHERE r.place = 1;

CREATE OR REPLACE TABLE omnitouch_events AS
WITH rows_of_people AS (
  SELECT p.person_id, t.ts_us, t.kind = 'conversion' AS is_conversion, t.channel, t.value,
    t.conversion_type, t.conversion_id, t.source_index, t.line
  FROM omnitouch_touchpoints t
  JOIN omnitouch_row_people p ON p.source_index = t.source_index AND p.line = t.line
), placed AS (
  SELECT *, row_number() OVER (PARTITION BY person_id {person_order}) AS place
  FROM rows_of_people
)
SELECT *,
  sum(CASE WHEN is_conversion THEN 1 ELSE 0 END) OVER (PARTITION BY person_id ORDER BY place ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    + CASE WHEN is_conversion THEN 0 ELSE 1 END AS journey
FROM placed;

CREATE OR REPLACE TABLE omnitouch_journey_paths AS
WITH conversions AS (
  SELECT person_id, journey, ts_us, value, conversion_type, conversion_id,
    ts_us - ({lookback}) AS window_start
  FROM omnitouch_events WHERE is_conversion
), pending AS (
  SELECT e.person_id, e.journey, e.place, e.ts_us, e.channel, c.conversion_id IS NOT NULL AS converted
  FROM omnitouch_events e
  LEFT JOIN conversions c ON c.person_id = e.person_id AND c.journey = e.journey
  WHERE NOT e.is_conversion AND (c.conversion_id IS NULL OR e.ts_us >= c.window_start)
), step_0 AS (
  SELECT person_id, journey, place, ts_us, channel FROM pending WHERE channel IS NOT NULL
){transforms}, path_touches AS (
  SELECT *, row_number() OVER (PARTITION BY person_id, journey ORDER BY place DESC) AS from_end
  FROM step_{last_step}
), paths AS (
  SELECT person_id, journey, {path} AS path, {times} AS touch_times
  FROM path_touches WHERE {keep_last} GROUP BY person_id, journey
), open_journeys AS (
  SELECT person_id, journey, max(ts_us) AS last_touch_ts
  FROM pending WHERE NOT converted GROUP BY person_id, journey
)
SELECT c.person_id, c.journey, true AS converted, c.conversion_id, c.ts_us, c.conversion_type,
  c.value, COALESCE(p.path, {direct}) AS path, p.touch_times
FROM conversions c LEFT JOIN paths p ON p.person_id = c.person_id AND p.journey = c.journey
UNION ALL
SELECT o.person_id, o.journey, false, CAST(NULL AS STRING), CAST(NULL AS BIGINT), CAST(NULL AS STRING), CAST(0 AS {float}), p.path, p.touch_times
FROM open_journeys o LEFT JOIN paths p ON p.person_id = o.person_id AND p.journey = o.journey
WHERE NOT ({open});

CREATE OR REPLACE TABLE omnitouch_conversion_paths AS
SELECT conversion_id, ts_us, conversion_type, value, person_id, path, touch_times
FROM omnitouch_journey_paths WHERE converted;

CREATE OR REPLACE TABLE omnitouch_paths AS
SELECT path,
  {converted} AS conversions,
  sum(CASE WHEN converted THEN value ELSE CAST(0 AS {float}) END) AS value,
  {open_count} AS nulls,
  '' AS conversion_type,
  '' AS segment
FROM omnitouch_journey_paths WHERE path IS NOT NULL
GROUP BY path;
"
    );
    Ok(super::for_dialect(d, &text))
}

/// The `[journeys] transforms` as CTEs `step_1 …` over `step_0` (person_id, journey, place,
/// ts_us, channel), each as [`Transform::apply`] does it to one journey's touches.
fn transform_steps(d: Dialect, transforms: &[Transform]) -> String {
    let journey = "PARTITION BY person_id, journey";
    let mut sql = String::new();
    for (i, t) in transforms.iter().enumerate() {
        let (from, to) = (format!("step_{i}"), format!("step_{}", i + 1));
        let query = match t {
            // Runs of one channel become their last touch (the latest time, closest to the
            // conversion). Touch counts of `frequency` are not kept: no SQL output reads them.
            Transform::Unique | Transform::Frequency => format!(
                "SELECT person_id, journey, place, ts_us, channel FROM (
    SELECT *, lead(channel) OVER ({journey} ORDER BY place) AS next_channel FROM {from}
  ) AS runs WHERE next_channel IS NULL OR next_channel <> channel"
            ),
            Transform::First => format!(
                "SELECT person_id, journey, place, ts_us, channel FROM (
    SELECT *, row_number() OVER ({journey}, channel ORDER BY place) AS seen FROM {from}
  ) AS firsts WHERE seen = 1"
            ),
            // Dropped unless nothing would remain of the path.
            Transform::Remove(names) => {
                let listed = format!(
                    "channel IN ({})",
                    d.lit_list(names.iter().map(String::as_str))
                );
                format!(
                    "SELECT person_id, journey, place, ts_us, channel FROM (
    SELECT *, sum(CASE WHEN {listed} THEN 0 ELSE 1 END) OVER ({journey}) AS others FROM {from}
  ) AS kept WHERE others = 0 OR NOT ({listed})"
                )
            }
            Transform::Trim(n) => format!(
                "SELECT person_id, journey, place, ts_us, channel FROM (
    SELECT *, row_number() OVER ({journey} ORDER BY place DESC) AS from_end FROM {from}
  ) AS trimmed WHERE from_end <= {n}"
            ),
            // Sessions slide: a touch within the gap of the previous touch on its channel
            // (kept or not) belongs to that session.
            Transform::Session(minutes) => format!(
                "SELECT person_id, journey, place, ts_us, channel FROM (
    SELECT *, lag(ts_us) OVER ({journey}, channel ORDER BY place) AS previous FROM {from}
  ) AS sessions WHERE previous IS NULL OR ts_us - previous > {}",
                minutes * 60_000_000
            ),
        };
        sql.push_str(&format!(", {to} AS (\n  {query}\n)"));
    }
    sql
}
