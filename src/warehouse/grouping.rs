//! Rows that are one thing counted once, in SQL, by the local engine's rules
//! ([`crate::ingest`]'s grouping, docs/config.md): the touch rows of one source with the same
//! session key make one touch, the session's first usable row (earliest time, then input
//! order); the conversion rows of one conversion id, across sources, make one conversion, the
//! earliest usable row of the source first in `[conversions] source_priority` (then config
//! order), valued by that row, or with `line_items = "sum"` by the sum over that source's
//! usable rows of the id. Every other row of a group with a usable row is merged.

use super::dialect::Dialect;
use super::touchpoints::SourceRows;
use crate::config::{Config, LineItems};

/// Statements that build `omnitouch_decisions` (source_index, line, decision, summed) from
/// the `omnitouch_ungrouped_<n>` tables of the grouped sources, then their `omnitouch_rows_<n>`.
pub fn statements(d: Dialect, config: &Config, sources: &[SourceRows]) -> String {
    let priority = &config.conversions.source_priority;
    let grouped: Vec<usize> = (0..sources.len()).filter(|&i| sources[i].grouped).collect();
    if grouped.is_empty() {
        return String::new();
    }
    let rank = |i: usize| {
        let name = config.sources[i].name.get_ref();
        priority
            .iter()
            .position(|n| n == name)
            .unwrap_or(priority.len() + i)
    };
    let rows: Vec<String> = grouped
        .iter()
        .map(|&i| {
            format!(
                "SELECT {i} AS source_index, line, row_kind, group_key, ts, value, usable, {} AS source_rank FROM omnitouch_ungrouped_{i} WHERE group_key IS NOT NULL",
                rank(i)
            )
        })
        .collect();
    let summing: Vec<String> = grouped
        .iter()
        .filter(|&&i| config.sources[i].line_items == Some(LineItems::Sum))
        .map(|i| i.to_string())
        .collect();
    let summed = if summing.is_empty() {
        format!("CAST(NULL AS {})", d.float())
    } else {
        format!(
            "CASE WHEN p.row_kind = 'conversion' AND p.source_index = k.kept_source AND p.line = k.kept_line AND p.source_index IN ({}) THEN s.total END",
            summing.join(", ")
        )
    };
    let mut sql = String::from(
        "-- Sessions and conversion ids: one touch per session key, one conversion per id; the
-- other rows of a group with a usable row are merged (their identifiers still link).
",
    );
    sql.push_str(&d.create(
        "omnitouch_decisions",
        &format!(
            "WITH grouped AS (
{}
), keyed AS (
  SELECT *, CASE WHEN row_kind = 'touch' THEN CAST(source_index AS STRING) || ':' || group_key ELSE group_key END AS grp
  FROM grouped
), placed AS (
  SELECT *,
    row_number() OVER (PARTITION BY row_kind, grp ORDER BY CASE WHEN usable THEN 0 ELSE 1 END, source_rank, ts, source_index, line) AS place,
    sum(CASE WHEN usable THEN 1 ELSE 0 END) OVER (PARTITION BY row_kind, grp) AS usable_rows
  FROM keyed
), kept AS (
  SELECT row_kind, grp, source_index AS kept_source, line AS kept_line
  FROM placed WHERE place = 1 AND usable_rows > 0
), sums AS (
  SELECT p.row_kind, p.grp, sum(p.value) AS total
  FROM placed p JOIN kept k ON k.row_kind = p.row_kind AND k.grp = p.grp
  WHERE p.usable AND p.source_index = k.kept_source
  GROUP BY p.row_kind, p.grp
)
SELECT p.source_index, p.line,
  CASE WHEN p.source_index = k.kept_source AND p.line = k.kept_line THEN NULL
    WHEN p.row_kind = 'touch' THEN 'merged_session' ELSE 'merged_conversion' END AS decision,
  {summed} AS summed
FROM placed p
JOIN kept k ON k.row_kind = p.row_kind AND k.grp = p.grp
LEFT JOIN sums s ON s.row_kind = p.row_kind AND s.grp = p.grp",
            rows.join("\nUNION ALL\n")
        ),
    ));
    for &i in &grouped {
        let columns: Vec<String> = sources[i]
            .columns
            .iter()
            .map(|c| format!("r.{c}"))
            .collect();
        sql.push_str(&d.create(
            &format!("omnitouch_rows_{i}"),
            &format!(
                "SELECT {},
  CASE WHEN g.decision IS NOT NULL THEN g.decision ELSE r.outcome END AS outcome,
  CASE WHEN g.summed IS NOT NULL THEN g.summed ELSE r.value END AS value
FROM omnitouch_ungrouped_{i} r
LEFT JOIN omnitouch_decisions g ON g.source_index = {i} AND g.line = r.line",
                columns.join(", ")
            ),
        ));
    }
    sql
}
