//! People in SQL: the identity graph of the loaded rows, its connected components, and the
//! identity map, under the order-free `isolate_shared` guard (the local engine implements
//! the same rule, so both give the same people).

use super::dialect::Dialect;
use super::touchpoints::junk_test;
use crate::identity::IdentityOptions;

/// Statements that build `omnitouch_kinds`, `omnitouch_row_ids`, `omnitouch_nodes`,
/// `omnitouch_edges`, `omnitouch_shared`, `omnitouch_components` and
/// `omnitouch_identity_map` from the `omnitouch_rows_<n>` tables; `source_kinds` names the
/// identity kinds each source maps.
pub fn statements(
    d: Dialect,
    id_kinds: &[String],
    source_kinds: &[Vec<&String>],
    grouped: &[bool],
    options: &IdentityOptions,
) -> String {
    let kinds: String = id_kinds
        .iter()
        .enumerate()
        .map(|(k, name)| {
            format!(
                "SELECT {k} AS kind_index, {} AS kind, {} AS priority, {} AS max_per_person",
                d.lit(name),
                options.rank[k],
                options.limits[k]
            )
        })
        .collect::<Vec<_>>()
        .join("\nUNION ALL ");
    let mut ids = Vec::new();
    for (i, present) in source_kinds.iter().enumerate() {
        // A merged row still links its identifiers, when it has two or more.
        let linked = match grouped[i] {
            true => "outcome IN ('touch', 'conversion', 'identity') OR (outcome IN ('merged_session', 'merged_conversion') AND id_count >= 2)",
            false => "outcome IN ('touch', 'conversion', 'identity')",
        };
        for kind in present {
            let k = id_kinds.iter().position(|x| x == *kind).unwrap_or_default();
            ids.push(format!(
                "SELECT {i} AS source_index, line, {k} AS kind_index, {} AS value FROM omnitouch_rows_{i} WHERE {linked}",
                d.ident(kind)
            ));
        }
    }
    let ids = if ids.is_empty() {
        "SELECT 0 AS source_index, 0 AS line, 0 AS kind_index, CAST(NULL AS STRING) AS value WHERE false".to_string()
    } else {
        ids.join("\nUNION ALL\n")
    };
    let junk = junk_test(d, &options.junk, "value");
    let mut sql = String::from(
        "-- People: identifiers that share a row are linked (each row's strongest identifier to
-- its others); an identifier linked to more identifiers of a kind than that kind's limit
-- links to nothing (the isolate_shared guard); people are the connected components,
-- numbered by their strongest identifier (kind priority, kind, value).
",
    );
    let tables = [
        (
            "omnitouch_kinds",
            kinds,
        ),
        (
            "omnitouch_row_ids",
            format!("SELECT * FROM (\n{ids}\n) AS ids WHERE value IS NOT NULL AND NOT {junk}"),
        ),
        (
            "omnitouch_nodes",
            "SELECT row_number() OVER (ORDER BY kind_index, value) AS node, kind_index, value
FROM (SELECT DISTINCT kind_index, value FROM omnitouch_row_ids) AS distinct_ids"
                .to_string(),
        ),
        (
            "omnitouch_edges",
            "WITH row_nodes AS (
  SELECT i.source_index, i.line, n.node,
    first_value(n.node) OVER (PARTITION BY i.source_index, i.line ORDER BY k.priority, i.kind_index) AS anchor
  FROM omnitouch_row_ids i
  JOIN omnitouch_nodes n ON n.kind_index = i.kind_index AND n.value = i.value
  JOIN omnitouch_kinds k ON k.kind_index = i.kind_index
)
SELECT DISTINCT least(anchor, node) AS a, greatest(anchor, node) AS b FROM row_nodes WHERE node <> anchor"
                .to_string(),
        ),
        (
            "omnitouch_shared",
            "WITH ends AS (SELECT a AS node, b AS other FROM omnitouch_edges UNION ALL SELECT b, a FROM omnitouch_edges)
SELECT DISTINCT e.node
FROM ends e
JOIN omnitouch_nodes o ON o.node = e.other
JOIN omnitouch_kinds k ON k.kind_index = o.kind_index
GROUP BY e.node, o.kind_index, k.max_per_person
HAVING count(*) > k.max_per_person"
                .to_string(),
        ),
        (
            "omnitouch_links",
            "WITH kept AS (
  SELECT a, b FROM omnitouch_edges
  WHERE a NOT IN (SELECT node FROM omnitouch_shared) AND b NOT IN (SELECT node FROM omnitouch_shared)
)
SELECT a, b FROM kept UNION ALL SELECT b, a FROM kept"
                .to_string(),
        ),
    ];
    for (name, query) in &tables {
        sql.push_str(&d.create(name, query));
    }
    sql.push_str(&components(d));
    sql.push_str(&d.create(
        "omnitouch_identity_map",
        "WITH members AS (
  SELECT c.component, n.node, n.kind_index, n.value, k.kind, k.priority
  FROM omnitouch_components c
  JOIN omnitouch_nodes n ON n.node = c.node
  JOIN omnitouch_kinds k ON k.kind_index = n.kind_index
), strongest AS (
  SELECT component, priority, kind_index, value,
    row_number() OVER (PARTITION BY component ORDER BY priority, kind_index, value) AS place
  FROM members
), people AS (
  SELECT component, row_number() OVER (ORDER BY priority, kind_index, value) - 1 AS person_id
  FROM strongest WHERE place = 1
)
SELECT m.kind, m.value, p.person_id
FROM members m JOIN people p ON p.component = m.component",
    ));
    sql
}

