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
/// files can be joined in input order (all frame rows, then all link rows).
#[derive(Default)]
pub(super) struct FileIds {
    frame: Vec<LocalDict>,
    links: Vec<LocalDict>,
}

#[derive(Default)]
struct LocalDict {
    index: FxHashMap<CompactString, u32>,
    values: Vec<CompactString>,
    cells: Vec<u32>,
}

impl LocalDict {
    fn push(&mut self, cell: Option<CompactString>) {
        let id = match cell {
            None => NO_VALUE,
            Some(v) => match self.index.get(&v) {
                Some(&id) => id,
                None => {
                    let id = self.values.len() as u32;
                    self.values.push(v.clone());
                    self.index.insert(v, id);
                    id
                }
            },
        };
        self.cells.push(id);
    }

    /// Frees the lookup, keeping values and cells.
    fn seal(&mut self) {
        self.index = FxHashMap::default();
    }
}

impl FileIds {
    pub fn new(kinds: usize) -> FileIds {
        FileIds {
            frame: (0..kinds).map(|_| LocalDict::default()).collect(),
            links: (0..kinds).map(|_| LocalDict::default()).collect(),
        }
    }

    /// Adds a row's cells, one per kind (missing slots are empty).
    pub fn push(&mut self, link: bool, cells: Vec<(usize, Option<CompactString>)>) {
        let dicts = if link {
            &mut self.links
        } else {
            &mut self.frame
        };
        let n = dicts.first().map_or(0, |d| d.cells.len());
        for (slot, v) in cells {
            dicts[slot].push(v);
        }
        for d in dicts.iter_mut() {
            d.cells.resize(n + 1, NO_VALUE);
        }
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
            let frame = join_part(files.iter().map(|f| &f.frame[k]), &mut index, &mut values);
            let links = join_part(files.iter().map(|f| &f.links[k]), &mut index, &mut values);
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

/// One kind's cells of several files, renumbered into the joined values.
fn join_part<'a>(
    dicts: impl Iterator<Item = &'a LocalDict>,
    index: &mut FxHashMap<&'a str, u32>,
    values: &mut Vec<CompactString>,
) -> Vec<u32> {
    let mut cells = Vec::new();
    for d in dicts {
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
        cells.extend(d.cells.iter().map(|&c| {
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
                    let d = if link { &f.links[k] } else { &f.frame[k] };
                    d.cells
                        .iter()
                        .map(|&c| (c != NO_VALUE).then(|| d.values[c as usize].as_str()))
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
