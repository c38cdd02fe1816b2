//! Identifiers interned per kind: each distinct value held once, each cell an index into it.
//! Stitching reads identifiers in this form, so a load that keeps only identifiers
//! ([`super::Keep::Identities`]) never holds a string per row.

use compact_str::CompactString;
use polars::prelude::StringChunked;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// A cell with no identifier.
pub const NO_VALUE: u32 = u32::MAX;

/// Identifiers of a load, per identity kind (in the load's `id_kinds` order).
#[derive(Debug, Clone, Default)]
pub struct InternedIds<S = CompactString> {
    /// Distinct values, in input order: frame rows first, then identity-link rows.
    pub values: Vec<Vec<S>>,
    /// The value index of every frame row's cell ([`NO_VALUE`] when empty).
    pub frame: Vec<Vec<u32>>,
    /// The value index of every identity-link row's cell.
    pub links: Vec<Vec<u32>>,
}

impl<S> InternedIds<S> {
    /// Frame rows.
    pub fn frame_rows(&self) -> usize {
        self.frame.first().map_or(0, Vec::len)
    }

    /// Identity-link rows.
    pub fn link_rows(&self) -> usize {
        self.links.first().map_or(0, Vec::len)
    }
}

impl<'a> InternedIds<&'a str> {
    /// Interns Arrow identifier columns (one per kind, frame and links), kinds in parallel.
    pub fn from_columns(
        frame: &[&'a StringChunked],
        links: &[&'a StringChunked],
    ) -> InternedIds<&'a str> {
        let per_kind: Vec<(Vec<&str>, Vec<u32>, Vec<u32>)> = frame
            .par_iter()
            .zip(links)
            .map(|(f, l)| {
                let mut index: FxHashMap<&str, u32> = FxHashMap::default();
                let mut values = Vec::new();
                let mut id = |cell: Option<&'a str>| match cell {
                    None => NO_VALUE,
                    Some(v) => *index.entry(v).or_insert_with(|| {
                        values.push(v);
                        values.len() as u32 - 1
                    }),
                };
                let f: Vec<u32> = f.iter().map(&mut id).collect();
                let l: Vec<u32> = l.iter().map(&mut id).collect();
                (values, f, l)
            })
            .collect();
        let mut out = InternedIds {
            values: Vec::with_capacity(per_kind.len()),
            frame: Vec::with_capacity(per_kind.len()),
            links: Vec::with_capacity(per_kind.len()),
        };
        for (v, f, l) in per_kind {
            out.values.push(v);
            out.frame.push(f);
            out.links.push(l);
        }
        out
    }
}

/// One file's identifier cells being interned, per kind; frame and link cells apart, so that
/// files can be joined in input order (all frame rows, then all link rows). Only the kinds
/// the file's source maps hold cells; the others are empty until the join.
#[derive(Default)]
pub(super) struct FileIds {
    frame: Vec<LocalDict>,
    links: Vec<LocalDict>,
    frame_rows: usize,
    link_rows: usize,
}

/// Values of one kind in one file: each held once, as the key of its id until sealed.
#[derive(Default)]
struct LocalDict {
    index: FxHashMap<CompactString, u32>,
    values: Vec<CompactString>,
    cells: Vec<u32>,
}

impl LocalDict {
    fn push(&mut self, row: usize, cell: Option<CompactString>) {
        let id = match cell {
            None => NO_VALUE,
            Some(v) => {
                let next = self.index.len() as u32;
                *self.index.entry(v).or_insert(next)
            }
        };
        // Rows before this kind's first cell (none when the source maps it) stay empty.
        self.cells.resize(row, NO_VALUE);
        self.cells.push(id);
    }

    /// Turns the lookup into the values in id order.
    fn seal(&mut self) {
        let mut values = vec![CompactString::default(); self.index.len()];
        for (v, id) in std::mem::take(&mut self.index) {
            values[id as usize] = v;
        }
        self.values = values;
    }

    /// The cells of `rows` rows (those after the last cell are empty).
    fn cells(&self, rows: usize) -> impl Iterator<Item = u32> + '_ {
        let missing = rows.saturating_sub(self.cells.len());
        self.cells
            .iter()
            .copied()
            .chain(std::iter::repeat_n(NO_VALUE, missing))
    }
}

impl FileIds {
    pub fn new(kinds: usize) -> FileIds {
        FileIds {
            frame: (0..kinds).map(|_| LocalDict::default()).collect(),
            links: (0..kinds).map(|_| LocalDict::default()).collect(),
            frame_rows: 0,
            link_rows: 0,
        }
    }

    /// Adds a row's cells (kind slot, value).
    pub fn push(&mut self, link: bool, cells: Vec<(usize, Option<CompactString>)>) {
        let (dicts, rows) = if link {
            (&mut self.links, &mut self.link_rows)
        } else {
            (&mut self.frame, &mut self.frame_rows)
        };
        for (slot, v) in cells {
            dicts[slot].push(*rows, v);
        }
        *rows += 1;
    }

    pub fn seal(&mut self) {
        self.frame
            .iter_mut()
            .chain(self.links.iter_mut())
            .for_each(LocalDict::seal);
    }
}

