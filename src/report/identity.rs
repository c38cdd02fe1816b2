//! Tables of the stitching statistics.

use super::table::{self, percent, right, Cell, View};
use crate::identity::{PairScore, StitchStats};

/// The headline figures of stitching.
pub fn stitch_table(s: &StitchStats) -> View {
    let mut t = table::new(&["stitching", "value"]);
    let people = s.people as f64;
    let mut rows: Vec<(String, String)> = vec![
        ("people".into(), s.people.to_string()),
        ("identifiers".into(), s.identifiers.to_string()),
        ("links between identifiers".into(), s.links.to_string()),
        (
            "people on more than one device".into(),
            format!(
                "{} ({})",
                s.multi_device_people,
                percent(s.multi_device_people as f64, people)
            ),
        ),
        (
            "people in more than one source".into(),
            format!(
                "{} ({})",
                s.multi_source_people,
                percent(s.multi_source_people as f64, people)
            ),
        ),
        (
            "most identifiers of one person".into(),
            s.max_identifiers.to_string(),
        ),
        (
            "rows without a person".into(),
            s.rows_without_person.to_string(),
        ),
        ("identity-map conflicts".into(), s.map_conflicts.to_string()),
    ];
    for (kind, n) in &s.map_unknown_kinds {
        rows.push((
            format!("identity-map entries of unknown kind \"{kind}\" (ignored)"),
            n.to_string(),
        ));
    }
    rows.extend([(
        "components above the size threshold".into(),
        s.large_component_count.to_string(),
    )]);
    for (k, v) in rows {
        t.add_row(vec![Cell::new(k), right(v)]);
    }
    t
}

/// People per number of identifiers.
pub fn identifiers_table(s: &StitchStats) -> View {
    let mut t = table::new(&["identifiers per person", "people", "share"]);
    let mut rows: Vec<(&String, &u64)> = s.identifiers_per_person.iter().collect();
    // Buckets sort numerically: 1, 2, 3, 4, 5-9, 10+.
    rows.sort_by_key(|(k, _)| {
        k.split(['-', '+'])
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(u32::MAX)
    });
    for (k, n) in rows {
        t.add_row(vec![
            Cell::new(k),
            right(n),
            right(percent(*n as f64, s.people as f64)),
        ]);
    }
    t
}

/// Junk values and refused links per kind, when there are any.
pub fn guards_table(s: &StitchStats) -> Option<View> {
    if s.junk_values.is_empty() && s.refused.is_empty() {
        return None;
    }
    let mut t = table::new(&[
        "identity kind",
        "junk values ignored",
        "links refused (limit)",
    ]);
    let kinds: std::collections::BTreeSet<&String> =
        s.junk_values.keys().chain(s.refused.keys()).collect();
    for k in kinds {
        t.add_row(vec![
            Cell::new(k),
            right(s.junk_values.get(k).copied().unwrap_or(0)),
            right(s.refused.get(k).copied().unwrap_or(0)),
        ]);
    }
    Some(t)
}

/// The largest components above the threshold (no identifier values: counts only).
pub fn large_components_table(s: &StitchStats) -> Option<View> {
    if s.large_components.is_empty() {
        return None;
    }
    let mut t = table::new(&["person", "identifiers", "per kind"]);
    for c in &s.large_components {
        let kinds: Vec<String> = c.per_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
        t.add_row(vec![
            right(c.person),
            right(c.identifiers),
            Cell::new(kinds.join(", ")),
        ]);
    }
    Some(t)
}

/// Precision and recall against a truth file.
pub fn score_line(score: &PairScore) -> String {
    format!(
        "against the truth file: pairwise precision {:.4}, recall {:.4} over {} identifiers ({} shared identifiers left out)",
        score.precision, score.recall, score.identifiers, score.ambiguous
    )
}
