//! Stage 3, journeys: each person's touches in time order, cut at conversions.
//!
//! A conversion closes a journey holding the person's touches since their previous
//! conversion (of any type, or of its own type with `split_by_conversion_type`) that fall in
//! the lookback window. Touches after a person's last conversion form a non-converting
//! journey. A conversion with no touch in its window is unattributed: it is counted, and can
//! be credited to a `Direct` path by option. Rows at the same instant are ordered touches
//! before conversions (a store purchase's own touch belongs to its journey), touches by
//! channel name; only rows alike in all three keep their input order, which then changes
//! nothing but which of two simultaneous conversions comes first.

pub mod handed_back;
pub mod path_table;
pub mod periods;
mod timing;
mod transforms;

use std::collections::{BTreeMap, HashMap, HashSet};

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

pub use path_table::{PathRow, PathTable, ReadOptions};
pub use periods::Period;
pub use timing::time_to_conversion;
pub use transforms::{Touch, Transform};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::identity::Stitched;
use crate::ingest::compact::{NO_CHANNEL, TOUCH};
use crate::ingest::{schema, CompactRows, Touchpoints};

const DAY: f64 = 86_400_000_000.0;

/// Name of the channel unattributed conversions are credited to, by option.
pub const DIRECT: &str = "Direct";

/// How journeys are built.
#[derive(Debug, Clone)]
pub struct JourneyOptions {
    /// Lookback window in days.
    pub lookback_days: f64,
    /// Lookback per conversion type, in days.
    pub lookback_by_type: BTreeMap<String, f64>,
    /// A conversion closes only touches since the previous conversion of its own type.
    pub split_by_type: bool,
    /// Keep only the last N touches.
    pub max_path_length: Option<usize>,
    /// Leave out non-converting journeys whose last touch is this close to the data's end.
    pub exclude_open_days: Option<f64>,
    /// Credit unattributed conversions to a `Direct` path.
    pub unattributed_to_direct: bool,
    /// Transforms, in order.
    pub transforms: Vec<Transform>,
    /// Offline channels (for online→offline journeys).
    pub offline_channels: Vec<String>,
    /// Dimension whose value segments the path table.
    pub segment: Option<String>,
    /// Only rows whose time lies in this range are read (a report window and its lookback);
    /// the range's end is then the data's end.
    pub rows_in: Window,
}

impl Default for JourneyOptions {
    fn default() -> Self {
        JourneyOptions {
            lookback_days: 30.0,
            lookback_by_type: BTreeMap::new(),
            split_by_type: false,
            max_path_length: None,
            exclude_open_days: None,
            unattributed_to_direct: false,
            transforms: Vec::new(),
            offline_channels: vec!["In-store".into(), "Call Centre".into()],
            segment: None,
            rows_in: Window::default(),
        }
    }
}

impl JourneyOptions {
    /// The `[journeys]` section of a config.
    pub fn from_config(config: &Config) -> Result<JourneyOptions> {
        let c = &config.journeys;
        let err = |message: String| Error::Config {
            path: config.path.clone(),
            message: format!("journeys: {message}"),
        };
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(err(format!(
                    "{name} must be a number of days above 0, not {v}"
                )))
            }
        };
        let defaults = JourneyOptions::default();
        let mut lookback_by_type = BTreeMap::new();
        for (t, d) in &c.lookback_days_by_type {
            lookback_by_type.insert(
                t.clone(),
                positive(&format!("lookback_days_by_type.{t}"), *d)?,
            );
        }
        if c.max_path_length == Some(0) {
            return Err(err("max_path_length must be at least 1".into()));
        }
        Ok(JourneyOptions {
            lookback_days: match c.lookback_days {
                Some(d) => positive("lookback_days", d)?,
                None => defaults.lookback_days,
            },
            lookback_by_type,
            split_by_type: c.split_by_conversion_type,
            max_path_length: c.max_path_length,
            exclude_open_days: match c.exclude_open_days {
                Some(d) => Some(positive("exclude_open_days", d)?),
                None => None,
            },
            unattributed_to_direct: c.unattributed_to_direct,
            transforms: c
                .transforms
                .iter()
                .map(|t| Transform::parse(t).map_err(&err))
                .collect::<Result<_>>()?,
            offline_channels: c
                .offline_channels
                .clone()
                .unwrap_or(defaults.offline_channels),
            segment: None,
            rows_in: Window::default(),
        })
    }
}

