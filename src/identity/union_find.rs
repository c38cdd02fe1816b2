//! Union-find with path compression, union by rank, and per-kind size limits.

/// Disjoint sets over node ids, counting each component's nodes per kind.
pub struct UnionFind {
    parent: Vec<u32>,
    rank: Vec<u8>,
    /// `counts[root * kinds + k]`: nodes of kind `k` in the component of `root`.
    counts: Vec<u32>,
    kinds: usize,
}

/// Why a union was refused: the kind whose limit it would break.
pub type Refusal = usize;

impl UnionFind {
    /// `node_kind[i]` is the kind of node `i`, below `kinds`.
    pub fn new(node_kind: &[u16], kinds: usize) -> UnionFind {
        let n = node_kind.len();
        let mut counts = vec![0u32; n * kinds];
        for (i, k) in node_kind.iter().enumerate() {
            counts[i * kinds + *k as usize] = 1;
        }
        UnionFind {
            parent: (0..n as u32).collect(),
            rank: vec![0; n],
            counts,
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
        let (ia, ib) = (ra as usize * self.kinds, rb as usize * self.kinds);
        if let Some(k) = order
            .iter()
            .find(|&&k| self.counts[ia + k].saturating_add(self.counts[ib + k]) > limits[k])
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
        let (ir, ic) = (root as usize * self.kinds, child as usize * self.kinds);
        for k in 0..self.kinds {
            self.counts[ir + k] += self.counts[ic + k];
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
}