/// Joins files' interned identifiers in input order: every file's frame cells, then every
/// file's link cells. Kinds are joined in parallel.
pub(super) fn join(files: &[&FileIds], kinds: usize) -> InternedIds {
    let per_kind: Vec<(Vec<CompactString>, Vec<u32>, Vec<u32>)> = (0..kinds)
        .into_par_iter()
        .map(|k| {
            let mut index: FxHashMap<&str, u32> = FxHashMap::default();
            let mut values: Vec<CompactString> = Vec::new();
            let frame = join_part(
                files.iter().map(|f| (&f.frame[k], f.frame_rows)),
                &mut index,
                &mut values,
            );
            let links = join_part(
                files.iter().map(|f| (&f.links[k], f.link_rows)),
                &mut index,
                &mut values,
            );
            drop(index);
            (values, frame, links)
        })
        .collect();
    let mut out = InternedIds {
        values: Vec::with_capacity(kinds),
        frame: Vec::with_capacity(kinds),
        links: Vec::with_capacity(kinds),
    };
    for (v, f, l) in per_kind {
        out.values.push(v);
        out.frame.push(f);
        out.links.push(l);
    }
    out
}

/// One kind's cells of several files (each with its row count), renumbered into the joined
/// values.
fn join_part<'a>(
    dicts: impl Iterator<Item = (&'a LocalDict, usize)>,
    index: &mut FxHashMap<&'a str, u32>,
    values: &mut Vec<CompactString>,
) -> Vec<u32> {
    let mut cells = Vec::new();
    for (d, rows) in dicts {
        let remap: Vec<u32> = d
            .values
            .iter()
            .map(|v| {
                *index.entry(v.as_str()).or_insert_with(|| {
                    values.push(v.clone());
                    values.len() as u32 - 1
                })
            })
            .collect();
        cells.extend(d.cells(rows).map(|c| {
            if c == NO_VALUE {
                NO_VALUE
            } else {
                remap[c as usize]
            }
        }));
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::NewChunkedArray;

    fn file(frame: &[&[Option<&str>]], links: &[&[Option<&str>]]) -> FileIds {
        let mut f = FileIds::new(2);
        for (rows, link) in [(frame, false), (links, true)] {
            for row in rows {
                f.push(
                    link,
                    row.iter()
                        .enumerate()
                        .map(|(k, v)| (k, v.map(CompactString::from)))
                        .collect(),
                );
            }
        }
        f.seal();
        f
    }

    #[test]
    fn kinds_a_file_does_not_map_are_empty_for_its_rows() {
        let a = file(&[&[Some("x"), Some("p")]], &[]);
        let mut only_first = FileIds::new(2);
        only_first.push(false, vec![(0, Some("y".into()))]);
        only_first.push(false, vec![(0, None)]);
        only_first.seal();
        let b = file(&[&[None, Some("p")]], &[&[Some("x"), None]]);
        let ids = join(&[&a, &only_first, &b], 2);
        assert_eq!(ids.frame[0], [0, 1, NO_VALUE, NO_VALUE]);
        assert_eq!(ids.frame[1], [0, NO_VALUE, NO_VALUE, 0]);
        assert_eq!(ids.links[0], [0]);
        assert_eq!(ids.links[1], [NO_VALUE]);
        assert_eq!(ids.frame_rows(), 4);
    }

    #[test]
    fn joined_files_number_values_in_input_order() {
        let a = file(
            &[&[Some("x"), None], &[Some("y"), Some("p")]],
            &[&[Some("z"), None]],
        );
        let b = file(
            &[&[Some("z"), Some("q")], &[Some("x"), None]],
            &[&[None, Some("p")]],
        );
        let ids = join(&[&a, &b], 2);
        // Frame rows of both files come before link rows: z is first seen in b's frame.
        assert_eq!(ids.values[0], ["x", "y", "z"]);
        assert_eq!(ids.frame[0], [0, 1, 2, 0]);
        assert_eq!(ids.links[0], [2, NO_VALUE]);
        assert_eq!(ids.values[1], ["p", "q"]);
        assert_eq!(ids.frame[1], [NO_VALUE, 0, 1, NO_VALUE]);
        assert_eq!(ids.links[1], [NO_VALUE, 0]);
        // The same numbering as interning the concatenated columns.
        let col = |k: usize, link: bool| {
            let cells: Vec<Option<&str>> = [&a, &b]
                .iter()
                .flat_map(|f| {
                    let (d, rows) = if link {
                        (&f.links[k], f.link_rows)
                    } else {
                        (&f.frame[k], f.frame_rows)
                    };
                    d.cells(rows)
                        .map(|c| (c != NO_VALUE).then(|| d.values[c as usize].as_str()))
                        .collect::<Vec<_>>()
                })
                .collect();
            StringChunked::from_slice_options("".into(), &cells)
        };
        let (f0, f1, l0, l1) = (col(0, false), col(1, false), col(0, true), col(1, true));
        let direct = InternedIds::from_columns(&[&f0, &f1], &[&l0, &l1]);
        assert_eq!(direct.frame, ids.frame);
        assert_eq!(direct.links, ids.links);
        assert_eq!(direct.values[0], ["x", "y", "z"]);
    }
}
