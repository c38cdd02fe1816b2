//! A source's config compiled into column positions, and the row logic that turns raw cells
//! into canonical rows or rejects.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use compact_str::CompactString;
use polars::prelude::{NewChunkedArray, PlSmallStr, StringChunked};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::accounting::{Reject, RejectReason, SourceAccount};
use super::channels::{referrer_host, ChannelRules, UNASSIGNED};
use super::compact::CompactFile;
use super::dedup::{Decision, FileDecisions, ScanRow};
use super::ids::FileIds;
use super::normalize::Normalizer;
use super::privacy::IdHasher;
use super::schema::DEFAULT_CONVERSION_TYPE;
use crate::config::{
    ChannelSpec, Config, CsvOptions, Format, LineItems, RowCondition, RowKind, SourceConfig,
};
use crate::error::{Error, Result};
use crate::io::number::Decimal;
use crate::io::read::{self as raw, RawBatch, Value};
use crate::io::timestamp::{parse_timezone, TimestampError, TimestampFormat, TimestampParser};
use crate::names::Names;

/// Longest offending value quoted in a reject's detail.
const DETAIL_MAX: usize = 60;

enum KindPlan {
    Fixed(RowKind),
    Column {
        col: usize,
        touch: HashSet<String>,
        conversion: HashSet<String>,
        ignore: HashSet<String>,
        /// Values in no list are ignored rather than rejected.
        ignore_others: bool,
    },
}

/// A test on one cell, for `skip_when` and `keep_when` (values lower-cased).
enum CellTest {
    Equals(Vec<String>),
    StartsWith(Vec<String>),
    Empty(bool),
}

impl CellTest {
    fn compile(c: &RowCondition) -> CellTest {
        let lower = |v: &crate::config::OneOrMany| -> Vec<String> {
            v.to_vec().iter().map(|s| s.trim().to_lowercase()).collect()
        };
        match (&c.equals, &c.starts_with, c.empty) {
            (Some(v), _, _) => CellTest::Equals(lower(v)),
            (None, Some(v), _) => CellTest::StartsWith(lower(v)),
            (None, None, empty) => CellTest::Empty(empty.unwrap_or(true)),
        }
    }

    fn holds(&self, cell: Value) -> bool {
        let text = cell.trimmed().map(|t| t.to_lowercase()).unwrap_or_default();
        match self {
            CellTest::Equals(values) => values.contains(&text),
            CellTest::StartsWith(prefixes) => prefixes.iter().any(|p| text.starts_with(p.as_str())),
            CellTest::Empty(empty) => text.is_empty() == *empty,
        }
    }
}

/// Which rows a source reads: none that a `skip_when` test holds for, and only those all
/// `keep_when` tests hold for.
#[derive(Default)]
pub(super) struct RowFilter {
    skip: Vec<(usize, CellTest)>,
    keep: Vec<(usize, CellTest)>,
}

impl RowFilter {
    pub fn compile(
        skip_when: &[RowCondition],
        keep_when: &[RowCondition],
        cols: &mut WantedColumns,
    ) -> RowFilter {
        let mut tests = |key: &str, conditions: &[RowCondition]| -> Vec<(usize, CellTest)> {
            conditions
                .iter()
                .map(|c| (cols.index(&c.column, key.into()), CellTest::compile(c)))
                .collect()
        };
        RowFilter {
            skip: tests("skip_when", skip_when),
            keep: tests("keep_when", keep_when),
        }
    }

    /// Whether row `r` is read.
    pub fn passes(&self, batch: &RawBatch, r: usize) -> bool {
        !self.skip.iter().any(|(c, t)| t.holds(batch.cell(*c, r)))
            && self.keep.iter().all(|(c, t)| t.holds(batch.cell(*c, r)))
    }
}

pub(super) enum ChannelPlan {
    None,
    Fixed(String),
    Column(usize),
    /// The rules, over each rule field's column (when mapped), its fixed value (when set), or
    /// the query parameters of a landing-page URL column; aligned with `ChannelRules::fields`.
    Rules {
        cols: Vec<Option<usize>>,
        fixed: Vec<Option<String>>,
        url: Option<usize>,
        /// Positions of `referrer_host` and `referrer` among the fields, when the host is
        /// taken from the referrer (no column or value gives it).
        host_of_referrer: Option<(usize, usize)>,
    },
}

impl ChannelPlan {
    /// The rule fields of row `r`, aligned with `rules.fields()` (with [`ChannelPlan::Rules`];
    /// empty otherwise).
    fn rule_fields<'b>(
        &self,
        batch: &'b RawBatch,
        r: usize,
        rules: &ChannelRules,
    ) -> SmallVec<[Option<Cow<'b, str>>; 8]> {
        let ChannelPlan::Rules {
            cols,
            fixed,
            url,
            host_of_referrer,
        } = self
        else {
            return SmallVec::new();
        };
        let url = url
            .and_then(|c| batch.cell(c, r).trimmed())
            .and_then(|u| LandingUrl::parse(&u));
        let mut fields: SmallVec<[Option<Cow<'b, str>>; 8]> = cols
            .iter()
            .zip(fixed)
            .zip(rules.fields())
            .map(|((c, fixed), field)| match (c, fixed) {
                (Some(c), _) => batch.cell(*c, r).trimmed(),
                (None, Some(v)) => Some(Cow::Owned(v.clone())),
                (None, None) => url.as_ref().and_then(|u| u.field(field)).map(Cow::Owned),
            })
            .collect();
        if let Some((host, referrer)) = *host_of_referrer {
            fields[host] = fields[referrer]
                .as_deref()
                .and_then(referrer_host)
                .map(Cow::Owned);
        }
        fields
    }

    /// The channel of row `r`, classified afresh (for small exports: the spend).
    pub fn channel_of(&self, batch: &RawBatch, r: usize, rules: &ChannelRules) -> Option<String> {
        match self {
            ChannelPlan::None => None,
            ChannelPlan::Fixed(v) => Some(v.clone()),
            ChannelPlan::Column(c) => batch.cell(*c, r).text(),
            ChannelPlan::Rules { .. } => {
                let fields = self.rule_fields(batch, r, rules);
                let refs: Vec<Option<&str>> = fields.iter().map(|v| v.as_deref()).collect();
                Some(rules.classify(&refs).unwrap_or(UNASSIGNED).to_string())
            }
        }
    }
}

