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

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

pub use evaluate::{evaluate, read_truth, PairScore};
pub use map::{apply_map, read_map, write_map, IdentityMap, MapEntry};

use crate::ingest::{segments, InternedIds, Texts, NO_VALUE};
pub use options::{
    Guard, IdentityOptions, JunkFilter, DEFAULT_JUNK, DEFAULT_LIMITS, DEFAULT_PRIORITY, HASHED_JUNK,
};
use union_find::UnionFind;

use crate::error::{Error, Result};
use crate::ingest::Touchpoints;

/// No person or device: a row without a usable identifier (or without a device identifier).
/// A sentinel rather than `Option` halves the two numbers held per row (100M rows: 0.6 GB).
pub const NONE: u32 = u32::MAX;

/// People and how every touchpoint row maps to one.
#[derive(Debug, Clone, Default)]
pub struct Stitched {
    /// Person of each row of the touchpoint frame; [`NONE`] when the row has no usable
    /// identifier.
    pub person_of_row: Vec<u32>,
    /// Device or browser of each frame row (an id unique per device identifier); [`NONE`]
    /// when it has none.
    pub device_of_row: Vec<u32>,
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

/// One kind's identifiers: its nodes (usable values, in input order) as value numbers, junk
/// cells seen, and the node (local to the kind) of each interned value ([`NO_NODE`] when junk).
struct Interned {
    value_of_node: Vec<u32>,
    junk: u64,
    node_of_value: Vec<u32>,
}

/// A cell with no usable identifier.
const NO_NODE: u32 = u32::MAX;

/// Stitches the identifiers of a load into people.
pub fn stitch(t: &Touchpoints, options: &IdentityOptions) -> Result<Stitched> {
    match &t.ids {
        Some(ids) => stitch_ids(t, ids, Cow::Borrowed(&ids.values), options),
        None => {
            let frame_cols = id_columns(&t.frame, &t.id_kinds)?;
            let link_cols = id_columns(&t.links, &t.id_kinds)?;
            let mut ids = InternedIds::from_columns(&frame_cols, &link_cols);
            let values = std::mem::take(&mut ids.values);
            stitch_ids(t, &ids, Cow::Owned(values), options)
        }
    }
}

/// [`stitch`], taking the identifier texts out of `t`'s interned identifiers: they are freed
/// as soon as each kind's values are sorted (unless the map is kept), before the links are
/// joined. The first pass of a run in shards holds nothing else as large (2.6 GiB of the
/// 100M-row set's 5.4 GiB after loading).
pub fn stitch_freeing_texts(t: &mut Touchpoints, options: &IdentityOptions) -> Result<Stitched> {
    let values = t.ids.as_mut().map(|ids| std::mem::take(&mut ids.values));
    match (&t.ids, values) {
        (Some(ids), Some(values)) => stitch_ids(t, ids, Cow::Owned(values), options),
        _ => stitch(t, options),
    }
}

/// [`stitch`] over identifiers interned per kind (`values`: their texts, which `ids` may no
/// longer hold): nodes and their order, then links, components, people, and each row's
/// person and device.
fn stitch_ids(
    t: &Touchpoints,
    ids: &InternedIds,
    values: Cow<'_, [Texts]>,
    options: &IdentityOptions,
) -> Result<Stitched> {
    let kinds = &t.id_kinds;
    let graph = Graph::new(ids, &values, options);
    let (value_pos, sorted_kinds) = graph.value_positions(&values);
    // Only the map reads the texts and the sorted values again: without it they go now.
    let for_map = options.keep_map.then_some((values, sorted_kinds));
    let frame_segments = segments(&ids.frame, CHUNK);
    let (uf, refused, n_links) = graph.union_links(&frame_segments);
    // (kind rank, kind, place of the value in its kind's order): kinds of equal rank (kinds
    // the priority list leaves out) are told apart by their order in the config.
    let key = |n: u32| {
        let k = graph.node_kind[n as usize];
        u64::from(options.rank[k as usize]) << 48
            | u64::from(k) << 32
            | u64::from(value_pos[n as usize])
    };
    let (node_person, people) = number_people(uf.into_roots(), &key);
    let (person_of_row, device_of_row) =
        graph.people_of_rows(frame_segments, frame_rows(t, ids), &node_person);
    let map = match &for_map {
        Some((values, sorted_kinds)) => {
            graph.identity_map(kinds, values, &node_person, &key, sorted_kinds)
        }
        None => IdentityMap::default(),
    };
    let mut stats = person_stats(
        t,
        kinds,
        (&node_person, &graph.node_kind),
        &person_of_row,
        people,
        &options.is_device,
        options.large_component,
    );
    stats.links = n_links;
    for (k, kind) in kinds.iter().enumerate() {
        if refused[k] > 0 {
            stats.refused.insert(kind.clone(), refused[k]);
        }
        if graph.interned[k].junk > 0 {
            stats
                .junk_values
                .insert(kind.clone(), graph.interned[k].junk);
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

/// Rows go in segments over which each kind is stored or not (a file's rows, cut to CHUNK).
const CHUNK: usize = 1 << 16;

/// The identity graph's nodes: every usable (kind, value), numbered kind after kind.
struct Graph<'a> {
    ids: &'a InternedIds,
    options: &'a IdentityOptions,
    /// Per kind: its nodes and junk.
    interned: Vec<Interned>,
    /// First node of each kind.
    offsets: Vec<u32>,
    /// Kind of each node.
    node_kind: Vec<u16>,
    /// Kinds strongest first.
    order: Vec<usize>,
}

impl<'a> Graph<'a> {
    /// Junk is judged once per distinct value; the other values become the kind's nodes, in
    /// input order.
    fn new(ids: &'a InternedIds, values: &[Texts], options: &'a IdentityOptions) -> Graph<'a> {
        let kinds = values.len();
        let interned: Vec<Interned> = (0..kinds)
            .into_par_iter()
            .map(|k| {
                let mut value_of_node = Vec::new();
                let node_of_value: Vec<u32> = values[k]
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        if options.junk.is_junk(v) {
                            NO_NODE
                        } else {
                            value_of_node.push(i as u32);
                            value_of_node.len() as u32 - 1
                        }
                    })
                    .collect();
                let junk = ids.frame[k]
                    .stored()
                    .chain(ids.links[k].stored())
                    .filter(|&c| c != NO_VALUE && node_of_value[c as usize] == NO_NODE)
                    .count() as u64;
                Interned {
                    value_of_node,
                    junk,
                    node_of_value,
                }
            })
            .collect();
        let mut offsets = Vec::with_capacity(kinds);
        let mut node_kind: Vec<u16> = Vec::new();
        for (k, kind) in interned.iter().enumerate() {
            offsets.push(node_kind.len() as u32);
            node_kind.extend(std::iter::repeat_n(k as u16, kind.value_of_node.len()));
        }
        let mut order: Vec<usize> = (0..kinds).collect();
        order.sort_by_key(|&k| (options.rank[k], k));
        Graph {
            ids,
            options,
            interned,
            offsets,
            node_kind,
            order,
        }
    }

