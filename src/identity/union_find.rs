//! Union-find with path compression, union by rank, and per-kind size limits.

use rayon::prelude::*;

/// Disjoint sets over node ids, counting each component's nodes per kind.
///
/// Most components stay single identifiers, whose counts follow from their kind: only a
/// component that has been joined gets a row of counts, so memory grows with the joins, not
/// with the nodes times the kinds.
pub struct UnionFind<'a> {
    parent: Vec<u32>,
    rank: Vec<u8>,
    node_kind: &'a [u16],
    /// Row of counts of a joined root in `counts` ([`SINGLE`] for a single node).
    slot: Vec<u32>,
    /// `counts[slot * kinds + k]`: nodes of kind `k` in the component.
    counts: Vec<u32>,
    kinds: usize,
}

/// A root that has not been joined yet: it holds one node, of its own kind.
const SINGLE: u32 = u32::MAX;

/// Why a union was refused: the kind whose limit it would break.
pub type Refusal = usize;

impl<'a> UnionFind<'a> {
    /// `node_kind[i]` is the kind of node `i`, below `kinds`.
    pub fn new(node_kind: &'a [u16], kinds: usize) -> UnionFind<'a> {
        let n = node_kind.len();
        UnionFind {
            parent: (0..n as u32).collect(),
            rank: vec![0; n],
            node_kind,
            slot: vec![SINGLE; n],
            counts: Vec::new(),
            kinds,
        }
    }

    /// The root of `x`'s component.
    pub fn find(&mut self, mut x: u32) -> u32 {
        let mut root = x;
        while self.parent[root as usize] != root {
            root = self.parent[root as usize];
        }
        while self.parent[x as usize] != root {
            let next = self.parent[x as usize];
            self.parent[x as usize] = root;
            x = next;
        }
        root
    }

    /// Every node's root, found in parallel (read only: union by rank keeps the paths short).
    pub fn into_roots(self) -> Vec<u32> {
        let parent = &self.parent;
        (0..parent.len() as u32)
            .into_par_iter()
            .map(|mut x| {
                while parent[x as usize] != x {
                    x = parent[x as usize];
                }
                x
            })
            .collect()
    }

    /// Nodes of kind `k` in the component of `root`.
    fn count(&self, root: u32, k: usize) -> u32 {
        match self.slot[root as usize] {
            SINGLE => u32::from(usize::from(self.node_kind[root as usize]) == k),
            s => self.counts[s as usize * self.kinds + k],
        }
    }

    /// Joins the components of `a` and `b` unless the result would hold more than
    /// `limits[k]` nodes of some kind `k`; `order` lists kinds strongest first, and the
    /// refusal names the strongest kind over its limit. Ok(true) when joined, Ok(false) when
    /// already joined.
    pub fn union(
        &mut self,
        a: u32,
        b: u32,
        limits: &[u32],
        order: &[usize],
    ) -> Result<bool, Refusal> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return Ok(false);
        }
        if let Some(k) = order
            .iter()
            .find(|&&k| self.count(ra, k).saturating_add(self.count(rb, k)) > limits[k])
        {
            return Err(*k);
        }
        let (root, child) = match self.rank[ra as usize].cmp(&self.rank[rb as usize]) {
            std::cmp::Ordering::Less => (rb, ra),
            std::cmp::Ordering::Greater => (ra, rb),
            std::cmp::Ordering::Equal => {
                self.rank[ra as usize] += 1;
                (ra, rb)
            }
        };
        self.parent[child as usize] = root;
        // The joined counts go to one row: the root's, or the child's (taken over by a single
        // root), or a new one when both were single.
        let kinds = self.kinds;
        match (self.slot[root as usize], self.slot[child as usize]) {
            (SINGLE, SINGLE) => {
                let s = (self.counts.len() / kinds) as u32;
                let (r, c) = (
                    usize::from(self.node_kind[root as usize]),
                    usize::from(self.node_kind[child as usize]),
                );
                self.counts
                    .extend((0..kinds).map(|k| u32::from(k == r) + u32::from(k == c)));
                self.slot[root as usize] = s;
            }
            (SINGLE, s) => {
                self.counts[s as usize * kinds + self.node_kind[root as usize] as usize] += 1;
                self.slot[root as usize] = s;
            }
            (s, SINGLE) => {
                self.counts[s as usize * kinds + self.node_kind[child as usize] as usize] += 1;
            }
            (s, c) => {
                for k in 0..kinds {
                    self.counts[s as usize * kinds + k] += self.counts[c as usize * kinds + k];
                }
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_finds() {
        let mut uf = UnionFind::new(&[0, 0, 0, 0], 1);
        let open = [u32::MAX];
        assert_eq!(uf.union(0, 1, &open, &[0]), Ok(true));
        assert_eq!(uf.union(2, 3, &open, &[0]), Ok(true));
        assert_eq!(uf.union(1, 0, &open, &[0]), Ok(false));
        assert_ne!(uf.find(0), uf.find(2));
        assert_eq!(uf.union(3, 0, &open, &[0]), Ok(true));
        assert_eq!(uf.find(1), uf.find(2));
    }

    #[test]
    fn refuses_a_merge_that_breaks_a_limit() {
        // Kind 0: user id (limit 1); kind 1: cookie (no limit).
        let mut uf = UnionFind::new(&[0, 1, 0, 1], 2);
        let limits = [1, u32::MAX];
        let order = [0, 1];
        assert_eq!(uf.union(0, 1, &limits, &order), Ok(true));
        assert_eq!(uf.union(2, 3, &limits, &order), Ok(true));
        // Cookie 3 also seen with user 0: would put two user ids in one person.
        assert_eq!(uf.union(1, 3, &limits, &order), Err(0));
        assert_ne!(uf.find(0), uf.find(2));
    }

    #[test]
    fn counts_add_up_over_joined_components() {
        // Kind 0 with a limit of 2; kind 1 unlimited.
        let kinds = [0, 1, 0, 1, 0, 1];
        let mut uf = UnionFind::new(&kinds, 2);
        let limits = [2, u32::MAX];
        let order = [0, 1];
        assert_eq!(uf.union(0, 1, &limits, &order), Ok(true));
        assert_eq!(uf.union(2, 3, &limits, &order), Ok(true));
        // Two joined components: two nodes of kind 0, at the limit.
        assert_eq!(uf.union(1, 3, &limits, &order), Ok(true));
        // A single node of kind 1 joins freely; one more of kind 0 breaks the limit.
        assert_eq!(uf.union(5, 0, &limits, &order), Ok(true));
        assert_eq!(uf.union(4, 2, &limits, &order), Err(0));
        assert_ne!(uf.find(4), uf.find(0));
        assert_eq!(uf.find(5), uf.find(2));
    }
}