/// A conversion that closed a journey.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// UTC microseconds.
    pub ts: i64,
    /// Conversion value.
    pub value: f64,
    /// Conversion type.
    pub conversion_type: String,
    /// Conversion id (the order number; `source:line` when the source names none).
    pub id: String,
}

/// One journey.
#[derive(Debug, Clone, PartialEq)]
pub struct Journey {
    /// Person id.
    pub person: u32,
    /// Touches in time order, after transforms.
    pub touches: Vec<Touch>,
    /// The conversion that closed it; None for a non-converting journey.
    pub conversion: Option<Conversion>,
    /// No touch fell in the window (the path is empty, or `Direct` by option).
    pub unattributed: bool,
    /// Touches and conversion used more than one device or browser.
    pub cross_device: bool,
    /// Touches and conversion came from more than one source.
    pub cross_source: bool,
    /// Converted offline after at least one online touch.
    pub online_to_offline: bool,
    /// Segment value ("" when not segmented).
    pub segment: String,
}

/// Counts of what journey building did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct JourneyStats {
    /// Journeys closed by a conversion with at least one touch.
    pub converting: u64,
    /// Journeys that did not convert.
    pub non_converting: u64,
    /// Conversions with no touch in the window.
    pub unattributed: u64,
    /// Non-converting journeys left out as still open.
    pub open_excluded: u64,
    /// Touches dropped because they fell before a conversion's lookback window.
    pub touches_outside_window: u64,
    /// Touch rows without a person (no usable identifier).
    pub touches_without_person: u64,
    /// Conversion rows without a person; they cannot be attributed.
    pub conversions_without_person: u64,
    /// Converting journeys across devices.
    pub cross_device: u64,
    /// Converting journeys across sources.
    pub cross_source: u64,
    /// Converting journeys from online touches to an offline conversion.
    pub online_to_offline: u64,
}

impl JourneyStats {
    /// Adds another part's counts (of other people) to these.
    /// Counts a journey closed by a conversion.
    pub fn count_conversion(&mut self, j: &Journey) {
        if j.unattributed {
            self.unattributed += 1;
        } else {
            self.converting += 1;
        }
        self.cross_device += u64::from(j.cross_device);
        self.cross_source += u64::from(j.cross_source);
        self.online_to_offline += u64::from(j.online_to_offline);
    }

    pub fn add(&mut self, o: &JourneyStats) {
        self.converting += o.converting;
        self.non_converting += o.non_converting;
        self.unattributed += o.unattributed;
        self.open_excluded += o.open_excluded;
        self.touches_outside_window += o.touches_outside_window;
        self.touches_without_person += o.touches_without_person;
        self.conversions_without_person += o.conversions_without_person;
        self.cross_device += o.cross_device;
        self.cross_source += o.cross_source;
        self.online_to_offline += o.online_to_offline;
    }
}

/// All journeys of a load.
#[derive(Debug, Clone)]
pub struct Journeys {
    /// Channel names; touch channels index this.
    pub channels: Vec<String>,
    /// Journeys, by person, then in time order.
    pub journeys: Vec<Journey>,
    /// Counts.
    pub stats: JourneyStats,
    /// Conversion rows in the input.
    pub conversions_in: u64,
    /// Journeys were split by conversion type (the path table then keeps the types).
    pub split_by_type: bool,
    /// Times of the conversion rows without a person (counted in the stats), so that a
    /// window counts its own.
    pub orphan_conversions: Vec<i64>,
}

/// A date window of a report: the conversions (and non-converting journeys) it holds, the
/// lookback reaching back before it. UTC microseconds, `to` exclusive (the start of the day
/// after the last day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// First instant in the window.
    pub from: Option<i64>,
    /// First instant after the window.
    pub to: Option<i64>,
}

impl Window {
    /// The rows a report window reads: from the lookback before it to its end.
    pub fn reach(&self, lookback_days: f64) -> Window {
        Window {
            from: self.from.map(|f| f - (lookback_days * DAY) as i64),
            to: self.to,
        }
    }