/// `omnitouch_components` (node, component) from the links, each component named by its
/// smallest node.
fn components(d: Dialect) -> String {
    match d {
        // A recursive walk in which a number only moves to larger nodes: the smallest number
        // of a component reaches all of it, and little else travels.
        Dialect::Duckdb => d.create(
            "omnitouch_components",
            "WITH RECURSIVE walk(node, label) AS (
  SELECT node, node FROM omnitouch_nodes
  UNION
  SELECT l.b, w.label FROM walk w JOIN omnitouch_links l ON l.a = w.node WHERE w.label < l.b
)
SELECT node, min(label) AS component FROM walk GROUP BY node",
        ),
        // Recursive queries elsewhere keep duplicates (UNION ALL only), so a loop: each node
        // takes the smallest label among its own and its neighbours', then its label's label
        // (pointer jumping), until no label changes.
        Dialect::Spark | Dialect::Bigquery | Dialect::Snowflake => {
            let step = d.create(
                "omnitouch_labels_next",
                "WITH stepped AS (
  SELECT l.node, least(l.label, coalesce(min(n.label), l.label)) AS label
  FROM omnitouch_labels l
  LEFT JOIN omnitouch_links k ON k.a = l.node
  LEFT JOIN omnitouch_labels n ON n.node = k.b
  GROUP BY l.node, l.label
)
SELECT s.node, least(s.label, j.label) AS label FROM stepped s JOIN stepped j ON j.node = s.label",
            );
            let swap = d.create(
                "omnitouch_labels",
                "SELECT node, label FROM omnitouch_labels_next",
            );
            let changes = "FROM omnitouch_labels_next x JOIN omnitouch_labels l ON l.node = x.node WHERE x.label <> l.label";
            let in_loop = |count: String| format!("{step}    {count}\n    {swap}");
            let looped = match d {
                Dialect::Snowflake => format!(
                    "EXECUTE IMMEDIATE $$\nDECLARE\n  changed INTEGER DEFAULT 1;\nBEGIN\n  WHILE (changed > 0) DO\n    {}  END WHILE;\nEND;\n$$;\n",
                    in_loop(format!("SELECT count(*) INTO :changed {changes};"))
                ),
                _ => format!(
                    "BEGIN\n  DECLARE changed {} DEFAULT 1;\n  WHILE changed > 0 DO\n    {}  END WHILE;\nEND;\n",
                    if d == Dialect::Bigquery { "INT64" } else { "BIGINT" },
                    in_loop(format!("SET changed = (SELECT count(*) {changes});"))
                ),
            };
            format!(
                "{}{looped}{}",
                d.create(
                    "omnitouch_labels",
                    "SELECT node, node AS label FROM omnitouch_nodes"
                ),
                d.create(
                    "omnitouch_components",
                    "SELECT node, label AS component FROM omnitouch_labels"
                ),
            )
        }
    }
}
