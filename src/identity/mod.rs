//! Stage 2, identity: identifiers stitched into people across devices and channels.
//!
//! Every row carrying two or more usable identifiers links them. People are the connected
//! components of that graph, found with union-find over interned (kind, value) nodes. Guards
//! keep junk and shared identifiers from fusing strangers: junk values never link, and a merge
//! that would give a person more identifiers of a kind than its limit is refused. Links are
//! applied strongest first (by kind priority), so the refused link is the weaker one.
//!
//! The result is deterministic: nodes are numbered in input order per kind, edges are sorted
//! before they are applied, and people are numbered by the smallest (kind priority, value) of
//! their identifiers, so neither the thread count nor the row order changes a person id.

mod evaluate;
mod map;
mod options;
mod union_find;

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

pub use evaluate::{evaluate, read_truth, PairScore};
pub use map::{apply_map, read_map, write_map, IdentityMap, MapEntry};
pub use options::{
    IdentityOptions, JunkFilter, DEFAULT_JUNK, DEFAULT_LIMITS, DEFAULT_PRIORITY, HASHED_JUNK,
};
use union_find::UnionFind;

use crate::error::{Error, Result};
use crate::ingest::Touchpoints;

/// People and how every touchpoint row maps to one.
#[derive(Debug, Clone)]
pub struct Stitched {
    /// Person of each row of the touchpoint frame; None when the row has no usable identifier.
    pub person_of_row: Vec<Option<u32>>,
    /// Device or browser of each frame row (an id unique per device identifier), if any.
    pub device_of_row: Vec<Option<u32>>,
    /// Number of people.
    pub people: u32,
    /// Every identifier with its person.
    pub map: IdentityMap,
    /// What happened.
    pub stats: StitchStats,
}

/// A component larger than the configured threshold.
#[derive(Debug, Clone, Serialize)]
pub struct LargeComponent {
    /// Person id.
    pub person: u32,
    /// Identifiers in it.
    pub identifiers: u64,
    /// Identifiers per kind.
    pub per_kind: BTreeMap<String, u64>,
}

/// Stitching statistics.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StitchStats {
    /// People found.
    pub people: u64,
    /// Distinct usable identifiers.
    pub identifiers: u64,
    /// Junk identifier values seen (cells), per kind.
    pub junk_values: BTreeMap<String, u64>,
    /// Distinct links between identifiers.
    pub links: u64,
    /// Links refused because the merge would break the limit of this kind.
    pub refused: BTreeMap<String, u64>,
    /// Touchpoint rows left without a person (every identifier junk, or not in the map).
    pub rows_without_person: u64,
    /// Rows whose identifiers map to different people in a given identity map.
    pub map_conflicts: u64,
    /// Identity-map entries ignored because the config has no identifier of their kind.
    pub map_unknown_kinds: BTreeMap<String, u64>,
    /// People by number of identifiers: 1, 2, 3, 4, 5–9, 10+.
    pub identifiers_per_person: BTreeMap<String, u64>,
    /// Most identifiers of one person.
    pub max_identifiers: u64,
    /// People seen on more than one device or browser.
    pub multi_device_people: u64,
    /// People seen in more than one source.
    pub multi_source_people: u64,
    /// The largest components above the threshold (at most 10).
    pub large_components: Vec<LargeComponent>,
    /// Components above the threshold in all.
    pub large_component_count: u64,
}

/// Identifier columns of a frame, one per kind.
fn id_columns<'a>(df: &'a DataFrame, kinds: &[String]) -> Result<Vec<&'a StringChunked>> {
    kinds
        .iter()
        .map(|k| {
            df.column(k)
                .and_then(|c| c.str())
                .map_err(|e| Error::format("(touchpoints)", e))
        })
        .collect()
}

/// One kind's identifiers: distinct values in input order, junk cells seen, and the local
/// id of every frame and link cell ([`NO_NODE`] when empty or junk).
struct Interned<'a> {
    values: Vec<&'a str>,
    junk: u64,
    frame: Vec<u32>,
    links: Vec<u32>,
}

/// A cell with no usable identifier.
const NO_NODE: u32 = u32::MAX;