    /// Whether `t` lies in the window.
    pub fn contains(&self, t: i64) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t < e)
    }

    /// Whether the window is the whole data.
    pub fn is_all(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }
}

/// Row data the journey walk needs, one entry per row: pulled out of a frame once
/// ([`TouchRows::from_frame`]), or built from a run in shards' compact rows.
#[derive(Debug, Default)]
pub struct TouchRows<'a> {
    /// UTC microseconds.
    pub ts: Vec<i64>,
    /// Conversion (else touch).
    pub is_conversion: Vec<bool>,
    /// Channel id (into the load's channels), None when the row has none.
    pub channel: Vec<Option<u32>>,
    /// Conversion value (0 for touches).
    pub value: Vec<f64>,
    /// Conversion type of conversions.
    pub conversion_type: Vec<Option<&'a str>>,
    /// Conversion id of conversions.
    pub conversion_id: Vec<Option<&'a str>>,
    /// Source of the row, as any number that tells sources apart.
    pub source: Vec<u32>,
    /// Segment value per row, when journeys are segmented.
    pub segment: Option<Vec<Option<&'a str>>>,
}

impl<'a> TouchRows<'a> {
    /// The rows of a loaded frame; `segment` names the dimension journeys are segmented by.
    pub fn from_frame(t: &'a Touchpoints, segment: Option<&str>) -> Result<TouchRows<'a>> {
        frame_rows(t, segment)
    }

    /// The compact rows `keep` accepts (by row number over the whole load); `size` is how many
    /// it accepts. Without segments: compact rows hold no dimension.
    pub fn from_compact(
        compact: &'a CompactRows,
        size: usize,
        keep: impl Fn(usize) -> bool,
    ) -> TouchRows<'a> {
        let mut rows = TouchRows {
            ts: Vec::with_capacity(size),
            is_conversion: Vec::with_capacity(size),
            channel: Vec::with_capacity(size),
            value: Vec::with_capacity(size),
            conversion_type: Vec::with_capacity(size),
            conversion_id: Vec::with_capacity(size),
            source: Vec::with_capacity(size),
            segment: None,
        };
        let mut at = 0;
        for file in &compact.files {
            // The index of the next conversion's value.
            let mut conversions = 0;
            for (i, &kind) in file.kind.iter().enumerate() {
                let value = if kind == TOUCH {
                    0.0
                } else {
                    conversions += 1;
                    file.values[conversions - 1]
                };
                if !keep(at + i) {
                    continue;
                }
                let channel = file.channel[i];
                rows.ts.push(file.ts[i]);
                rows.is_conversion.push(kind != TOUCH);
                rows.channel
                    .push((channel != NO_CHANNEL).then_some(channel));
                rows.value.push(value);
                rows.conversion_type.push(
                    kind.checked_sub(1)
                        .map(|t| compact.types[t as usize].as_str()),
                );
                rows.conversion_id
                    .push((kind != TOUCH).then(|| file.conversion_ids[conversions - 1].as_str()));
                rows.source.push(file.source);
            }
            at += file.kind.len();
        }
        rows
    }
}

fn frame_rows<'a>(t: &'a Touchpoints, segment: Option<&str>) -> Result<TouchRows<'a>> {
    let f = &t.frame;
    let e = |e: PolarsError| Error::format("(touchpoints)", e);
    let ts: Vec<i64> = f
        .column(schema::TS)
        .and_then(|c| c.datetime())
        .map_err(e)?
        .physical()
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let is_conversion = f
        .column(schema::KIND)
        .and_then(|c| c.str())
        .map_err(e)?
        .iter()
        .map(|k| k == Some(schema::KIND_CONVERSION))
        .collect();
    let channel = f
        .column(schema::CHANNEL_ID)
        .and_then(|c| c.u32())
        .map_err(e)?
        .iter()
        .collect();
    let value = f
        .column(schema::VALUE)
        .and_then(|c| c.f64())
        .map_err(e)?
        .iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let conversion_type = f
        .column(schema::CONVERSION_TYPE)
        .and_then(|c| c.str())
        .map_err(e)?
        .iter()
        .collect();
    let conversion_id = f
        .column(schema::CONVERSION_ID)
        .and_then(|c| c.str())
        .map_err(e)?
        .iter()
        .collect();
    let mut names: HashMap<&str, u32> = HashMap::new();
    let source = f
        .column(schema::SOURCE)
        .and_then(|c| c.str())
        .map_err(e)?
        .iter()
        .map(|s| {
            let next = names.len() as u32;
            *names.entry(s.unwrap_or("")).or_insert(next)
        })
        .collect();
    let segment = match segment {
        None => None,
        Some(dim) => {
            if !t.dimensions.iter().any(|d| d == dim) {
                return Err(Error::Config {
                    path: "--by".into(),
                    message: format!(
                        "\"{dim}\" is not a dimension of this data (dimensions: {})",
                        if t.dimensions.is_empty() {
                            "none".to_string()
                        } else {
                            t.dimensions.join(", ")
                        }
                    ),
                });
            }
            Some(
                f.column(dim)
                    .and_then(|c| c.str())
                    .map_err(e)?
                    .iter()
                    .collect(),
            )
        }
    };
    Ok(TouchRows {
        ts,
        is_conversion,
        channel,
        value,
        conversion_type,
        conversion_id,
        source,
        segment,
    })
}