enum ConversionTypePlan {
    Fixed(String),
    Column(usize),
}

/// One source, compiled.
pub(super) struct SourcePlan {
    pub name: String,
    pub format: Format,
    pub files: Vec<PathBuf>,
    csv: CsvOptions,
    /// Distinct columns read, and the config key that first named each.
    wanted: Vec<String>,
    keys: Vec<String>,
    kind: KindPlan,
    ts: Option<(usize, TimestampParser)>,
    /// (identity-kind slot, column).
    ids: Vec<(usize, usize)>,
    channel: ChannelPlan,
    value: Option<usize>,
    conversion_type: ConversionTypePlan,
    /// (dimension slot, column).
    dims: Vec<(usize, usize)>,
    /// Identity kinds and dimensions of the whole load (every file fills all their columns).
    n_id_kinds: usize,
    n_dims: usize,
    /// Salted hashing of identifiers, when the config asks for it.
    hasher: Option<IdHasher>,
    /// Identifier normalisation per kind; None when every kind is only trimmed.
    normalizer: Option<Normalizer>,
    /// Rows skipped or kept by the source's row conditions.
    filter: RowFilter,
    /// Decimal separator of the value column.
    decimal: Decimal,
    /// Columns of the session key (empty: every touch row is a touch).
    session: Vec<usize>,
    /// Column of the conversion id.
    conversion_id: Option<usize>,
    /// How rows of one conversion id combine their values.
    pub line_items: LineItems,
    /// Conversion rows are also touches.
    conversions_are_touches: bool,
}

/// Channel names of one file, interned to local ids in order of first appearance.
#[derive(Default)]
struct Interner {
    names: Names,
    /// Channels the rules gave for combinations of fields seen before.
    cache: RuleCache,
    /// Touches per channel id, turned into names by [`Interner::count_into`].
    touches: Vec<u64>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        self.names.id(name)
    }

    /// Counts a touch of `channel` (None: unassigned) without a string per row.
    fn touch(&mut self, channel: Option<u32>) -> bool {
        let id = match channel {
            Some(id) => id,
            None => self.id(UNASSIGNED),
        };
        if self.touches.len() <= id as usize {
            self.touches.resize(id as usize + 1, 0);
        }
        self.touches[id as usize] += 1;
        self.names.list()[id as usize] == UNASSIGNED
    }

    /// Adds the touch counts to `counts` by channel name.
    fn count_into(&self, counts: &mut std::collections::BTreeMap<String, u64>) {
        for (name, n) in self.names.list().iter().zip(&self.touches) {
            if *n > 0 {
                *counts.entry(name.clone()).or_default() += n;
            }
        }
    }
}

/// Channels already found by the rules for a combination of fields.
#[derive(Default)]
struct RuleCache {
    ids: FxHashMap<String, u32>,
    /// The key of the row at hand.
    key: String,
}

/// Canonical rows of one file, in columns.
#[derive(Default)]
pub(super) struct Rows {
    pub ts: Vec<i64>,
    pub is_conversion: Vec<bool>,
    /// Local channel ids (indexes of `FileOutput::channel_names`).
    pub channel: Vec<Option<u32>>,
    pub value: Vec<f64>,
    pub conversion_type: Vec<Option<CompactString>>,
    /// The conversion id of conversion rows (the `conversion_id` column, else source:line).
    pub conversion_id: Vec<Option<CompactString>>,
    pub ids: Vec<Vec<Option<CompactString>>>,
    pub dims: Vec<Vec<Option<CompactString>>>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.is_conversion.len()
    }
}

/// What [`SourcePlan::read_file`] keeps of a file (see [`super::Keep`]).
#[derive(Clone, Copy)]
pub(super) struct Part {
    /// Frame columns besides identifiers: time, channel, value, conversion type, dimensions.
    pub frame: bool,
    /// How identifiers are kept.
    pub ids: IdCells,
    /// Frame rows are kept compactly ([`CompactFile`]), whether or not `frame` keeps them.
    pub compact: bool,
}

/// How a load keeps identifier cells.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum IdCells {
    /// As Arrow string columns of the frames.
    Columns,
    /// Interned per kind ([`FileIds`]).
    Interned,
}

/// Identity-link rows of one file.
#[derive(Default)]
pub(super) struct Links {
    pub ids: Vec<Vec<Option<CompactString>>>,
}

impl Links {
    pub fn len(&self) -> usize {
        self.ids.first().map_or(0, Vec::len)
    }
}

