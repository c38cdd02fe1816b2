//! The path table: the interchange format between journeys and models.
//!
//! One row per distinct (path, conversion type, segment) with conversions, value and nulls
//! (journeys that did not convert). Counts are additive: tables from shards or weeks merge by
//! summing. Version 1 has the columns `path, conversions, value, nulls, conversion_type,
//! segment`, the path written as channel names joined by `" > "`. The reader also takes the
//! ChannelAttribution layout (`path, total_conversions, total_conversion_value, total_null`,
//! channels separated by `>`), with configurable column names, separator and delimiter.

use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::error::{Error, Result};
use crate::io::number::Decimal;
use crate::io::read::{self as raw, Cells, Value};
use crate::io::{CsvOptions, Format};
use crate::names::Names;

/// Version of the path table layout written by this build.
pub const PATH_TABLE_VERSION: u32 = 1;
/// Separator written between channels.
pub const SEPARATOR: &str = " > ";
/// Column names of the written layout.
pub const COLUMNS: [&str; 6] = [
    "path",
    "conversions",
    "value",
    "nulls",
    "conversion_type",
    "segment",
];

/// A path-table row with channel names rather than ids.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedRow {
    /// Channels in order.
    pub path: Vec<String>,
    /// Conversion type (empty unless journeys are split by type).
    pub conversion_type: String,
    /// Segment (empty unless `--by`).
    pub segment: String,
    /// Converting journeys.
    pub conversions: u64,
    /// Their conversion value.
    pub value: f64,
    /// Journeys that did not convert.
    pub nulls: u64,
}

/// (path, conversion type, segment, conversions, value, nulls): the short form tests and
/// generators write rows in.
impl From<(Vec<String>, String, String, u64, f64, u64)> for NamedRow {
    fn from(row: (Vec<String>, String, String, u64, f64, u64)) -> NamedRow {
        let (path, conversion_type, segment, conversions, value, nulls) = row;
        NamedRow {
            path,
            conversion_type,
            segment,
            conversions,
            value,
            nulls,
        }
    }
}

/// One distinct (path, conversion type, segment).
#[derive(Debug, Clone, PartialEq)]
pub struct PathRow {
    /// Channel ids, indexes of [`PathTable::channels`].
    pub path: Vec<u32>,
    /// Conversion type ("" for non-converting journeys and untyped tables).
    pub conversion_type: String,
    /// Segment value ("" when not segmented).
    pub segment: String,
    /// Journeys that converted.
    pub conversions: u64,
    /// Their conversion value.
    pub value: f64,
    /// Journeys that did not convert.
    pub nulls: u64,
}

/// A path table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathTable {
    /// Channel names, sorted; path elements index this.
    pub channels: Vec<String>,
    /// Rows, sorted by path names, conversion type, segment.
    pub rows: Vec<PathRow>,
}

impl PathTable {
    /// Builds a canonical table from rows whose paths are channel names: channels sorted,
    /// duplicate keys summed, rows sorted.
    pub fn from_named<R: Into<NamedRow>>(rows: impl IntoIterator<Item = R>) -> PathTable {
        let mut local = LocalRows::default();
        for row in rows {
            let r: NamedRow = row.into();
            let ids = r.path.iter().map(|c| local.intern(c)).collect();
            local.push(
                ids,
                &r.conversion_type,
                &r.segment,
                r.conversions,
                r.value,
                r.nulls,
            );
        }
        local.finish()
    }

    /// Builds a canonical table, as [`PathTable::from_named`] does, from rows whose paths are
    /// ids into `channels`: no channel name is copied or hashed per row, and rows are summed
    /// by key as they come (in input order, as sorting would sum them), so that only distinct
    /// rows are held and sorted (millions of journeys make a few hundred thousand rows).
    pub fn from_ids<'a, P: IntoIterator<Item = u32>>(
        channels: &[String],
        rows: impl IntoIterator<Item = (P, &'a str, &'a str, u64, f64, u64)>,
    ) -> PathTable {
        let mut local = LocalRows::default();
        let mut local_of = vec![u32::MAX; channels.len()];
        let mut path: Vec<u32> = Vec::new();
        for (ids, ctype, segment, conversions, value, nulls) in rows {
            path.clear();
            for c in ids {
                let id = &mut local_of[c as usize];
                if *id == u32::MAX {
                    *id = local.intern(&channels[c as usize]);
                }
                path.push(*id);
            }
            let (ctype, segment) = (local.label(ctype), local.label(segment));
            local.add(&path, ctype, segment, conversions, value, nulls);
        }
        local.finish()
    }

    /// The rows with channel names instead of ids.
    pub fn named_rows(&self) -> impl Iterator<Item = NamedRow> + '_ {
        self.rows.iter().map(|r| NamedRow {
            path: r
                .path
                .iter()
                .map(|c| self.channels[*c as usize].clone())
                .collect(),
            conversion_type: r.conversion_type.clone(),
            segment: r.segment.clone(),
            conversions: r.conversions,
            value: r.value,
            nulls: r.nulls,
        })
    }

    /// Sums two tables (their channel sets may differ): rows of `self` first, so values sum
    /// as [`PathTable::from_named`] of both tables' rows would; no name is copied per row.
    pub fn merge(&self, other: &PathTable) -> PathTable {
        let channels: Vec<String> = self
            .channels
            .iter()
            .chain(&other.channels)
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let index = |t: &PathTable| -> Vec<u32> {
            t.channels
                .iter()
                .map(|c| channels.partition_point(|x| x < c) as u32)
                .collect()
        };
        let (mine, theirs) = (index(self), index(other));
        PathTable::from_ids(
            &channels,
            self.rows_mapped(&mine).chain(other.rows_mapped(&theirs)),
        )
    }

    /// The rows as [`PathTable::from_ids`] takes them, channel `c` renumbered `ids[c]`.
    #[allow(clippy::type_complexity)]
    fn rows_mapped<'a>(
        &'a self,
        ids: &'a [u32],
    ) -> impl Iterator<
        Item = (
            impl Iterator<Item = u32> + 'a,
            &'a str,
            &'a str,
            u64,
            f64,
            u64,
        ),
    > + 'a {
        self.rows.iter().map(move |r| {
            (
                r.path.iter().map(move |c| ids[*c as usize]),
                r.conversion_type.as_str(),
                r.segment.as_str(),
                r.conversions,
                r.value,
                r.nulls,
            )
        })
    }

    /// A path as text, channels joined by `" > "`.
    pub fn path_text(&self, path: &[u32]) -> String {
        path.iter()
            .map(|c| self.channels[*c as usize].as_str())
            .collect::<Vec<_>>()
            .join(SEPARATOR)
    }

    /// Orders two paths as their texts ([`PathTable::path_text`]) order, without building
    /// them.
    pub fn cmp_path_text(&self, a: &[u32], b: &[u32]) -> std::cmp::Ordering {
        self.path_bytes(a).cmp(self.path_bytes(b))
    }

    /// The bytes of [`PathTable::path_text`].
    fn path_bytes<'a>(&'a self, path: &'a [u32]) -> impl Iterator<Item = &'a u8> + 'a {
        path.iter().enumerate().flat_map(move |(i, c)| {
            let separator: &[u8] = if i == 0 { b"" } else { SEPARATOR.as_bytes() };
            separator
                .iter()
                .chain(self.channels[*c as usize].as_bytes())
        })
    }

    /// The `n` rows with most conversions, then most non-converting journeys, then by path
    /// text (then in table order), in that order. Only the `n` are sorted.
    pub fn top_rows(&self, n: usize) -> Vec<&PathRow> {
        let mut rows: Vec<&PathRow> = self.rows.iter().collect();
        // Addresses in the table's vector order equal rows in table order: a total order.
        let order = |a: &&PathRow, b: &&PathRow| {
            b.conversions
                .cmp(&a.conversions)
                .then(b.nulls.cmp(&a.nulls))
                .then_with(|| self.cmp_path_text(&a.path, &b.path))
                .then_with(|| std::ptr::from_ref(*a).cmp(&std::ptr::from_ref(*b)))
        };
        if n < rows.len() {
            rows.select_nth_unstable_by(n, order);
            rows.truncate(n);
        }
        rows.sort_unstable_by(order);
        rows
    }

    /// Total conversions.
    pub fn conversions(&self) -> u64 {
        self.rows.iter().map(|r| r.conversions).sum()
    }

    /// Total conversion value.
    pub fn value(&self) -> f64 {
        self.rows.iter().map(|r| r.value).sum()
    }

    /// Total non-converting journeys.
    pub fn nulls(&self) -> u64 {
        self.rows.iter().map(|r| r.nulls).sum()
    }
}