/// Builds every person's journeys: from the compact rows when the load kept them (typed
/// columns, no frame), else from the canonical frame (which segments by a dimension need).
pub fn build(t: &Touchpoints, people: &Stitched, options: &JourneyOptions) -> Result<Journeys> {
    let rows = match (&t.compact, &options.segment) {
        (Some(compact), None) => TouchRows::from_compact(compact, compact.len(), |_| true),
        _ => frame_rows(t, options.segment.as_deref())?,
    };
    Ok(build_rows(&rows, &t.channels, t.data_end, people, options))
}

/// Builds every person's journeys from `rows` (whose channel ids index `channels`);
/// `people` gives each row's person and device, `data_end` is the end of the whole load (which
/// may hold more rows than these: a shard).
pub fn build_rows(
    rows: &TouchRows,
    channels: &[String],
    data_end: i64,
    people: &Stitched,
    options: &JourneyOptions,
) -> Journeys {
    let mut channels = channels.to_vec();
    let direct = match channels.iter().position(|c| c == DIRECT) {
        Some(i) => i as u32,
        None if options.unattributed_to_direct => {
            channels.push(DIRECT.into());
            (channels.len() - 1) as u32
        }
        None => u32::MAX,
    };
    let offline: HashSet<u32> = channels
        .iter()
        .enumerate()
        .filter(|(_, c)| options.offline_channels.contains(c))
        .map(|(i, _)| i as u32)
        .collect();

    let mut stats = JourneyStats::default();
    let mut orphan_conversions = Vec::new();
    let read = |r: usize| options.rows_in.contains(rows.ts[r]);
    let data_end = options.rows_in.to.map_or(data_end, |end| data_end.min(end));
    for (r, &person) in people.person_of_row.iter().enumerate() {
        if person == crate::identity::NONE && read(r) {
            if rows.is_conversion[r] {
                stats.conversions_without_person += 1;
                orphan_conversions.push(rows.ts[r]);
            } else {
                stats.touches_without_person += 1;
            }
        }
    }
    let conversions_in = (0..rows.ts.len())
        .filter(|&r| rows.is_conversion[r] && read(r))
        .count() as u64;
    let (order, groups) = group_by_person(&people.person_of_row);
    let ctx = Walk {
        rows,
        device: &people.device_of_row,
        options,
        channels: &channels,
        direct,
        offline: &offline,
        data_end,
    };
    // People in chunks (a few per thread and then some, for balance): each chunk's journeys
    // go to one vector, and the chunks' vectors into one of the exact size, moved once.
    let chunk = (groups.len() / (rayon::current_num_threads() * 16)).max(1024);
    let per_chunk: Vec<(Vec<Journey>, JourneyStats)> = groups
        .par_chunks(chunk)
        .map(|gs| {
            let mut journeys = Vec::new();
            let mut stats = JourneyStats::default();
            let mut idx: Vec<usize> = Vec::new();
            let mut scratch = Scratch::default();
            for &(person, start, end) in gs {
                idx.clear();
                idx.extend(
                    order[start as usize..end as usize]
                        .iter()
                        .map(|&r| r as usize)
                        .filter(|&r| read(r)),
                );
                // Ties never depend on the order of sources in the config (see the module
                // notes); channel ids are in name order. Stable for the rest.
                idx.sort_by_key(|&r| (rows.ts[r], rows.is_conversion[r], rows.channel[r]));
                ctx.person(person, &idx, &mut scratch, &mut journeys, &mut stats);
            }
            (journeys, stats)
        })
        .collect();
    let mut journeys = Vec::with_capacity(per_chunk.iter().map(|(j, _)| j.len()).sum());
    for (j, s) in per_chunk {
        journeys.extend(j);
        stats.add(&s);
    }
    Journeys {
        channels,
        journeys,
        stats,
        conversions_in,
        split_by_type: options.split_by_type,
        orphan_conversions,
    }
}

