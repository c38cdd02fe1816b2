//! Stage 1, ingest: every source export into one canonical touchpoint frame.
//!
//! Each source is compiled into a [`plan`] (which columns to read and what they mean), its
//! files are read in batches and every row is loaded, ignored or rejected with a reason.
//! Files are processed in parallel; the result is assembled in a fixed order (sources in
//! config order, files by name, rows by position) so the output never depends on threads.

pub mod accounting;
pub mod channels;
pub mod compact;
mod dedup;
pub mod ids;
pub mod junk;
pub mod normalize;
mod plan;
pub mod privacy;
pub mod schema;
mod spend;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use polars::prelude::*;

pub use accounting::{write_rejects, Accounting, Reject, RejectReason, SourceAccount};
use channels::ChannelRules;
pub use compact::CompactRows;
use ids::FileIds;
pub use ids::{segments, Cells, InternedIds, Texts, NO_VALUE};
use plan::{FileOutput, IdCells, Part, SourcePlan};
pub use spend::{load_spend, Spend, SpendDays, SpendRow};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::io::read as raw;
use crate::io::Format;

/// How to load.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Keep every rejected row (for `--rejects`); otherwise keep a few examples per reason.
    pub keep_all_rejects: bool,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            keep_all_rejects: false,
            progress: true,
        }
    }
}

/// Which rows and columns a load keeps.
#[derive(Clone, Copy)]
pub enum Keep {
    /// Every row, every column.
    All,
    /// Every row, but only what stitching and journeys read, for a run in shards: identifiers
    /// interned per kind ([`Touchpoints::ids`]) and the frame rows compactly
    /// ([`Touchpoints::compact`]); the frames stay empty.
    Identities,
    /// Every row and column, but identifiers interned ([`Touchpoints::ids`]) instead of frame
    /// columns: for runs that go from stitching straight to journeys.
    Interned,
}

/// Examples of rejected rows kept per source and reason without `keep_all_rejects`.
pub const REJECT_EXAMPLES: usize = 5;

/// The loaded data.
#[derive(Debug)]
pub struct Touchpoints {
    /// Touches and conversions in the canonical schema (see [`schema`] and docs/outputs.md):
    /// ts, source, kind, channel, channel_id, value, conversion_type, conversion_id, seq, then one column
    /// per identity kind in `id_kinds` (with [`Keep::All`] only), then one per dimension in
    /// `dimensions`. Empty with [`Keep::Identities`].
    pub frame: DataFrame,
    /// Rows of identity-only sources: source, seq, then the `id_kinds` columns (with
    /// [`Keep::All`] only; otherwise empty).
    pub links: DataFrame,
    /// With [`Keep::Identities`] and [`Keep::Interned`], the identifiers interned per kind;
    /// otherwise None (with [`Keep::All`] they are the frames' columns).
    pub ids: Option<InternedIds>,
    /// Channel dictionary: `channel_id` indexes it; sorted by name.
    pub channels: Vec<String>,
    /// Identity kinds that some source maps, in config order.
    pub id_kinds: Vec<String>,
    /// Dimension names, sorted.
    pub dimensions: Vec<String>,
    /// What happened to every input row.
    pub accounting: Accounting,
    /// Rejected rows (all of them, or examples; see [`LoadOptions`]).
    pub rejects: Vec<Reject>,
    /// Frame rows loaded from each file, in load order (sources in config order, files by
    /// name).
    pub rows_per_file: Vec<usize>,
    /// Source (index into the config's sources) of each file, in load order.
    pub file_sources: Vec<usize>,
    /// Latest timestamp of any frame row loaded (0 when none).
    pub data_end: i64,
    /// With [`Keep::Identities`]: the frame rows, compactly (what journeys read).
    pub compact: Option<CompactRows>,
}

/// Loads every source of `config`.
pub fn load(config: &Config, options: &LoadOptions) -> Result<Touchpoints> {
    load_part(config, options, Keep::All)
}

/// The checks of a config that need ingest's knowledge (the canonical columns a dimension
/// may not shadow, channel rules that compile); [`Config::load`] has made every other check.
/// Each error names the config line of the source or rule.
pub fn check_config(config: &Config) -> Result<()> {
    let kinds = config.id_kinds();
    normalize::Normalizer::from_config(config, &kinds)?;
    for source in &config.sources {
        for dim in source.dimensions.keys() {
            if schema::RESERVED.contains(&dim.as_str()) || kinds.contains(dim) {
                return Err(config.error_at(
                    source.name.span().start,
                    format!(
                        "source \"{}\": dimensions: \"{dim}\" clashes with a canonical column or identity kind",
                        source.name.get_ref()
                    ),
                ));
            }
        }
    }
    for rule in &config.channels.rules {
        channels::check_rule(rule).map_err(|e| {
            config.error_at(
                rule.channel.span().start,
                format!("channel rule \"{}\": {e}", rule.channel.get_ref()),
            )
        })?;
    }
    Ok(())
}

