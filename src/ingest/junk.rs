//! Identifier values that are not identifiers ("0", "undefined", the nil UUID): recognised
//! at ingest (so hashing keeps them recognisable) and never linked by the identity stage.

use regex::{Regex, RegexBuilder};

use crate::config::Config;
use crate::error::{Error, Result};

/// Values that never link by default (compared after trimming, case-insensitively).
pub const DEFAULT_JUNK: [&str; 12] = [
    "",
    "0",
    "-1",
    "null",
    "nil",
    "none",
    "undefined",
    "unknown",
    "anonymous",
    "nan",
    "n/a",
    "(not set)",
];

/// Decides which identifier values are junk.
#[derive(Debug, Clone)]
pub struct JunkFilter {
    values: Vec<String>,
    patterns: Vec<Regex>,
    defaults: bool,
}

/// What a junk identifier becomes when identifiers are hashed at ingest: not a hex digest,
/// so it cannot collide with one, and always junk.
pub const HASHED_JUNK: &str = "(junk)";

impl JunkFilter {
    /// The config's junk values and patterns (`[identity]`).
    pub fn from_config(config: &Config) -> Result<JunkFilter> {
        let c = &config.identity;
        let patterns = c
            .junk_patterns
            .iter()
            .map(|p| {
                RegexBuilder::new(p)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| Error::Config {
                        path: config.path.clone(),
                        message: format!("identity: junk_patterns: {e}"),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(JunkFilter {
            values: c.junk_values.clone(),
            patterns,
            defaults: c.default_junk.unwrap_or(true),
        })
    }

    /// What the filter holds, for rewriting it elsewhere (the warehouse scripts): whether the
    /// defaults apply, the extra values, the patterns (case-insensitive).
    pub fn parts(&self) -> (bool, &[String], Vec<&str>) {
        (
            self.defaults,
            &self.values,
            self.patterns.iter().map(Regex::as_str).collect(),
        )
    }

    /// A filter that finds nothing junk, not even the defaults.
    pub fn none() -> JunkFilter {
        JunkFilter {
            values: Vec::new(),
            patterns: Vec::new(),
            defaults: false,
        }
    }

    /// True when `value` must never link (and is treated as absent).
    pub fn is_junk(&self, value: &str) -> bool {
        let v = value.trim();
        if v == HASHED_JUNK {
            return true;
        }
        if self.defaults {
            // No lowercase copy: this runs for every identifier cell.
            if DEFAULT_JUNK.iter().any(|j| j.eq_ignore_ascii_case(v)) {
                return true;
            }
            // All zeros, all dashes, or a mix (the nil UUID): never a real identifier.
            if v.chars().all(|c| c == '0' || c == '-') {
                return true;
            }
        }
        self.values.iter().any(|j| j.eq_ignore_ascii_case(v))
            || self.patterns.iter().any(|p| p.is_match(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> JunkFilter {
        JunkFilter {
            values: vec!["test-user".into()],
            patterns: vec![Regex::new("^guest_").expect("regex")],
            defaults: true,
        }
    }

    #[test]
    fn default_junk_values_never_link() {
        let f = filter();
        for junk in [
            "",
            " ",
            "0",
            "-1",
            "NULL",
            "None",
            "undefined",
            "Unknown",
            "anonymous",
            "0000",
            "---",
            "00000000-0000-0000-0000-000000000000",
            "N/A",
            "test-user",
            "guest_17",
        ] {
            assert!(f.is_junk(junk), "{junk:?} should be junk");
        }
        for real in ["u1", "GA1.2.3.4", "10", "a0", "0-1x"] {
            assert!(!f.is_junk(real), "{real:?} is a real identifier");
        }
    }

    #[test]
    fn defaults_can_be_switched_off() {
        let f = JunkFilter {
            values: Vec::new(),
            patterns: Vec::new(),
            defaults: false,
        };
        assert!(!f.is_junk("0"));
    }
}
