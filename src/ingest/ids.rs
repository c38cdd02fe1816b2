//! Identifiers interned per kind: each distinct value held once, each cell an index into it.
//! Stitching reads identifiers in this form, so a load that keeps only identifiers
//! ([`super::Keep::Identities`]) never holds a string per row.

use polars::prelude::StringChunked;
use rayon::prelude::*;
use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

/// A cell with no identifier.
pub const NO_VALUE: u32 = u32::MAX;

/// Identifiers of a load, per identity kind (in the load's `id_kinds` order).
#[derive(Debug, Clone, Default)]
pub struct InternedIds {
    /// Distinct values, in input order: frame rows first, then identity-link rows.
    pub values: Vec<Texts>,
    /// The value index of every frame row's cell ([`NO_VALUE`] when empty).
    pub frame: Vec<Cells>,
    /// The value index of every identity-link row's cell.
    pub links: Vec<Cells>,
}

impl InternedIds {
    /// Frame rows.
    pub fn frame_rows(&self) -> usize {
        self.frame.first().map_or(0, Cells::len)
    }

    /// Identity-link rows.
    pub fn link_rows(&self) -> usize {
        self.links.first().map_or(0, Cells::len)
    }

    /// Bytes held: (values, their texts, their offsets, the stored cells).
    pub fn held_bytes(&self) -> (usize, usize, usize, usize) {
        let values = self.values.iter().map(Texts::len).sum();
        let texts = self.values.iter().map(|t| t.bytes.len()).sum();
        let cells: usize = self
            .frame
            .iter()
            .chain(&self.links)
            .flat_map(|c| &c.runs)
            .map(|(_, run)| run.len())
            .sum();
        let offsets = values * std::mem::size_of::<usize>();
        (values, texts, offsets, cells * std::mem::size_of::<u32>())
    }
}

/// Texts held end to end in one buffer, each found by number: a text costs its bytes and one
/// offset, not a string header and an allocation of its own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Texts {
    bytes: String,
    /// Where each text ends in `bytes`.
    ends: Vec<usize>,
}

impl Texts {
    /// Texts held.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Text number `i`.
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// The texts in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Adds a text at the end.
    pub fn push(&mut self, text: &str) {
        self.bytes.push_str(text);
        self.ends.push(self.bytes.len());
    }

    /// Asks the processor to load where text `i` starts and ends.
    fn prefetch_end(&self, i: usize) {
        prefetch(self.ends.as_ptr().wrapping_add(i.saturating_sub(1)));
        prefetch(self.ends.as_ptr().wrapping_add(i));
    }

    /// Asks the processor to load the start of text `i`.
    fn prefetch_bytes(&self, i: usize) {
        let start = match i {
            0 => 0,
            _ => self.ends.get(i - 1).copied().unwrap_or(0),
        };
        prefetch(self.bytes.as_ptr().wrapping_add(start));
    }

    /// Room for `texts` more texts of `bytes` bytes in all, taken at once: growing by
    /// doubling would copy the texts held at every step and, at the last, hold up to three
    /// times their bytes while it copies (the join of 100M rows' identifiers peaked there).
    /// Room never written to stays address space, not memory.
    fn reserve(&mut self, texts: usize, bytes: usize) {
        self.bytes.reserve_exact(bytes);
        self.ends.reserve_exact(texts);
    }

    /// Adds every text of `other`, in order.
    fn extend(&mut self, other: &Texts) {
        let offset = self.bytes.len();
        self.bytes.push_str(&other.bytes);
        self.ends.extend(other.ends.iter().map(|e| e + offset));
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// One kind's cells, stored only for the row ranges (files) whose source maps the kind: every
/// other row is empty ([`NO_VALUE`]). Most sources map one or two of the kinds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cells {
    rows: usize,
    /// (first row, cells) in row order, not overlapping.
    runs: Vec<(usize, Vec<u32>)>,
}

impl Cells {
    /// Every row's cell.
    pub fn dense(cells: Vec<u32>) -> Cells {
        Cells {
            rows: cells.len(),
            runs: if cells.is_empty() {
                Vec::new()
            } else {
                vec![(0, cells)]
            },
        }
    }