/// Everything one file produced.
pub(super) struct FileOutput {
    pub account: SourceAccount,
    pub rows: Rows,
    pub links: Links,
    pub rejects: Vec<Reject>,
    pub channel_names: Vec<String>,
    /// The text cells as Arrow columns (unnamed), built by [`FileOutput::seal`]: conversion
    /// type, conversion id, identifiers per kind, dimensions, then link identifiers per kind.
    pub texts: Vec<StringChunked>,
    /// Identity-link rows (their cells are in `texts` once sealed).
    pub link_rows: usize,
    /// Frame rows loaded.
    pub rows_loaded: usize,
    /// Latest timestamp of a loaded frame row (0 when none).
    pub data_end: i64,
    /// With [`IdCells::Interned`]: the identifiers, interned.
    pub ids: Option<FileIds>,
    /// With [`Part::compact`]: the frame rows, compactly.
    pub compact: Option<CompactFile>,
}

impl FileOutput {
    /// Turns the text cells into Arrow columns, freeing one `String` per cell here, in the
    /// worker that read the file, rather than in the single-threaded assembly.
    fn seal(&mut self, id_columns: bool) {
        if let Some(ids) = &mut self.ids {
            ids.seal();
        }
        if let Some(rows) = &mut self.compact {
            rows.shrink_to_fit();
        }
        self.link_rows = if id_columns { self.links.len() } else { 0 };
        let ids = if id_columns { self.rows.ids.len() } else { 0 };
        let link_ids = if id_columns { self.links.ids.len() } else { 0 };
        let columns = std::iter::once(std::mem::take(&mut self.rows.conversion_type))
            .chain(std::iter::once(std::mem::take(
                &mut self.rows.conversion_id,
            )))
            .chain(self.rows.ids.iter_mut().take(ids).map(std::mem::take))
            .chain(self.rows.dims.iter_mut().map(std::mem::take))
            .chain(self.links.ids.iter_mut().take(link_ids).map(std::mem::take));
        self.texts = columns
            .map(|cells| StringChunked::from_slice_options(PlSmallStr::EMPTY, &cells))
            .collect();
    }
}

/// A row's fault: reason, column index, detail.
type Fault = (RejectReason, Option<usize>, String);

/// A row's identifiers: (kind slot, value), most rows having four kinds at most.
type RowIds<'a> = SmallVec<[(usize, Option<Cow<'a, str>>); 4]>;

enum Outcome {
    /// Loaded: as frame rows (a touch, a conversion, or both) or as an identity link.
    Loaded,
    /// Left out on purpose: its kind value says so, or a row condition.
    Ignored,
    /// Merged into a session's touch or a conversion id's conversion (its identifiers still
    /// link).
    Merged,
}

/// The columns a source reads, each once, with the config key that names it (for messages).
#[derive(Default)]
pub(super) struct WantedColumns {
    pub names: Vec<String>,
    pub keys: Vec<String>,
}

impl WantedColumns {
    /// The position of `column` among the wanted ones, added under `key` when new.
    pub fn index(&mut self, column: &str, key: String) -> usize {
        match self.names.iter().position(|w| w == column) {
            Some(i) => i,
            None => {
                self.names.push(column.to_string());
                self.keys.push(key);
                self.names.len() - 1
            }
        }
    }
}

/// How a source's rows get their kind; None when the config sets neither way.
fn kind_plan(source: &SourceConfig, cols: &mut WantedColumns) -> Option<KindPlan> {
    let lower_set =
        |v: &[String]| -> HashSet<String> { v.iter().map(|s| s.trim().to_lowercase()).collect() };
    match (&source.kind, &source.kind_column) {
        (Some(k), _) => Some(KindPlan::Fixed(*k)),
        (None, Some(c)) => Some(KindPlan::Column {
            col: cols.index(c, "kind_column".into()),
            touch: lower_set(&source.touch_values),
            conversion: lower_set(&source.conversion_values),
            ignore: lower_set(&source.ignore_values),
            ignore_others: source.ignore_other_values,
        }),
        (None, None) => None,
    }
}

/// The time column and its parser (format and time zone); None for identity sources.
fn timestamp_plan(
    config: &Config,
    source: &SourceConfig,
    cols: &mut WantedColumns,
) -> std::result::Result<Option<(usize, TimestampParser)>, String> {
    match &source.timestamp {
        Some(c) if source.kind != Some(RowKind::Identity) => {
            let fmt = TimestampFormat::parse(source.timestamp_format.as_deref().unwrap_or("auto"))
                .map_err(|e| format!("timestamp_format: {e}"))?;
            let tz_name = source
                .timezone
                .as_deref()
                .or(config.settings.timezone.as_deref())
                .unwrap_or("UTC");
            let tz = parse_timezone(tz_name).map_err(|e| format!("timezone: {e}"))?;
            Ok(Some((
                cols.index(c, "timestamp".into()),
                TimestampParser::new(fmt, tz),
            )))
        }
        _ => Ok(None),
    }
}