/// Rows whose channels are ids local to one build (in order of first appearance), turned into
/// a canonical [`PathTable`] by [`LocalRows::finish`]. Interning as rows arrive avoids a string
/// per channel per row; conversion types and segments are interned too, as labels.
struct LocalRows {
    names: Names,
    /// Ids of names of up to 16 bytes by [`short_key`] (longer names go to `names` alone).
    short: FxHashMap<ShortKey, u32>,
    /// The last short key seen in each slot, with its id (length 0: an empty slot).
    recent: [(ShortKey, u32); RECENT],
    /// Conversion types and segments; label 0 is always "", the common case.
    labels: Names,
    /// One row per key (path, conversion type, segment), in order of first sight, its
    /// numbers summed as rows arrive: equal paths merge by hashing, and only distinct rows
    /// are sorted at the end.
    rows: Vec<LocalRow>,
    /// `rows` by the hash of their key ([`LocalRows::add`]).
    index: HashTable<Entry>,
    /// For a part of a reader ([`PartRows`]): its non-zero values in input order with their
    /// row (index into `rows`), so that a part read after another adds its values one by one
    /// onto the earlier part's sums, as one reader would (floating-point sums depend on their
    /// order). Zeros are left out: sums start at +0.0 ([`LocalRows::finish_parts`]), and
    /// adding a zero of either sign to a sum that starts there leaves it as it is (x + 0.0 is
    /// x unless x is -0.0, which such a sum never is; x + -0.0 is x); a table written one row
    /// per journey has mostly zeros. None: each row's value is its input's sum.
    log: Option<Vec<(u32, f64)>>,
    /// Reused while a path is split.
    scratch: Vec<u32>,
}

impl Default for LocalRows {
    fn default() -> Self {
        let mut labels = Names::default();
        labels.id("");
        LocalRows {
            names: Names::default(),
            short: FxHashMap::default(),
            recent: [((0, 0, 0), 0); RECENT],
            labels,
            rows: Vec::new(),
            index: HashTable::new(),
            log: None,
            scratch: Vec::new(),
        }
    }
}

/// (channel ids, conversion type label, segment label, conversions, value, nulls).
type LocalRow = (Vec<u32>, u32, u32, u64, f64, u64);

impl LocalRows {
    fn intern(&mut self, name: &str) -> u32 {
        let Some(key) = short_key(name) else {
            return self.names.id(name);
        };
        // Most channel names are short: one integer compare in a small direct-mapped cache,
        // else one integer hash; no string compare.
        // A multiplicative hash's top bits: the low bits of names such as `ch01`…`ch12` differ
        // too little for `x % RECENT` to keep them apart.
        let mixed =
            (key.0 ^ key.1.rotate_left(32) ^ u64::from(key.2)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = (mixed >> (64 - RECENT.trailing_zeros())) as usize;
        if self.recent[slot].0 == key {
            return self.recent[slot].1;
        }
        let names = &mut self.names;
        let id = *self.short.entry(key).or_insert_with(|| names.id(name));
        self.recent[slot] = (key, id);
        id
    }

    fn label(&mut self, text: &str) -> u32 {
        if text.is_empty() {
            return 0;
        }
        self.labels.id(text)
    }

    /// Adds a row: its numbers onto its key's row, or a new row for a new key.
    fn add(&mut self, path: &[u32], ctype: u32, segment: u32, c: u64, v: f64, n: u64) {
        let rows = &mut self.rows;
        let key = Entry::new(path, ctype, segment, 0);
        let same = |e: &Entry| {
            e.packed == key.packed
                && e.labels == key.labels
                && (key.packed != UNPACKED || rows[e.row as usize].0 == path)
        };
        let hash = key.hash(|| row_hash(path, ctype, segment));
        match self.index.find(hash, same) {
            Some(e) => {
                let r = &mut rows[e.row as usize];
                r.3 += c;
                r.4 += v;
                r.5 += n;
            }
            None => {
                let i = rows.len() as u32;
                rows.push((path.to_vec(), ctype, segment, c, v, n));
                self.index
                    .insert_unique(hash, Entry { row: i, ..key }, |e: &Entry| {
                        e.hash(|| {
                            let r = &rows[e.row as usize];
                            row_hash(&r.0, r.1, r.2)
                        })
                    });
            }
        }
    }

    /// The table of `parts` read one after the other, as one reader would have made it:
    /// every part's distinct rows sorted together in parallel (by channel names, as
    /// [`LocalRows::finish`] orders them; ties in part order), equal keys merged, and each
    /// key's value summed from the parts' logs in input order.
    fn finish_parts(parts: Vec<LocalRows>) -> PathTable {
        let mut names = Names::default();
        let mut labels = Names::default();
        labels.id("");
        let maps: Vec<(Vec<u32>, Vec<u32>)> = parts
            .iter()
            .map(|p| {
                let ids = p.names.list().iter().map(|n| names.id(n)).collect();
                let lbl = p.labels.list().iter().map(|l| labels.id(l)).collect();
                (ids, lbl)
            })
            .collect();
        let (channels, rank) = sorted_names(names.into_list());
        let (labels, label_rank) = sorted_names(labels.into_list());
        // Per part: its log (None: each row's value is its input's sum), where its rows start,
        // and how many there are.
        let mut logs = Vec::with_capacity(parts.len());
        let mut rows: Vec<LocalRow> = Vec::with_capacity(parts.iter().map(|p| p.rows.len()).sum());
        for (part, (ids, lbl)) in parts.into_iter().zip(&maps) {
            let first = rows.len();
            logs.push((part.log, first, part.rows.len()));
            rows.extend(part.rows);
            rows[first..].par_iter_mut().for_each(|r| {
                for ch in &mut r.0 {
                    *ch = rank[ids[*ch as usize] as usize];
                }
                r.1 = label_rank[lbl[r.1 as usize] as usize];
                r.2 = label_rank[lbl[r.2 as usize] as usize];
            });
        }
        // Equal keys merge; their values are summed below, in input order, from +0.0.
        let values: Vec<f64> = rows.iter().map(|r| r.4).collect();
        let (mut out, global) = sorted_and_merged(rows, channels.len(), &labels);
        let mut add = |at: usize, v: f64| out[global[at] as usize].value += v;
        for (log, start, own) in logs {
            match log {
                Some(log) => log
                    .into_iter()
                    .for_each(|(row, v)| add(start + row as usize, v)),
                None => (start..start + own).for_each(|at| add(at, values[at])),
            }
        }
        PathTable {
            channels,
            rows: out,
        }
    }

    fn push(&mut self, path: Vec<u32>, ctype: &str, segment: &str, c: u64, v: f64, n: u64) {
        let (ctype, segment) = (self.label(ctype), self.label(segment));
        self.add(&path, ctype, segment, c, v, n);
    }

    /// Channels and labels sorted by name (so that comparing ids orders rows as comparing
    /// their names would), duplicate keys summed in input order, rows sorted.
    fn finish(self) -> PathTable {
        LocalRows::finish_parts(vec![self])
    }
}

/// An entry of [`LocalRows`]' index: the row's key packed when it fits (a path of at most 16
/// channels whose ids are below 254, one byte each, with the two labels), so that finding a
/// row compares integers held in the table and reads no row (following the row and then its
/// path was a third of reading 1M journeys, most of it cache misses); other keys compare
/// their rows.
#[derive(Clone, Copy)]
struct Entry {
    /// The path, one byte per channel (id + 1), or [`UNPACKED`].
    packed: u128,
    /// Conversion type label and segment label.
    labels: u64,
    /// Index in `rows`.
    row: u32,
}

/// Rows a part reads before it decides whether merging them by hashing pays.
const HASH_TRIAL: u64 = 2_048;

/// [`Entry::packed`] of a key that does not fit (no packed path reaches it: its bytes are at
/// most 254).
const UNPACKED: u128 = u128::MAX;

impl Entry {
    fn new(path: &[u32], ctype: u32, segment: u32, row: u32) -> Entry {
        let mut packed = 0u128;
        if path.len() > 16 || path.iter().any(|&c| c >= 254) {
            packed = UNPACKED;
        } else {
            for &c in path {
                packed = (packed << 8) | u128::from(c + 1);
            }
        }
        Entry {
            packed,
            labels: u64::from(ctype) << 32 | u64::from(segment),
            row,
        }
    }

