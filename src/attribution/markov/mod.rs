//! Markov chain attribution with removal effects, any order, solved exactly.
//!
//! States as in ChannelAttribution: a path of L channels becomes its L−k+1 windows of k
//! consecutive channels (a path shorter than k is one state), and consecutive identical states
//! collapse. start → first state and state → state transitions count conversions + nulls;
//! last state → conversion counts conversions, last state → null counts nulls. The removal
//! effect of channel c redirects every state containing c to null:
//! RE(c) = 1 − P₋c(conversion) / P(conversion), each P the absorption probability from start,
//! and credit(c) = RE(c) / Σ RE × total conversions. Value uses the expected conversion value:
//! a conversion leaving state s is worth m_s, the mean value of the journeys ending in s, and
//! W = Σ_s m_s · E[visits to s] · p(s → conversion) is solved with the same system.

mod solve;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::json;

use super::{blank, Attribution, Model, ModelInput};
use crate::error::Result;
use crate::journey::PathTable;

const START: usize = 0;
/// Largest chain whose transition matrix goes into the diagnostics.
const MATRIX_MAX_STATES: usize = 200;

/// The Markov model of a given order.
#[derive(Debug, Clone, Copy)]
pub struct Markov {
    order: usize,
}

impl Markov {
    pub fn new(order: usize) -> Markov {
        Markov { order }
    }
}

/// The chain: node 0 is the start, node i ≥ 1 is `states[i - 1]`.
struct Chain {
    states: Vec<Vec<u32>>,
    /// Transitions between nodes, sorted by target.
    out: Vec<Vec<(usize, f64)>>,
    /// P(node → conversion), P(node → null).
    conversion: Vec<f64>,
    null: Vec<f64>,
    /// Mean value of a conversion leaving the node.
    mean_value: Vec<f64>,
}

/// The states of one path: its windows of `k` channels (the path itself when shorter),
/// consecutive repeats collapsed. (What [`build_chain`] walks, one channel at a time.)
#[cfg(test)]
fn states_of(path: &[u32], k: usize) -> impl Iterator<Item = &[u32]> {
    let windows = if path.len() < k {
        path.windows(path.len().max(1))
    } else {
        path.windows(k)
    };
    let mut last: Option<&[u32]> = None;
    windows.filter(move |w| {
        let repeat = last == Some(*w);
        last = Some(w);
        !repeat
    })
}

/// Builds the chain with states numbered in order of first appearance (start is 0). Counts
/// are whole numbers held exactly in f64, so the order of their sums does not matter.
///
/// A state after the first of a path is the one before it moved on by one channel, so each
/// (state, next channel) is looked up once by two integers ([`Steps`]), not by hashing and
/// comparing the window of channels at every step of every path (that was most of Markov's
/// time on 1M journeys: 60 ms of a 180 ms whole process).
fn build_chain(table: &PathTable, k: usize) -> Chain {
    let mut ids: FxHashMap<&[u32], usize> = FxHashMap::default();
    let mut states: Vec<&[u32]> = Vec::new();
    let mut steps = Steps::default();
    let mut id_of = |ids: &mut FxHashMap<_, _>, s| {
        *ids.entry(s).or_insert_with(|| {
            states.push(s);
            states.len()
        })
    };
    let mut ends = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let w = (row.conversions + row.nulls) as f64;
        if w == 0.0 || row.path.is_empty() {
            continue;
        }
        let width = k.min(row.path.len());
        let mut prev = id_of(&mut ids, &row.path[..width]);
        steps.first(prev, w);
        for (end, &channel) in row.path.iter().enumerate().skip(width) {
            let (next, weight) = steps.next(prev, channel, || {
                id_of(&mut ids, &row.path[end + 1 - width..=end])
            });
            // A window equal to the one before (a repeat) is the same state: collapsed.
            if next != prev {
                *weight += w;
                prev = next;
            }
        }
        ends.push((prev, row));
    }
    let mut conv_w = vec![0.0; states.len() + 1];
    let mut null_w = vec![0.0; states.len() + 1];
    let mut value = vec![0.0; states.len() + 1];
    for (end, row) in ends {
        conv_w[end] += row.conversions as f64;
        null_w[end] += row.nulls as f64;
        value[end] += row.value;
    }
    let n = states.len() + 1;
    let mut edges: Vec<((usize, usize), f64)> = steps.edges();
    edges.sort_unstable_by_key(|e| e.0);
    let mut out: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut total: Vec<f64> = conv_w.iter().zip(&null_w).map(|(c, n)| c + n).collect();
    for &((from, to), w) in &edges {
        out[from].push((to, w));
        total[from] += w;
    }
    let mut conversion = vec![0.0; n];
    let mut null = vec![0.0; n];
    let mut mean_value = vec![0.0; n];
    for s in 0..n {
        let norm = if total[s] > 0.0 { 1.0 / total[s] } else { 0.0 };
        for edge in &mut out[s] {
            edge.1 *= norm;
        }
        conversion[s] = conv_w[s] * norm;
        null[s] = null_w[s] * norm;
        mean_value[s] = if conv_w[s] > 0.0 {
            value[s] / conv_w[s]
        } else {
            0.0
        };
    }
    Chain {
        states: states.into_iter().map(<[u32]>::to_vec).collect(),
        out,
        conversion,
        null,
        mean_value,
    }
}