/// Where a source's channel comes from: a fixed value, a column, or the rules over fields.
pub(super) fn channel_plan(
    spec: Option<&ChannelSpec>,
    rules: &ChannelRules,
    cols: &mut WantedColumns,
) -> std::result::Result<ChannelPlan, String> {
    let Some(spec) = spec else {
        return Ok(ChannelPlan::None);
    };
    Ok(if let Some(v) = &spec.value {
        ChannelPlan::Fixed(v.clone())
    } else if let Some(c) = &spec.column {
        ChannelPlan::Column(cols.index(c, "channel.column".into()))
    } else if spec.fields.is_some() || spec.url.is_some() || spec.set.is_some() {
        let empty = std::collections::BTreeMap::new();
        let fields = spec.fields.as_ref().unwrap_or(&empty);
        let set = spec.set.as_ref().unwrap_or(&empty);
        for (key, names) in [("fields", fields), ("set", set)] {
            if let Some(unknown) = names.keys().find(|f| !rules.fields().contains(f)) {
                return Err(format!(
                    "channel.{key}: no channel rule tests the field \"{unknown}\" (fields the rules test: {})",
                    rules.fields().join(", ")
                ));
            }
        }
        ChannelPlan::Rules {
            cols: rules
                .fields()
                .iter()
                .map(|f| {
                    fields
                        .get(f)
                        .map(|c| cols.index(c, format!("channel.fields.{f}")))
                })
                .collect(),
            fixed: rules.fields().iter().map(|f| set.get(f).cloned()).collect(),
            host_of_referrer: {
                let at = |name: &str| rules.fields().iter().position(|f| f == name);
                // Parsed only for rules that test it: a URL a row is not free.
                let given = fields.contains_key("referrer_host")
                    || set.contains_key("referrer_host")
                    || !rules.tests("referrer_host");
                match (at("referrer_host"), at("referrer"), given) {
                    (Some(host), Some(referrer), false) => Some((host, referrer)),
                    _ => None,
                }
            },
            url: spec
                .url
                .as_ref()
                .map(|c| cols.index(c, "channel.url".into())),
        }
    } else {
        ChannelPlan::None
    })
}

impl SourcePlan {
    pub fn compile(
        config: &Config,
        source: &SourceConfig,
        rules: &ChannelRules,
        id_kinds: &[String],
        dimensions: &[String],
    ) -> Result<SourcePlan> {
        let name = source.name.get_ref().clone();
        let config_error = |message: String| Error::Config {
            path: config.path.clone(),
            message: format!("source \"{name}\": {message}"),
        };
        let files = source_files(config, source)?;
        let format = match source.format {
            Some(f) => f,
            None => Format::from_path(&files[0]).ok_or_else(|| {
                config_error(format!(
                    "cannot tell the format of {} from its extension: set `format` (csv, parquet, ndjson)",
                    files[0].display()
                ))
            })?,
        };

        let mut cols = WantedColumns::default();
        let kind = kind_plan(source, &mut cols)
            .ok_or_else(|| config_error("set `kind` or `kind_column`".into()))?;
        let ts = timestamp_plan(config, source, &mut cols).map_err(config_error)?;
        let mut ids = Vec::new();
        for (kind_name, column) in &source.ids {
            let slot = id_kinds
                .iter()
                .position(|k| k == kind_name)
                .ok_or_else(|| {
                    config_error(format!("ids: unknown identity kind \"{kind_name}\""))
                })?;
            ids.push((slot, cols.index(column, format!("ids.{kind_name}"))));
        }
        let channel =
            channel_plan(source.channel.as_ref(), rules, &mut cols).map_err(config_error)?;
        let value = source
            .value_column
            .as_deref()
            .map(|c| cols.index(c, "value_column".into()));
        let conversion_type = match &source.conversion_type {
            Some(spec) => match (&spec.column, &spec.value) {
                (Some(c), _) => {
                    ConversionTypePlan::Column(cols.index(c, "conversion_type.column".into()))
                }
                (None, Some(v)) => ConversionTypePlan::Fixed(v.clone()),
                (None, None) => ConversionTypePlan::Fixed(DEFAULT_CONVERSION_TYPE.into()),
            },
            None => ConversionTypePlan::Fixed(DEFAULT_CONVERSION_TYPE.into()),
        };
        let mut dims = Vec::new();
        for (dim, column) in &source.dimensions {
            let slot = dimensions
                .iter()
                .position(|d| d == dim)
                .ok_or_else(|| config_error(format!("dimensions: unknown dimension \"{dim}\"")))?;
            dims.push((slot, cols.index(column, format!("dimensions.{dim}"))));
        }
        let filter = RowFilter::compile(&source.skip_when, &source.keep_when, &mut cols);
        let session = source
            .session_key
            .iter()
            .map(|c| cols.index(c, "session_key".into()))
            .collect();
        let conversion_id = source
            .conversion_id
            .as_deref()
            .map(|c| cols.index(c, "conversion_id".into()));
        let decimal = Decimal::parse(source.decimal.as_deref().unwrap_or("."))
            .map_err(|e| config_error(format!("decimal: {e}")))?;
        let WantedColumns {
            names: wanted,
            keys,
        } = cols;

        Ok(SourcePlan {
            name,
            format,
            files,
            csv: source.csv.clone(),
            wanted,
            keys,
            kind,
            ts,
            ids,
            channel,
            value,
            conversion_type,
            dims,
            n_id_kinds: id_kinds.len(),
            n_dims: dimensions.len(),
            hasher: IdHasher::from_config(config)?,
            normalizer: Some(Normalizer::from_config(config, id_kinds)?)
                .filter(|n| !n.is_trim_only()),
            filter,
            decimal,
            session,
            conversion_id,
            line_items: source.line_items.unwrap_or(LineItems::Once),
            conversions_are_touches: source.conversions_are_touches,
        })
    }

    /// Whether the load needs a scan of this source first: its sessions or conversion ids
    /// group rows.
    pub fn groups_rows(&self) -> bool {
        !self.session.is_empty() || self.conversion_id.is_some()
    }

