//! Reading a spec's parameter values, with its defaults and errors that name the model.

use std::collections::BTreeMap;

use super::spec::{base, ModelSpec};
use crate::error::{Error, Result};

/// A spec's parameters with defaults filled in.
pub struct Params {
    model: String,
    values: BTreeMap<String, String>,
}

impl Params {
    pub fn new(spec: &ModelSpec) -> Result<Params> {
        let b = base(&spec.base).ok_or_else(|| Error::Config {
            path: "--model".into(),
            message: format!("\"{}\" is not a base model", spec.base),
        })?;
        let mut values: BTreeMap<String, String> = b
            .params
            .iter()
            .map(|p| (p.name.to_string(), p.default.to_string()))
            .collect();
        values.extend(spec.params.clone());
        Ok(Params {
            model: spec.name.clone(),
            values,
        })
    }

    fn err(&self, name: &str, what: &str) -> Error {
        Error::Config {
            path: "--model".into(),
            message: format!(
                "model \"{}\": {name} = \"{}\" {what}",
                self.model,
                self.text(name)
            ),
        }
    }

    /// The value as text.
    pub fn text(&self, name: &str) -> String {
        self.values.get(name).cloned().unwrap_or_default()
    }

    /// A share between 0 and 1.
    pub fn share(&self, name: &str) -> Result<f64> {
        match self.text(name).trim().parse::<f64>() {
            Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
            _ => Err(self.err(name, "is not a share between 0 and 1")),
        }
    }

    /// A finite number at least 0.
    pub fn non_negative(&self, name: &str) -> Result<f64> {
        match self.text(name).trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
            _ => Err(self.err(name, "is not a number at least 0")),
        }
    }

    /// A whole number in `lo..=hi`.
    pub fn integer(&self, name: &str, lo: i64, hi: i64) -> Result<i64> {
        match self.text(name).trim().parse::<i64>() {
            Ok(x) if (lo..=hi).contains(&x) => Ok(x),
            _ => Err(self.err(name, &format!("is not a whole number from {lo} to {hi}"))),
        }
    }

    /// A positive duration in microseconds: a number of days, or a number with a unit
    /// `s`, `m`, `h`, `d`, `w`.
    pub fn duration_micros(&self, name: &str) -> Result<i64> {
        let text = self.text(name);
        let t = text.trim();
        let (number, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
            Some((i, _)) => (&t[..i], &t[i..]),
            None => (t, "d"),
        };
        let seconds = match unit {
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3_600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            _ => return Err(self.err(name, "has an unknown unit (use s, m, h, d or w)")),
        };
        match number.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 && x * seconds < 1e12 => {
                Ok((x * seconds * 1e6).round() as i64)
            }
            _ => Err(self.err(name, "is not a positive duration such as 7d or 12h")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(base: &str, pairs: &[(&str, &str)]) -> Params {
        Params::new(&ModelSpec {
            name: "m".into(),
            base: base.into(),
            params: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            description: String::new(),
            origin: String::new(),
        })
        .expect("base exists")
    }

    #[test]
    fn durations_take_units_and_default_to_days() {
        let d = |v: &str| params("time_decay", &[("half_life", v)]).duration_micros("half_life");
        assert_eq!(d("7d").ok(), Some(7 * 86_400_000_000));
        assert_eq!(d("7").ok(), Some(7 * 86_400_000_000));
        assert_eq!(d("12h").ok(), Some(12 * 3_600_000_000));
        assert_eq!(d("90m").ok(), Some(90 * 60_000_000));
        assert_eq!(d("1w").ok(), Some(7 * 86_400_000_000));
        for bad in ["0d", "-1d", "7y", "d", "", "nan"] {
            assert!(d(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_fill_in_and_bad_values_name_the_model() {
        let p = params("position_based", &[("first", "0.3")]);
        assert_eq!(p.share("first").ok(), Some(0.3));
        assert_eq!(p.share("last").ok(), Some(0.4));
        let e = params("markov", &[("order", "9")])
            .integer("order", 1, 6)
            .expect_err("too high")
            .to_string();
        assert!(
            e.contains("\"m\"") && e.contains("order") && e.contains("9"),
            "{e}"
        );
    }
}