    /// The cells of the kinds stored over `rows` (of the links or of the frame), strongest
    /// first.
    fn present(&self, links: bool, rows: &Range<usize>) -> Vec<(usize, &'a [u32])> {
        let cells = if links {
            &self.ids.links
        } else {
            &self.ids.frame
        };
        self.order
            .iter()
            .filter_map(|&k| cells[k].slice(rows.clone()).map(|c| (k, c)))
            .collect()
    }

    /// Row `i` of a segment: its strongest node (the anchor), its device node, and its
    /// links; into a buffer reused from row to row.
    fn row_nodes(&self, present: &[(usize, &[u32])], i: usize, nodes: &mut Vec<(usize, u32)>) {
        nodes.clear();
        nodes.extend(present.iter().filter_map(|&(k, cells)| {
            let value = cells[i];
            if value == NO_VALUE {
                return None;
            }
            let local = self.interned[k].node_of_value[value as usize];
            (local != NO_NODE).then(|| (k, self.offsets[k] + local))
        }));
    }

    /// The links of a segment, (rank of the weaker kind, node, node), each once.
    fn edges_of(&self, links: bool, rows: Range<usize>) -> Vec<(u8, u32, u32)> {
        let mut edges: Vec<(u8, u32, u32)> = Vec::new();
        let mut nodes = Vec::new();
        let present = self.present(links, &rows);
        for i in 0..rows.len() {
            self.row_nodes(&present, i, &mut nodes);
            if let Some((_, anchor)) = nodes.first() {
                for (k, n) in &nodes[1..] {
                    let (a, b) = if anchor < n {
                        (*anchor, *n)
                    } else {
                        (*n, *anchor)
                    };
                    edges.push((self.options.rank[*k], a, b));
                }
            }
        }
        // Rows repeat the same links (every session of a logged-in cookie): fewer edges to
        // hold and sort.
        edges.sort_unstable();
        edges.dedup();
        edges
    }