/// The chain's moves, by (state, next channel): the state it leads to and the weight of
/// the edge. From a state, a channel leads to one state, and different channels to
/// different states (a state's window ends with the channel that led to it), so an edge is
/// one (state, channel). The first state of a path is the start's move by its whole first
/// window; those are keyed by the state reached in place of the channel.
#[derive(Default)]
struct Steps {
    /// (state, channel) → (next state, edge weight).
    moves: FxHashMap<(usize, u32), (usize, f64)>,
}

impl Steps {
    /// The state `channel` leads to from `from` (found by `window` the first time), and the
    /// weight of that edge.
    fn next(
        &mut self,
        from: usize,
        channel: u32,
        window: impl FnOnce() -> usize,
    ) -> (usize, &mut f64) {
        let (to, w) = self
            .moves
            .entry((from, channel))
            .or_insert_with(|| (window(), 0.0));
        (*to, w)
    }

    /// Adds `w` to the edge from the start to `to`, a path's first state.
    fn first(&mut self, to: usize, w: f64) {
        self.moves.entry((START, to as u32)).or_insert((to, 0.0)).1 += w;
    }

    /// Every edge with its weight: ((from, to), weight).
    fn edges(self) -> Vec<((usize, usize), f64)> {
        self.moves
            .into_iter()
            .filter(|(_, (_, w))| *w > 0.0)
            .map(|((from, _), (to, w))| ((from, to), w))
            .collect()
    }
}

impl Chain {
    /// (P(conversion), expected value) from the start, with `removed` nodes sent to null.
    fn absorb(&self, removed: &[bool]) -> Result<(f64, f64)> {
        let rhs: Vec<[f64; 2]> = self
            .conversion
            .iter()
            .zip(&self.mean_value)
            .map(|(p, m)| [*p, p * m])
            .collect();
        let x = solve::absorb(&self.out, &rhs, removed, START)?;
        Ok((x[START][0], x[START][1]))
    }

    fn name(&self, node: usize, channels: &[String]) -> String {
        if node == START {
            return "(start)".into();
        }
        self.states[node - 1]
            .iter()
            .map(|c| channels[*c as usize].as_str())
            .collect::<Vec<_>>()
            .join(" > ")
    }
}