/// Loads the rows and columns of every source of `config` that `keep` says. Accounting and
/// rejects always cover every row read.
pub fn load_part(config: &Config, options: &LoadOptions, keep: Keep) -> Result<Touchpoints> {
    check_config(config)?;
    let rules = ChannelRules::from_config(&config.channels).map_err(|e| Error::Config {
        path: config.path.clone(),
        message: e,
    })?;
    let id_kinds: Vec<String> = config
        .id_kinds()
        .into_iter()
        .filter(|k| config.sources.iter().any(|s| s.ids.contains_key(k)))
        .collect();
    let mut dimensions: Vec<String> = config
        .sources
        .iter()
        .flat_map(|s| s.dimensions.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut plans = config
        .sources
        .iter()
        .map(|s| SourcePlan::compile(config, s, &rules, &id_kinds, &dimensions))
        .collect::<Result<Vec<_>>>()?;
    if let Keep::Identities = keep {
        // Their columns are still read (a missing one is the same error), not kept.
        plans.iter_mut().for_each(SourcePlan::drop_dimensions);
        dimensions.clear();
    }

    let decisions = group_rows(config, &plans)?;

    let jobs: Vec<(usize, PathBuf, Option<std::ops::Range<usize>>, u64)> = plans
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.files
                .iter()
                .flat_map(move |f| file_parts(p.format, f).map(move |(w, size)| (i, f, w, size)))
        })
        .map(|(i, f, w, size)| (i, f.clone(), w, size))
        .collect();
    let bar = crate::progress::bar(jobs.len() as u64, "loading exports", options.progress);
    // Largest files (or parts) first, each taken by the next free thread, so that a big export
    // does not start last and run alone; outputs go back to job order.
    let mut by_size: Vec<(u64, usize)> = jobs
        .iter()
        .enumerate()
        .map(|(j, (.., size))| (*size, j))
        .collect();
    by_size.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    // Every pool thread takes the next job until none is left. Not `par_bridge`: a thread
    // waiting inside Polars (which runs its own pool) may run its own queued half of the bridge,
    // which then returns at once, and every file is left to that one thread (seen on 100M rows:
    // loading in 42 s on one thread instead of 22 s on two, in about one run in three).
    let next = AtomicUsize::new(0);
    let per_thread: Vec<Vec<(usize, Result<FileOutput>)>> = rayon::broadcast(|_| {
        let mut mine = Vec::new();
        while let Some(&(_, j)) = by_size.get(next.fetch_add(1, Ordering::Relaxed)) {
            let (i, file, windows, _) = &jobs[j];
            let out = plans[*i].read_file(
                file,
                windows.clone(),
                &rules,
                options.keep_all_rejects,
                part_of(keep),
                decisions.of(*i, file),
            );
            bar.inc(1);
            mine.push((j, out));
        }
        mine
    });
    let mut done: Vec<(usize, Result<FileOutput>)> = per_thread.into_iter().flatten().collect();
    done.sort_by_key(|(j, _)| *j);
    let outputs: Vec<Result<FileOutput>> = done.into_iter().map(|(_, out)| out).collect();
    bar.finish_and_clear();

    let mut accounts: Vec<SourceAccount> = plans
        .iter()
        .map(|p| SourceAccount {
            source: p.name.clone(),
            format: p.format.name().to_string(),
            ..SourceAccount::default()
        })
        .collect();
    let mut files = Vec::with_capacity(outputs.len());
    let mut rows_per_file = Vec::with_capacity(outputs.len());
    let mut data_end = 0;
    for ((i, ..), out) in jobs.iter().zip(outputs) {
        let out = out?;
        accounts[*i].absorb(&out.account);
        rows_per_file.push(out.rows_loaded);
        data_end = data_end.max(out.data_end);
        files.push((*i, out));
    }
    let bar = crate::progress::stage("joining files", options.progress);
    let mut t = assemble(
        &plans,
        files,
        accounts,
        id_kinds,
        dimensions,
        options.keep_all_rejects,
        part_of(keep),
    )?;
    bar.finish_and_clear();
    if crate::progress::timings() {
        eprintln!("{}", held_after_loading(&t));
    }
    t.rows_per_file = rows_per_file;
    t.data_end = data_end;
    Ok(t)
}

