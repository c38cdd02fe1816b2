//! `--fail-on` thresholds: a run that trips one exits with code 3 and says which.

use std::collections::BTreeMap;

/// Unit of a threshold's limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// Percent of the metric's base (`1%`).
    Percent,
    /// Percentage points (`5pp`), for share shifts.
    Points,
    /// A plain count (`25`).
    Count,
}

/// One threshold, `metric>limit` or `metric>limit%`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub metric: String,
    pub limit: f64,
    pub unit: Unit,
}

/// Metrics a threshold can name, with what their percentage is of.
pub const METRICS: [(&str, &str); 5] = [
    ("rejected_rows", "rows read"),
    (
        "share_shift",
        "points of share, latest period against the previous (--compare-previous)",
    ),
    ("unassigned", "touches"),
    ("unattributed", "conversions in the data"),
    ("rows_without_person", "touch and conversion rows"),
];

impl std::str::FromStr for Threshold {
    type Err = String;

    fn from_str(spec: &str) -> Result<Threshold, String> {
        let bad = || {
            format!(
                "\"{spec}\" is not a threshold: write METRIC>LIMIT or METRIC>LIMIT% with METRIC one of {}",
                METRICS.map(|m| m.0).join(", ")
            )
        };
        let (metric, limit) = spec.split_once('>').ok_or_else(bad)?;
        let metric = metric.trim();
        if !METRICS.iter().any(|(m, _)| *m == metric) {
            return Err(bad());
        }
        let limit = limit.trim();
        let (number, unit) = if let Some(n) = limit.strip_suffix("pp") {
            (n, Unit::Points)
        } else if let Some(n) = limit.strip_suffix('%') {
            (n, Unit::Percent)
        } else {
            (limit, Unit::Count)
        };
        let limit: f64 = number.trim().parse().map_err(|_| bad())?;
        if !limit.is_finite() || limit < 0.0 {
            return Err(bad());
        }
        // A share shift is in points; the other metrics are counts or percentages.
        let unit = match (metric == "share_shift", unit) {
            (true, Unit::Percent) => {
                return Err(format!(
                    "\"{spec}\": share_shift is measured in percentage points: write share_shift>{number}pp"
                ))
            }
            (true, _) => Unit::Points,
            (false, Unit::Points) => {
                return Err(format!(
                    "\"{spec}\": only share_shift takes pp; write {metric}>{number}% or a count"
                ))
            }
            (false, u) => u,
        };
        Ok(Threshold {
            metric: metric.to_string(),
            limit,
            unit,
        })
    }
}

/// A metric's count and the base its percentage is taken of.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measure {
    pub count: f64,
    pub base: f64,
}

impl Measure {
    fn percent(&self) -> f64 {
        if self.base > 0.0 {
            100.0 * self.count / self.base
        } else {
            0.0
        }
    }
}

/// The thresholds that trip, each as a sentence.
pub fn tripped(thresholds: &[Threshold], measures: &BTreeMap<String, Measure>) -> Vec<String> {
    thresholds
        .iter()
        .filter_map(|t| {
            let m = measures.get(&t.metric).copied().unwrap_or_default();
            let of = METRICS
                .iter()
                .find(|(name, _)| *name == t.metric)
                .map_or("", |(_, of)| of);
            let (value, shown, limit) = match t.unit {
                Unit::Percent => (
                    m.percent(),
                    format!("{:.2}% ({} of {} {of})", m.percent(), m.count, m.base),
                    format!("{}%", t.limit),
                ),
                // Points are stored as the count.
                Unit::Points => (
                    m.count,
                    format!("{:.1} pp", m.count),
                    format!("{} pp", t.limit),
                ),
                Unit::Count => (
                    m.count,
                    format!("{} (of {} {of})", m.count, m.base),
                    format!("{}", t.limit),
                ),
            };
            (value > t.limit).then(|| format!("{} is {shown}, over the limit {limit}", t.metric))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_trips() {
        let t: Threshold = "rejected_rows>1%".parse().expect("parses");
        assert_eq!((t.limit, t.unit), (1.0, Unit::Percent));
        let c: Threshold = "unassigned > 25".parse().expect("parses");
        assert_eq!((c.limit, c.unit), (25.0, Unit::Count));
        let s: Threshold = "share_shift>5".parse().expect("parses");
        assert_eq!((s.limit, s.unit), (5.0, Unit::Points));
        for bad in [
            "rejected_rows<1%",
            "rows>1%",
            "rejected_rows>x",
            "rejected_rows>-1",
            "unassigned",
            "share_shift>5%",
            "unassigned>5pp",
        ] {
            assert!(bad.parse::<Threshold>().is_err(), "{bad}");
        }
        let mut m = BTreeMap::new();
        m.insert(
            "rejected_rows".to_string(),
            Measure {
                count: 3.0,
                base: 100.0,
            },
        );
        assert_eq!(
            tripped(std::slice::from_ref(&t), &m),
            ["rejected_rows is 3.00% (3 of 100 rows read), over the limit 1%"]
        );
        let loose: Threshold = "rejected_rows>5%".parse().expect("parses");
        assert!(tripped(&[loose], &m).is_empty());
        // Exactly at the limit does not trip.
        let at: Threshold = "rejected_rows>3".parse().expect("parses");
        assert!(tripped(&[at], &m).is_empty());
    }
}