/// The rows that have a person, grouped by person (people in order, each person's rows in row
/// order), and each person's group as (person, start, end) in that order. A counting sort:
/// people are dense numbers with few rows each, so this beats sorting the rows.
fn group_by_person(person_of_row: &[u32]) -> (Vec<u32>, Vec<(u32, u32, u32)>) {
    let people = person_of_row
        .par_iter()
        .filter(|&&p| p != crate::identity::NONE)
        .max()
        .map_or(0, |&p| p as usize + 1);
    // Rows per person, then where each person's next row goes.
    let mut next = vec![0u32; people];
    for &p in person_of_row {
        if let Some(n) = next.get_mut(p as usize) {
            *n += 1;
        }
    }
    let mut groups = Vec::new();
    let mut at = 0u32;
    for (p, n) in next.iter_mut().enumerate() {
        if *n > 0 {
            groups.push((p as u32, at, at + *n));
        }
        (*n, at) = (at, at + *n);
    }
    let mut order = vec![0u32; at as usize];
    for (r, &p) in person_of_row.iter().enumerate() {
        if let Some(to) = next.get_mut(p as usize) {
            order[*to as usize] = r as u32;
            *to += 1;
        }
    }
    (order, groups)
}

/// Whether the values hold more than one distinct value (one differs from the first).
fn varies(mut values: impl Iterator<Item = u32>) -> bool {
    match values.next() {
        Some(first) => values.any(|v| v != first),
        None => false,
    }
}

struct Walk<'a> {
    rows: &'a TouchRows<'a>,
    device: &'a [u32],
    options: &'a JourneyOptions,
    channels: &'a [String],
    direct: u32,
    offline: &'a HashSet<u32>,
    data_end: i64,
}

/// Row lists a walk fills for each person, kept from one person to the next so that most
/// people cost no allocation.
#[derive(Default)]
struct Scratch {
    /// Touches since the last conversion of any type.
    pending: Vec<usize>,
    /// With split_by_type: every touch so far.
    all: Vec<usize>,
    /// The touches in a conversion's window.
    touches: Vec<usize>,
}