    /// The rows of `file` that a session key or conversion id groups, with the time and value
    /// of each row the load will accept ([`super::dedup`]).
    pub fn scan_file(&self, file: &Path) -> Result<Vec<ScanRow>> {
        let mut reader = raw::open(file, self.format, &self.csv, &self.wanted, &self.name)
            .map_err(|e| self.name_key(e))?;
        let mut rows = Vec::new();
        let mut batch = RawBatch::default();
        while reader
            .next_batch(&mut batch)
            .map_err(|e| self.name_key(e))?
        {
            for r in 0..batch.lines.len() {
                if !self.filter.passes(&batch, r) {
                    continue;
                }
                let Ok(Some(kind)) = self.row_kind(&batch, r) else {
                    continue;
                };
                let key_columns: &[usize] = match kind {
                    RowKind::Touch => &self.session,
                    RowKind::Conversion => self.conversion_id.as_slice(),
                    RowKind::Identity => &[],
                };
                let Some(key) = group_key(&batch, r, key_columns) else {
                    continue;
                };
                let value = match (kind, self.value) {
                    (RowKind::Conversion, Some(c)) => batch.cell(c, r).amount(self.decimal),
                    _ => Ok(0.0),
                };
                let usable = self.identifiers(&batch, r).is_ok() && value.is_ok();
                rows.push(ScanRow {
                    line: batch.lines[r],
                    key,
                    is_conversion: kind == RowKind::Conversion,
                    ts: self.timestamp(&batch, r).ok().filter(|_| usable),
                    value: value.unwrap_or(0.0),
                });
            }
        }
        Ok(rows)
    }

    /// Keeps no dimension (their columns are still read and checked).
    pub fn drop_dimensions(&mut self) {
        self.dims.clear();
        self.n_dims = 0;
    }

    /// Reads `file`, or with `windows` that range of its Parquet windows (a part of it: the
    /// file is counted with its first part): loads, ignores or rejects each row.
    pub fn read_file(
        &self,
        file: &Path,
        windows: Option<std::ops::Range<usize>>,
        rules: &ChannelRules,
        keep_all_rejects: bool,
        part: Part,
        decisions: Option<&FileDecisions>,
    ) -> Result<FileOutput> {
        let first_part = windows.as_ref().is_none_or(|w| w.start == 0);
        let mut reader = raw::open_part(
            file,
            self.format,
            &self.csv,
            &self.wanted,
            &self.name,
            windows,
        )
        .map_err(|e| self.name_key(e))?;
        let (n_ids, n_dims) = (self.n_id_kinds, self.n_dims);
        let mut out = FileOutput {
            account: SourceAccount {
                files: usize::from(first_part),
                ..SourceAccount::default()
            },
            rows: Rows {
                ids: vec![Vec::new(); n_ids],
                dims: vec![Vec::new(); n_dims],
                ..Rows::default()
            },
            links: Links {
                ids: vec![Vec::new(); n_ids],
            },
            rejects: Vec::new(),
            channel_names: Vec::new(),
            texts: Vec::new(),
            link_rows: 0,
            rows_loaded: 0,
            data_end: 0,
            ids: (part.ids == IdCells::Interned).then(|| FileIds::new(n_ids)),
            compact: part.compact.then(CompactFile::default),
        };
        // An identity source's rows are links: neither frame cells nor compact rows.
        let links_only = matches!(self.kind, KindPlan::Fixed(RowKind::Identity));
        if let Some(rows) = reader.rows_left().filter(|_| !links_only) {
            if let Some(ids) = &mut out.ids {
                ids.reserve(self.ids.iter().map(|(slot, _)| *slot), rows);
            }
            if let Some(compact) = &mut out.compact {
                compact.reserve(rows);
            }
        }
        let mut channels = Interner::default();
        let mut kept: HashMap<RejectReason, usize> = HashMap::new();
        let mut keep = |reason: RejectReason| {
            let k = kept.entry(reason).or_default();
            *k += 1;
            keep_all_rejects || *k <= super::REJECT_EXAMPLES
        };
        let mut batch = RawBatch::default();
        while reader
            .next_batch(&mut batch)
            .map_err(|e| self.name_key(e))?
        {
            out.account.rows_read += batch.rows_read() as u64;
            for broken in &batch.broken {
                out.account.reject(broken.reason.into());
                if keep(broken.reason.into()) {
                    out.rejects.push(Reject {
                        source: self.name.clone(),
                        file: file.to_path_buf(),
                        line: broken.line,
                        reason: broken.reason.into(),
                        column: None,
                        detail: broken.detail.clone(),
                        row: String::new(),
                    });
                }
            }
            for r in 0..batch.lines.len() {
                let before = out.rows.len();
                let decision = decisions.and_then(|d| d.get(&batch.lines[r]).copied());
                let row = self.row(&batch, r, rules, &mut channels, part, &mut out, decision);
                match row {
                    Ok(Outcome::Loaded) => out.rows_loaded += out.rows.len() - before,
                    Ok(Outcome::Ignored) => out.account.ignored += 1,
                    Ok(Outcome::Merged) => {}
                    Err((reason, column, detail)) => {
                        out.account.reject(reason);
                        if keep(reason) {
                            out.rejects.push(Reject {
                                source: self.name.clone(),
                                file: file.to_path_buf(),
                                line: batch.lines[r],
                                reason,
                                column: column.map(|c| self.wanted[c].clone()),
                                detail,
                                row: self.reject_json(&batch, r),
                            });
                        }
                    }
                }
            }
        }
        channels.count_into(&mut out.account.channels);
        out.channel_names = channels.names.into_list();
        out.seal(part.ids == IdCells::Columns);
        Ok(out)
    }

