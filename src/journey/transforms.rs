//! Path transforms, chainable in the order given (as fractribution and Snowplow offer).

use std::collections::HashMap;

/// One touch of a journey: when, which channel, and how many touches it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    /// UTC microseconds.
    pub ts: i64,
    /// Channel id.
    pub channel: u32,
    /// Touches collapsed into this one (1 unless `frequency` collapsed repeats).
    pub count: u32,
}

/// A path transform.
#[derive(Debug, Clone, PartialEq)]
pub enum Transform {
    /// Collapse consecutive repeats of a channel into one touch.
    Unique,
    /// Keep only the first occurrence of each channel.
    First,
    /// Collapse consecutive repeats, keeping how many there were.
    Frequency,
    /// Drop these channels, unless that would leave the path empty.
    Remove(Vec<String>),
    /// Keep the last N touches.
    Trim(usize),
    /// A touch on the same channel within this many minutes of the previous touch on that
    /// channel belongs to the same session and collapses into it.
    Session(i64),
}

impl Transform {
    /// Parses `unique`, `first`, `frequency`, `remove:A|B`, `trim:N`, `session:MINUTES`.
    pub fn parse(spec: &str) -> Result<Transform, String> {
        let (name, arg) = match spec.split_once(':') {
            Some((n, a)) => (n.trim(), Some(a.trim())),
            None => (spec.trim(), None),
        };
        let number = |what: &str| -> Result<i64, String> {
            arg.and_then(|a| a.parse::<i64>().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    format!("transform \"{spec}\": {what} must be a whole number above 0")
                })
        };
        match (name, arg) {
            ("unique", None) => Ok(Transform::Unique),
            ("first", None) => Ok(Transform::First),
            ("frequency", None) => Ok(Transform::Frequency),
            ("remove", Some(list)) if !list.is_empty() => Ok(Transform::Remove(
                list.split('|').map(|c| c.trim().to_string()).collect(),
            )),
            ("trim", Some(_)) => Ok(Transform::Trim(number("N")? as usize)),
            ("session", Some(_)) => Ok(Transform::Session(number("MINUTES")?)),
            _ => Err(format!(
                "\"{spec}\" is not a transform: use unique, first, frequency, remove:A|B, trim:N or session:MINUTES"
            )),
        }
    }

    /// Applies the transform; `channel_id` resolves names for `remove`.
    pub fn apply(
        &self,
        touches: Vec<Touch>,
        channel_id: &dyn Fn(&str) -> Option<u32>,
    ) -> Vec<Touch> {
        match self {
            Transform::Unique => collapse(touches, false),
            Transform::Frequency => collapse(touches, true),
            Transform::First => {
                let mut seen = std::collections::HashSet::new();
                touches
                    .into_iter()
                    .filter(|t| seen.insert(t.channel))
                    .collect()
            }
            Transform::Remove(names) => {
                let ids: Vec<u32> = names.iter().filter_map(|n| channel_id(n)).collect();
                let kept: Vec<Touch> = touches
                    .iter()
                    .copied()
                    .filter(|t| !ids.contains(&t.channel))
                    .collect();
                if kept.is_empty() {
                    touches
                } else {
                    kept
                }
            }
            Transform::Trim(n) => {
                let skip = touches.len().saturating_sub(*n);
                touches.into_iter().skip(skip).collect()
            }
            Transform::Session(minutes) => {
                let gap = minutes * 60_000_000;
                let mut last_seen: HashMap<u32, i64> = HashMap::new();
                let mut out = Vec::with_capacity(touches.len());
                for t in touches {
                    let same_session = last_seen
                        .get(&t.channel)
                        .is_some_and(|prev| t.ts - prev <= gap);
                    // Sessions slide: activity keeps the session open.
                    last_seen.insert(t.channel, t.ts);
                    if !same_session {
                        out.push(t);
                    }
                }
                out
            }
        }
    }
}