    /// The entry's hash: of its packed key, or `unpacked` for a key that does not fit.
    fn hash(&self, unpacked: impl FnOnce() -> u64) -> u64 {
        if self.packed == UNPACKED {
            unpacked()
        } else {
            FxBuildHasher.hash_one((self.packed, self.labels))
        }
    }
}

/// The hash of a row's key (path, conversion type label, segment label).
fn row_hash(path: &[u32], ctype: u32, segment: u32) -> u64 {
    FxBuildHasher.hash_one((path, ctype, segment))
}

/// Slots of [`LocalRows`]' cache of recent channel names.
const RECENT: usize = 64;

/// A name of 1 to 16 bytes as integers, with no byte-by-byte copy: (first 8 bytes, last 8
/// bytes, length), overlapping loads for shorter names. Together they hold every byte, so
/// different names have different keys.
fn short_key(name: &str) -> Option<ShortKey> {
    let b = name.as_bytes();
    let n = b.len();
    let u64_at = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(w)
    };
    let u32_at = |i: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&b[i..i + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    let (first, last) = match n {
        0 => return None,
        1..=3 => (
            u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
            0,
        ),
        4..=7 => (u32_at(0), u32_at(n - 4)),
        8..=16 => (u64_at(0), u64_at(n - 8)),
        _ => return None,
    };
    Some((first, last, n as u8))
}

/// See [`short_key`].
type ShortKey = (u64, u64, u8);

/// Names sorted, and the rank of each name's old index.
fn sorted_names(mut names: Vec<String>) -> (Vec<String>, Vec<u32>) {
    let mut order: Vec<u32> = (0..names.len() as u32).collect();
    order.sort_unstable_by(|a, b| names[*a as usize].cmp(&names[*b as usize]));
    let mut rank = vec![0u32; order.len()];
    for (sorted, &old) in order.iter().enumerate() {
        rank[old as usize] = sorted as u32;
    }
    let sorted = order
        .iter()
        .map(|&i| std::mem::take(&mut names[i as usize]))
        .collect();
    (sorted, rank)
}

/// A row's sort key when channels are fewer than 256: the first 16 channels of its path
/// packed into a u128 (one byte per channel, id + 1, zero-padded), whose order is the order
/// of those prefixes, so most comparisons need no heap access; with the row's labels, index
/// and counts, so that rows merge from their keys alone.
#[derive(Clone, Copy)]
struct PackedKey {
    packed: u128,
    ctype: u32,
    segment: u32,
    row: u32,
    conversions: u64,
    nulls: u64,
}

impl PackedKey {
    /// Whether the path may go on past the packed prefix (its 16th channel is there).
    fn may_go_on(&self) -> bool {
        self.packed & 0xff != 0
    }

    /// The path of a key that does not go on past its prefix.
    fn path(&self) -> Vec<u32> {
        let bytes = self.packed.to_be_bytes();
        bytes
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| u32::from(b) - 1)
            .collect()
    }
}

/// The keys of rows whose channels are fewer than 256, sorted: only paths longer than 16
/// that share a prefix compare their tails. The row index breaks ties, so duplicates stay in
/// input order.
fn packed_keys(rows: &[LocalRow]) -> Vec<PackedKey> {
    let mut keys: Vec<PackedKey> = rows
        .par_iter()
        .enumerate()
        .map(|(i, r)| {
            let mut packed = 0u128;
            for slot in 0..PACKED {
                let byte = r.0.get(slot).map_or(0, |&c| u128::from(c) + 1);
                packed = (packed << 8) | byte;
            }
            PackedKey {
                packed,
                ctype: r.1,
                segment: r.2,
                row: i as u32,
                conversions: r.3,
                nulls: r.5,
            }
        })
        .collect();
    let tail = |k: &PackedKey| rows[k.row as usize].0.get(PACKED..).unwrap_or(&[]);
    keys.par_sort_unstable_by(|a, b| {
        a.packed
            .cmp(&b.packed)
            .then_with(|| tail(a).cmp(tail(b)))
            .then_with(|| (a.ctype, a.segment, a.row).cmp(&(b.ctype, b.segment, b.row)))
    });
    keys
}

