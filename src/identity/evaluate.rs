//! Stitching quality against a truth file: pairwise precision and recall.

use std::collections::HashMap;
use std::path::Path;

use super::IdentityMap;
use crate::error::Result;

/// Pairwise scores over the identifiers present in both the map and the truth.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PairScore {
    /// Of the identifier pairs put in one person, the share that truly are one person.
    pub precision: f64,
    /// Of the identifier pairs that truly are one person, the share put in one person.
    pub recall: f64,
    /// Identifiers compared.
    pub identifiers: u64,
    /// Truth identifiers belonging to several people (shared devices), left out.
    pub ambiguous: u64,
}

/// Reads a truth file with columns kind, value, person_id (as `generate` writes it).
pub fn read_truth(path: &Path) -> Result<Vec<(String, String, u32)>> {
    super::read_map(path)
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Scores `map` against `truth`.
pub fn evaluate(map: &IdentityMap, truth: &[(String, String, u32)]) -> PairScore {
    let mut true_person: HashMap<(&str, &str), Option<u32>> = HashMap::new();
    for (kind, value, person) in truth {
        true_person
            .entry((kind.as_str(), value.as_str()))
            .and_modify(|p| {
                if *p != Some(*person) {
                    *p = None;
                }
            })
            .or_insert(Some(*person));
    }
    let ambiguous = true_person.values().filter(|p| p.is_none()).count() as u64;
    let mut both: HashMap<(u32, u32), u64> = HashMap::new();
    let mut predicted: HashMap<u32, u64> = HashMap::new();
    let mut actual: HashMap<u32, u64> = HashMap::new();
    let mut identifiers = 0;
    for e in &map.entries {
        let key = (map.kinds[e.kind as usize].as_str(), e.value.as_str());
        if let Some(Some(t)) = true_person.get(&key) {
            identifiers += 1;
            *both.entry((e.person, *t)).or_default() += 1;
            *predicted.entry(e.person).or_default() += 1;
            *actual.entry(*t).or_default() += 1;
        }
    }
    let same_both: u64 = both.values().map(|n| pairs(*n)).sum();
    let same_predicted: u64 = predicted.values().map(|n| pairs(*n)).sum();
    let same_actual: u64 = actual.values().map(|n| pairs(*n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    PairScore {
        precision: ratio(same_both, same_predicted),
        recall: ratio(same_both, same_actual),
        identifiers,
        ambiguous,
    }
}

#[cfg(test)]
mod tests {
    use super::super::MapEntry;
    use super::*;

    fn map(entries: &[(&str, u32)]) -> IdentityMap {
        IdentityMap {
            kinds: vec!["cookie_id".into()],
            entries: entries
                .iter()
                .map(|(v, p)| MapEntry {
                    kind: 0,
                    value: v.to_string(),
                    person: *p,
                })
                .collect(),
        }
    }

    fn truth(entries: &[(&str, u32)]) -> Vec<(String, String, u32)> {
        entries
            .iter()
            .map(|(v, p)| ("cookie_id".to_string(), v.to_string(), *p))
            .collect()
    }

    #[test]
    fn perfect_split_and_merge_scores() {
        let t = truth(&[("a", 1), ("b", 1), ("c", 2), ("d", 2)]);
        let exact = evaluate(&map(&[("a", 0), ("b", 0), ("c", 1), ("d", 1)]), &t);
        assert_eq!((exact.precision, exact.recall), (1.0, 1.0));
        // Everything in one person: 2 true pairs out of 6 predicted.
        let fused = evaluate(&map(&[("a", 0), ("b", 0), ("c", 0), ("d", 0)]), &t);
        assert_eq!((fused.precision, fused.recall), (2.0 / 6.0, 1.0));
        // Nothing linked: precision is vacuous, recall 0.
        let split = evaluate(&map(&[("a", 0), ("b", 1), ("c", 2), ("d", 3)]), &t);
        assert_eq!((split.precision, split.recall), (1.0, 0.0));
    }

    #[test]
    fn ambiguous_truth_identifiers_are_left_out() {
        let t = truth(&[("a", 1), ("b", 1), ("tablet", 1), ("tablet", 2)]);
        let s = evaluate(&map(&[("a", 0), ("b", 0), ("tablet", 0)]), &t);
        assert_eq!((s.identifiers, s.ambiguous), (2, 1));
        assert_eq!(s.precision, 1.0);
    }
}
