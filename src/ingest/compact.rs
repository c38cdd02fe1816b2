//! The rows of a run in shards, held compactly: what journeys read of each frame row (time,
//! channel, conversion type and value, source), about 16 bytes a row and no text per row. The
//! identities pass keeps them beside the identifiers, so that each shard builds its journeys
//! from memory instead of reading every export again.

use compact_str::CompactString;

use crate::names::Names;

/// A row without a channel.
pub const NO_CHANNEL: u32 = u32::MAX;

/// A touch in [`CompactRows::kind`].
pub const TOUCH: u32 = 0;

/// Frame rows of a load, compactly, in frame order: one part per file, as read (joining the
/// files would copy every row and hold it twice).
#[derive(Debug, Clone, Default)]
pub struct CompactRows {
    /// Each file's rows, in load order.
    pub files: Vec<CompactFile>,
    /// Conversion types.
    pub types: Vec<String>,
}

impl CompactRows {
    /// Rows held.
    pub fn len(&self) -> usize {
        self.files.iter().map(|f| f.ts.len()).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by the rows (conversion ids too long to be held inline are counted at
    /// their length).
    pub fn held_bytes(&self) -> usize {
        let per_row = std::mem::size_of::<i64>() + 2 * std::mem::size_of::<u32>();
        let per_conversion = std::mem::size_of::<f64>() + std::mem::size_of::<CompactString>();
        self.files
            .iter()
            .map(|f| {
                let spilled: usize = f
                    .conversion_ids
                    .iter()
                    .filter(|id| id.is_heap_allocated())
                    .map(|id| id.len())
                    .sum();
                f.ts.len() * per_row + f.values.len() * per_conversion + spilled
            })
            .sum()
    }

    /// Adds one file's rows: its channel ids mapped through `channels` (local to global) and
    /// its conversion types interned into `types`, in place.
    pub(super) fn append(
        &mut self,
        mut file: CompactFile,
        source: u32,
        channels: &[u32],
        types: &mut Names,
    ) {
        let type_ids: Vec<u32> = file
            .local_types
            .list()
            .iter()
            .map(|t| types.id(t) + 1)
            .collect();
        for c in &mut file.channel {
            if *c != NO_CHANNEL {
                *c = channels[*c as usize];
            }
        }
        for k in &mut file.kind {
            if *k != TOUCH {
                *k = type_ids[*k as usize - 1];
            }
        }
        file.source = source;
        file.local_types = Names::default();
        self.files.push(file);
    }
}

/// One file's frame rows, compactly. While the file is read, channel ids and conversion types
/// are the file's own; [`CompactRows`] holds them mapped to the load's.
#[derive(Debug, Clone, Default)]
pub struct CompactFile {
    /// The source (config index) of the file.
    pub source: u32,
    /// UTC microseconds.
    pub ts: Vec<i64>,
    /// Channel id (into the load's channels), or [`NO_CHANNEL`].
    pub channel: Vec<u32>,
    /// [`TOUCH`], or for a conversion 1 + the index of its type in [`CompactRows::types`].
    pub kind: Vec<u32>,
    /// The value of every conversion, in row order (touches have none).
    pub values: Vec<f64>,
    /// The id of every conversion, aligned with `values`.
    pub conversion_ids: Vec<CompactString>,
    local_types: Names,
}

impl CompactFile {
    /// Room for `rows` more rows.
    pub(super) fn reserve(&mut self, rows: usize) {
        self.ts.reserve(rows);
        self.channel.reserve(rows);
        self.kind.reserve(rows);
    }

    /// Adds a row: a conversion has a type (and value), a touch none.
    pub(super) fn push(
        &mut self,
        ts: i64,
        channel: Option<u32>,
        conversion: Option<(&str, f64, &CompactString)>,
    ) {
        self.ts.push(ts);
        self.channel.push(channel.unwrap_or(NO_CHANNEL));
        self.kind.push(match conversion {
            None => TOUCH,
            Some((conversion_type, value, id)) => {
                self.values.push(value);
                self.conversion_ids.push(id.clone());
                self.local_types.id(conversion_type) + 1
            }
        });
    }

    /// Frees what growing left over, once the file is read.
    pub(super) fn shrink_to_fit(&mut self) {
        self.ts.shrink_to_fit();
        self.channel.shrink_to_fit();
        self.kind.shrink_to_fit();
        self.values.shrink_to_fit();
        self.conversion_ids.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_append_with_global_channels_types_and_sources() {
        let mut a = CompactFile::default();
        a.push(10, Some(0), None);
        a.push(20, None, Some(("order", 5.0, &"o1".into())));
        let mut b = CompactFile::default();
        b.push(30, Some(1), Some(("lead", 0.0, &"l1".into())));
        b.push(40, Some(0), Some(("order", 7.5, &"o2".into())));
        let mut rows = CompactRows::default();
        let mut types = Names::default();
        rows.append(a, 3, &[7], &mut types);
        rows.append(b, 1, &[2, 7], &mut types);
        rows.types = types.into_list();
        let [a, b] = &rows.files[..] else {
            panic!("two files");
        };
        assert_eq!((a.source, b.source), (3, 1));
        assert_eq!((&a.ts[..], &b.ts[..]), (&[10, 20][..], &[30, 40][..]));
        assert_eq!(
            (&a.channel[..], &b.channel[..]),
            (&[7, NO_CHANNEL][..], &[7, 2][..])
        );
        assert_eq!(rows.types, ["order", "lead"]);
        assert_eq!((&a.kind[..], &b.kind[..]), (&[TOUCH, 1][..], &[2, 1][..]));
        assert_eq!(
            (&a.values[..], &b.values[..]),
            (&[5.0][..], &[0.0, 7.5][..])
        );
        assert_eq!(rows.len(), 4);
    }
}