/// The order of rows whose channels are fewer than 256 ([`packed_keys`]).
#[cfg(test)]
fn packed_order(rows: &[LocalRow]) -> Vec<u32> {
    packed_keys(rows).into_iter().map(|k| k.row).collect()
}

/// Channels of a path packed into [`PackedKey`].
const PACKED: usize = 16;

/// [`merged`] of rows sorted by [`packed_keys`], in parallel and from the keys: rows are
/// read only for paths longer than the packed prefix. (Following every row and its path in
/// sorted order, which is random order in memory, took two thirds of merging a
/// one-row-per-journey table's 400k part rows; moving each group's path out of its first
/// row in one pass, random order in memory again, was about 15 % slower on that table's whole
/// read.)
fn merged_by_keys(
    rows: &[LocalRow],
    keys: &[PackedKey],
    labels: &[String],
) -> (Vec<PathRow>, Vec<u32>) {
    let tail = |k: &PackedKey| rows[k.row as usize].0.get(PACKED..).unwrap_or(&[]);
    let same = |a: &PackedKey, b: &PackedKey| {
        a.packed == b.packed
            && (a.ctype, a.segment) == (b.ctype, b.segment)
            && (!a.may_go_on() || tail(a) == tail(b))
    };
    let starts: Vec<usize> = (0..keys.len())
        .into_par_iter()
        .filter(|&p| p == 0 || !same(&keys[p - 1], &keys[p]))
        .collect();
    let group = |g: usize| &keys[starts[g]..starts.get(g + 1).copied().unwrap_or(keys.len())];
    let out: Vec<PathRow> = (0..starts.len())
        .into_par_iter()
        .map(|g| {
            let members = group(g);
            let first = &members[0];
            PathRow {
                path: if first.may_go_on() {
                    rows[first.row as usize].0.clone()
                } else {
                    first.path()
                },
                conversion_type: labels[first.ctype as usize].clone(),
                segment: labels[first.segment as usize].clone(),
                conversions: members.iter().map(|k| k.conversions).sum(),
                value: 0.0,
                nulls: members.iter().map(|k| k.nulls).sum(),
            }
        })
        .collect();
    let mut into = vec![0u32; rows.len()];
    for g in 0..starts.len() {
        for k in group(g) {
            into[k.row as usize] = g as u32;
        }
    }
    (out, into)
}

/// The order of rows of any path length (a stable sort keeps duplicates in input order).
fn general_order(rows: &[LocalRow]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    order.par_sort_by(|&a, &b| {
        let (a, b) = (&rows[a as usize], &rows[b as usize]);
        (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2))
    });
    order
}

/// Rows taken in `order`, adjacent duplicates of (path, conversion type, segment) merged and
/// their counts summed; `labels` names the (ranked) label ids. Values are left at 0 for the
/// caller to sum in input order ([`LocalRows::finish_parts`]): returns, for each row, the
/// index of the merged row it went into.
fn merged(mut rows: Vec<LocalRow>, order: Vec<u32>, labels: &[String]) -> (Vec<PathRow>, Vec<u32>) {
    let mut out: Vec<PathRow> = Vec::with_capacity(order.len());
    let mut into = vec![0u32; rows.len()];
    // Label ids of the last row out, to compare without comparing strings.
    let mut last_labels = (u32::MAX, u32::MAX);
    for i in order {
        let (path, ctype, segment, c, _, n) = std::mem::take(&mut rows[i as usize]);
        let same = last_labels == (ctype, segment) && out.last().is_some_and(|o| o.path == path);
        match out.last_mut() {
            Some(o) if same => {
                o.conversions += c;
                o.nulls += n;
            }
            _ => {
                out.push(PathRow {
                    path,
                    conversion_type: labels[ctype as usize].clone(),
                    segment: labels[segment as usize].clone(),
                    conversions: c,
                    value: 0.0,
                    nulls: n,
                });
                last_labels = (ctype, segment);
            }
        }
        into[i as usize] = (out.len() - 1) as u32;
    }
    (out, into)
}

/// Rows in canonical order, equal keys merged ([`merged`]): when the channels are fewer
/// than 256, from packed keys ([`packed_keys`], [`merged_by_keys`]).
fn sorted_and_merged(
    rows: Vec<LocalRow>,
    channels: usize,
    labels: &[String],
) -> (Vec<PathRow>, Vec<u32>) {
    if channels >= 256 {
        let order = general_order(&rows);
        return merged(rows, order, labels);
    }
    let keys = packed_keys(&rows);
    let merged = merged_by_keys(&rows, &keys, labels);
    // Hundreds of thousands of paths to free: in parallel.
    rows.into_par_iter().for_each(drop);
    merged
}

/// Writes a table as Parquet (`.parquet`) or CSV (anything else), atomically. Values are
/// written with full precision.
pub fn write(table: &PathTable, path: &Path) -> Result<()> {
    if Format::from_path(path) == Some(Format::Parquet) {
        let paths: Vec<String> = table
            .rows
            .iter()
            .map(|r| table.path_text(&r.path))
            .collect();
        let n = table.rows.len();
        let mut df = DataFrame::new(
            n,
            vec![
                Column::new(COLUMNS[0].into(), paths),
                Column::new(
                    COLUMNS[1].into(),
                    table
                        .rows
                        .iter()
                        .map(|r| r.conversions)
                        .collect::<Vec<u64>>(),
                ),
                Column::new(
                    COLUMNS[2].into(),
                    table.rows.iter().map(|r| r.value).collect::<Vec<f64>>(),
                ),
                Column::new(
                    COLUMNS[3].into(),
                    table.rows.iter().map(|r| r.nulls).collect::<Vec<u64>>(),
                ),
                Column::new(
                    COLUMNS[4].into(),
                    table
                        .rows
                        .iter()
                        .map(|r| r.conversion_type.as_str())
                        .collect::<Vec<&str>>(),
                ),
                Column::new(
                    COLUMNS[5].into(),
                    table
                        .rows
                        .iter()
                        .map(|r| r.segment.as_str())
                        .collect::<Vec<&str>>(),
                ),
            ],
        )
        .map_err(|e| Error::write(path, e))?;
        crate::output::write_parquet(path, &mut df)
    } else {
        crate::output::write_atomic(path, |w| {
            let mut csv = csv::Writer::from_writer(w);
            csv.write_record(COLUMNS)?;
            for r in &table.rows {
                csv.write_record([
                    table.path_text(&r.path),
                    r.conversions.to_string(),
                    // `{}` on f64 prints the shortest text that reads back to the same value.
                    format!("{}", r.value),
                    r.nulls.to_string(),
                    r.conversion_type.clone(),
                    r.segment.clone(),
                ])?;
            }
            csv.flush()?;
            Ok(())
        })
    }
}

