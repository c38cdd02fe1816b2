//! Stitching options: junk values that never link, per-kind limits, kind priority.

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

/// Default kind priority, strongest first.
pub const DEFAULT_PRIORITY: [&str; 7] = [
    "user_id",
    "customer_id",
    "email_sha256",
    "phone_sha256",
    "loyalty_id",
    "device_id",
    "cookie_id",
];

/// Default per-person limits.
pub const DEFAULT_LIMITS: [(&str, u32); 7] = [
    ("user_id", 1),
    ("customer_id", 1),
    ("email_sha256", 3),
    ("phone_sha256", 3),
    ("loyalty_id", 2),
    ("device_id", 5),
    ("cookie_id", 50),
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

/// Everything stitching needs to know, resolved against the kinds of one load.
#[derive(Debug, Clone)]
pub struct IdentityOptions {
    /// Junk values.
    pub junk: JunkFilter,
    /// Per kind (aligned with the load's `id_kinds`): most identifiers per person.
    pub limits: Vec<u32>,
    /// Per kind: priority rank, 0 strongest.
    pub rank: Vec<u8>,
    /// Components above this many identifiers are reported.
    pub large_component: usize,
    /// Per kind: names a device or browser.
    pub is_device: Vec<bool>,
    /// Build the identity map (every identifier with its person); only `stitch --out` and
    /// `--truth` read it.
    pub keep_map: bool,
}

impl IdentityOptions {
    /// Resolves the config's `[identity]` section for the kinds `id_kinds`.
    pub fn from_config(config: &Config, id_kinds: &[String]) -> Result<IdentityOptions> {
        let err = |message: String| Error::Config {
            path: config.path.clone(),
            message: format!("identity: {message}"),
        };
        let c = &config.identity;
        let known = config.id_kinds();
        for kind in c
            .limits
            .keys()
            .chain(c.priority.iter().flatten())
            .chain(c.device_kinds.iter().flatten())
        {
            if !known.contains(kind) {
                return Err(err(format!("unknown identity kind \"{kind}\"")));
            }
        }
        if let Some(0) = c.large_component {
            return Err(err("large_component must be at least 1".into()));
        }
        let priority: Vec<String> = match &c.priority {
            Some(p) => p.clone(),
            None => DEFAULT_PRIORITY.iter().map(|s| s.to_string()).collect(),
        };
        let mut order: Vec<&String> = priority.iter().collect();
        for k in &known {
            if !order.contains(&k) {
                order.push(k);
            }
        }
        let rank = id_kinds
            .iter()
            .map(|k| order.iter().position(|o| *o == k).unwrap_or(order.len()) as u8)
            .collect();
        let limits = id_kinds
            .iter()
            .map(|k| {
                c.limits.get(k).copied().unwrap_or_else(|| {
                    DEFAULT_LIMITS
                        .iter()
                        .find(|(n, _)| n == k)
                        .map_or(u32::MAX, |(_, l)| *l)
                })
            })
            .collect();
        let device_kinds = c
            .device_kinds
            .clone()
            .unwrap_or_else(|| vec!["device_id".into(), "cookie_id".into()]);
        Ok(IdentityOptions {
            junk: JunkFilter::from_config(config)?,
            limits,
            rank,
            large_component: c.large_component.unwrap_or(50),
            is_device: id_kinds.iter().map(|k| device_kinds.contains(k)).collect(),
            keep_map: true,
        })
    }

    /// No guards at all: nothing is junk, no limits. For measuring what the guards buy.
    pub fn without_guards(mut self) -> IdentityOptions {
        self.junk = JunkFilter {
            values: Vec::new(),
            patterns: Vec::new(),
            defaults: false,
        };
        self.limits = vec![u32::MAX; self.limits.len()];
        self
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