    /// Applies every distinct link, strongest first, under the limits: the components, the
    /// links refused per kind, and the links seen.
    fn union_links(&self, frame_segments: &[Range<usize>]) -> (UnionFind<'_>, Vec<u64>, u64) {
        let mut edges: Vec<(u8, u32, u32)> = frame_segments
            .iter()
            .map(|r| (false, r.clone()))
            .chain(
                segments(&self.ids.links, CHUNK)
                    .into_iter()
                    .map(|r| (true, r)),
            )
            .collect::<Vec<_>>()
            .into_par_iter()
            .flat_map_iter(|(links, rows)| self.edges_of(links, rows))
            .collect();
        edges.par_sort_unstable();
        edges.dedup();
        let kinds = self.interned.len();
        let mut uf = UnionFind::new(&self.node_kind, kinds);
        let mut refused = vec![0u64; kinds];
        match self.options.guard {
            Guard::Limits => {
                for &(_, a, b) in &edges {
                    if let Err(k) = uf.union(a, b, &self.options.limits, &self.order) {
                        refused[k] += 1;
                    }
                }
            }
            Guard::IsolateShared => {
                let shared = self.shared_nodes(&edges);
                let unlimited = vec![u32::MAX; kinds];
                for &(_, a, b) in &edges {
                    let isolated = [a, b].into_iter().find(|n| shared[*n as usize]);
                    match isolated {
                        Some(n) => refused[usize::from(self.node_kind[n as usize])] += 1,
                        None => {
                            let _ = uf.union(a, b, &unlimited, &self.order);
                        }
                    }
                }
            }
        }
        (uf, refused, edges.len() as u64)
    }

    /// The nodes linked directly to more nodes of some kind than that kind's limit (`edges`
    /// are distinct). Counts saturate at 255: limits above it never isolate.
    fn shared_nodes(&self, edges: &[(u8, u32, u32)]) -> Vec<bool> {
        let kinds = self.interned.len();
        let mut neighbours = vec![0u8; self.node_kind.len() * kinds];
        for &(_, a, b) in edges {
            for (node, other) in [(a, b), (b, a)] {
                let k = usize::from(self.node_kind[other as usize]);
                let count = &mut neighbours[node as usize * kinds + k];
                *count = count.saturating_add(1);
            }
        }
        neighbours
            .chunks(kinds)
            .map(|counts| {
                counts
                    .iter()
                    .zip(&self.options.limits)
                    .any(|(n, limit)| u32::from(*n) > *limit)
            })
            .collect()
    }

