//! Exact absorption in a Markov chain: x_s = b_s + Σ_t P(s→t) x_t for the transient states.
//!
//! The states are split into strongly connected components (Tarjan, iterative), solved one
//! component at a time from the sinks back to the start, so every equation only refers to
//! values already known outside its component. A component is solved by Gaussian elimination
//! with partial pivoting; only very large components fall back to Gauss–Seidel sweeps run to
//! machine precision. No simulation, no randomness.

use crate::error::{Error, Result};

/// Components up to this size are solved directly.
const DIRECT_MAX: usize = 400;

/// Solves for every node reachable from `start` that is not `removed` (removed nodes absorb
/// into nothing: their value is 0). `out[s]` lists (t, P(s→t)); `rhs[s]` holds two right-hand
/// sides solved together.
pub fn absorb(
    out: &[Vec<(usize, f64)>],
    rhs: &[[f64; 2]],
    removed: &[bool],
    start: usize,
) -> Result<Vec<[f64; 2]>> {
    let n = out.len();
    let mut x = vec![[0.0; 2]; n];
    if removed[start] {
        return Ok(x);
    }
    let mut comp_of = vec![usize::MAX; n];
    for (ci, comp) in components(out, removed, start).iter().enumerate() {
        for &s in comp {
            comp_of[s] = ci;
        }
        solve_component(out, rhs, removed, comp, &comp_of, ci, &mut x)?;
    }
    Ok(x)
}

/// Strongly connected components reachable from `start`, sinks first (Tarjan's order).
fn components(out: &[Vec<(usize, f64)>], removed: &[bool], start: usize) -> Vec<Vec<usize>> {
    let n = out.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut comps = Vec::new();
    let mut next = 0;
    let mut call: Vec<(usize, usize)> = vec![(start, 0)];
    index[start] = next;
    low[start] = next;
    next += 1;
    stack.push(start);
    on_stack[start] = true;
    while let Some(top) = call.len().checked_sub(1) {
        let (v, edge) = call[top];
        if edge < out[v].len() {
            call[top].1 += 1;
            let w = out[v][edge].0;
            if removed[w] {
                continue;
            }
            if index[w] == usize::MAX {
                index[w] = next;
                low[w] = next;
                next += 1;
                stack.push(w);
                on_stack[w] = true;
                call.push((w, 0));
            } else if on_stack[w] {
                low[v] = low[v].min(index[w]);
            }
        } else {
            call.pop();
            if let Some(&(u, _)) = call.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                comp.sort_unstable();
                comps.push(comp);
            }
        }
    }
    comps
}

fn solve_component(
    out: &[Vec<(usize, f64)>],
    rhs: &[[f64; 2]],
    removed: &[bool],
    comp: &[usize],
    comp_of: &[usize],
    ci: usize,
    x: &mut [[f64; 2]],
) -> Result<()> {
    let m = comp.len();
    // b = rhs + flows into already solved nodes outside the component.
    let mut b: Vec<[f64; 2]> = comp.iter().map(|&s| rhs[s]).collect();
    for (i, &s) in comp.iter().enumerate() {
        for &(t, p) in &out[s] {
            if removed[t] || comp_of[t] == ci {
                continue;
            }
            b[i][0] += p * x[t][0];
            b[i][1] += p * x[t][1];
        }
    }
    if m == 1 {
        let s = comp[0];
        let self_loop: f64 = out[s].iter().filter(|(t, _)| *t == s).map(|(_, p)| p).sum();
        let d = 1.0 - self_loop;
        if d <= 0.0 {
            return Err(Error::format(
                "(markov chain)",
                "a state never leaves itself",
            ));
        }
        x[s] = [b[0][0] / d, b[0][1] / d];
        return Ok(());
    }
    let local = |s: usize| comp.binary_search(&s).ok();
    let sol = if m <= DIRECT_MAX {
        solve_dense(out, comp, &b, local)?
    } else {
        solve_iterative(out, comp, &b, local)?
    };
    for (i, &s) in comp.iter().enumerate() {
        x[s] = sol[i];
    }
    Ok(())
}