    /// Rows, stored or not.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The run holding row `r`, if any.
    fn run_of(&self, r: usize) -> Option<&(usize, Vec<u32>)> {
        let i = self.runs.partition_point(|(start, _)| *start <= r);
        let run = self.runs.get(i.checked_sub(1)?)?;
        (r < run.0 + run.1.len()).then_some(run)
    }

    /// The cell of row `r`.
    pub fn get(&self, r: usize) -> u32 {
        self.run_of(r)
            .map_or(NO_VALUE, |(start, cells)| cells[r - start])
    }

    /// The cells of `rows`, a range of [`segments`] (inside one run, or outside all of them):
    /// None when none is stored.
    pub fn slice(&self, rows: std::ops::Range<usize>) -> Option<&[u32]> {
        let (start, cells) = self.run_of(rows.start)?;
        cells.get(rows.start - start..rows.end - start)
    }

    /// The stored cells (some may be empty too).
    pub fn stored(&self) -> impl Iterator<Item = u32> + '_ {
        self.runs
            .iter()
            .flat_map(|(_, cells)| cells.iter().copied())
    }

    /// Every row's cell.
    pub fn to_vec(&self) -> Vec<u32> {
        (0..self.rows).map(|r| self.get(r)).collect()
    }
}

/// Row ranges of at most `max` rows over which every kind's cells are either all stored or
/// all empty (run boundaries cut them), in row order.
pub fn segments(kinds: &[Cells], max: usize) -> Vec<std::ops::Range<usize>> {
    let rows = kinds.first().map_or(0, Cells::len);
    let mut cuts: Vec<usize> = kinds
        .iter()
        .flat_map(|c| c.runs.iter().flat_map(|(s, cells)| [*s, s + cells.len()]))
        .chain([0, rows])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let max = max.max(1);
    cuts.windows(2)
        .flat_map(|w| {
            let (a, b) = (w[0], w[1]);
            (a..b).step_by(max).map(move |s| s..(s + max).min(b))
        })
        .collect()
}