    /// An identifier cell of kind `slot` as the later stages see it: trimmed, normalised as
    /// its kind says, hashed when hashing is on.
    fn identifier<'a>(&self, slot: usize, cell: Value<'a>) -> Option<Cow<'a, str>> {
        let mut text = cell.trimmed();
        if let Some(n) = &self.normalizer {
            text = text.map(|t| n.apply(slot, t));
        }
        match &self.hasher {
            Some(h) => text.map(|t| Cow::Owned(h.protect(&t))),
            None => text,
        }
    }

    /// A rejected row's mapped columns as JSON, identifiers hashed when hashing is on.
    fn reject_json(&self, batch: &RawBatch, r: usize) -> String {
        if self.hasher.is_none() {
            return batch.row_json(&self.wanted, r);
        }
        let mut row = batch.row_values(&self.wanted, r);
        for (slot, c) in &self.ids {
            if let (Some(v), Some(text)) = (
                row.get_mut(&self.wanted[*c]),
                self.identifier(*slot, batch.cell(*c, r)),
            ) {
                *v = serde_json::Value::String(text.into_owned());
            }
        }
        serde_json::Value::Object(row).to_string()
    }

    /// Fills in which config key mapped a missing column.
    fn name_key(&self, e: Error) -> Error {
        with_config_key(e, &self.wanted, &self.keys)
    }

    /// Loads one row into `out` (or says why it is ignored, merged or rejected): `decision`
    /// is what grouping decided for it, if anything ([`super::dedup`]).
    #[allow(clippy::too_many_arguments)]
    fn row(
        &self,
        batch: &RawBatch,
        r: usize,
        rules: &ChannelRules,
        channels: &mut Interner,
        part: Part,
        out: &mut FileOutput,
        decision: Option<Decision>,
    ) -> Result<Outcome, Fault> {
        if !self.filter.passes(batch, r) {
            return Ok(Outcome::Ignored);
        }
        let Some(kind) = self.row_kind(batch, r)? else {
            return Ok(Outcome::Ignored);
        };
        match decision {
            Some(Decision::MergedIntoSession) => {
                out.account.merged_into_sessions += 1;
                self.merge(batch, r, part, out);
                return Ok(Outcome::Merged);
            }
            Some(Decision::MergedIntoConversion) => {
                out.account.merged_into_conversions += 1;
                self.merge(batch, r, part, out);
                return Ok(Outcome::Merged);
            }
            _ => {}
        }

        let ids = self.identifiers(batch, r)?;

        if kind == RowKind::Identity {
            out.account.identity_rows += 1;
            push_links(part, out, ids);
            return Ok(Outcome::Loaded);
        }

        let ts = self.timestamp(batch, r)?;

        let is_conversion = kind == RowKind::Conversion;
        let value = match (is_conversion, self.value, decision) {
            (true, _, Some(Decision::ValueOf(total))) => total,
            (true, Some(c), _) => batch
                .cell(c, r)
                .amount(self.decimal)
                .map_err(|d| (RejectReason::BadValue, Some(c), d))?,
            _ => 0.0,
        };

        let channel = self.channel(batch, r, rules, channels);
        let is_touch = !is_conversion || self.conversions_are_touches;
        if is_touch && channels.touch(channel) {
            out.account.unassigned += 1;
        }

        out.data_end = out.data_end.max(ts);
        if is_conversion {
            out.account.conversions += 1;
            if is_touch {
                out.account.conversion_touches += 1;
                self.push_frame_row(batch, r, part, out, (ts, channel), None, &ids);
            }
            let conversion_type = match &self.conversion_type {
                ConversionTypePlan::Fixed(v) => Cow::Borrowed(v.as_str()),
                ConversionTypePlan::Column(c) => batch
                    .cell(*c, r)
                    .trimmed()
                    .unwrap_or(Cow::Borrowed(DEFAULT_CONVERSION_TYPE)),
            };
            let id = match self.conversion_id.and_then(|c| batch.cell(c, r).trimmed()) {
                Some(id) => CompactString::new(&*id),
                None => compact_str::format_compact!("{}:{}", self.name, batch.lines[r]),
            };
            let conversion = Some((&*conversion_type, value, id));
            self.push_frame_row(batch, r, part, out, (ts, channel), conversion, &ids);
        } else {
            out.account.touches += 1;
            self.push_frame_row(batch, r, part, out, (ts, channel), None, &ids);
        }
        Ok(Outcome::Loaded)
    }

    /// A merged row's identifiers, as a link when it has two or more: the rows of one
    /// session or order are one person's.
    fn merge(&self, batch: &RawBatch, r: usize, part: Part, out: &mut FileOutput) {
        if let Ok(ids) = self.identifiers(batch, r) {
            if ids.iter().filter(|(_, v)| v.is_some()).count() >= 2 {
                push_links(part, out, ids);
            }
        }
    }

    /// Adds one frame row made from row `r`: a touch, or a conversion (its type and value),
    /// at `ts` with `channel`.
    #[allow(clippy::too_many_arguments)]
    fn push_frame_row(
        &self,
        batch: &RawBatch,
        r: usize,
        part: Part,
        out: &mut FileOutput,
        (ts, channel): (i64, Option<u32>),
        conversion: Option<(&str, f64, CompactString)>,
        ids: &RowIds,
    ) {
        let rows = &mut out.rows;
        rows.is_conversion.push(conversion.is_some());
        // Interned here, or else kept as columns below.
        let interned = match &mut out.ids {
            Some(f) => {
                f.push(false, ids);
                true
            }
            None => false,
        };
        if let Some(c) = &mut out.compact {
            c.push(
                ts,
                channel,
                conversion.as_ref().map(|(t, v, id)| (*t, *v, id)),
            );
        }
        if !part.frame {
            return;
        }
        rows.ts.push(ts);
        rows.channel.push(channel);
        rows.value
            .push(conversion.as_ref().map_or(0.0, |(_, v, _)| *v));
        rows.conversion_type
            .push(conversion.as_ref().map(|(t, _, _)| CompactString::new(t)));
        rows.conversion_id.push(conversion.map(|(_, _, id)| id));
        if !interned {
            for (slot, v) in ids {
                rows.ids[*slot].push(v.as_deref().map(CompactString::new));
            }
        }
        for (slot, c) in &self.dims {
            rows.dims[*slot].push(batch.cell(*c, r).compact_text());
        }
        let n = rows.ts.len();
        if part.ids == IdCells::Columns {
            pad(&mut rows.ids, n);
        }
        pad(&mut rows.dims, n);
    }

    /// The row's identifiers (slot, value), refused when it has none.
    fn identifiers<'b>(&self, batch: &'b RawBatch, r: usize) -> Result<RowIds<'b>, Fault> {
        // Filled in place: collecting would build it aside and copy it over.
        let mut ids: RowIds = SmallVec::new();
        ids.extend(
            self.ids
                .iter()
                .map(|(slot, c)| (*slot, self.identifier(*slot, batch.cell(*c, r)))),
        );
        if ids.iter().all(|(_, v)| v.is_none()) {
            let names: Vec<String> = self
                .ids
                .iter()
                .map(|(_, c)| self.wanted[*c].clone())
                .collect();
            return Err((
                RejectReason::NoIdentifier,
                None,
                format!("no value in {}", names.join(", ")),
            ));
        }
        Ok(ids)
    }

    /// Whether the row is a touch, a conversion or an identity row; None when its kind
    /// value says to ignore it.
    fn row_kind(&self, batch: &RawBatch, r: usize) -> Result<Option<RowKind>, Fault> {
        let cell = |c: usize| batch.cell(c, r);
        Ok(Some(match &self.kind {
            KindPlan::Fixed(k) => *k,
            KindPlan::Column {
                col,
                touch,
                conversion,
                ignore,
                ignore_others,
            } => {
                let v = cell(*col).trimmed().unwrap_or_default();
                // Lower-cased only when it needs to be: most exports write one spelling.
                let v = if v.chars().any(char::is_uppercase) {
                    Cow::Owned(v.to_lowercase())
                } else {
                    v
                };
                if touch.contains(&*v) {
                    RowKind::Touch
                } else if conversion.contains(&*v) {
                    RowKind::Conversion
                } else if ignore.contains(&*v) || *ignore_others {
                    return Ok(None);
                } else {
                    return Err((RejectReason::UnknownKind, Some(*col), quote(&v)));
                }
            }
        }))
    }

    /// The row's time, in microseconds since the epoch, UTC.
    fn timestamp(&self, batch: &RawBatch, r: usize) -> Result<i64, Fault> {
        let cell = |c: usize| batch.cell(c, r);
        match &self.ts {
            Some((c, parser)) => {
                let parsed = match cell(*c) {
                    Value::Null => Err(TimestampError::Unparseable),
                    Value::Str(s) => parser.parse_str(s),
                    Value::Int(i) => parser.parse_i64(i),
                    Value::Float(f) => parser.parse_f64(f),
                    Value::Datetime { micros, utc } => parser.from_native(micros, utc),
                };
                parsed.map_err(|e| {
                    let reason = match e {
                        TimestampError::Unparseable => RejectReason::BadTimestamp,
                        TimestampError::OutOfRange => RejectReason::TimestampOutOfRange,
                        TimestampError::NonexistentLocalTime => RejectReason::NonexistentLocalTime,
                    };
                    (
                        reason,
                        Some(*c),
                        quote(&cell(*c).text().unwrap_or_default()),
                    )
                })
            }
            None => Err((
                RejectReason::BadTimestamp,
                None,
                "no timestamp column".into(),
            )),
        }
    }

    /// The row's channel: fixed, from a column, or by the rules (each combination of rule
    /// fields classified once).
    fn channel(
        &self,
        batch: &RawBatch,
        r: usize,
        rules: &ChannelRules,
        channels: &mut Interner,
    ) -> Option<u32> {
        let cell = |c: usize| batch.cell(c, r);
        match &self.channel {
            ChannelPlan::None => None,
            ChannelPlan::Fixed(v) => Some(channels.id(v)),
            ChannelPlan::Column(c) => {
                Some(channels.id(cell(*c).trimmed().as_deref().unwrap_or(UNASSIGNED)))
            }
            ChannelPlan::Rules { .. } => {
                let fields = self.channel.rule_fields(batch, r, rules);
                Some(classify_cached(&fields, rules, channels))
            }
        }
    }
}