/// Merges consecutive touches on one channel into the latest of them.
fn collapse(touches: Vec<Touch>, keep_count: bool) -> Vec<Touch> {
    let mut out: Vec<Touch> = Vec::with_capacity(touches.len());
    for t in touches {
        match out.last_mut() {
            Some(prev) if prev.channel == t.channel => {
                prev.ts = t.ts;
                prev.count = if keep_count { prev.count + t.count } else { 1 };
            }
            _ => out.push(Touch {
                count: if keep_count { t.count } else { 1 },
                ..t
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000;

    fn path(channels: &[u32]) -> Vec<Touch> {
        channels
            .iter()
            .enumerate()
            .map(|(i, c)| Touch {
                ts: i as i64 * 60 * MIN,
                channel: *c,
                count: 1,
            })
            .collect()
    }

    fn channels(touches: &[Touch]) -> Vec<u32> {
        touches.iter().map(|t| t.channel).collect()
    }

    fn names(name: &str) -> Option<u32> {
        match name {
            "Direct" => Some(0),
            "Email" => Some(1),
            _ => None,
        }
    }

    fn apply(spec: &str, touches: Vec<Touch>) -> Vec<Touch> {
        Transform::parse(spec)
            .expect("parses")
            .apply(touches, &names)
    }

    #[test]
    fn unique_collapses_consecutive_repeats_only() {
        let out = apply("unique", path(&[1, 1, 2, 2, 2, 1]));
        assert_eq!(channels(&out), [1, 2, 1]);
        assert!(out.iter().all(|t| t.count == 1));
        // The collapsed touch takes the latest time (closest to the conversion).
        assert_eq!(out[0].ts, 60 * MIN);
    }

    #[test]
    fn frequency_keeps_the_counts() {
        let out = apply("frequency", path(&[1, 1, 2, 2, 2, 1]));
        assert_eq!(channels(&out), [1, 2, 1]);
        assert_eq!(out.iter().map(|t| t.count).collect::<Vec<_>>(), [2, 3, 1]);
    }

    #[test]
    fn first_keeps_first_occurrences() {
        assert_eq!(channels(&apply("first", path(&[2, 1, 2, 3, 1]))), [2, 1, 3]);
    }

    #[test]
    fn remove_drops_channels_unless_nothing_would_remain() {
        assert_eq!(
            channels(&apply("remove:Direct", path(&[0, 2, 0, 3]))),
            [2, 3]
        );
        assert_eq!(
            channels(&apply("remove:Direct|Email", path(&[0, 1, 2]))),
            [2]
        );
        assert_eq!(channels(&apply("remove:Direct", path(&[0, 0]))), [0, 0]);
        assert_eq!(channels(&apply("remove:Nope", path(&[0, 2]))), [0, 2]);
    }

    #[test]
    fn trim_keeps_the_last_n() {
        assert_eq!(channels(&apply("trim:2", path(&[1, 2, 3, 4]))), [3, 4]);
        assert_eq!(channels(&apply("trim:9", path(&[1, 2]))), [1, 2]);
    }

    #[test]
    fn session_collapses_same_channel_within_the_gap() {
        let t = |min: i64, channel: u32| Touch {
            ts: min * MIN,
            channel,
            count: 1,
        };
        let touches = vec![t(0, 1), t(10, 2), t(20, 1), t(45, 1), t(120, 1), t(125, 2)];
        // Channel 1 at 0, 20 (within 30 of 0), 45 (within 30 of 20: the session slides),
        // then 120 starts a new session; channel 2 at 10 and 125 are far apart.
        let out = apply("session:30", touches);
        assert_eq!(
            out.iter()
                .map(|t| (t.ts / MIN, t.channel))
                .collect::<Vec<_>>(),
            [(0, 1), (10, 2), (120, 1), (125, 2)]
        );
    }

    #[test]
    fn chaining_applies_in_order() {
        let chain: Vec<Transform> = ["remove:Direct", "unique", "trim:2"]
            .iter()
            .map(|s| Transform::parse(s).expect("parses"))
            .collect();
        let out = chain
            .iter()
            .fold(path(&[3, 0, 3, 2, 2, 0, 1]), |acc, t| t.apply(acc, &names));
        assert_eq!(channels(&out), [2, 1]);
    }

    #[test]
    fn bad_specs_are_refused() {
        for bad in [
            "uniq",
            "trim",
            "trim:0",
            "trim:x",
            "session:-5",
            "remove:",
            "first:2",
        ] {
            assert!(Transform::parse(bad).is_err(), "{bad}");
        }
    }
}
