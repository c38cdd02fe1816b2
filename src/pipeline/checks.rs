//! What quietly spoils a result: a run can load, stitch and attribute without an error and
//! still be wrong. These checks find the usual causes in what a run has already computed, and
//! `validate`, `run` and the other commands print them as warnings (`--strict` fails on them).

use crate::config::Config;
use crate::ingest::{Accounting, RejectReason, Touchpoints};
use crate::journey::JourneyStats;

/// A source with more than this share of its rows rejected is probably mapped wrongly.
pub const MOST_ROWS_REJECTED: f64 = 0.5;

/// More than this share of conversions without a touch in their window (or without a person)
/// usually means identifiers that do not link.
pub const MANY_UNATTRIBUTED: f64 = 0.2;

/// One warning, said in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning(pub String);

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sources that rejected more than half of their rows.
pub fn rejected_sources(accounting: &Accounting) -> Vec<Warning> {
    accounting
        .sources
        .iter()
        .filter(|s| {
            s.rows_read > 0 && s.rejected_total() as f64 > MOST_ROWS_REJECTED * s.rows_read as f64
        })
        .map(|s| {
            let (reason, n) = s
                .rejected
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(r, n)| (r.name(), *n))
                .unwrap_or(("", 0));
            Warning(format!(
                "source \"{}\": {} of {} rows rejected ({:.0}%), {n} of them as {reason}: check its mapping (validate --rejects FILE lists every one)",
                s.source,
                s.rejected_total(),
                s.rows_read,
                100.0 * s.rejected_total() as f64 / s.rows_read as f64
            ))
        })
        .collect()
}

/// Sources with rows that are not valid UTF-8: the file is most likely in another encoding,
/// and every row with an accented letter is lost.
pub fn not_utf8(accounting: &Accounting) -> Vec<Warning> {
    accounting
        .sources
        .iter()
        .filter_map(|s| {
            let n = *s.rejected.get(&RejectReason::InvalidEncoding)?;
            Some(Warning(format!(
                "source \"{}\": {n} rows are not valid UTF-8: if the file is in another encoding, set csv = {{ encoding = \"windows-1252\" }} (or its encoding)",
                s.source
            )))
        })
        .collect()
}

/// More than a fifth of the conversions unattributed (no touch in the window, or no person).
pub fn unattributed(stats: &JourneyStats, conversions_in: u64) -> Vec<Warning> {
    let missing = stats.unattributed + stats.conversions_without_person;
    if conversions_in == 0 || (missing as f64) <= MANY_UNATTRIBUTED * conversions_in as f64 {
        return Vec::new();
    }
    vec![Warning(format!(
        "{missing} of {conversions_in} conversions ({:.0}%) have no touch in their lookback window: are the identifiers of touches and conversions the same people's (see `omnitouch stitch`), and is the lookback long enough?",
        100.0 * missing as f64 / conversions_in as f64
    ))]
}

/// Identifier kinds whose values differ from one another only in case or surrounding spaces
/// (`Person0@Example.com`, `person0@example.com`), so that they do not link, although a
/// normalisation would make them. Kinds normalised beyond trimming, and hashed identifiers,
/// are not checked. No value is shown: identifiers are personal data.
pub fn would_link_if_normalised(config: &Config, t: &Touchpoints) -> Vec<Warning> {
    if config.settings.hash_identifiers {
        return Vec::new();
    }
    let mut warnings = Vec::new();
    for (k, kind) in t.id_kinds.iter().enumerate() {
        let rule = config
            .identity
            .normalize
            .get(kind)
            .map(String::as_str)
            .unwrap_or(match kind.as_str() {
                "email_sha256" | "phone_sha256" => kind.as_str(),
                _ => "trim",
            });
        // Device and browser ids are machine-made and case-sensitive (a GA cookie's capitals
        // are part of it): only ids people type are checked. Their values are also most of
        // the identifiers, so the check stays cheap.
        let device_kinds = config
            .identity
            .device_kinds
            .clone()
            .unwrap_or_else(|| vec!["device_id".into(), "cookie_id".into()]);
        if rule != "trim" || device_kinds.contains(kind) {
            continue;
        }
        let clashing = clashing_values(|f| for_each_value(t, k, kind, f));
        if clashing > 0 {
            let mut emails = kind.contains("email");
            for_each_value(t, k, kind, &mut |v| emails |= v.contains('@'));
            let fix = if emails { "email" } else { "lowercase" };
            warnings.push(Warning(format!(
                "{clashing} values of {kind} differ from another only in case or spaces, so they do not link: set [identity] normalize = {{ {kind} = \"{fix}\" }}"
            )));
        }
    }
    warnings
}