/// How to read a path table; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Path column (default `path`).
    pub path_column: Option<String>,
    /// Conversions column (default `conversions`, or `total_conversions`).
    pub conversions_column: Option<String>,
    /// Value column (default `value`, or `total_conversion_value`).
    pub value_column: Option<String>,
    /// Nulls column (default `nulls`, or `total_null`).
    pub nulls_column: Option<String>,
    /// Channel separator inside a path (default `>`; spaces around channels are trimmed).
    pub separator: Option<String>,
    /// CSV delimiter; detected among `,` `;` tab when absent.
    pub delimiter: Option<String>,
}

/// Reads a path table (omnitouch or ChannelAttribution layout, CSV or Parquet).
pub fn read(path: &Path, options: &ReadOptions) -> Result<PathTable> {
    let format = Format::from_path(path).unwrap_or(Format::Csv);
    let delimiter = match (&options.delimiter, format) {
        (Some(d), _) => Some(d.clone()),
        (None, Format::Csv) => Some(detect_delimiter(path)?),
        _ => None,
    };
    let csv = CsvOptions {
        delimiter,
        ..CsvOptions::default()
    };
    let header = raw::column_names(path, format, &csv)?;
    let pick = |given: &Option<String>, ours: &str, theirs: &str| -> String {
        given.clone().unwrap_or_else(|| {
            if header.iter().any(|h| h == ours) || !header.iter().any(|h| h == theirs) {
                ours.to_string()
            } else {
                theirs.to_string()
            }
        })
    };
    let path_col = options.path_column.clone().unwrap_or_else(|| "path".into());
    let conv_col = pick(
        &options.conversions_column,
        "conversions",
        "total_conversions",
    );
    let value_col = pick(&options.value_column, "value", "total_conversion_value");
    let nulls_col = pick(&options.nulls_column, "nulls", "total_null");
    let mut wanted = vec![
        path_col.clone(),
        conv_col.clone(),
        value_col.clone(),
        nulls_col.clone(),
    ];
    let has_type = header.iter().any(|h| h == COLUMNS[4]);
    let has_segment = header.iter().any(|h| h == COLUMNS[5]);
    if has_type {
        wanted.push(COLUMNS[4].into());
    }
    if has_segment {
        wanted.push(COLUMNS[5].into());
    }
    let separator = options.separator.clone().unwrap_or_else(|| ">".into());
    if separator.trim().is_empty() {
        return Err(Error::format(path, "the path separator is empty"));
    }
    let reading = Reading {
        file: path,
        columns: [&path_col, &conv_col, &value_col, &nulls_col],
        separator: &separator,
    };
    // The optional columns come after the four fixed ones, when the file has them.
    let type_at = has_type.then_some(4);
    let segment_at = has_segment.then_some(4 + usize::from(has_type));
    let mut local = LocalRows::default();
    if format == Format::Csv {
        // Large tables come as CSV: parse the text cells directly, without a Value per cell,
        // in parallel chunks whose rows are appended in file order.
        let columns = OptionalColumns {
            type_at,
            segment_at,
        };
        let parts = raw::read_csv_text(
            path,
            &csv,
            &wanted,
            "path table",
            PartRows::for_bytes,
            |part, cells| part.add(&reading, columns, cells),
        )?;
        let chunks = parts
            .into_par_iter()
            .map(PartRows::into_local_rows)
            .collect();
        return Ok(LocalRows::finish_parts(chunks));
    } else {
        raw::read_rows(path, format, &csv, &wanted, "path table", |line, cells| {
            let text = cells[0].text().unwrap_or_default();
            let text_at = |i: Option<usize>| i.and_then(|i| cells[i].text()).unwrap_or_default();
            let (ctype, segment) = (text_at(type_at), text_at(segment_at));
            reading.add(
                &mut local,
                || line,
                RowIn {
                    path: &text,
                    conversions: count(&cells[1]),
                    value: cells[2].amount(Decimal::Point),
                    nulls: count(&cells[3]),
                    conversion_type: &ctype,
                    segment: &segment,
                },
            )
        })?;
    }
    Ok(local.finish())
}

/// A part of a CSV path table read in parallel: its rows keyed by their text as read (path
/// bytes and labels), counts summed as rows come. A text seen before costs one hash of its
/// bytes; a new one is split into channels once, its ids kept end to end in one buffer, with
/// no hash of the ids and no vector of its own: rows of equal paths written differently
/// (spaces around separators) merge when the parts are put together
/// ([`LocalRows::finish_parts`], which sorts the distinct rows anyway). A table written one
/// row per journey repeats its paths (1M rows, 320k paths); one aggregated by path does not,
/// and after [`HASH_TRIAL`] rows with nearly no repeat a part stops looking its texts up.
struct PartRows {
    /// Interns channel names and labels; its rows and log are filled when the part is done
    /// ([`PartRows::into_local_rows`]).
    local: LocalRows,
    /// Rows, in order of first sight.
    texts: Vec<SeenText>,
    /// Indexes into `texts`, by the hash of (text, labels); None once texts stop repeating.
    index: Option<HashTable<u32>>,
    /// The texts of `texts`, end to end (only while `index` is kept).
    bytes: Vec<u8>,
    /// The channel ids of `texts`, end to end.
    ids: Vec<u32>,
    /// Non-zero values in input order, with their row (see [`LocalRows::log`]).
    log: Vec<(u32, f64)>,
    /// Rows read.
    read: u64,
}

/// A row of [`PartRows`]: its text `bytes[text]` (while looked up), its channels
/// `ids[ids]`, labels, hash and counts.
struct SeenText {
    text: std::ops::Range<usize>,
    ids: std::ops::Range<usize>,
    labels: (u32, u32),
    hash: u64,
    conversions: u64,
    nulls: u64,
}

impl PartRows {
    /// A part that will read about `bytes` bytes, its buffers sized for the rows of a table
    /// written one row per journey, about 32 bytes each (a third or more of them new to the
    /// part), so that they do not grow by doubling: growing and rehashing the index was 5 %
    /// of reading such a table. A table aggregated by path stops looking its texts up after
    /// [`HASH_TRIAL`] rows and frees those.
    fn for_bytes(bytes: usize) -> PartRows {
        let rows = bytes / 32;
        PartRows {
            local: LocalRows::default(),
            texts: Vec::with_capacity(rows / 2),
            index: Some(HashTable::with_capacity(rows / 2)),
            bytes: Vec::with_capacity(bytes / 2),
            ids: Vec::with_capacity(rows * 2),
            log: Vec::new(),
            read: 0,
        }
    }