    /// Each node's place in its kind's value order, and each kind's nodes in that order.
    /// Each kind's values are sorted once; after that every order is an integer order.
    fn value_positions(&self, values: &[Texts]) -> (Vec<u32>, Vec<Vec<u32>>) {
        let mut value_pos = vec![0u32; self.node_kind.len()];
        // One kind at a time (each sort is parallel): sorting holds 16 bytes a value while
        // it runs, and two large kinds at once set the peak of stitching 100M rows.
        let sorted_kinds: Vec<Vec<u32>> = self
            .interned
            .iter()
            .zip(values)
            .map(|(kind, all)| sorted_nodes(kind, all))
            .collect();
        // Each kind's nodes are a range of value_pos: kinds in parallel.
        let mut rest = &mut value_pos[..];
        let mut per_kind = Vec::with_capacity(sorted_kinds.len());
        for local in &sorted_kinds {
            let (here, after) = std::mem::take(&mut rest).split_at_mut(local.len());
            per_kind.push((here, local));
            rest = after;
        }
        per_kind.into_par_iter().for_each(|(here, local)| {
            for (pos, &i) in local.iter().enumerate() {
                here[i as usize] = pos as u32;
            }
        });
        (value_pos, sorted_kinds)
    }

    /// The person and device of every frame row, written in place, a segment per task: no
    /// second copy of two values per row.
    fn people_of_rows(
        &self,
        frame_segments: Vec<Range<usize>>,
        n_frame: usize,
        node_person: &[u32],
    ) -> (Vec<u32>, Vec<u32>) {
        let mut person_of_row: Vec<u32> = vec![NONE; n_frame];
        let mut device_of_row: Vec<u32> = vec![NONE; n_frame];
        let mut jobs = Vec::with_capacity(frame_segments.len());
        let (mut persons, mut devices) = (&mut person_of_row[..], &mut device_of_row[..]);
        // Segments cover the frame's rows in order.
        for rows in frame_segments {
            let (p, rest_p) = std::mem::take(&mut persons).split_at_mut(rows.len());
            let (d, rest_d) = std::mem::take(&mut devices).split_at_mut(rows.len());
            (persons, devices) = (rest_p, rest_d);
            jobs.push((rows, p, d));
        }
        jobs.into_par_iter().for_each(|(rows, persons, devices)| {
            let present = self.present(false, &rows);
            let mut nodes = Vec::new();
            for (i, (person, device)) in persons.iter_mut().zip(devices.iter_mut()).enumerate() {
                self.row_nodes(&present, i, &mut nodes);
                *person = nodes
                    .first()
                    .map_or(NONE, |(_, n)| node_person[*n as usize]);
                *device = nodes
                    .iter()
                    .find(|(k, _)| self.options.is_device[*k])
                    .map_or(NONE, |(_, n)| *n);
            }
        });
        (person_of_row, device_of_row)
    }

    /// The map in its order (person, kind rank, value): sorted as integers.
    fn identity_map(
        &self,
        kinds: &[String],
        values: &[Texts],
        node_person: &[u32],
        key: &(impl Fn(u32) -> u64 + Sync),
        sorted_kinds: &[Vec<u32>],
    ) -> IdentityMap {
        let mut by_person: Vec<(u32, u64)> = (0..self.node_kind.len() as u32)
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
                    value: values[kind as usize]
                        .get(self.interned[kind as usize].value_of_node[local as usize] as usize)
                        .to_string(),
                    person,
                }
            })
            .collect();
        IdentityMap {
            kinds: kinds.to_vec(),
            entries,
        }
    }
}

/// One kind's nodes sorted by their values.
fn sorted_nodes(kind: &Interned, all: &Texts) -> Vec<u32> {
    let n = kind.value_of_node.len() as u32;
    let value = |node: u32| {
        all.get(kind.value_of_node[node as usize] as usize)
            .as_bytes()
    };
    // Bytes every value of the kind starts with ("GA1.2." of every cookie) order nothing:
    // comparisons start after them.
    let skip = match n {
        0 => 0,
        _ => (1..n).fold(value(0).len(), |common, node| {
            value(0)[..common]
                .iter()
                .zip(value(node))
                .take_while(|(a, b)| a == b)
                .count()
        }),
    };
    let value = |node: u32| &value(node)[skip..];
    // Most comparisons settle on the next eight bytes, held as an integer.
    let mut local: Vec<(u64, u32)> = (0..n).map(|n| (prefix(value(n)), n)).collect();
    local.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| value(a.1).cmp(value(b.1))));
    local.into_iter().map(|(_, i)| i).collect()
}