impl Walk<'_> {
    /// Adds the journeys of one person, whose rows `idx` are in time order, and their counts.
    fn person(
        &self,
        person: u32,
        idx: &[usize],
        scratch: &mut Scratch,
        journeys: &mut Vec<Journey>,
        stats: &mut JourneyStats,
    ) {
        let rows = self.rows;
        let Scratch {
            pending,
            all,
            touches,
        } = scratch;
        pending.clear();
        all.clear();
        // With split_by_type: where each type's window may start in `all`.
        let mut since_type: HashMap<&str, usize> = HashMap::new();
        for &r in idx {
            if !rows.is_conversion[r] {
                pending.push(r);
                if self.options.split_by_type {
                    all.push(r);
                }
                continue;
            }
            let ctype = rows.conversion_type[r].unwrap_or(schema::DEFAULT_CONVERSION_TYPE);
            let days = self
                .options
                .lookback_by_type
                .get(ctype)
                .copied()
                .unwrap_or(self.options.lookback_days);
            let window_start = rows.ts[r] - (days * DAY) as i64;
            let candidates: &[usize] = if self.options.split_by_type {
                &all[since_type.get(ctype).copied().unwrap_or(0)..]
            } else {
                pending
            };
            touches.clear();
            touches.extend(
                candidates
                    .iter()
                    .copied()
                    .filter(|&t| rows.ts[t] >= window_start),
            );
            stats.touches_outside_window += (candidates.len() - touches.len()) as u64;
            let conversion = Conversion {
                ts: rows.ts[r],
                value: rows.value[r],
                conversion_type: ctype.to_string(),
                id: rows.conversion_id[r].unwrap_or_default().to_string(),
            };
            let j = self.journey(person, touches, Some((r, conversion)));
            stats.count_conversion(&j);
            journeys.push(j);
            pending.clear();
            if self.options.split_by_type {
                since_type.insert(ctype, all.len());
            }
        }
        if let Some(&last) = pending.last() {
            let open = self
                .options
                .exclude_open_days
                .is_some_and(|d| rows.ts[last] >= self.data_end - (d * DAY) as i64);
            if open {
                stats.open_excluded += 1;
            } else {
                stats.non_converting += 1;
                journeys.push(self.journey(person, pending, None));
            }
        }
    }

    fn journey(
        &self,
        person: u32,
        touch_rows: &[usize],
        conversion: Option<(usize, Conversion)>,
    ) -> Journey {
        let rows = self.rows;
        let mut touches: Vec<Touch> = touch_rows
            .iter()
            .filter_map(|&r| {
                rows.channel[r].map(|channel| Touch {
                    ts: rows.ts[r],
                    channel,
                    count: 1,
                })
            })
            .collect();
        let conv_row = conversion.as_ref().map(|(r, _)| *r);
        let all_rows = || touch_rows.iter().copied().chain(conv_row);
        let cross_device = varies(
            all_rows()
                .map(|r| self.device[r])
                .filter(|d| *d != crate::identity::NONE),
        );
        let cross_source = varies(all_rows().map(|r| rows.source[r]));
        let online_to_offline = conv_row
            .and_then(|r| rows.channel[r])
            .is_some_and(|c| self.offline.contains(&c))
            && touches.iter().any(|t| !self.offline.contains(&t.channel));
        let segment_row = conv_row.or(touch_rows.last().copied());
        let segment = match (&rows.segment, segment_row) {
            (Some(seg), Some(r)) => seg[r].unwrap_or("").to_string(),
            _ => String::new(),
        };
        let unattributed = conversion.is_some() && touches.is_empty();
        if !touches.is_empty() {
            let by_name = |name: &str| {
                self.channels
                    .iter()
                    .position(|c| c == name)
                    .map(|i| i as u32)
            };
            for t in &self.options.transforms {
                touches = t.apply(touches, &by_name);
            }
            if let Some(n) = self.options.max_path_length {
                let skip = touches.len().saturating_sub(n);
                touches.drain(..skip);
            }
        } else if let (true, Some((_, c))) = (self.options.unattributed_to_direct, &conversion) {
            touches.push(Touch {
                ts: c.ts,
                channel: self.direct,
                count: 1,
            });
        }
        Journey {
            person,
            touches,
            conversion: conversion.map(|(_, c)| c),
            unattributed,
            cross_device,
            cross_source,
            online_to_offline,
            segment,
        }
    }
}

impl Journeys {
    /// Aggregates the journeys into a path table. Rows keep the conversion type only when
    /// journeys were split by type; otherwise each path's conversions and nulls share a row.
    /// Journeys with an empty path (unattributed conversions without the Direct option) have
    /// no path and are left out; the journey stats count them.
    pub fn path_table(&self) -> PathTable {
        let rows = self.journeys.iter().filter_map(|j| {
            let (ctype, c, v, n) = match (&j.conversion, j.touches.is_empty()) {
                (_, true) => return None,
                (Some(c), false) if self.split_by_type => {
                    (c.conversion_type.as_str(), 1, c.value, 0)
                }
                (Some(c), false) => ("", 1, c.value, 0),
                (None, false) => ("", 0, 0.0, 1),
            };
            let path = j.touches.iter().map(|t| t.channel);
            Some((path, ctype, j.segment.as_str(), c, v, n))
        });
        PathTable::from_ids(&self.channels, rows)
    }