impl Model for Markov {
    fn attribute(&self, input: &ModelInput) -> Result<Attribution> {
        let table = input.table;
        let mut a = blank(table);
        let chain = build_chain(table, self.order);
        let n_nodes = chain.out.len();
        let (p, w) = chain.absorb(&vec![false; n_nodes])?;
        let effects: Vec<(f64, f64)> = (0..table.channels.len() as u32)
            .into_par_iter()
            .map(|c| {
                let removed: Vec<bool> = (0..n_nodes)
                    .map(|node| node != START && chain.states[node - 1].contains(&c))
                    .collect();
                if !removed.iter().any(|r| *r) {
                    return Ok((0.0, 0.0));
                }
                let (pc, wc) = chain.absorb(&removed)?;
                let re = if p > 0.0 { 1.0 - pc / p } else { 0.0 };
                let vre = if w > 0.0 { 1.0 - wc / w } else { 0.0 };
                Ok((re, vre))
            })
            .collect::<Result<_>>()?;
        let (sum_re, sum_vre): (f64, f64) = effects
            .iter()
            .fold((0.0, 0.0), |acc, e| (acc.0 + e.0, acc.1 + e.1));
        let (total_c, total_v) = (table.conversions() as f64, table.value());
        for (i, (re, vre)) in effects.iter().enumerate() {
            a.conversions[i] = if sum_re > 0.0 {
                re / sum_re * total_c
            } else {
                0.0
            };
            a.value[i] = if sum_vre > 0.0 {
                vre / sum_vre * total_v
            } else {
                0.0
            };
        }
        if p == 0.0 {
            a.notes.push("no conversions: nothing to attribute".into());
        } else if sum_re == 0.0 {
            a.notes
                .push("no removal changes the conversion probability: credits are zero".into());
        }
        let by_channel = |f: fn(&(f64, f64)) -> f64| -> serde_json::Map<String, serde_json::Value> {
            table
                .channels
                .iter()
                .zip(&effects)
                .map(|(c, e)| (c.clone(), json!(f(e))))
                .collect()
        };
        let mut diagnostics = json!({
            "order": self.order,
            "states": chain.states.len(),
            "conversion_probability": p,
            "expected_value": w,
            "removal_effects": by_channel(|e| e.0),
            "value_removal_effects": by_channel(|e| e.1),
        });
        if chain.states.len() <= MATRIX_MAX_STATES {
            let matrix: serde_json::Map<String, serde_json::Value> = (0..n_nodes)
                .map(|s| {
                    let mut row: serde_json::Map<String, serde_json::Value> = chain.out[s]
                        .iter()
                        .map(|(t, q)| (chain.name(*t, &table.channels), json!(q)))
                        .collect();
                    if s != START {
                        row.insert("(conversion)".into(), json!(chain.conversion[s]));
                        row.insert("(null)".into(), json!(chain.null[s]));
                    }
                    (
                        chain.name(s, &table.channels),
                        serde_json::Value::Object(row),
                    )
                })
                .collect();
            diagnostics["transition_matrix"] = serde_json::Value::Object(matrix);
        }
        a.diagnostics = diagnostics;
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain as its definition reads: each path's states ([`states_of`]) numbered in
    /// order of first appearance, an edge per consecutive pair (the start first) weighted by
    /// the path's journeys, each node's edges, conversions and nulls over their total.
    /// Returns the states, the edges and P(conversion), P(null) per node.
    #[allow(clippy::type_complexity)]
    fn chain_by_definition(
        table: &PathTable,
        k: usize,
    ) -> (Vec<Vec<u32>>, Vec<Vec<(usize, f64)>>, Vec<f64>, Vec<f64>) {
        let mut states: Vec<Vec<u32>> = Vec::new();
        let mut edges: std::collections::BTreeMap<(usize, usize), f64> = Default::default();
        let mut ends = Vec::new();
        for row in &table.rows {
            let w = (row.conversions + row.nulls) as f64;
            if w == 0.0 || row.path.is_empty() {
                continue;
            }
            let mut prev = START;
            for s in states_of(&row.path, k) {
                let id = match states.iter().position(|x| x == s) {
                    Some(i) => i + 1,
                    None => {
                        states.push(s.to_vec());
                        states.len()
                    }
                };
                *edges.entry((prev, id)).or_default() += w;
                prev = id;
            }
            ends.push((prev, row.conversions as f64, row.nulls as f64));
        }
        let n = states.len() + 1;
        let (mut conversion, mut null) = (vec![0.0; n], vec![0.0; n]);
        for (end, c, z) in ends {
            conversion[end] += c;
            null[end] += z;
        }
        let mut total: Vec<f64> = conversion.iter().zip(&null).map(|(c, z)| c + z).collect();
        let mut out = vec![Vec::new(); n];
        for ((from, to), w) in edges {
            out[from].push((to, w));
            total[from] += w;
        }
        for node in 0..n {
            let norm = if total[node] > 0.0 {
                1.0 / total[node]
            } else {
                0.0
            };
            out[node].iter_mut().for_each(|e| e.1 *= norm);
            conversion[node] *= norm;
            null[node] *= norm;
        }
        (states, out, conversion, null)
    }

    proptest::proptest! {
        /// The chain built one channel at a time is the chain by definition, to the bit.
        #[test]
        fn the_chain_is_the_chain_by_definition(
            rows in proptest::collection::vec(
                (proptest::collection::vec(0u32..3, 0..9), 0u64..3, 0u64..3),
                0..40,
            ),
            k in 1usize..5,
        ) {
            let table = PathTable::from_named(rows.iter().map(|(p, c, n)| {
                let names = p.iter().map(|i| format!("c{i}")).collect();
                (names, String::new(), String::new(), *c, *c as f64 * 2.5, *n)
            }));
            let chain = build_chain(&table, k);
            let (states, out, conversion, null) = chain_by_definition(&table, k);
            proptest::prop_assert_eq!(chain.states, states);
            proptest::prop_assert_eq!(chain.out, out);
            proptest::prop_assert_eq!(chain.conversion, conversion);
            proptest::prop_assert_eq!(chain.null, null);
        }
    }

    #[test]
    fn states_are_windows_with_repeats_collapsed() {
        let states = |path: &[u32], k| states_of(path, k).map(<[u32]>::to_vec).collect::<Vec<_>>();
        assert_eq!(states(&[1, 2, 3], 1), [vec![1], vec![2], vec![3]]);
        assert_eq!(states(&[1, 1, 2], 1), [vec![1], vec![2]]);
        assert_eq!(states(&[1, 2, 3], 2), [vec![1, 2], vec![2, 3]]);
        assert_eq!(states(&[1, 1, 1, 1], 2), [vec![1, 1]]);
        assert_eq!(states(&[1, 2], 3), [vec![1, 2]]);
        assert_eq!(
            states(&[1, 2, 1, 2], 2),
            [vec![1, 2], vec![2, 1], vec![1, 2]]
        );
    }
}