/// Numbers people by their smallest identifier `key`: the person of every node, and the
/// number of people.
fn number_people(roots: Vec<u32>, key: &(impl Fn(u32) -> u64 + Sync)) -> (Vec<u32>, u32) {
    // Per root: its node of the smallest key (keys are unique, so the order of the updates
    // does not matter); then, once people are numbered, the person of the root.
    let best: Vec<AtomicU32> = (0..roots.len())
        .into_par_iter()
        .map(|_| AtomicU32::new(u32::MAX))
        .collect();
    roots.par_iter().enumerate().for_each(|(n, &root)| {
        let (n, k) = (n as u32, key(n as u32));
        let _ = best[root as usize].fetch_update(Relaxed, Relaxed, |b| {
            (b == u32::MAX || k < key(b)).then_some(n)
        });
    });
    let mut components: Vec<(u64, u32)> = best
        .par_iter()
        .enumerate()
        .filter_map(|(root, b)| {
            let b = b.load(Relaxed);
            (b != u32::MAX).then(|| (key(b), root as u32))
        })
        .collect();
    components.par_sort_unstable();
    components
        .par_iter()
        .enumerate()
        .for_each(|(p, (_, root))| best[*root as usize].store(p as u32, Relaxed));
    let mut node_person = roots;
    node_person
        .par_iter_mut()
        .for_each(|r| *r = best[*r as usize].load(Relaxed));
    (node_person, components.len() as u32)
}

/// The first eight bytes of a text as a big-endian integer (zero-padded): texts whose
/// prefixes differ compare as their prefixes do.
fn prefix(text: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    for (b, t) in bytes.iter_mut().zip(text) {
        *b = *t;
    }
    u64::from_be_bytes(bytes)
}

/// Frame rows of a load: the identifier cells per kind, or the rows loaded when no kind.
fn frame_rows(t: &Touchpoints, ids: &InternedIds) -> usize {
    match ids.frame.first() {
        Some(cells) => cells.len(),
        None => t.rows_per_file.iter().sum(),
    }
}

/// What the identifiers tell about people (person and kind of each identifier).
struct IdentifierCounts {
    /// Identifiers per person.
    per_person: Vec<u32>,
    /// The largest components over the threshold (at most ten, largest first): (identifiers,
    /// person).
    large: Vec<(u64, u32)>,
    /// Components over the threshold in all.
    large_count: u64,
    /// Identifiers per kind of each of `large`.
    per_kind: HashMap<u32, BTreeMap<String, u64>>,
    /// People with more than one device identifier.
    multi_device: u64,
}

fn identifier_counts(
    kinds: &[String],
    identifiers: (&[u32], &[u16]),
    people: usize,
    is_device: &[bool],
    large_threshold: usize,
) -> IdentifierCounts {
    // Per-person counters are u32 (a person has fewer identifiers than there are nodes).
    let mut ids = vec![0u32; people];
    let mut per_kind: HashMap<u32, BTreeMap<String, u64>> = HashMap::new();
    let identifiers = || {
        identifiers
            .0
            .iter()
            .copied()
            .zip(identifiers.1.iter().copied())
    };
    for (person, _) in identifiers() {
        if let Some(n) = ids.get_mut(person as usize) {
            *n += 1;
        }
    }
    let mut large: Vec<(u64, u32)> = ids
        .iter()
        .enumerate()
        .filter(|(_, n)| **n as usize > large_threshold)
        .map(|(person, n)| (u64::from(*n), person as u32))
        .collect();
    large.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let large_count = large.len() as u64;
    large.truncate(10);
    for (_, person) in &large {
        per_kind.insert(*person, BTreeMap::new());
    }
    let mut device_ids = vec![0u32; people];
    for (person, kind) in identifiers() {
        if let Some(counts) = per_kind.get_mut(&person) {
            *counts.entry(kinds[kind as usize].clone()).or_default() += 1;
        }
        if is_device.get(kind as usize).copied().unwrap_or(false) {
            if let Some(n) = device_ids.get_mut(person as usize) {
                *n += 1;
            }
        }
    }
    IdentifierCounts {
        per_person: ids,
        large,
        large_count,
        per_kind,
        multi_device: device_ids.iter().filter(|n| **n > 1).count() as u64,
    }
}