    /// Adds a row read: onto the row of its text when the part has seen it (its bytes
    /// equal, so no UTF-8 check again), else as a new row, its path split into channels.
    fn add(&mut self, reading: &Reading, columns: OptionalColumns, cells: &Cells) -> Result<()> {
        self.read += 1;
        if self.read == HASH_TRIAL && self.texts.len() as u64 * 10 > self.read * 9 {
            self.index = None;
            self.bytes = Vec::new();
        }
        let label = |i: Option<usize>| i.map_or(Ok(""), |i| cells.text(i).map(str::trim));
        let (ctype, segment) = (label(columns.type_at)?, label(columns.segment_at)?);
        let labels = (self.local.label(ctype), self.local.label(segment));
        let text = cells.bytes(0);
        let hash = FxBuildHasher.hash_one((text, labels));
        let (texts, bytes) = (&self.texts, &self.bytes);
        let found = self.index.as_ref().and_then(|index| {
            index
                .find(hash, |&t| {
                    let t = &texts[t as usize];
                    t.labels == labels && &bytes[t.text.clone()] == text
                })
                .copied()
        });
        let line = || cells.line();
        let at = |col: usize, what: String| reading.error(&line, col, what);
        let ids = match found {
            Some(_) => 0..0,
            None => {
                let start = self.ids.len();
                let path = cells.text(0)?;
                reading.channels(&mut self.local, path, &mut self.ids, &line)?;
                start..self.ids.len()
            }
        };
        let conversions = count_bytes(cells, 1)?.map_err(|e| at(1, e))?;
        let value = amount_bytes(cells, 2)?.map_err(|e| at(2, e))?;
        let nulls = count_bytes(cells, 3)?.map_err(|e| at(3, e))?;
        let t = match found {
            Some(t) => {
                let row = &mut self.texts[t as usize];
                row.conversions += conversions;
                row.nulls += nulls;
                t
            }
            None => self.push(text, ids, labels, hash, conversions, nulls),
        };
        if value != 0.0 {
            self.log.push((t, value));
        }
        Ok(())
    }

    /// A new row, remembered by its text while texts are looked up.
    fn push(
        &mut self,
        text: &[u8],
        ids: std::ops::Range<usize>,
        labels: (u32, u32),
        hash: u64,
        conversions: u64,
        nulls: u64,
    ) -> u32 {
        let t = self.texts.len() as u32;
        let start = self.bytes.len();
        if self.index.is_some() {
            self.bytes.extend_from_slice(text);
        }
        self.texts.push(SeenText {
            text: start..self.bytes.len(),
            ids,
            labels,
            hash,
            conversions,
            nulls,
        });
        if let Some(index) = &mut self.index {
            let texts = &self.texts;
            index.insert_unique(hash, t, |&t| texts[t as usize].hash);
        }
        t
    }

    /// The part as [`LocalRows`] for [`LocalRows::finish_parts`]: a row per text, and the
    /// log of values.
    fn into_local_rows(self) -> LocalRows {
        let mut local = self.local;
        local.rows = self
            .texts
            .iter()
            .map(|t| {
                let (ctype, segment) = t.labels;
                let path = self.ids[t.ids.clone()].to_vec();
                (path, ctype, segment, t.conversions, 0.0, t.nulls)
            })
            .collect();
        local.log = Some(self.log);
        local
    }
}

/// [`raw::amount_text`] of wanted cell `k`: a whole number of up to 15 digits (most values
/// of a table written one row per journey are `0`) is read from the bytes, exactly, as
/// parsing its text would give it; anything else goes through the text.
fn amount_bytes(cells: &Cells, k: usize) -> Result<std::result::Result<f64, String>> {
    match digits(cells.bytes(k), 15) {
        Some(n) => Ok(Ok(n as f64)),
        None => cells.text(k).map(|t| raw::amount_text(t, Decimal::Point)),
    }
}

/// [`count_text`] of wanted cell `k`: plain digits are read from the bytes, with no UTF-8
/// check; anything else goes through the text (an error when it is not UTF-8).
fn count_bytes(cells: &Cells, k: usize) -> Result<std::result::Result<u64, String>> {
    match digits(cells.bytes(k), 19) {
        Some(n) => Ok(Ok(n)),
        None => cells.text(k).map(count_text),
    }
}

/// The number written by 1 to `most` ASCII digits, or None.
fn digits(b: &[u8], most: usize) -> Option<u64> {
    if b.is_empty() || b.len() > most || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// Where the optional columns of a path table are among the cells read (after the path,
/// conversions, value and nulls).
#[derive(Clone, Copy)]
struct OptionalColumns {
    type_at: Option<usize>,
    segment_at: Option<usize>,
}

/// One row of a path table as read, its numbers parsed or the reason they are not numbers.
struct RowIn<'a> {
    path: &'a str,
    conversions: std::result::Result<u64, String>,
    value: std::result::Result<f64, String>,
    nulls: std::result::Result<u64, String>,
    conversion_type: &'a str,
    segment: &'a str,
}

/// How a path table is being read: where errors point, and how paths split.
struct Reading<'a> {
    file: &'a Path,
    /// Names of the path, conversions, value and nulls columns.
    columns: [&'a str; 4],
    separator: &'a str,
}

impl Reading<'_> {
    /// The error of a cell in column `col` (0: path, 1: conversions, 2: value, 3: nulls)
    /// on `line`.
    fn error(&self, line: &impl Fn() -> u64, col: usize, what: String) -> Error {
        Error::format(
            self.file,
            format!("line {} column {}: {what}", line(), self.columns[col]),
        )
    }

    /// Checks `row` (on `line`, counted only for an error) and adds it to `local`.
    fn add(&self, local: &mut LocalRows, line: impl Fn() -> u64, row: RowIn) -> Result<()> {
        let at = |col: usize, what: String| self.error(&line, col, what);
        // Ids gather in a reused buffer, then take one exact allocation.
        let mut channels = std::mem::take(&mut local.scratch);
        channels.clear();
        self.channels(local, row.path, &mut channels, &line)?;
        let conversions = row.conversions.map_err(|e| at(1, e))?;
        let value = row.value.map_err(|e| at(2, e))?;
        let nulls = row.nulls.map_err(|e| at(3, e))?;
        let (ctype, segment) = (local.label(row.conversion_type), local.label(row.segment));
        local.add(&channels, ctype, segment, conversions, value, nulls);
        local.scratch = channels;
        Ok(())
    }

    /// The channels of `path` (on `line`), interned in `local`, pushed onto `ids`; an error
    /// for an empty channel.
    fn channels(
        &self,
        local: &mut LocalRows,
        path: &str,
        ids: &mut Vec<u32>,
        line: &impl Fn() -> u64,
    ) -> Result<()> {
        let path = trimmed(path);
        let mut take = |c: &str| {
            let c = trimmed(c);
            if c.is_empty() {
                return Err(self.error(line, 0, format!("\"{path}\" has an empty channel")));
            }
            ids.push(local.intern(c));
            Ok(())
        };
        // Splitting on one ASCII byte (the usual `>`) byte by byte is faster than on a string
        // pattern, and than `memchr` on channels a few bytes apart: use it when we can.
        match self.separator.as_bytes() {
            [sep] if sep.is_ascii() => {
                let mut from = 0;
                for (end, _) in path.bytes().enumerate().filter(|(_, b)| b == sep) {
                    take(&path[from..end])?;
                    from = end + 1;
                }
                take(&path[from..])
            }
            _ => path.split(self.separator).try_for_each(&mut take),
        }
    }
}