    /// The journeys of a report window from journeys built on the rows of the window and its
    /// lookback ([`JourneyOptions::rows_in`], see [`Window::reach`]): the conversions before the window
    /// are left out (they were read only to end the journeys before them), the rest kept.
    /// That is what a run on the data of the window and its lookback would give, but that a
    /// conversion in the lookback still ends the journey before it. Counts of journeys and
    /// conversions are recounted for the window.
    pub fn window(&self, window: Window) -> Journeys {
        let mut stats = JourneyStats {
            touches_outside_window: self.stats.touches_outside_window,
            touches_without_person: self.stats.touches_without_person,
            open_excluded: self.stats.open_excluded,
            ..JourneyStats::default()
        };
        let kept: Vec<Journey> = self
            .journeys
            .iter()
            .filter(|j| j.conversion.as_ref().is_none_or(|c| window.contains(c.ts)))
            .cloned()
            .collect();
        for j in &kept {
            if j.conversion.is_none() {
                stats.non_converting += 1;
            } else {
                stats.count_conversion(j);
            }
        }
        let orphan_conversions: Vec<i64> = self
            .orphan_conversions
            .iter()
            .copied()
            .filter(|t| window.contains(*t))
            .collect();
        stats.conversions_without_person = orphan_conversions.len() as u64;
        Journeys {
            channels: self.channels.clone(),
            journeys: kept,
            conversions_in: stats.converting
                + stats.unattributed
                + stats.conversions_without_person,
            stats,
            split_by_type: self.split_by_type,
            orphan_conversions,
        }
    }

    /// The first and last conversion time of the journeys, when any converted.
    pub fn conversion_range(&self) -> Option<(i64, i64)> {
        let times = self
            .journeys
            .iter()
            .filter_map(|j| j.conversion.as_ref().map(|c| c.ts));
        times.fold(None, |range, t| Some(widen(range, (t, t))))
    }

    /// The time a journey belongs to: its conversion, else its last touch.
    pub fn time_of(j: &Journey) -> i64 {
        j.conversion
            .as_ref()
            .map(|c| c.ts)
            .or_else(|| j.touches.last().map(|t| t.ts))
            .unwrap_or(0)
    }

    /// Splits the journeys by `key` (None leaves a journey out), in key order.
    pub fn split_by(&self, key: impl Fn(&Journey) -> Option<String>) -> Vec<(String, Journeys)> {
        let mut groups: std::collections::BTreeMap<String, Vec<Journey>> = Default::default();
        for j in &self.journeys {
            if let Some(k) = key(j) {
                groups.entry(k).or_default().push(j.clone());
            }
        }
        groups
            .into_iter()
            .map(|(k, journeys)| {
                (
                    k,
                    Journeys {
                        channels: self.channels.clone(),
                        journeys,
                        stats: self.stats.clone(),
                        conversions_in: self.conversions_in,
                        split_by_type: self.split_by_type,
                        orphan_conversions: self.orphan_conversions.clone(),
                    },
                )
            })
            .collect()
    }
}

/// The range covering `range` (if any) and `other`.
pub fn widen(range: Option<(i64, i64)>, other: (i64, i64)) -> (i64, i64) {
    match range {
        None => other,
        Some((f, l)) => (f.min(other.0), l.max(other.1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::NONE;

    proptest::proptest! {
        /// Grouping by counting orders rows as sorting them by (person, row) does, and leaves
        /// out the rows without a person.
        #[test]
        fn grouping_by_person_sorts_rows_by_person(
            people in proptest::collection::vec(proptest::option::of(0u32..20), 0..200)
        ) {
            let person_of_row: Vec<u32> = people.iter().map(|p| p.unwrap_or(NONE)).collect();
            let (order, groups) = group_by_person(&person_of_row);
            let mut expected: Vec<(u32, u32)> = person_of_row
                .iter()
                .enumerate()
                .filter(|(_, p)| **p != NONE)
                .map(|(r, p)| (*p, r as u32))
                .collect();
            expected.sort_unstable();
            let got: Vec<(u32, u32)> = groups
                .iter()
                .flat_map(|&(p, start, end)| order[start as usize..end as usize].iter().map(move |&r| (p, r)))
                .collect();
            proptest::prop_assert_eq!(got, expected);
            // One group per person, in order, covering the rows end to end.
            proptest::prop_assert!(groups.windows(2).all(|w| w[0].0 < w[1].0 && w[0].2 == w[1].1));
        }
    }
}