/// One kind's values being interned.
#[derive(Default)]
struct Interning<'a> {
    ids: FxHashMap<&'a str, u32>,
    values: Vec<&'a str>,
    junk: u64,
}

impl<'a> Interning<'a> {
    /// The local id of a cell, [`NO_NODE`] when it is empty or junk.
    fn id(&mut self, cell: Option<&'a str>, junk: &JunkFilter) -> u32 {
        match cell {
            None => NO_NODE,
            Some(v) if junk.is_junk(v) => {
                self.junk += 1;
                NO_NODE
            }
            Some(v) => *self.ids.entry(v).or_insert_with(|| {
                self.values.push(v);
                self.values.len() as u32 - 1
            }),
        }
    }
}

/// Stitches the identifiers of a load into people.
pub fn stitch(t: &Touchpoints, options: &IdentityOptions) -> Result<Stitched> {
    let kinds = &t.id_kinds;
    let frame_cols = id_columns(&t.frame, kinds)?;
    let link_cols = id_columns(&t.links, kinds)?;
    let n_frame = t.frame.height();

    // Intern each kind's values, in input order (frame rows, then link rows), in parallel,
    // keeping each cell's local id so that no cell is looked up twice.
    let interned: Vec<Interned> = (0..kinds.len())
        .into_par_iter()
        .map(|k| {
            let mut local = Interning::default();
            let frame: Vec<u32> = frame_cols[k]
                .iter()
                .map(|v| local.id(v, &options.junk))
                .collect();
            let links: Vec<u32> = link_cols[k]
                .iter()
                .map(|v| local.id(v, &options.junk))
                .collect();
            let Interning { values, junk, .. } = local;
            Interned {
                values,
                junk,
                frame,
                links,
            }
        })
        .collect();
    let mut offsets = Vec::with_capacity(kinds.len());
    let mut node_kind: Vec<u16> = Vec::new();
    for (k, kind) in interned.iter().enumerate() {
        offsets.push(node_kind.len() as u32);
        node_kind.extend(std::iter::repeat_n(k as u16, kind.values.len()));
    }
    // Kinds strongest first.
    let mut order: Vec<usize> = (0..kinds.len()).collect();
    order.sort_by_key(|&k| (options.rank[k], k));

    // Per row (of the frame, or of the links): its strongest node (the anchor), its device
    // node, and its links; into a buffer reused from row to row.
    let row_nodes = |links: bool, r: usize, nodes: &mut Vec<(usize, u32)>| {
        nodes.clear();
        nodes.extend(order.iter().filter_map(|&k| {
            let cells = if links {
                &interned[k].links
            } else {
                &interned[k].frame
            };
            let local = cells[r];
            (local != NO_NODE).then(|| (k, offsets[k] + local))
        }));
    };
    let edges_of = |links: bool, rows: std::ops::Range<usize>| {
        let mut edges: Vec<(u8, u32, u32)> = Vec::new();
        let mut nodes = Vec::new();
        for r in rows {
            row_nodes(links, r, &mut nodes);
            if let Some((_, anchor)) = nodes.first() {
                for (k, n) in &nodes[1..] {
                    let (a, b) = if anchor < n {
                        (*anchor, *n)
                    } else {
                        (*n, *anchor)
                    };
                    edges.push((options.rank[*k], a, b));
                }
            }
        }
        edges
    };
    const CHUNK: usize = 1 << 16;
    let chunks =
        |n: usize| (0..n.div_ceil(CHUNK)).map(move |c| c * CHUNK..((c + 1) * CHUNK).min(n));
    let mut edges: Vec<(u8, u32, u32)> = chunks(n_frame)
        .map(|r| (false, r))
        .chain(chunks(t.links.height()).map(|r| (true, r)))
        .collect::<Vec<_>>()
        .into_par_iter()
        .flat_map_iter(|(links, rows)| edges_of(links, rows))
        .collect();
    edges.par_sort_unstable();
    edges.dedup();

    let mut uf = UnionFind::new(&node_kind, kinds.len());
    let mut refused = vec![0u64; kinds.len()];
    for &(_, a, b) in &edges {
        if let Err(k) = uf.union(a, b, &options.limits, &order) {
            refused[k] += 1;
        }
    }

    // Number people by their smallest (kind rank, value) identifier. Each kind's values are
    // sorted once; after that every order is an integer order.
    let n_nodes = node_kind.len();
    let mut value_pos = vec![0u32; n_nodes];
    let sorted_kinds: Vec<Vec<u32>> = interned
        .par_iter()
        .map(|kind| {
            let values = &kind.values;
            // Most comparisons settle on the first eight bytes, held as an integer.
            let mut local: Vec<(u64, u32)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (prefix(v), i as u32))
                .collect();
            local.par_sort_unstable_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| values[a.1 as usize].cmp(values[b.1 as usize]))
            });
            local.into_iter().map(|(_, i)| i).collect::<Vec<u32>>()
        })
        .collect();
    for (k, local) in sorted_kinds.iter().enumerate() {
        for (pos, &i) in local.iter().enumerate() {
            value_pos[(offsets[k] + i) as usize] = pos as u32;
        }
    }
    // (kind rank, kind, place of the value in its kind's order): kinds of equal rank (kinds
    // the priority list leaves out) are told apart by their order in the config.
    let key = |n: u32| {
        let k = node_kind[n as usize];
        u64::from(options.rank[k as usize]) << 48
            | u64::from(k) << 32
            | u64::from(value_pos[n as usize])
    };
    let roots: Vec<u32> = (0..n_nodes as u32).map(|n| uf.find(n)).collect();
    let mut best = vec![u32::MAX; n_nodes];
    for (n, &root) in roots.iter().enumerate() {
        let b = &mut best[root as usize];
        if *b == u32::MAX || key(n as u32) < key(*b) {
            *b = n as u32;
        }
    }
    let mut components: Vec<(u64, u32)> = best
        .iter()
        .enumerate()
        .filter(|(_, b)| **b != u32::MAX)
        .map(|(root, b)| (key(*b), root as u32))
        .collect();
    components.par_sort_unstable();
    let mut person_of_root = vec![0u32; n_nodes];
    for (p, (_, root)) in components.iter().enumerate() {
        person_of_root[*root as usize] = p as u32;
    }
    let node_person: Vec<u32> = roots.iter().map(|r| person_of_root[*r as usize]).collect();
    let people = components.len() as u32;

    let (person_of_row, device_of_row): (Vec<Option<u32>>, Vec<Option<u32>>) = (0..n_frame)
        .into_par_iter()
        .map_init(Vec::new, |nodes, r| {
            row_nodes(false, r, nodes);
            let person = nodes.first().map(|(_, n)| node_person[*n as usize]);
            let device = nodes
                .iter()
                .find(|(k, _)| options.is_device[*k])
                .map(|(_, n)| *n);
            (person, device)
        })
        .unzip();

    // The map in its order (person, kind rank, value): sorted as integers.
    let mut by_person: Vec<(u32, u64)> = (0..n_nodes as u32)
        .map(|n| (node_person[n as usize], key(n)))
        .collect();
    by_person.par_sort_unstable();
    let entries: Vec<MapEntry> = by_person
        .par_iter()
        .map(|&(person, key)| {
            let kind = (key >> 32) as u16;
            let local = sorted_kinds[kind as usize][(key & 0xFFFF_FFFF) as usize];
            MapEntry {
                kind,
                value: interned[kind as usize].values[local as usize].to_string(),
                person,
            }
        })
        .collect();
    let map = IdentityMap {
        kinds: kinds.clone(),
        entries,
    };

    let mut stats = person_stats(
        t,
        &map,
        &person_of_row,
        people,
        &options.is_device,
        options.large_component,
    )?;
    stats.links = edges.len() as u64;
    for (k, kind) in kinds.iter().enumerate() {
        if refused[k] > 0 {
            stats.refused.insert(kind.clone(), refused[k]);
        }
        if interned[k].junk > 0 {
            stats.junk_values.insert(kind.clone(), interned[k].junk);
        }
    }
    Ok(Stitched {
        person_of_row,
        device_of_row,
        people,
        map,
        stats,
    })
}