/// People seen in more than one source. Frame rows come in runs of one file, so of one source.
fn multi_source_people(t: &Touchpoints, person_of_row: &[u32], people: usize) -> u64 {
    let source_of_row = t
        .file_sources
        .iter()
        .zip(&t.rows_per_file)
        .flat_map(|(s, n)| std::iter::repeat_n(*s as u32, *n));
    // Per person: the first source seen (u32::MAX: none yet), and whether another followed.
    let mut first_source = vec![u32::MAX; people];
    let mut multi_source = vec![false; people];
    for (idx, &person) in source_of_row.zip(person_of_row) {
        if person != NONE {
            let person = person as usize;
            if let Some(first) = first_source.get_mut(person) {
                if *first == u32::MAX {
                    *first = idx;
                } else if *first != idx {
                    multi_source[person] = true;
                }
            }
        }
    }
    multi_source.iter().filter(|m| **m).count() as u64
}

/// Statistics over people shared by [`stitch`] and [`apply_map`]; `identifiers` holds the
/// person and the kind of every identifier (two slices of one length).
pub(crate) fn person_stats(
    t: &Touchpoints,
    kinds: &[String],
    identifiers: (&[u32], &[u16]),
    person_of_row: &[u32],
    people: u32,
    is_device: &[bool],
    large_threshold: usize,
) -> StitchStats {
    let p = people as usize;
    let n_identifiers = identifiers.0.len() as u64;
    // What the identifiers tell and what the rows tell, side by side.
    let (counts, multi_source) = rayon::join(
        || identifier_counts(kinds, identifiers, p, is_device, large_threshold),
        || multi_source_people(t, person_of_row, p),
    );
    let IdentifierCounts {
        per_person: ids,
        large,
        large_count,
        mut per_kind,
        multi_device,
    } = counts;

    const BUCKETS: [&str; 7] = ["0", "1", "2", "3", "4", "5-9", "10+"];
    let mut buckets = [0u64; BUCKETS.len()];
    for &n in &ids {
        let bucket = match n {
            0..=4 => n as usize,
            5..=9 => 5,
            _ => 6,
        };
        buckets[bucket] += 1;
    }
    let histogram: BTreeMap<String, u64> = BUCKETS
        .iter()
        .zip(buckets)
        .filter(|(_, count)| *count > 0)
        .map(|(name, count)| (name.to_string(), count))
        .collect();
    StitchStats {
        people: p as u64,
        identifiers: n_identifiers,
        rows_without_person: person_of_row.iter().filter(|p| **p == NONE).count() as u64,
        identifiers_per_person: histogram,
        max_identifiers: ids.iter().copied().max().map_or(0, u64::from),
        multi_device_people: multi_device,
        multi_source_people: multi_source,
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Texts whose prefixes differ order as their prefixes do.
        #[test]
        fn prefixes_order_like_texts(a in "[a-c\\x00]{0,10}", b in "[a-c\\x00]{0,10}") {
            let (pa, pb) = (prefix(a.as_bytes()), prefix(b.as_bytes()));
            if pa != pb {
                proptest::prop_assert_eq!(pa.cmp(&pb), a.cmp(&b));
            }
        }
    }
}