/// `s` without white space at either end, as [`str::trim`] gives it, ASCII first: `trim`
/// decodes characters at each end (4 % of reading an aggregated table).
fn trimmed(s: &str) -> &str {
    let t = s.trim_ascii();
    let ascii_ends = t.as_bytes().first().is_none_or(u8::is_ascii)
        && t.as_bytes().last().is_none_or(u8::is_ascii);
    if ascii_ends {
        t
    } else {
        t.trim()
    }
}

/// A count cell: a non-negative whole number (empty means 0).
fn count(v: &Value) -> std::result::Result<u64, String> {
    let bad = |s: String| Err(not_a_count(&s));
    match *v {
        Value::Null => Ok(0),
        Value::Int(i) if i >= 0 => Ok(i as u64),
        Value::Int(i) => bad(i.to_string()),
        Value::Float(f) if whole(f) => Ok(f as u64),
        Value::Float(f) => bad(f.to_string()),
        Value::Str(s) => count_text(s),
        Value::Datetime { .. } => bad("a datetime".into()),
    }
}

/// [`count`] of a text cell.
fn count_text(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(0);
    }
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    match t.parse::<f64>() {
        Ok(f) if whole(f) => Ok(f as u64),
        _ => Err(not_a_count(&format!("\"{t}\""))),
    }
}

fn not_a_count(shown: &str) -> String {
    format!("{shown} is not a count (a whole number ≥ 0)")
}

/// A float that is a count: finite, non-negative, whole and within u64's exact range.
fn whole(f: f64) -> bool {
    f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 2f64.powi(63)
}