/// How many of the distinct values `each` visits equal another one but for case or
/// surrounding spaces. Values are compared by a 64-bit hash of their folded form (trimmed,
/// lowercased), computed without a copy: two passes over a million cookies, no allocation
/// each (a map of folded Strings cost 0.2 s a run at 1M rows, most cookies holding capitals).
fn clashing_values(each: impl Fn(&mut dyn FnMut(&str))) -> u32 {
    let folds = |v: &str| v.bytes().any(|b| b.is_ascii_uppercase() || b == b' ') || !v.is_ascii();
    let mut folded: rustc_hash::FxHashMap<u64, u32> = Default::default();
    each(&mut |v| {
        if folds(v) {
            *folded.entry(folded_hash(v)).or_default() += 1;
        }
    });
    if folded.is_empty() {
        return 0;
    }
    each(&mut |v| {
        if !folds(v) {
            if let Some(n) = folded.get_mut(&folded_hash(v)) {
                *n += 1;
            }
        }
    });
    folded.values().filter(|n| **n > 1).sum()
}

/// A hash of `v` trimmed and lowercased.
fn folded_hash(v: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    let v = v.trim();
    if v.is_ascii() {
        for b in v.bytes() {
            h.write_u32(u32::from(b.to_ascii_lowercase()));
        }
    } else {
        for c in v.chars().flat_map(char::to_lowercase) {
            h.write_u32(u32::from(c));
        }
    }
    h.finish()
}

/// Calls `f` with each distinct value of identifier kind `k`: interned, or in the frame.
fn for_each_value(t: &Touchpoints, k: usize, kind: &str, f: &mut dyn FnMut(&str)) {
    if let Some(ids) = &t.ids {
        if let Some(texts) = ids.values.get(k) {
            texts.iter().for_each(f);
        }
        return;
    }
    let mut seen = std::collections::HashSet::new();
    for frame in [&t.frame, &t.links] {
        if let Ok(column) = frame.column(kind).and_then(|c| c.str().cloned()) {
            for v in column.iter().flatten() {
                if seen.insert(v.to_string()) {
                    f(v);
                }
            }
        }
    }
}

/// Every warning about loaded data and the journeys built from it.
pub fn data_warnings(
    config: &Config,
    t: &Touchpoints,
    journeys: Option<(&JourneyStats, u64)>,
) -> Vec<Warning> {
    let mut warnings = rejected_sources(&t.accounting);
    warnings.extend(not_utf8(&t.accounting));
    warnings.extend(would_link_if_normalised(config, t));
    if let Some((stats, conversions_in)) = journeys {
        warnings.extend(unattributed(stats, conversions_in));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::SourceAccount;

    #[test]
    fn values_that_differ_only_in_case_or_spaces_are_counted() {
        let values = [
            "Person0@Example.com",
            "person0@example.com",
            " person0@example.com",
            "a",
            "B",
            "b",
            "c",
        ];
        let count = |values: &[&str]| clashing_values(|f| values.iter().for_each(|v| f(v)));
        // The three spellings of person0 and the two of b.
        assert_eq!(count(&values), 5);
        assert_eq!(count(&["a", "b"]), 0);
    }

    #[test]
    fn a_source_is_flagged_above_half_its_rows_rejected() {
        let mut a = SourceAccount {
            source: "calls".into(),
            rows_read: 10,
            ..SourceAccount::default()
        };
        a.rejected
            .insert(crate::ingest::RejectReason::InvalidEncoding, 5);
        let at_half = Accounting {
            sources: vec![a.clone()],
        };
        assert!(rejected_sources(&at_half).is_empty(), "half is not most");
        a.rejected
            .insert(crate::ingest::RejectReason::BadTimestamp, 1);
        let most = Accounting { sources: vec![a] };
        assert_eq!(
            rejected_sources(&most),
            [Warning("source \"calls\": 6 of 10 rows rejected (60%), 5 of them as invalid_encoding: check its mapping (validate --rejects FILE lists every one)".into())]
        );
    }

    #[test]
    fn unattributed_conversions_are_flagged_above_a_fifth() {
        let stats = |unattributed, without_person| JourneyStats {
            unattributed,
            conversions_without_person: without_person,
            ..JourneyStats::default()
        };
        assert!(unattributed(&stats(1, 1), 10).is_empty());
        assert_eq!(unattributed(&stats(2, 1), 10).len(), 1);
        assert!(unattributed(&stats(0, 0), 0).is_empty());
    }
}