/// Solves (I − Q) x = b for a component by Gaussian elimination with partial pivoting.
fn solve_dense(
    out: &[Vec<(usize, f64)>],
    comp: &[usize],
    b: &[[f64; 2]],
    local: impl Fn(usize) -> Option<usize>,
) -> Result<Vec<[f64; 2]>> {
    let m = comp.len();
    // Augmented matrix [I − Q | b].
    let w = m + 2;
    let mut a = vec![0.0; m * w];
    for (i, &s) in comp.iter().enumerate() {
        a[i * w + i] += 1.0;
        for &(t, p) in &out[s] {
            if let Some(j) = local(t) {
                a[i * w + j] -= p;
            }
        }
        a[i * w + m] = b[i][0];
        a[i * w + m + 1] = b[i][1];
    }
    for col in 0..m {
        let pivot = (col..m)
            .max_by(|&r1, &r2| a[r1 * w + col].abs().total_cmp(&a[r2 * w + col].abs()))
            .unwrap_or(col);
        if a[pivot * w + col].abs() < 1e-300 {
            return Err(Error::format(
                "(markov chain)",
                "singular system: a set of states never leaves",
            ));
        }
        if pivot != col {
            for k in 0..w {
                a.swap(col * w + k, pivot * w + k);
            }
        }
        let d = a[col * w + col];
        for r in col + 1..m {
            let f = a[r * w + col] / d;
            if f != 0.0 {
                for k in col..w {
                    a[r * w + k] -= f * a[col * w + k];
                }
            }
        }
    }
    let mut sol = vec![[0.0; 2]; m];
    for i in (0..m).rev() {
        let mut v = [a[i * w + m], a[i * w + m + 1]];
        for j in i + 1..m {
            v[0] -= a[i * w + j] * sol[j][0];
            v[1] -= a[i * w + j] * sol[j][1];
        }
        let d = a[i * w + i];
        sol[i] = [v[0] / d, v[1] / d];
    }
    Ok(sol)
}

/// Solves (I − Q) x = b for a very large component: Gauss–Seidel to machine precision.
fn solve_iterative(
    out: &[Vec<(usize, f64)>],
    comp: &[usize],
    b: &[[f64; 2]],
    local: impl Fn(usize) -> Option<usize>,
) -> Result<Vec<[f64; 2]>> {
    let m = comp.len();
    let inner: Vec<Vec<(usize, f64)>> = comp
        .iter()
        .map(|&s| {
            out[s]
                .iter()
                .filter_map(|&(t, p)| local(t).map(|j| (j, p)))
                .collect()
        })
        .collect();
    let mut sol = vec![[0.0; 2]; m];
    for _ in 0..1_000_000 {
        let mut change: f64 = 0.0;
        for i in 0..m {
            let mut v = b[i];
            let mut diag = 1.0;
            for &(j, p) in &inner[i] {
                if j == i {
                    diag -= p;
                } else {
                    v[0] += p * sol[j][0];
                    v[1] += p * sol[j][1];
                }
            }
            let new = [v[0] / diag, v[1] / diag];
            for k in 0..2 {
                let scale = new[k].abs().max(sol[i][k].abs()).max(1e-300);
                change = change.max((new[k] - sol[i][k]).abs() / scale);
            }
            sol[i] = new;
        }
        if change <= 1e-15 {
            return Ok(sol);
        }
    }
    Err(Error::format(
        "(markov chain)",
        "the solver did not converge",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_with_a_cycle_is_solved_exactly() {
        // 0 → 1 (1.0); 1 → 2 (0.5), conv 0.5; 2 → 1 (0.5), null 0.5.
        let out = vec![vec![(1, 1.0)], vec![(2, 0.5)], vec![(1, 0.5)]];
        let rhs = vec![[0.0, 0.0], [0.5, 5.0], [0.0, 0.0]];
        let x = absorb(&out, &rhs, &[false; 3], 0).expect("solves");
        // x1 = 0.5 + 0.5 x2, x2 = 0.5 x1 → x1 = 2/3.
        assert!((x[0][0] - 2.0 / 3.0).abs() < 1e-15, "{x:?}");
        assert!((x[0][1] - 20.0 / 3.0).abs() < 1e-14, "{x:?}");
        let cut = absorb(&out, &rhs, &[false, false, true], 0).expect("solves");
        assert!((cut[0][0] - 0.5).abs() < 1e-15);
    }
}