impl InternedIds {
    /// Interns Arrow identifier columns (one per kind, frame and links), kinds in parallel.
    pub fn from_columns(frame: &[&StringChunked], links: &[&StringChunked]) -> InternedIds {
        let per_kind: Vec<(Texts, Vec<u32>, Vec<u32>)> = frame
            .par_iter()
            .zip(links)
            .map(|(f, l)| {
                let mut dict = Dict::default();
                let mut id = |cell: Option<&str>| cell.map_or(NO_VALUE, |v| dict.id(v));
                let f: Vec<u32> = f.iter().map(&mut id).collect();
                let l: Vec<u32> = l.iter().map(&mut id).collect();
                dict.seal();
                (dict.values, f, l)
            })
            .collect();
        let mut out = InternedIds {
            values: Vec::with_capacity(per_kind.len()),
            frame: Vec::with_capacity(per_kind.len()),
            links: Vec::with_capacity(per_kind.len()),
        };
        for (v, f, l) in per_kind {
            out.values.push(v);
            out.frame.push(Cells::dense(f));
            out.links.push(Cells::dense(l));
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

/// Distinct texts, each held once, numbered in the order first seen. The lookup holds numbers
/// and 32 bits of each text's hash, so a text is stored once, growing the table never reads a
/// text, and a probe reads one only when those bits match.
#[derive(Default)]
struct Dict {
    index: Index,
    values: Texts,
}

/// Asks the processor to load the cache line at `p` ahead of time.
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch only hints the cache; it never faults, and nothing is read into
        // Rust, so any address will do.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// 32 bits of a text's hash.
fn hash32(text: &str) -> u32 {
    (FxBuildHasher.hash_one(text) >> 32) as u32
}

/// The table's hash of a text, from its 32 bits (spread over 64, whose high bits place it).
fn spread(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Value numbers by 32-bit text hash, in open addressing with linear probing. Unlike a
/// general-purpose table, it lets a caller prefetch where a hash's probe starts: looking up a
/// run of texts then overlaps their cache misses, which dominate interning millions of
/// identifiers.
#[derive(Default)]
struct Index {
    /// 0 when empty; else the hash in the high half and the value number + 1 in the low.
    slots: Vec<u64>,
    len: usize,
}

impl Index {
    fn with_capacity(values: usize) -> Index {
        let mut index = Index::default();
        index.resize(values);
        index
    }

    /// Where the probe for hash `h` starts (the table is not empty).
    fn home(&self, h: u32) -> usize {
        (spread(h) >> (64 - self.slots.len().trailing_zeros())) as usize
    }

    /// Asks the processor to load the start of `h`'s probe ahead of time.
    fn prefetch(&self, h: u32) {
        if !self.slots.is_empty() {
            prefetch(self.slots.as_ptr().wrapping_add(self.home(h)));
        }
    }

    /// The first value number stored with hash `h`, if any: the value a lookup of `h` will
    /// most likely compare with.
    fn candidate(&self, h: u32) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(h);
        loop {
            match self.slots[at] {
                0 => return None,
                slot if (slot >> 32) as u32 == h => return Some((slot as u32).wrapping_sub(1)),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// The number of the value of hash `h` that `is` accepts; else `new`, now added (true).
    fn find_or_insert(&mut self, h: u32, is: impl Fn(u32) -> bool, new: u32) -> (u32, bool) {
        // At most three quarters full: probes stay short.
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.resize(self.len + 1);
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(h);
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                self.slots[at] = u64::from(h) << 32 | (u64::from(new) + 1);
                self.len += 1;
                return (new, true);
            }
            if (slot >> 32) as u32 == h {
                let i = (slot as u32).wrapping_sub(1);
                if is(i) {
                    return (i, false);
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// Room for `values` values (at most three quarters full), entries moved by their hashes.
    fn resize(&mut self, values: usize) {
        let size = (values * 4 / 3 + 1).next_power_of_two().max(16);
        if size <= self.slots.len() {
            return;
        }
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        let mask = size - 1;
        for slot in old.into_iter().filter(|&s| s != 0) {
            let mut at = self.home((slot >> 32) as u32);
            while self.slots[at] != 0 {
                at = (at + 1) & mask;
            }
            self.slots[at] = slot;
        }
    }

    /// A lookup of distinct values whose hashes are `hashes` (value numbers in order), built
    /// without reading a text.
    fn from_hashes(hashes: &[u32]) -> Index {
        let mut index = Index::with_capacity(hashes.len());
        for (i, &h) in hashes.iter().enumerate() {
            // Values are distinct: nothing is found.
            index.find_or_insert(h, |_| false, i as u32);
        }
        index
    }

    /// (hash, value number) of every entry.
    fn entries(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.slots
            .iter()
            .filter(|&&s| s != 0)
            .map(|&s| ((s >> 32) as u32, (s as u32).wrapping_sub(1)))
    }
}

impl Dict {
    /// The number of `v`, added when new.
    fn id(&mut self, v: &str) -> u32 {
        self.id_hashed(v, hash32(v))
    }

    /// [`Dict::id`] of a text whose [`hash32`] is `h`.
    fn id_hashed(&mut self, v: &str, h: u32) -> u32 {
        let values = &self.values;
        let next = values.len() as u32;
        let (i, added) = self
            .index
            .find_or_insert(h, |i| values.get(i as usize) == v, next);
        if added {
            self.values.push(v);
        }
        i
    }

    /// [`Dict::id_hashed`] of each text (`hashes` holds their [`hash32`]), in order, into
    /// `out`; each lookup's cache misses are started a few texts ahead.
    fn ids_hashed(&mut self, texts: &Texts, hashes: &[u32], mut out: impl FnMut(usize, u32)) {
        // Three misses a found text costs, each started ahead: its slot, then (the slot read)
        // where its text ends, then (that read) its bytes.
        const SLOT: usize = 16;
        const END: usize = 8;
        const BYTES: usize = 4;
        for (i, (v, &h)) in texts.iter().zip(hashes).enumerate() {
            if let Some(&ahead) = hashes.get(i + SLOT) {
                self.index.prefetch(ahead);
            }
            if let Some(&ahead) = hashes.get(i + END) {
                if let Some(c) = self.index.candidate(ahead) {
                    self.values.prefetch_end(c as usize);
                }
            }
            if let Some(&ahead) = hashes.get(i + BYTES) {
                if let Some(c) = self.index.candidate(ahead) {
                    self.values.prefetch_bytes(c as usize);
                }
            }
            out(i, self.id_hashed(v, h));
        }
    }

    /// Frees the lookup, keeping the [`hash32`] of every value (in value order) for the
    /// join: 4 bytes a value instead of the table's 11 to 21.
    fn seal_to_hashes(&mut self) -> Vec<u32> {
        let mut hashes = vec![0; self.values.len()];
        for (h, i) in self.index.entries() {
            hashes[i as usize] = h;
        }
        self.seal();
        hashes
    }

    /// Frees the lookup: no more values come.
    fn seal(&mut self) {
        self.index = Index::default();
        self.values.shrink_to_fit();
    }
}

/// Values of one kind in one file, and the value number of each cell.
#[derive(Default)]
struct LocalDict {
    dict: Dict,
    cells: Vec<u32>,
    /// Once sealed: the hash of each value.
    hashes: Vec<u32>,
    /// Texts waiting to be looked up together, the cells they go to, and their hashes.
    queue: Texts,
    queued: Vec<usize>,
    queue_hashes: Vec<u32>,
}

/// Texts looked up together.
const QUEUE: usize = 1024;

impl LocalDict {
    fn push(&mut self, row: usize, cell: Option<&str>) {
        // Rows before this kind's first cell (none when the source maps it) stay empty.
        self.cells.resize(row, NO_VALUE);
        if let Some(v) = cell {
            self.queued.push(self.cells.len());
            self.queue.push(v);
        }
        self.cells.push(NO_VALUE);
        if self.queue.len() == QUEUE {
            self.flush();
        }
    }

    /// Looks up the queued texts, in order, and fills in their cells.
    fn flush(&mut self) {
        self.queue_hashes.clear();
        self.queue_hashes.extend(self.queue.iter().map(hash32));
        let (cells, queued) = (&mut self.cells, &self.queued);
        self.dict
            .ids_hashed(&self.queue, &self.queue_hashes, |i, id| {
                cells[queued[i]] = id
            });
        self.queue.clear();
        self.queued.clear();
    }

    /// The cells of `rows` rows (those after the last cell are empty).
    #[cfg(test)]
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

    /// Room for `rows` more frame rows of the kinds in `slots`.
    pub fn reserve(&mut self, slots: impl Iterator<Item = usize>, rows: usize) {
        for slot in slots {
            self.frame[slot].cells.reserve(rows);
        }
    }

    /// Adds a row's cells (kind slot, value).
    pub fn push<S: AsRef<str>>(&mut self, link: bool, cells: &[(usize, Option<S>)]) {
        let (dicts, rows) = if link {
            (&mut self.links, &mut self.link_rows)
        } else {
            (&mut self.frame, &mut self.frame_rows)
        };
        for (slot, v) in cells {
            dicts[*slot].push(*rows, v.as_ref().map(AsRef::as_ref));
        }
        *rows += 1;
    }

    /// No more rows come. The hashes stay for the join: the first file of a kind becomes the
    /// joined dict as it is, and the others' values are looked up by their hashes.
    pub fn seal(&mut self) {
        for d in self.frame.iter_mut().chain(self.links.iter_mut()) {
            d.flush();
            d.queue = Texts::default();
            d.hashes = d.dict.seal_to_hashes();
            d.cells.shrink_to_fit();
        }
    }
}

/// Joins files' interned identifiers in input order: every file's frame cells, then every
/// file's link cells. The files' values move into the joined ones (each file's are freed as
/// it is joined); kinds are joined in parallel.
pub(super) fn join(files: Vec<FileIds>, kinds: usize) -> InternedIds {
    let frame_rows = files.iter().map(|f| f.frame_rows).sum();
    let link_rows = files.iter().map(|f| f.link_rows).sum();
    // Per kind: each file's frame dict and link dict, with the file's row counts.
    let mut per_kind: Vec<(Vec<FilePart>, Vec<FilePart>)> =
        (0..kinds).map(|_| Default::default()).collect();
    for f in files {
        for (k, d) in f.frame.into_iter().enumerate() {
            per_kind[k].0.push((d, f.frame_rows));
        }
        for (k, d) in f.links.into_iter().enumerate() {
            per_kind[k].1.push((d, f.link_rows));
        }
    }
    let per_kind: Vec<(Texts, Cells, Cells)> = per_kind
        .into_par_iter()
        .map(|(frame, links)| {
            let mut joined = Dict::default();
            let (count, bytes) = frame
                .iter()
                .chain(&links)
                .map(|(d, _)| (d.dict.values.len(), d.dict.values.bytes.len()))
                .fold((0, 0), |(n, b), (dn, db)| (n + dn, b + db));
            joined.values.reserve(count, bytes);
            let frame = join_part(frame, frame_rows, &mut joined);
            let links = join_part(links, link_rows, &mut joined);
            // The lookup goes; the texts keep their room (shrinking would copy them, and room
            // never written to costs no memory).
            joined.index = Index::default();
            (joined.values, frame, links)
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

/// One file's dict of a kind, and its rows (frame or link).
type FilePart = (LocalDict, usize);

/// One kind's cells of several files (each with its row count, `rows` in all), renumbered
/// into the joined values; a file that does not map the kind stores none.
fn join_part(dicts: Vec<FilePart>, rows: usize, joined: &mut Dict) -> Cells {
    let mut cells = Cells {
        rows,
        runs: Vec::new(),
    };
    let mut start = 0;
    for (mut d, n) in dicts {
        let values = std::mem::take(&mut d.dict.values);
        let hashes = std::mem::take(&mut d.hashes);
        let remap: Option<Vec<u32>> = if joined.values.is_empty() {
            // Nothing joined yet: the file's numbers are the joined ones (its texts copied
            // into the room reserved).
            joined.values.extend(&values);
            joined.index = Index::from_hashes(&hashes);
            None
        } else {
            let mut remap = vec![NO_VALUE; values.len()];
            joined.ids_hashed(&values, &hashes, |i, id| remap[i] = id);
            Some(remap)
        };
        if !d.cells.is_empty() {
            // Renumbered in place: no second copy of the file's cells.
            let mut run = std::mem::take(&mut d.cells);
            if let Some(remap) = remap {
                for c in run.iter_mut().filter(|c| **c != NO_VALUE) {
                    *c = remap[*c as usize];
                }
            }
            run.resize(n, NO_VALUE);
            cells.runs.push((start, run));
        }
        start += n;
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::NewChunkedArray;
    use std::collections::HashMap;

    fn file(frame: &[&[Option<&str>]], links: &[&[Option<&str>]]) -> FileIds {
        let mut f = FileIds::new(2);
        for (rows, link) in [(frame, false), (links, true)] {
            for row in rows {
                let cells: Vec<(usize, Option<&str>)> = row.iter().copied().enumerate().collect();
                f.push(link, &cells);
            }
        }
        f.seal();
        f
    }

    proptest::proptest! {
        /// Values are numbered in the order first seen, across many lookup queues.
        #[test]
        fn files_number_values_as_first_seen(values in proptest::collection::vec(0u32..3000, 0..5000)) {
            let mut f = FileIds::new(1);
            for v in &values {
                f.push(false, &[(0, Some(format!("v{v}")))]);
            }
            f.seal();
            let mut first_seen: HashMap<u32, u32> = HashMap::new();
            let expected: Vec<u32> = values
                .iter()
                .map(|v| {
                    let next = first_seen.len() as u32;
                    *first_seen.entry(*v).or_insert(next)
                })
                .collect();
            proptest::prop_assert_eq!(f.frame[0].cells(values.len()).collect::<Vec<_>>(), expected);
            proptest::prop_assert_eq!(f.frame[0].dict.values.len(), first_seen.len());
        }
    }

    proptest::proptest! {
        /// Joined files number values as interning the concatenated columns does (every
        /// file's frame rows, then every file's link rows).
        #[test]
        fn joins_equal_interning_the_concatenated_columns(
            files in proptest::collection::vec(
                (
                    proptest::collection::vec(proptest::collection::vec(proptest::option::of(0u8..40), 2), 0..30),
                    proptest::collection::vec(proptest::collection::vec(proptest::option::of(0u8..40), 2), 0..8),
                    0usize..3,
                ),
                1..6,
            ),
        ) {
            let text = |v: &Option<u8>| v.map(|v| format!("id{v}"));
            // A file maps kind 0, kind 1 or both (2): cells of a kind it does not map are
            // empty.
            let maps_kind = |maps: usize, k: usize| maps == 2 || maps == k;
            let mapped = |cells: &[Option<u8>], maps: usize| -> Vec<(usize, Option<String>)> {
                (0..2).filter(|&k| maps_kind(maps, k)).map(|k| (k, text(&cells[k]))).collect()
            };
            let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); 4];
            for link in [false, true] {
                for (frame, links, maps) in &files {
                    for row in if link { links } else { frame } {
                        for k in 0..2 {
                            let cell = maps_kind(*maps, k).then(|| text(&row[k])).flatten();
                            columns[usize::from(link) * 2 + k].push(cell);
                        }
                    }
                }
            }
            let column = |i: usize| StringChunked::from_iter_options("".into(), columns[i].iter().map(|c| c.as_deref()));
            let (f0, f1, l0, l1) = (column(0), column(1), column(2), column(3));
            let direct = InternedIds::from_columns(&[&f0, &f1], &[&l0, &l1]);
            let parts: Vec<FileIds> = files
                .iter()
                .map(|(frame, links, maps)| {
                    let mut f = FileIds::new(2);
                    for row in frame {
                        f.push(false, &mapped(row, *maps));
                    }
                    for row in links {
                        f.push(true, &mapped(row, *maps));
                    }
                    f.seal();
                    f
                })
                .collect();
            let joined = join(parts, 2);
            let dense = |c: &[Cells]| c.iter().map(Cells::to_vec).collect::<Vec<_>>();
            proptest::prop_assert_eq!(&direct.values, &joined.values);
            proptest::prop_assert_eq!(dense(&direct.frame), dense(&joined.frame));
            proptest::prop_assert_eq!(dense(&direct.links), dense(&joined.links));
        }
    }

    #[test]
    fn values_whose_hash_bits_collide_stay_apart() {
        let mut index = Index::default();
        let texts = ["a", "b", "c"];
        // Every value with the same hash: each lookup compares texts.
        let mut id = |t: &str, next: u32| index.find_or_insert(7, |i| texts[i as usize] == t, next);
        assert_eq!(id("a", 0), (0, true));
        assert_eq!(id("b", 1), (1, true));
        assert_eq!(id("a", 2), (0, false));
        assert_eq!(id("c", 2), (2, true));
        assert_eq!(id("b", 3), (1, false));
        let mut entries: Vec<(u32, u32)> = index.entries().collect();
        entries.sort_unstable();
        assert_eq!(entries, [(7, 0), (7, 1), (7, 2)]);
    }

    #[test]
    fn kinds_a_file_does_not_map_are_empty_for_its_rows() {
        let a = file(&[&[Some("x"), Some("p")]], &[]);
        let mut only_first = FileIds::new(2);
        only_first.push(false, &[(0, Some("y"))]);
        only_first.push(false, &[(0, None::<&str>)]);
        only_first.seal();
        let b = file(&[&[None, Some("p")]], &[&[Some("x"), None]]);
        let ids = join(vec![a, only_first, b], 2);
        assert_eq!(ids.frame[0].to_vec(), [0, 1, NO_VALUE, NO_VALUE]);
        assert_eq!(ids.frame[1].to_vec(), [0, NO_VALUE, NO_VALUE, 0]);
        assert_eq!(ids.links[0].to_vec(), [0]);
        assert_eq!(ids.links[1].to_vec(), [NO_VALUE]);
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
        // The same numbering as interning the concatenated columns (built before the join
        // takes the files).
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
                        .map(|c| (c != NO_VALUE).then(|| d.dict.values.get(c as usize)))
                        .collect::<Vec<_>>()
                })
                .collect();
            StringChunked::from_slice_options("".into(), &cells)
        };
        let (f0, f1, l0, l1) = (col(0, false), col(1, false), col(0, true), col(1, true));
        let direct = InternedIds::from_columns(&[&f0, &f1], &[&l0, &l1]);
        let ids = join(vec![a, b], 2);
        // Frame rows of both files come before link rows: z is first seen in b's frame.
        assert!(ids.values[0].iter().eq(["x", "y", "z"]));
        assert_eq!(ids.frame[0].to_vec(), [0, 1, 2, 0]);
        assert_eq!(ids.links[0].to_vec(), [2, NO_VALUE]);
        assert!(ids.values[1].iter().eq(["p", "q"]));
        assert_eq!(ids.frame[1].to_vec(), [NO_VALUE, 0, 1, NO_VALUE]);
        assert_eq!(ids.links[1].to_vec(), [NO_VALUE, 0]);
        let dense = |c: &[Cells]| c.iter().map(Cells::to_vec).collect::<Vec<_>>();
        assert_eq!(dense(&direct.frame), dense(&ids.frame));
        assert_eq!(dense(&direct.links), dense(&ids.links));
        assert_eq!(direct.values, ids.values);
    }

    #[test]
    fn cells_are_stored_only_where_a_file_maps_the_kind() {
        let mut a = FileIds::new(2);
        a.push(false, &[(0, Some("x"))]);
        a.push(false, &[(0, Some("y"))]);
        a.seal();
        let mut b = FileIds::new(2);
        for v in ["p", "q", "p"] {
            b.push(false, &[(1, Some(v))]);
        }
        b.seal();
        let ids = join(vec![a, b], 2);
        // Kind 0 is stored for the first file's rows only, kind 1 for the second's.
        assert_eq!(ids.frame[0].stored().count(), 2);
        assert_eq!(ids.frame[1].stored().count(), 3);
        assert_eq!(ids.frame[1].get(0), NO_VALUE);
        assert_eq!(ids.frame[1].get(4), 0);
        assert_eq!(ids.frame[1].get(9), NO_VALUE);
        // Segments break where a run starts or ends, and at most every `max` rows.
        assert_eq!(segments(&ids.frame, 10), [0..2, 2..5]);
        assert_eq!(segments(&ids.frame, 2), [0..2, 2..4, 4..5]);
        assert_eq!(ids.frame[0].slice(2..4), None);
        assert_eq!(ids.frame[1].slice(2..4), Some(&[0, 1][..]));
    }
}