/// What a load holds in its identifiers and compact rows, in MiB: where the first pass of a
/// run in shards spends its memory (printed with the stage timings).
fn held_after_loading(t: &Touchpoints) -> String {
    const MIB: usize = 1 << 20;
    let mut line = String::from("held: ");
    if let Some(ids) = &t.ids {
        let (values, texts, offsets, cells) = ids.held_bytes();
        line += &format!(
            "{values} identifier values in {} kinds: texts {} MiB, offsets {} MiB, cells {} MiB; ",
            t.id_kinds.len(),
            texts / MIB,
            offsets / MIB,
            cells / MIB
        );
    }
    if let Some(rows) = &t.compact {
        line += &format!(
            "{} compact rows: {} MiB",
            rows.len(),
            rows.held_bytes() / MIB
        );
    }
    line
}

/// Scans the sources whose rows a session key or conversion id groups and decides which rows
/// are merged ([`dedup`]); nothing to decide (and nothing read) when no source groups rows.
fn group_rows(config: &Config, plans: &[SourcePlan]) -> Result<dedup::Decisions> {
    use rayon::prelude::*;
    let files: Vec<(usize, &PathBuf)> = plans
        .iter()
        .enumerate()
        .filter(|(_, p)| p.groups_rows())
        .flat_map(|(i, p)| p.files.iter().map(move |f| (i, f)))
        .collect();
    if files.is_empty() {
        return Ok(dedup::Decisions::default());
    }
    let scanned = files
        .par_iter()
        .map(|&(i, f)| {
            Ok(dedup::ScannedFile {
                source: i,
                path: f.clone(),
                rows: plans[i].scan_file(f)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let priority = &config.conversions.source_priority;
    let rank: Vec<usize> = plans
        .iter()
        .enumerate()
        .map(|(i, p)| match priority.iter().position(|n| *n == p.name) {
            Some(k) => k,
            None => priority.len() + i,
        })
        .collect();
    let line_items: Vec<_> = plans.iter().map(|p| p.line_items).collect();
    Ok(dedup::decide(&scanned, &rank, &line_items))
}

/// Parquet files of at least this many rows are read in parts (runs of whole row groups),
/// one per thread, so that the largest export does not set the loading time alone.
const SPLIT_ROWS: usize = 4 << 20;

/// The parts a file is read in, with the size on disk each part stands for: Parquet files of
/// [`SPLIT_ROWS`] rows or more in one part per thread (ranges of [`raw::parquet_windows`]),
/// every other file whole (None). Parts join in file order, so the result is the same.
fn file_parts(
    format: Format,
    file: &std::path::Path,
) -> impl Iterator<Item = (Option<std::ops::Range<usize>>, u64)> {
    let size = std::fs::metadata(file).map_or(0, |m| m.len());
    let windows = match format {
        // A file that cannot be read is read whole, to fail with the usual error.
        Format::Parquet => raw::parquet_windows(file).unwrap_or_default(),
        _ => Vec::new(),
    };
    let rows: usize = windows.iter().sum();
    let parts = if rows >= SPLIT_ROWS {
        rayon::current_num_threads().clamp(1, windows.len())
    } else {
        1
    };
    let mut out = Vec::with_capacity(parts);
    if parts == 1 {
        out.push((None, size));
    } else {
        // Cut after the window where each part's share of the rows is reached.
        let (mut start, mut seen) = (0, 0);
        for (w, n) in windows.iter().enumerate() {
            seen += n;
            let part = out.len() + 1;
            if seen * parts >= rows * part || w + 1 == windows.len() {
                let part_rows: usize = windows[start..=w].iter().sum();
                let bytes = (u128::from(size) * part_rows as u128 / rows as u128) as u64;
                out.push((Some(start..w + 1), bytes));
                start = w + 1;
            }
        }
    }
    out.into_iter()
}

/// What a file's reading keeps under `keep`.
fn part_of(keep: Keep) -> Part {
    match keep {
        Keep::All => Part {
            frame: true,
            ids: IdCells::Columns,
            compact: false,
        },
        Keep::Identities => Part {
            frame: false,
            ids: IdCells::Interned,
            compact: true,
        },
        Keep::Interned => Part {
            frame: true,
            ids: IdCells::Interned,
            compact: false,
        },
    }
}

/// The format and size on disk of every export file the config's sources name.
pub fn export_sizes(config: &Config) -> Result<Vec<(Format, u64)>> {
    let mut sizes = Vec::new();
    for s in &config.sources {
        for file in plan::source_files(config, s)? {
            let bytes = std::fs::metadata(&file)
                .map_err(|e| Error::io(&file, e))?
                .len();
            let format = s.format.or_else(|| Format::from_path(&file));
            sizes.push((format.unwrap_or(Format::Csv), bytes));
        }
    }
    Ok(sizes)
}

/// Puts the per-file outputs together, interning channels to sorted global ids.
/// The rejected rows a load keeps: all of them, or the first [`REJECT_EXAMPLES`] per source
/// and reason.
#[derive(Default)]
struct KeptRejects {
    all: bool,
    rows: Vec<Reject>,
    seen: HashMap<(usize, RejectReason), usize>,
}

impl KeptRejects {
    fn keep(&mut self, source: usize, rejects: Vec<Reject>) {
        for r in rejects {
            let seen = self.seen.entry((source, r.reason)).or_default();
            if self.all || *seen < REJECT_EXAMPLES {
                self.rows.push(r);
            }
            *seen += 1;
        }
    }
}

fn assemble(
    plans: &[SourcePlan],
    files: Vec<(usize, FileOutput)>,
    accounts: Vec<SourceAccount>,
    id_kinds: Vec<String>,
    dimensions: Vec<String>,
    keep_all_rejects: bool,
    part: Part,
) -> Result<Touchpoints> {
    let identities_only = !part.frame;
    let id_columns = part.ids == IdCells::Columns;
    // One channel dictionary, sorted by name, for every file's channels.
    let channels: Vec<String> = files
        .iter()
        .flat_map(|(_, f)| f.channel_names.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let global: HashMap<&str, u32> = channels
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i as u32))
        .collect();

    let mut row_columns = if identities_only {
        RowColumns::default()
    } else {
        RowColumns::with_capacity(
            files.iter().map(|(_, f)| f.rows.len()).sum(),
            files.iter().map(|(_, f)| f.link_rows).sum(),
        )
    };
    let mut rejects = KeptRejects {
        all: keep_all_rejects,
        ..KeptRejects::default()
    };
    let mut files = files;
    let file_sources: Vec<usize> = files.iter().map(|(i, _)| *i).collect();
    let mut compact = part.compact.then(CompactRows::default);
    let mut conversion_types = crate::names::Names::default();
    for (i, out) in &mut files {
        let name = plans[*i].name.as_str();
        let remap: Vec<u32> = out
            .channel_names
            .iter()
            .map(|c| global[c.as_str()])
            .collect();
        if let (Some(rows), Some(file)) = (&mut compact, out.compact.take()) {
            rows.append(file, *i as u32, &remap, &mut conversion_types);
        }
        if !identities_only {
            row_columns.append(name, out, &remap);
        }
        rejects.keep(*i, std::mem::take(&mut out.rejects));
    }

    if let Some(rows) = &mut compact {
        rows.types = conversion_types.into_list();
    }
    if identities_only {
        let parts: Vec<FileIds> = files.iter_mut().filter_map(|(_, f)| f.ids.take()).collect();
        let ids = ids::join(parts, id_kinds.len());
        return Ok(Touchpoints {
            frame: DataFrame::empty(),
            links: DataFrame::empty(),
            ids: Some(ids),
            channels,
            id_kinds,
            dimensions,
            accounting: Accounting { sources: accounts },
            rejects: rejects.rows,
            rows_per_file: Vec::new(),
            file_sources,
            data_end: 0,
            compact,
        });
    }

    let interned = (part.ids == IdCells::Interned).then(|| {
        let parts: Vec<FileIds> = files.iter_mut().filter_map(|(_, f)| f.ids.take()).collect();
        ids::join(parts, id_kinds.len())
    });

    let (frame, links) = frames(
        files,
        row_columns,
        &channels,
        &id_kinds,
        &dimensions,
        id_columns,
    )?;

    Ok(Touchpoints {
        frame,
        links,
        channels,
        id_kinds,
        dimensions,
        ids: interned,
        accounting: Accounting { sources: accounts },
        rejects: rejects.rows,
        rows_per_file: Vec::new(),
        file_sources,
        data_end: 0,
        compact,
    })
}

/// The frame's row columns, in load order, before they become the canonical frame.
#[derive(Default)]
struct RowColumns<'a> {
    ts: Vec<i64>,
    source: Vec<&'a str>,
    kind: Vec<&'static str>,
    channel_id: Vec<Option<u32>>,
    value: Vec<f64>,
    link_source: Vec<&'a str>,
}

impl<'a> RowColumns<'a> {
    fn with_capacity(rows: usize, links: usize) -> RowColumns<'a> {
        RowColumns {
            ts: Vec::with_capacity(rows),
            source: Vec::with_capacity(rows),
            kind: Vec::with_capacity(rows),
            channel_id: Vec::with_capacity(rows),
            value: Vec::with_capacity(rows),
            link_source: Vec::with_capacity(links),
        }
    }

    /// Appends a file's rows of source `name`, its channels renumbered by `remap`.
    fn append(&mut self, name: &'a str, out: &FileOutput, remap: &[u32]) {
        let rows = &out.rows;
        self.source.extend(std::iter::repeat_n(name, rows.len()));
        self.ts.extend_from_slice(&rows.ts);
        self.kind.extend(rows.is_conversion.iter().map(|&c| {
            if c {
                schema::KIND_CONVERSION
            } else {
                schema::KIND_TOUCH
            }
        }));
        self.channel_id
            .extend(rows.channel.iter().map(|c| c.map(|l| remap[l as usize])));
        self.value.extend_from_slice(&rows.value);
        self.link_source
            .extend(std::iter::repeat_n(name, out.link_rows));
    }
}

/// The canonical frame and the identity links frame, from the row columns and each file's
/// text columns (conversion type, identifiers when kept as columns, dimensions).
fn frames(
    files: Vec<(usize, FileOutput)>,
    rows: RowColumns,
    channels: &[String],
    id_kinds: &[String],
    dimensions: &[String],
    id_columns: bool,
) -> Result<(DataFrame, DataFrame)> {
    let RowColumns {
        ts,
        source,
        kind,
        channel_id,
        value,
        link_source,
    } = rows;
    let (n, n_links) = (ts.len(), link_source.len());
    // Text columns: each file's Arrow columns appended as chunks, without copying cells.
    let id_names: &[String] = if id_columns { id_kinds } else { &[] };
    let names: Vec<&str> = [schema::CONVERSION_TYPE, schema::CONVERSION_ID]
        .into_iter()
        .chain(id_names.iter().map(String::as_str))
        .chain(dimensions.iter().map(String::as_str))
        .chain(id_names.iter().map(String::as_str))
        .collect();
    let mut texts: Vec<Column> = Vec::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        let mut column = StringChunked::full_null((*name).into(), 0);
        for (_, out) in &files {
            if let Some(cells) = out.texts.get(j) {
                column
                    .append(cells)
                    .map_err(|e| Error::format("(frame)", e))?;
            }
        }
        texts.push(column.into_column());
    }
    drop(files);
    let link_ids = texts.split_off(2 + id_names.len() + dimensions.len());
    let dims = texts.split_off(2 + id_names.len());
    let ids = texts.split_off(2);
    let conversion_id = texts
        .pop()
        .ok_or_else(|| Error::format("(frame)", "no columns"))?;
    let conversion_type = texts
        .pop()
        .ok_or_else(|| Error::format("(frame)", "no columns"))?;

    let channel_names: Vec<Option<&str>> = channel_id
        .iter()
        .map(|c| c.map(|id| channels[id as usize].as_str()))
        .collect();
    let ts = Int64Chunked::from_vec(schema::TS.into(), ts)
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_series();
    let mut columns: Vec<Column> = vec![
        ts.into(),
        Column::new(schema::SOURCE.into(), source),
        Column::new(schema::KIND.into(), kind),
        Column::new(schema::CHANNEL.into(), channel_names),
        Column::new(schema::CHANNEL_ID.into(), channel_id),
        Column::new(schema::VALUE.into(), value),
        conversion_type,
        conversion_id,
        Column::new(schema::SEQ.into(), (0..n as u64).collect::<Vec<u64>>()),
    ];
    columns.extend(ids);
    columns.extend(dims);
    let frame = DataFrame::new(n, columns).map_err(|e| Error::format("(frame)", e))?;

    let mut link_columns: Vec<Column> = vec![
        Column::new(schema::SOURCE.into(), link_source),
        Column::new(
            schema::SEQ.into(),
            (0..n_links as u64).collect::<Vec<u64>>(),
        ),
    ];
    link_columns.extend(link_ids);
    let links = DataFrame::new(n_links, link_columns).map_err(|e| Error::format("(links)", e))?;

    Ok((frame, links))
}
