//! How long journeys take: time from first touch to conversion, in buckets.

use super::Journeys;

/// Buckets of time from first touch to conversion, with the conversions in each, and the
/// sorted times in hours (for quantiles).
pub fn time_to_conversion(j: &Journeys) -> (Vec<(&'static str, usize)>, Vec<f64>) {
    const HOUR: f64 = 3_600_000_000.0;
    let buckets: [(&str, f64); 7] = [
        ("< 1 hour", 1.0),
        ("1 – 24 hours", 24.0),
        ("1 – 3 days", 72.0),
        ("3 – 7 days", 168.0),
        ("7 – 14 days", 336.0),
        ("14 – 30 days", 720.0),
        ("30 days +", f64::INFINITY),
    ];
    let mut hours: Vec<f64> = j
        .journeys
        .iter()
        .filter_map(|jn| {
            let c = jn.conversion.as_ref()?;
            let first = jn.touches.first()?;
            (!jn.unattributed).then(|| (c.ts - first.ts) as f64 / HOUR)
        })
        .collect();
    hours.sort_by(f64::total_cmp);
    let mut lower = f64::NEG_INFINITY;
    let counts = buckets
        .iter()
        .map(|(label, upper)| {
            let n = hours
                .iter()
                .filter(|h| **h >= lower && **h < *upper)
                .count();
            lower = *upper;
            (*label, n)
        })
        .collect();
    (counts, hours)
}