/// Picks the delimiter among `,` `;` tab that the header line uses most.
fn detect_delimiter(path: &Path) -> Result<String> {
    use std::io::BufRead;
    let file = crate::files::open(path)?;
    let mut first = Vec::new();
    std::io::BufReader::new(file)
        .read_until(b'\n', &mut first)
        .map_err(|e| Error::io(path, e))?;
    let best = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| (first.iter().filter(|c| *c == d).count(), *d == b','))
        .unwrap_or(b',');
    Ok(if best == b'\t' {
        "tab".into()
    } else {
        (best as char).to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    /// Paths of up to 4 channels among `channels`, or long ones over two channels, which often
    /// share their packed prefix.
    fn paths(channels: u32) -> impl Strategy<Value = Vec<u32>> {
        proptest::prop_oneof![
            proptest::collection::vec(0..channels, 1..5),
            proptest::collection::vec(0u32..2, 15..19),
        ]
    }

    proptest::proptest! {
        /// The packed fast path orders rows exactly as the general one does.
        #[test]
        fn packed_and_general_agree(
            rows in proptest::collection::vec(
                (
                    paths(6),
                    0u32..2,
                    0u32..3,
                    0u64..4,
                    0u64..4,
                ),
                0..60,
            )
        ) {
            let local: Vec<LocalRow> = rows
                .iter()
                .map(|(p, t, s, c, n)| (p.clone(), *t, *s, *c, *c as f64 * 1.5, *n))
                .collect();
            proptest::prop_assert_eq!(packed_order(&local), general_order(&local));
            // Merging from the keys (in parallel, paths unpacked) equals merging the rows.
            let labels = ["", "North", "store"].map(String::from);
            let by_keys = merged_by_keys(&local, &packed_keys(&local), &labels);
            let order = general_order(&local);
            proptest::prop_assert_eq!(by_keys, merged(local, order, &labels));
        }

        /// A CSV table reads as the table of its rows, however its paths are spaced, in
        /// whichever order, with labels, repeated or not (a part that stops looking its
        /// texts up), with CRLF line ends and blank lines, quoted or not.
        #[test]
        fn a_csv_reads_as_the_table_of_its_rows(
            rows in proptest::collection::vec(
                (
                    paths(4),
                    0usize..3,
                    0usize..3,
                    0u64..3,
                    proptest::prop_oneof![proptest::strategy::Just(0.0), 0.0f64..3.0],
                    0u64..3,
                    0usize..3,
                ),
                1..120,
            ),
            distinct in proptest::bool::ANY,
            crlf in proptest::bool::ANY,
            quoted in proptest::bool::ANY,
        ) {
            let channels = ["Email", "Search", "Paid Social", "Zeta"];
            let spacing = [" > ", ">", "  >   "];
            let labels = ["", "North", "store"];
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("path,conversions,value,nulls,conversion_type,segment{end}");
            let mut named = Vec::new();
            // Distinct rows: many more than a part's trial, so that the part stops looking up.
            let copies = if distinct { 1 } else { 40 };
            for (k, (p, t, g, c, v, n, space)) in rows.iter().cycle().take(rows.len() * copies).enumerate() {
                let mut path: Vec<String> =
                    p.iter().map(|&i| channels[i as usize].to_string()).collect();
                if distinct {
                    path.push(format!("x{k}"));
                }
                let written = path.join(spacing[*space]);
                let written = if quoted && k % 2 == 0 { format!("\"{written}\"") } else { written };
                text.push_str(&format!("{written},{c},{v},{n},{},{}{end}", labels[*t], labels[*g]));
                if k % 7 == 3 {
                    text.push_str(end);
                }
                named.push((path, labels[*t].to_string(), labels[*g].to_string(), *c, *v, *n));
            }
            let dir = tempfile::tempdir().expect("temp dir");
            let file = dir.path().join("paths.csv");
            std::fs::write(&file, &text).expect("write");
            let read = read(&file, &ReadOptions::default()).expect("read");
            proptest::prop_assert_eq!(read, PathTable::from_named(named));
        }

        /// The top rows are those a full sort by conversions, non-converting journeys and
        /// path text (names that prefix others included) puts first.
        #[test]
        fn top_rows_are_the_first_of_a_full_sort(
            rows in proptest::collection::vec(
                (proptest::collection::vec(0usize..4, 1..4), 0usize..2, 0u64..3, 0u64..3),
                0..60,
            ),
            n in 0usize..12,
        ) {
            let names = ["A", "A B", "AB", "A>"];
            let table = PathTable::from_named(rows.iter().map(|(p, t, c, n)| {
                let path = p.iter().map(|&i| names[i].to_string()).collect();
                (path, ["", "store"][*t].to_string(), String::new(), *c, 1.0, *n)
            }));
            let mut all: Vec<&PathRow> = table.rows.iter().collect();
            all.sort_by(|a, b| {
                b.conversions
                    .cmp(&a.conversions)
                    .then(b.nulls.cmp(&a.nulls))
                    .then_with(|| table.path_text(&a.path).cmp(&table.path_text(&b.path)))
            });
            all.truncate(n);
            proptest::prop_assert_eq!(table.top_rows(n), all);
        }

        /// Summing rows by key as they come gives the table that sorting all of them gives,
        /// values summed in the same order (so equal to the bit).
        #[test]
        fn summing_ids_as_they_come_equals_sorting_names(
            rows in proptest::collection::vec(
                (
                    proptest::collection::vec(0u32..4, 0..4),
                    0usize..2,
                    0usize..3,
                    0u64..3,
                    0.0f64..1e6,
                    0u64..3,
                ),
                0..80,
            )
        ) {
            let channels: Vec<String> = ["Zeta", "Alpha", "Unused", "Mid"].map(String::from).into();
            let labels = ["", "store", "North"];
            let rows: Vec<_> = rows
                .iter()
                .map(|(p, t, s, c, v, n)| (p.clone(), labels[*t], labels[*s], *c, *v, *n))
                .collect();
            let by_ids = PathTable::from_ids(&channels, rows.iter().cloned());
            let by_names = PathTable::from_named(rows.iter().map(|(p, t, s, c, v, n)| {
                let names = p.iter().map(|&i| channels[i as usize].clone()).collect();
                (names, t.to_string(), s.to_string(), *c, *v, *n)
            }));
            proptest::prop_assert_eq!(by_ids, by_names);
        }
    }

    /// A CSV large enough to be read in several parts (1 MiB each) gives the table of one
    /// reader: keys merged across parts, and each key's value summed in file order to the
    /// last bit (a part's sum added to another's would differ, as the check shows).
    #[test]
    fn a_table_read_in_parts_sums_values_in_file_order() {
        let paths = [
            "Email > Search",
            "Search",
            "Display > Email > Search",
            "Social",
        ];
        let mut text = String::from("path,conversions,value,nulls\n");
        let mut named = Vec::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for i in 0..200_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let path = paths[(state % 4) as usize];
            // Values whose sums round differently in different orders.
            let value = format!("{}.{:03}", state % 100_000, i % 1000);
            text.push_str(&format!("{path},{},{value},{}\n", state % 3, i % 2));
            let names: Vec<String> = path.split(" > ").map(String::from).collect();
            let v: f64 = value.parse().expect("a number");
            named.push((names, String::new(), String::new(), state % 3, v, i % 2));
        }
        assert!(text.len() > 4 << 20, "several parts: {} bytes", text.len());
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("paths.csv");
        std::fs::write(&file, &text).expect("write");
        let read = read(&file, &ReadOptions::default()).expect("read");
        let one_reader = PathTable::from_named(named.iter().cloned());
        assert_eq!(read.channels, one_reader.channels);
        for (a, b) in read.rows.iter().zip(&one_reader.rows) {
            assert_eq!(
                (&a.path, a.conversions, a.nulls),
                (&b.path, b.conversions, b.nulls)
            );
            assert_eq!(
                a.value.to_bits(),
                b.value.to_bits(),
                "value of {:?}",
                a.path
            );
        }
        assert_eq!(read.rows.len(), one_reader.rows.len());
        // The check can fail: halves summed apart and then added differ in the last bits.
        type Row = (Vec<String>, String, String, u64, f64, u64);
        let half = named.len() / 2;
        let sum = |rows: &[Row]| {
            rows.iter()
                .filter(|r| r.0.len() == 2)
                .map(|r| r.4)
                .fold(0.0, |a, v| a + v)
        };
        let whole = sum(&named);
        let split = sum(&named[..half]) + sum(&named[half..]);
        assert_ne!(
            whole.to_bits(),
            split.to_bits(),
            "the order of the sum shows"
        );
    }

    #[test]
    fn a_table_from_ids_equals_the_table_from_names() {
        let channels: Vec<String> = ["Zeta", "Alpha", "Unused", "Mid"].map(String::from).into();
        let rows = [
            (vec![0, 1], "", "North", 1, 2.5, 0),
            (vec![3], "store", "", 0, 0.0, 2),
            (vec![0, 1], "", "North", 2, 1.0, 1),
        ];
        let by_ids = PathTable::from_ids(&channels, rows.iter().cloned());
        let by_names = PathTable::from_named(rows.iter().map(|(p, t, s, c, v, n)| {
            let names = p.iter().map(|&i| channels[i as usize].clone()).collect();
            (names, t.to_string(), s.to_string(), *c, *v, *n)
        }));
        assert_eq!(by_ids, by_names);
        assert_eq!(
            by_ids.channels,
            ["Alpha", "Mid", "Zeta"],
            "unused channels are left out"
        );
    }

    #[test]
    fn paths_longer_than_the_packed_prefix_sort_like_names() {
        let long: Vec<String> = (0..20).map(|i| format!("c{:02}", i % 3)).collect();
        let t = PathTable::from_named([
            (long.clone(), String::new(), String::new(), 1, 2.0, 0),
            (vec!["c00".into()], String::new(), String::new(), 0, 0.0, 1),
            (long, String::new(), String::new(), 2, 3.0, 1),
        ]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].path, vec![0]);
        assert_eq!(
            (t.rows[1].conversions, t.rows[1].value, t.rows[1].nulls),
            (3, 5.0, 1)
        );
    }

    #[test]
    fn counts_must_be_whole_and_non_negative() {
        assert_eq!(count(&Value::Str("3")), Ok(3));
        assert_eq!(count(&Value::Str("3.0")), Ok(3));
        assert_eq!(count(&Value::Str("")), Ok(0));
        assert_eq!(count(&Value::Float(2.0)), Ok(2));
        assert!(count(&Value::Str("2.5")).is_err());
        assert!(count(&Value::Str("-1")).is_err());
        assert!(count(&Value::Int(-1)).is_err());
        assert!(count(&Value::Float(f64::NAN)).is_err());
        assert!(count(&Value::Str("1e400")).is_err());
    }

    #[test]
    fn values_must_be_finite_and_non_negative() {
        assert_eq!(Value::Str(" 12.5 ").amount(Decimal::Point), Ok(12.5));
        assert_eq!(Value::Null.amount(Decimal::Point), Ok(0.0));
        assert!(Value::Str("-1").amount(Decimal::Point).is_err());
        assert!(Value::Str("inf").amount(Decimal::Point).is_err());
        assert!(Value::Float(f64::NAN).amount(Decimal::Point).is_err());
        assert!(Value::Str("x").amount(Decimal::Point).is_err());
    }

    #[test]
    fn merging_sums_counts_by_key() {
        let a = PathTable::from_named([
            (
                vec!["A".to_string(), "B".to_string()],
                String::new(),
                String::new(),
                2,
                10.0,
                1,
            ),
            (
                vec!["C".to_string()],
                String::new(),
                String::new(),
                0,
                0.0,
                4,
            ),
        ]);
        let b = PathTable::from_named([(
            vec!["A".to_string(), "B".to_string()],
            String::new(),
            String::new(),
            1,
            5.0,
            0,
        )]);
        let m = a.merge(&b);
        assert_eq!(m.channels, ["A", "B", "C"]);
        assert_eq!(m.rows.len(), 2);
        assert_eq!(
            (m.rows[0].conversions, m.rows[0].value, m.rows[0].nulls),
            (3, 15.0, 1)
        );
        assert_eq!((m.conversions(), m.nulls()), (3, 5));
    }
}
