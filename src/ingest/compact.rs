//! The rows of a run in shards, held compactly: what journeys read of each frame row (time,
//! channel, conversion type and value, source), about 16 bytes a row and no text per row. The
//! identities pass keeps them beside the identifiers, so that each shard builds its journeys
//! from memory instead of reading every export again.

use crate::names::Names;

/// A row without a channel.
pub const NO_CHANNEL: u32 = u32::MAX;

/// A touch in [`CompactRows::kind`].
pub const TOUCH: u32 = 0;

/// Frame rows of a load, compactly, in frame order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompactRows {
    /// UTC microseconds.
    pub ts: Vec<i64>,
    /// Channel id (into the load's channels), or [`NO_CHANNEL`].
    pub channel: Vec<u32>,
    /// [`TOUCH`], or for a conversion 1 + the index of its type in `types`.
    pub kind: Vec<u32>,
    /// The value of every conversion, in row order (touches have none).
    pub values: Vec<f64>,
    /// Conversion types.
    pub types: Vec<String>,
    /// Where each file's rows start, with the source (config index) of the file; in row order.
    pub sources: Vec<(usize, u32)>,
}

impl CompactRows {
    /// Rows held.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// The source of every row, from the file runs.
    pub fn source_of_rows(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.len());
        for (i, &(start, source)) in self.sources.iter().enumerate() {
            let end = self.sources.get(i + 1).map_or(self.len(), |s| s.0);
            out.extend(std::iter::repeat_n(source, end.saturating_sub(start)));
        }
        out
    }

    /// Appends one file's rows: its channel ids mapped through `channels` (local to global),
    /// its conversion types interned into `types`.
    pub(super) fn append(
        &mut self,
        file: CompactFile,
        source: u32,
        channels: &[u32],
        types: &mut Names,
    ) {
        let type_ids: Vec<u32> = file.types.list().iter().map(|t| types.id(t) + 1).collect();
        self.sources.push((self.len(), source));
        self.ts.extend_from_slice(&file.ts);
        self.channel.extend(file.channel.iter().map(|&c| {
            if c == NO_CHANNEL {
                NO_CHANNEL
            } else {
                channels[c as usize]
            }
        }));
        self.kind.extend(file.kind.iter().map(|&k| {
            if k == TOUCH {
                TOUCH
            } else {
                type_ids[k as usize - 1]
            }
        }));
        self.values.extend_from_slice(&file.values);
    }
}

/// One file's frame rows, compactly: channel ids and conversion types local to the file.
#[derive(Default)]
pub(super) struct CompactFile {
    ts: Vec<i64>,
    channel: Vec<u32>,
    kind: Vec<u32>,
    values: Vec<f64>,
    types: Names,
}

impl CompactFile {
    /// Adds a row: a conversion has a type (and value), a touch none.
    pub fn push(&mut self, ts: i64, channel: Option<u32>, conversion: Option<(&str, f64)>) {
        self.ts.push(ts);
        self.channel.push(channel.unwrap_or(NO_CHANNEL));
        self.kind.push(match conversion {
            None => TOUCH,
            Some((conversion_type, value)) => {
                self.values.push(value);
                self.types.id(conversion_type) + 1
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_append_with_global_channels_types_and_sources() {
        let mut a = CompactFile::default();
        a.push(10, Some(0), None);
        a.push(20, None, Some(("order", 5.0)));
        let mut b = CompactFile::default();
        b.push(30, Some(1), Some(("lead", 0.0)));
        b.push(40, Some(0), Some(("order", 7.5)));
        let mut rows = CompactRows::default();
        let mut types = Names::default();
        rows.append(a, 3, &[7], &mut types);
        rows.append(b, 1, &[2, 7], &mut types);
        rows.types = types.into_list();
        assert_eq!(rows.ts, [10, 20, 30, 40]);
        assert_eq!(rows.channel, [7, NO_CHANNEL, 7, 2]);
        assert_eq!(rows.types, ["order", "lead"]);
        assert_eq!(rows.kind, [TOUCH, 1, 2, 1]);
        assert_eq!(rows.values, [5.0, 0.0, 7.5]);
        assert_eq!(rows.source_of_rows(), [3, 3, 1, 1]);
    }
}