/// The channel of rule-field values, each combination classified once: the fields, each with
/// its length first, make one reused key, so a row whose fields were seen before costs no
/// allocation.
fn classify_cached(
    fields: &[Option<Cow<str>>],
    rules: &ChannelRules,
    channels: &mut Interner,
) -> u32 {
    let key = &mut channels.cache.key;
    key.clear();
    for text in fields {
        match text.as_deref() {
            Some(t) if !t.is_empty() => {
                // Writing to a String cannot fail.
                let _ = write!(key, "{}:{t}", t.len());
            }
            _ => key.push('-'),
        }
    }
    if let Some(id) = channels.cache.ids.get(key.as_str()) {
        return *id;
    }
    let refs: Vec<Option<&str>> = fields.iter().map(|v| v.as_deref()).collect();
    let id = channels.id(rules.classify(&refs).unwrap_or(UNASSIGNED));
    let key = channels.cache.key.clone();
    channels.cache.ids.insert(key, id);
    id
}

/// A landing-page URL's campaign parameters: `utm_*` by name, and `click_id`, the first
/// ad-platform click id present (`gclid`, `fbclid`…), for the default rules.
struct LandingUrl {
    params: Vec<(String, String)>,
}

/// Click-id parameters, in the order they are looked for.
const CLICK_IDS: [&str; 7] = [
    "gclid", "gbraid", "wbraid", "dclid", "msclkid", "fbclid", "ttclid",
];

