//! Stitching options: junk values that never link, per-kind limits, kind priority.

use crate::config::Config;
use crate::error::{Error, Result};
pub use crate::ingest::junk::{JunkFilter, DEFAULT_JUNK, HASHED_JUNK};

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

/// How the per-kind limits keep shared identifiers from fusing people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Links applied strongest first; a merge that would give a person more identifiers of a
    /// kind than its limit is refused. Which of two competing links wins depends on the
    /// order they are seen (input order within a kind priority).
    Limits,
    /// An identifier linked directly to more identifiers of some kind than that kind's limit
    /// (a tablet seen with two user ids) links to nothing and stays a person of its own; the
    /// other links are all applied. Order-free: the same people in any engine.
    IsolateShared,
}

impl Guard {
    /// The guard named in the config.
    pub fn parse(name: &str) -> std::result::Result<Guard, String> {
        match name {
            "limits" => Ok(Guard::Limits),
            "isolate_shared" => Ok(Guard::IsolateShared),
            other => Err(format!(
                "guard: \"{other}\" is not a guard: use limits or isolate_shared"
            )),
        }
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
    /// How the limits apply.
    pub guard: Guard,
    /// Components above this many identifiers are reported.
    pub large_component: usize,
    /// Per kind: names a device or browser.
    pub is_device: Vec<bool>,
    /// Build the identity map (every identifier with its person); only `stitch -o` and
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
        let guard = match &c.guard {
            Some(name) => Guard::parse(name).map_err(err)?,
            None => Guard::Limits,
        };
        Ok(IdentityOptions {
            junk: JunkFilter::from_config(config)?,
            limits,
            rank,
            guard,
            large_component: c.large_component.unwrap_or(50),
            is_device: id_kinds.iter().map(|k| device_kinds.contains(k)).collect(),
            keep_map: true,
        })
    }

    /// No guards at all: nothing is junk, no limits. For measuring what the guards buy.
    pub fn without_guards(mut self) -> IdentityOptions {
        self.junk = JunkFilter::none();
        self.limits = vec![u32::MAX; self.limits.len()];
        self
    }
}