/// The first eight bytes of a text as a big-endian integer (zero-padded): texts whose
/// prefixes differ compare as their prefixes do.
fn prefix(text: &str) -> u64 {
    let mut bytes = [0u8; 8];
    for (b, t) in bytes.iter_mut().zip(text.as_bytes()) {
        *b = *t;
    }
    u64::from_be_bytes(bytes)
}

/// Statistics over people shared by [`stitch`] and [`apply_map`].
pub(crate) fn person_stats(
    t: &Touchpoints,
    map: &IdentityMap,
    person_of_row: &[Option<u32>],
    people: u32,
    is_device: &[bool],
    large_threshold: usize,
) -> Result<StitchStats> {
    let p = people as usize;
    let mut ids = vec![0u64; p];
    let mut per_kind: HashMap<u32, BTreeMap<String, u64>> = HashMap::new();
    for e in &map.entries {
        if let Some(n) = ids.get_mut(e.person as usize) {
            *n += 1;
        }
    }
    let mut large: Vec<(u64, u32)> = ids
        .iter()
        .enumerate()
        .filter(|(_, n)| **n as usize > large_threshold)
        .map(|(person, n)| (*n, person as u32))
        .collect();
    large.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let large_count = large.len() as u64;
    large.truncate(10);
    for (_, person) in &large {
        per_kind.insert(*person, BTreeMap::new());
    }
    let mut device_ids = vec![0u64; p];
    for e in &map.entries {
        if let Some(counts) = per_kind.get_mut(&e.person) {
            *counts
                .entry(map.kinds[e.kind as usize].clone())
                .or_default() += 1;
        }
        if is_device.get(e.kind as usize).copied().unwrap_or(false) {
            if let Some(n) = device_ids.get_mut(e.person as usize) {
                *n += 1;
            }
        }
    }

    // Sources per person, as bit sets over source indexes.
    let sources = t
        .frame
        .column(crate::ingest::schema::SOURCE)
        .and_then(|c| c.str())
        .map_err(|e| Error::format("(touchpoints)", e))?;
    // Rows come in runs of one source: look a source up only when it changes.
    let mut source_index: FxHashMap<&str, usize> = FxHashMap::default();
    let mut last: Option<(&str, usize)> = None;
    // Per person: the first source seen (usize::MAX: none yet), and whether another followed.
    let mut first_source = vec![usize::MAX; p];
    let mut multi_source = vec![false; p];
    for (s, person) in sources.iter().zip(person_of_row) {
        if let (Some(s), Some(person)) = (s, person) {
            let idx = match last {
                Some((name, idx)) if name == s => idx,
                _ => {
                    let next = source_index.len();
                    let idx = *source_index.entry(s).or_insert(next);
                    last = Some((s, idx));
                    idx
                }
            };
            let person = *person as usize;
            if let Some(first) = first_source.get_mut(person) {
                if *first == usize::MAX {
                    *first = idx;
                } else if *first != idx {
                    multi_source[person] = true;
                }
            }
        }
    }

    let bucket = |n: u64| match n {
        0..=4 => n.to_string(),
        5..=9 => "5-9".to_string(),
        _ => "10+".to_string(),
    };
    let mut histogram: BTreeMap<String, u64> = BTreeMap::new();
    for n in &ids {
        *histogram.entry(bucket(*n)).or_default() += 1;
    }
    Ok(StitchStats {
        people: p as u64,
        identifiers: map.entries.len() as u64,
        rows_without_person: person_of_row.iter().filter(|p| p.is_none()).count() as u64,
        identifiers_per_person: histogram,
        max_identifiers: ids.iter().copied().max().unwrap_or(0),
        multi_device_people: device_ids.iter().filter(|n| **n > 1).count() as u64,
        multi_source_people: multi_source.iter().filter(|m| **m).count() as u64,
        large_components: large
            .into_iter()
            .map(|(n, person)| LargeComponent {
                person,
                identifiers: n,
                per_kind: per_kind.remove(&person).unwrap_or_default(),
            })
            .collect(),
        large_component_count: large_count,
        ..StitchStats::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Texts whose prefixes differ order as their prefixes do.
        #[test]
        fn prefixes_order_like_texts(a in "[a-c\\x00]{0,10}", b in "[a-c\\x00]{0,10}") {
            if prefix(&a) != prefix(&b) {
                proptest::prop_assert_eq!(prefix(&a).cmp(&prefix(&b)), a.cmp(&b));
            }
        }
    }
}