impl LandingUrl {
    /// Parses an absolute URL or a path with a query (`/products/x?utm_source=…`, as shops
    /// export a landing site); None when it does not parse.
    fn parse(text: &str) -> Option<LandingUrl> {
        static BASE: std::sync::OnceLock<Option<url::Url>> = std::sync::OnceLock::new();
        let base = BASE.get_or_init(|| url::Url::parse("https://landing.invalid/").ok());
        let url = url::Url::options()
            .base_url(base.as_ref())
            .parse(text)
            .ok()?;
        Some(LandingUrl {
            params: url
                .query_pairs()
                .map(|(k, v)| (k.to_lowercase(), v.into_owned()))
                .collect(),
        })
    }

    /// The value of rule field `field` this URL gives.
    fn field(&self, field: &str) -> Option<String> {
        let present = |name: &str| {
            self.params
                .iter()
                .find(|(k, v)| k == name && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
        };
        if field == "click_id" {
            return CLICK_IDS
                .iter()
                .find(|id| present(id).is_some())
                .map(|id| id.to_string());
        }
        present(field)
    }
}

/// A missing-column error with the config key that named the column (`names[i]` was named
/// by `keys[i]`); other errors as they are.
pub(super) fn with_config_key(e: Error, names: &[String], keys: &[String]) -> Error {
    match e {
        Error::MissingColumn {
            file,
            source_name,
            column,
            available,
            ..
        } => {
            let key = names
                .iter()
                .position(|w| *w == column)
                .map(|i| keys[i].clone())
                .unwrap_or_default();
            Error::MissingColumn {
                file,
                source_name,
                column,
                key,
                available,
            }
        }
        other => other,
    }
}

/// An identity row's identifiers, as the part keeps them (interned, or as link columns).
fn push_links(part: Part, out: &mut FileOutput, ids: RowIds) {
    match (part.ids, &mut out.ids) {
        (IdCells::Interned, Some(f)) => f.push(true, &ids),
        (IdCells::Columns, _) => {
            let links = &mut out.links.ids;
            for (slot, v) in ids {
                links[slot].push(v.as_deref().map(CompactString::new));
            }
            let n = links.iter().map(Vec::len).max().unwrap_or(0);
            pad(links, n);
        }
        _ => {}
    }
}

/// Pads the columns a row did not set (kinds or dimensions this source does not map) with
/// nulls up to `rows`, so every column has one value per row.
fn pad(columns: &mut [Vec<Option<CompactString>>], rows: usize) {
    for c in columns.iter_mut() {
        c.resize(rows, None);
    }
}

/// The key of row `r` over `columns`, their trimmed texts joined; None when there are no
/// columns or one of them is empty (the row belongs to no group).
fn group_key(batch: &RawBatch, r: usize, columns: &[usize]) -> Option<String> {
    if columns.is_empty() {
        return None;
    }
    let mut key = String::new();
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            key.push('\u{1f}');
        }
        key.push_str(&batch.cell(*c, r).trimmed()?);
    }
    Some(key)
}

fn quote(s: &str) -> String {
    if s.chars().count() > DETAIL_MAX {
        let cut: String = s.chars().take(DETAIL_MAX).collect();
        format!("\"{cut}…\"")
    } else {
        format!("\"{s}\"")
    }
}

/// The files of a `[[sources]]` entry; an error naming the source when it is a warehouse
/// table, which only the scripts of `omnitouch sql` read.
pub(crate) fn source_files(config: &Config, source: &SourceConfig) -> Result<Vec<PathBuf>> {
    if let Some(table) = &source.table {
        return Err(Error::Config {
            path: config.path.clone(),
            message: format!(
                "source \"{}\": `table = \"{table}\"` is a warehouse table, which the local engine cannot read; \
                 build the path table where it lives (`omnitouch sql --dialect …`, docs/warehouse.md) and attribute it with \
                 `omnitouch run --paths`",
                source.name.get_ref()
            ),
        });
    }
    resolve_files(&config.base_dir, &source.path, source.name.get_ref())
}

/// The files of a source: one path, or the sorted matches of a glob.
pub(crate) fn resolve_files(base: &Path, pattern: &str, source_name: &str) -> Result<Vec<PathBuf>> {
    let full = base.join(pattern);
    let is_glob = pattern.contains(['*', '?', '[']);
    if !is_glob {
        if !full.exists() {
            return Err(Error::io(
                full,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        return Ok(vec![full]);
    }
    let text = full.to_string_lossy().to_string();
    let mut files: Vec<PathBuf> = glob::glob(&text)
        .map_err(|e| Error::NoFiles {
            source_name: source_name.into(),
            pattern: format!("{text} (bad glob: {e})"),
        })?
        .filter_map(std::result::Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::NoFiles {
            source_name: source_name.into(),
            pattern: text,
        });
    }
    Ok(files)
}
