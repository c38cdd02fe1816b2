//! The main job as a library call: load → stitch → journeys → models → report data. Every
//! command that starts from exports or a path table runs its steps through here; the command
//! line only parses options into [`options`] and renders what comes back.

pub mod checks;
pub mod explain;
pub mod main_job;
pub mod options;
pub mod report_folder;

use std::borrow::Cow;
use std::path::PathBuf;

use anyhow::Context;

use crate::attribution::bootstrap::{self, Intervals};
use crate::attribution::{self, spec, Attribution, Catalogue, ModelInput, ModelSpec};
use crate::config::{default_config_path, Config};
use crate::identity::StitchStats;
use crate::identity::{self, IdentityOptions, Stitched};
use crate::ingest::{self, Accounting, Keep, LoadOptions, Reject, Touchpoints};
use crate::journey::{
    self, path_table, JourneyOptions, JourneyStats, Journeys, PathTable, Period, ReadOptions,
    Transform, Window,
};
use crate::progress;
use crate::report::credits::SegmentResults;
use crate::report::periods::ShiftRules;
use crate::shards::Sharded;
pub use main_job::{main_job, MainJob};
pub use options::{
    BootstrapArgs, ConfigArgs, InputArgs, JourneyArgs, MainJobOptions, ModelChoice,
    PathsFormatArgs, PeopleArgs, PeriodArgs,
};

/// Raw exports taken through loading, stitching and journey building.
pub struct Built {
    pub config: Config,
    pub touchpoints: Touchpoints,
    pub people: Stitched,
    pub journeys: Journeys,
}

/// What the input arguments give: journeys built from raw exports, a path table read from
/// `--paths`, or the sums of a run in shards.
pub enum Input {
    Raw(Box<Built>),
    /// A path table (`--paths`), with the converting journeys a warehouse run hands back
    /// beside it (`--conversions`).
    Paths {
        table: PathTable,
        conversions: Option<Box<Journeys>>,
    },
    Sharded {
        config: Box<Config>,
        data: Box<Sharded>,
    },
}

/// What the reports read of a run on raw exports, whether it ran in one piece or in shards.
pub struct Summary<'a> {
    pub config: &'a Config,
    pub accounting: &'a Accounting,
    pub rejects: &'a [Reject],
    pub stitch: &'a StitchStats,
    pub people: u32,
    pub journey_stats: &'a JourneyStats,
    pub conversions_in: u64,
    /// Converting journeys per time-to-conversion bucket.
    pub time_to_conversion: Vec<(&'static str, usize)>,
}

impl Input {
    /// What probably spoils this input's result ([`checks`]); none for a path table.
    pub fn warnings(&self) -> Vec<checks::Warning> {
        match self {
            Input::Raw(b) => checks::data_warnings(
                &b.config,
                &b.touchpoints,
                Some((&b.journeys.stats, b.journeys.conversions_in)),
            ),
            Input::Sharded { data, .. } => {
                let mut w = checks::rejected_sources(&data.accounting);
                w.extend(checks::not_utf8(&data.accounting));
                w.extend(checks::unattributed(
                    &data.journey_stats,
                    data.conversions_in,
                ));
                w
            }
            Input::Paths { .. } => Vec::new(),
        }
    }

    /// Refuses a report window on inputs without journey times (a path table, a run in
    /// shards); raw exports in one piece take theirs when their journeys are built
    /// ([`input_in_window`]).
    pub fn check_window(&self, periods: &PeriodArgs) -> anyhow::Result<()> {
        let all = report_window(self.config(), periods)?.is_all();
        match self {
            _ if all => Ok(()),
            Input::Raw(_) => Ok(()),
            Input::Paths { .. } => anyhow::bail!(
                "a report window (--from, --to, [report] from/to) needs journey times: run on raw exports (--config), not --paths"
            ),
            Input::Sharded { .. } => anyhow::bail!(
                "a report window (--from, --to, [report] from/to) needs every journey at once, which a run in shards does not keep: leave out --shards and --memory-limit"
            ),
        }
    }

    /// The path table: the one read, or one built from the journeys.
    pub fn table(&self) -> Cow<'_, PathTable> {
        match self {
            Input::Paths { table, .. } => Cow::Borrowed(table),
            Input::Raw(built) => Cow::Owned(built.journeys.path_table()),
            Input::Sharded { data, .. } => Cow::Borrowed(&data.table),
        }
    }

    /// The loaded exports and journeys, when the input was raw exports loaded in one piece.
    pub fn built(&self) -> Option<&Built> {
        match self {
            Input::Raw(built) => Some(built),
            Input::Paths { .. } | Input::Sharded { .. } => None,
        }
    }

    /// The config, when the input was raw exports.
    pub fn config(&self) -> Option<&Config> {
        match self {
            Input::Raw(b) => Some(&b.config),
            Input::Sharded { config, .. } => Some(config),
            Input::Paths { .. } => None,
        }
    }

    /// What the reports read, when the input was raw exports.
    pub fn summary(&self) -> Option<Summary<'_>> {
        match self {
            Input::Raw(b) => Some(Summary {
                config: &b.config,
                accounting: &b.touchpoints.accounting,
                rejects: &b.touchpoints.rejects,
                stitch: &b.people.stats,
                people: b.people.people,
                journey_stats: &b.journeys.stats,
                conversions_in: b.journeys.conversions_in,
                time_to_conversion: crate::journey::time_to_conversion(&b.journeys).0,
            }),
            Input::Sharded { config, data } => Some(Summary {
                config,
                accounting: &data.accounting,
                rejects: &data.rejects,
                stitch: &data.stitch,
                people: data.people,
                journey_stats: &data.journey_stats,
                conversions_in: data.conversions_in,
                time_to_conversion: data.time_to_conversion.clone(),
            }),
            Input::Paths { .. } => None,
        }
    }
}

/// Loads the config's data (what `keep` says of it) and writes `--rejects`. Shared by every
/// command that starts from raw exports.
pub fn load(args: &ConfigArgs, keep: Keep, quiet: bool) -> anyhow::Result<(Config, Touchpoints)> {
    let path = config_path(args)?;
    if !quiet {
        eprintln!("config: {}", path.display());
    }
    let config = Config::load(&path)?;
    let options = LoadOptions {
        keep_all_rejects: args.rejects.is_some(),
        progress: !quiet,
    };
    let loaded = ingest::load_part(&config, &options, keep)?;
    write_rejects(args, &loaded.rejects, quiet)?;
    Ok((config, loaded))
}

/// The config given, else the default one.
pub fn config_path(args: &ConfigArgs) -> anyhow::Result<PathBuf> {
    match &args.config {
        Some(p) => Ok(p.clone()),
        None => default_config_path().ok_or_else(|| {
            anyhow::anyhow!(
                "no config given and neither ./omnitouch.toml nor ./sample-data/omnitouch.toml exists: pass --config FILE"
            )
        }),
    }
}

/// Writes the rejected rows to `--rejects`, when given.
pub fn write_rejects(args: &ConfigArgs, rejects: &[Reject], quiet: bool) -> anyhow::Result<()> {
    if let Some(out) = &args.rejects {
        ingest::write_rejects(out, rejects)
            .with_context(|| format!("writing rejects to {}", out.display()))?;
        if !quiet {
            eprintln!("wrote {} rejected rows to {}", rejects.len(), out.display());
        }
    }
    Ok(())
}

/// How period shifts are judged: `--min-period-conversions`, `--include-partial-periods`,
/// and which of the `segments` are partial periods: cut by the report window, or by the
/// first and last day with a journey.
pub fn shift_rules(
    input: &Input,
    periods: &PeriodArgs,
    segments: &[SegmentResults],
) -> anyhow::Result<ShiftRules> {
    let mut rules = ShiftRules {
        min_conversions: periods.min_period_conversions,
        include_partial: periods.include_partial_periods,
        partial: Default::default(),
    };
    let (Some(period), Some(built)) = (periods.period, input.built()) else {
        return Ok(rules);
    };
    let window = report_window(input.config(), periods)?;
    let times = built.journeys.journeys.iter().map(Journeys::time_of);
    let data = times.fold(None, |range, t| Some(journey::widen(range, (t, t))));
    // The first and last day with a journey, whole.
    let day = |t: i64| Period::Day.range(&Period::Day.key(t));
    let covered_from = window
        .from
        .or(data.and_then(|(f, _)| day(f)).map(|(start, _)| start));
    let covered_to = window
        .to
        .or(data.and_then(|(_, l)| day(l)).map(|(_, end)| end));
    for s in segments {
        // With --by, a key is "2026-W27 / North".
        let key = s.key.split(" / ").next().unwrap_or(&s.key);
        if let Some((start, end)) = period.range(key) {
            if covered_from.is_some_and(|f| start < f) || covered_to.is_some_and(|t| end > t) {
                rules.partial.insert(s.key.clone());
            }
        }
    }
    Ok(rules)
}

/// The report window: `--from` / `--to`, else the config's `[report] from` / `to`.
pub fn report_window(config: Option<&Config>, periods: &PeriodArgs) -> anyhow::Result<Window> {
    let (config_from, config_to) = match config {
        Some(c) => c.report.window_days().map_err(anyhow::Error::msg)?,
        None => (None, None),
    };
    let from = periods.from.or(config_from);
    let to = periods.to.or(config_to);
    if let (Some(f), Some(t)) = (from, to) {
        anyhow::ensure!(f <= t, "the window starts ({f}) after it ends ({t})");
    }
    Ok(Window {
        from: from.map(journey::periods::day_start),
        to: to
            .and_then(|d| d.succ_opt())
            .map(journey::periods::day_start),
    })
}

/// Why `--strict` stops the run: rejected rows, or warnings (None when it may go on, or
/// without `--strict`).
pub fn strict_failure(
    args: &ConfigArgs,
    accounting: &Accounting,
    warnings: &[checks::Warning],
) -> Option<String> {
    let rejected = accounting.total().rejected_total();
    match (args.strict, rejected, warnings.len()) {
        (false, ..) | (true, 0, 0) => None,
        (true, 0, n) => Some(format!("{n} warnings (above)")),
        (true, r, 0) => Some(format!(
            "{r} rows were rejected (see the rejections table, or write them with --rejects)"
        )),
        (true, r, n) => Some(format!("{r} rows were rejected and {n} warnings given")),
    }
}

/// What `validate` finds: the load, the spend, the people and journeys, and the warnings.
/// Everything `run` would check before its models is checked: the config's models and
/// baseline, the spend exports, stitching and journey building.
pub struct Validated {
    pub config: Config,
    pub touchpoints: Touchpoints,
    pub spend: Option<ingest::Spend>,
    pub people: u32,
    pub journey_stats: JourneyStats,
    pub conversions_in: u64,
    pub warnings: Vec<checks::Warning>,
}

/// Loads, checks the config's report and spend, stitches and builds journeys, as `run` would,
/// and gathers the warnings.
pub fn validate(args: &ConfigArgs, keep: Keep, quiet: bool) -> anyhow::Result<Validated> {
    let (config, touchpoints) = load(args, keep, quiet)?;
    check_report(&config)?;
    let spend = ingest::load_spend(&config)?;
    let people = people(&config, &touchpoints, &PeopleArgs { identity_map: None })?;
    let journeys = journey::build(
        &touchpoints,
        &people,
        &JourneyOptions::from_config(&config)?,
    )?;
    let warnings = checks::data_warnings(
        &config,
        &touchpoints,
        Some((&journeys.stats, journeys.conversions_in)),
    );
    Ok(Validated {
        spend,
        people: people.people,
        journey_stats: journeys.stats,
        conversions_in: journeys.conversions_in,
        warnings,
        config,
        touchpoints,
    })
}

/// The config's `[report]` names models that exist, and a baseline among them.
pub fn check_report(config: &Config) -> anyhow::Result<()> {
    let specs = chosen(
        &ModelChoice::default(),
        config.report.models.as_deref(),
        true,
        true,
    )?;
    if let (Some(baseline), Some(_)) = (&config.report.baseline, &config.report.models) {
        anyhow::ensure!(
            specs.iter().any(|s| &s.name == baseline),
            "{}: [report] baseline \"{baseline}\" is not among [report] models ({})",
            config.path.display(),
            specs
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// Whether a spec's model reads touch times (which a path table does not hold).
fn needs_times(spec: &ModelSpec) -> bool {
    spec::base(&spec.base).is_some_and(|b| b.needs_times)
}

/// Loads, stitches and builds journeys in `shards` shards of people ([`crate::shards`]),
/// running the chosen models that need touch times on each shard.
pub fn input_in_shards(
    args: &InputArgs,
    choice: &ModelChoice,
    shards: usize,
    quiet: bool,
) -> anyhow::Result<Input> {
    anyhow::ensure!(
        args.paths.is_none(),
        "--shards and --memory-limit split raw exports by person; a --paths table needs neither"
    );
    let path = config_path(&args.config)?;
    if !quiet {
        eprintln!("config: {} (in {shards} shards)", path.display());
    }
    let config = Config::load(&path)?;
    let options = journey_options(&config, &args.journey)?;
    let specs = chosen(choice, config.report.models.as_deref(), true, quiet)?;
    let timed: Vec<ModelSpec> = specs.into_iter().filter(needs_times).collect();
    let load = LoadOptions {
        keep_all_rejects: args.config.rejects.is_some(),
        progress: !quiet,
    };
    let data = crate::shards::run(
        &config,
        &load,
        |t| people_freeing_texts(&config, t, &args.people),
        &options,
        &timed,
        shards,
    )?;
    write_rejects(&args.config, &data.rejects, quiet)?;
    Ok(Input::Sharded {
        config: Box::new(config),
        data: Box::new(data),
    })
}

/// Reads the `--paths` table, or loads, stitches and builds journeys from the config.
pub fn input(args: &InputArgs, quiet: bool) -> anyhow::Result<Input> {
    input_in_window(args, None, quiet)
}

/// [`input`], with the report window of `periods` (`--from` / `--to`, else the config's
/// `[report] from` / `to`): journeys are built once, on the rows from the lookback before the
/// window to its end, and only the window's are kept ([`Journeys::window`]): a journey that
/// converts after the window is the open journey it was at the window's end.
pub fn input_in_window(
    args: &InputArgs,
    periods: Option<&PeriodArgs>,
    quiet: bool,
) -> anyhow::Result<Input> {
    if let Some(paths) = &args.paths {
        let table = path_table::read(paths, &read_options(&args.paths_format))?;
        let conversions = match &args.conversions {
            Some(file) => Some(Box::new(journey::handed_back::read(
                file,
                args.paths_format.path_separator.as_deref().unwrap_or(">"),
            )?)),
            None => None,
        };
        let input = Input::Paths { table, conversions };
        if let Some(periods) = periods {
            input.check_window(periods)?;
        }
        return Ok(input);
    }
    // Journeys need people, not identifier columns: identifiers are interned as they are
    // read, and the rows kept as typed columns (compact rows), not as a frame; segments by a
    // dimension read the frame, which alone holds dimensions.
    let keep = match args.journey.by {
        Some(_) => Keep::Interned,
        None => Keep::Identities,
    };
    let (config, touchpoints) = load(&args.config, keep, quiet)?;
    let bar = progress::stage("stitching identities", !quiet);
    let people = people(&config, &touchpoints, &args.people)?;
    if !quiet {
        for (kind, n) in &people.stats.map_unknown_kinds {
            eprintln!("note: {n} identity-map entries of kind \"{kind}\" ignored: the config has no identifier of that kind");
        }
    }
    bar.finish_and_clear();
    let window = match periods {
        Some(periods) => report_window(Some(&config), periods)?,
        None => Window::default(),
    };
    let mut options = journey_options(&config, &args.journey)?;
    let lookback = options
        .lookback_by_type
        .values()
        .fold(options.lookback_days, |a, b| a.max(*b));
    options.rows_in = window.reach(lookback);
    let bar = progress::stage("building journeys", !quiet);
    let mut journeys = journey::build(&touchpoints, &people, &options)?;
    if !window.is_all() {
        journeys = journeys.window(window);
    }
    bar.finish_and_clear();
    Ok(Input::Raw(Box::new(Built {
        config,
        touchpoints,
        people,
        journeys,
    })))
}

/// People by stitching, or from `--identity-map`.
pub fn people(config: &Config, t: &Touchpoints, args: &PeopleArgs) -> crate::Result<Stitched> {
    let options = journey_identity_options(config, t)?;
    Ok(match &args.identity_map {
        Some(path) => identity::apply_map(t, &identity::read_map(path)?, &options)?,
        None => identity::stitch(t, &options)?,
    })
}

/// [`people`], freeing the identifier texts of `t` once stitching no longer needs them: for
/// a load that is dropped after stitching (the first pass of a run in shards).
pub fn people_freeing_texts(
    config: &Config,
    t: &mut Touchpoints,
    args: &PeopleArgs,
) -> crate::Result<Stitched> {
    if args.identity_map.is_some() {
        return people(config, t, args);
    }
    let options = journey_identity_options(config, t)?;
    identity::stitch_freeing_texts(t, &options)
}

/// The config's identity options for commands that go on to journeys: none writes the map.
fn journey_identity_options(config: &Config, t: &Touchpoints) -> crate::Result<IdentityOptions> {
    Ok(IdentityOptions {
        keep_map: false,
        ..IdentityOptions::from_config(config, &t.id_kinds)?
    })
}

/// The config's journey options with the command line's overrides.
pub fn journey_options(config: &Config, args: &JourneyArgs) -> anyhow::Result<JourneyOptions> {
    let mut o = JourneyOptions::from_config(config)?;
    if let Some(d) = args.lookback {
        anyhow::ensure!(
            d.is_finite() && d > 0.0,
            "--lookback must be a number of days above 0"
        );
        o.lookback_days = d;
    }
    if !args.transforms.is_empty() {
        o.transforms = args
            .transforms
            .iter()
            .map(|t| Transform::parse(t).map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<_>>()?;
    }
    if let Some(n) = args.max_path_length {
        anyhow::ensure!(n > 0, "--max-path-length must be at least 1");
        o.max_path_length = Some(n);
    }
    if let Some(d) = args.exclude_open_days {
        anyhow::ensure!(
            d.is_finite() && d > 0.0,
            "--exclude-open-days must be above 0"
        );
        o.exclude_open_days = Some(d);
    }
    o.split_by_type |= args.split_by_type;
    o.unattributed_to_direct |= args.unattributed_direct;
    o.segment = args.by.clone();
    Ok(o)
}

/// Reading options of a `--paths` file.
pub fn read_options(args: &PathsFormatArgs) -> ReadOptions {
    ReadOptions {
        path_column: args.path_column.clone(),
        conversions_column: args.conversions_column.clone(),
        value_column: args.value_column.clone(),
        nulls_column: args.nulls_column.clone(),
        separator: args.path_separator.clone(),
        delimiter: args.path_delimiter.clone(),
    }
}

/// The specs to run: the named ones, else `default` (the config's list), else every model.
/// Models that need touch times are left out of "every model" when only a path table is
/// available, with a note.
pub fn chosen(
    choice: &ModelChoice,
    default: Option<&[String]>,
    has_times: bool,
    quiet: bool,
) -> anyhow::Result<Vec<ModelSpec>> {
    let catalogue = Catalogue::load(&choice.models_dir)?;
    anyhow::ensure!(
        choice.model.is_empty() || choice.all.is_none(),
        "give either --model NAME (repeatable) or --models all, not both"
    );
    let named: Option<&[String]> = if !choice.model.is_empty() {
        Some(&choice.model)
    } else if choice.all.is_some() {
        None
    } else {
        default
    };
    if let Some(names) = named {
        // Names from the config are reported as the config's, not as a flag's.
        let origin = if std::ptr::eq(names, default.unwrap_or_default()) {
            "[report] models"
        } else {
            "--model"
        };
        return names
            .iter()
            .map(|m| catalogue.resolve_as(m, origin).map_err(anyhow::Error::from))
            .collect();
    }
    let mut specs = Vec::new();
    for s in catalogue.specs() {
        let base = spec::base(&s.base);
        // Opt-in models (data_driven: a fit per run) run when named.
        if base.is_some_and(|b| b.opt_in) {
            continue;
        }
        let needs_times = base.is_some_and(|b| b.needs_times);
        if needs_times && !has_times {
            if !quiet {
                eprintln!(
                    "note: {} left out: it needs touch times, which a path table does not have",
                    s.name
                );
            }
            continue;
        }
        specs.push(s.clone());
    }
    Ok(specs)
}

/// Models run on an input, ready to report.
pub struct Attributed<'a> {
    /// The path table the models read.
    pub table: Cow<'a, PathTable>,
    /// Journeys and the rest, when the input was raw exports.
    pub built: Option<&'a Built>,
    /// The journeys the models read: raw exports' own, or the converting journeys a
    /// warehouse run handed back.
    pub journeys: Option<&'a Journeys>,
    /// Results, in the order the models were chosen.
    pub results: Vec<Attribution>,
    /// Baseline model of comparisons.
    pub baseline: String,
    /// Bootstrap intervals, when asked for.
    pub intervals: Option<Intervals>,
    /// The models that ran.
    pub specs: Vec<ModelSpec>,
}

/// Runs the chosen models (flags, else the config's `[report] models`, else all) on `input`.
pub fn attribute<'a>(
    input: &'a Input,
    choice: &ModelChoice,
    baseline: Option<&str>,
    bootstrap_args: Option<&BootstrapArgs>,
    quiet: bool,
) -> anyhow::Result<Attributed<'a>> {
    let bar = progress::stage("path table", false);
    let table = input.table();
    bar.finish_and_clear();
    let (built, config) = (input.built(), input.config());
    let journeys = match input {
        Input::Paths { conversions, .. } => conversions.as_deref(),
        _ => built.map(|b| &b.journeys),
    };
    let report = config.map(|c| c.report.clone()).unwrap_or_default();
    let has_times = config.is_some() || journeys.is_some();
    let specs = chosen(choice, report.models.as_deref(), has_times, quiet)?;
    if built.is_none() && journeys.is_some() {
        anyhow::ensure!(
            bootstrap_args.is_none_or(|b| b.bootstrap.is_none()),
            "--bootstrap resamples every journey, and --conversions holds only the converting ones: leave out --conversions or --bootstrap"
        );
    }
    let model_input = ModelInput {
        table: &table,
        journeys,
    };
    let (results, intervals) = match input {
        Input::Sharded { data, .. } => {
            anyhow::ensure!(
                bootstrap_args.is_none_or(|b| b.bootstrap.is_none()),
                "--bootstrap resamples journeys, which a run in shards does not keep: leave out --shards and --memory-limit"
            );
            // The models that read touch times ran on each shard; the rest run on the sum.
            let on_table: Vec<ModelSpec> =
                specs.iter().filter(|s| !needs_times(s)).cloned().collect();
            let (on_table, _) = run_models(&on_table, &model_input, None, quiet)?;
            let (mut on_table, mut timed) = (on_table.into_iter(), data.timed.iter().cloned());
            let results = specs
                .iter()
                .map(|s| {
                    let next = if needs_times(s) {
                        timed.next()
                    } else {
                        on_table.next()
                    };
                    next.ok_or_else(|| anyhow::anyhow!("no result for model {}", s.name))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            (results, None)
        }
        _ => run_models(&specs, &model_input, bootstrap_args, quiet)?,
    };
    let has = |name: &str| results.iter().any(|a| a.model == name);
    let baseline =
        match baseline {
            Some(b) if has(b) => b.to_string(),
            Some(b) => {
                anyhow::bail!(
            "baseline model \"{b}\" is not among the models run ({}); add it with --model {b}",
            results.iter().map(|a| a.model.as_str()).collect::<Vec<_>>().join(", ")
        )
            }
            // Not given on the command line: the config's baseline, else last touch, when it
            // ran; else the first model.
            None => [report.baseline.as_deref(), Some("last_touch")]
                .into_iter()
                .flatten()
                .find(|b| has(b))
                .map(str::to_string)
                .or_else(|| results.first().map(|a| a.model.clone()))
                .unwrap_or_default(),
        };
    Ok(Attributed {
        table,
        built,
        journeys,
        results,
        baseline,
        intervals,
        specs,
    })
}

/// Runs the models with a progress bar (one step per model), and their bootstrap intervals
/// when `--bootstrap N` was given.
pub fn run_models(
    specs: &[ModelSpec],
    input: &ModelInput,
    bootstrap: Option<&BootstrapArgs>,
    quiet: bool,
) -> anyhow::Result<(Vec<Attribution>, Option<Intervals>)> {
    let bar = progress::bar(specs.len() as u64, "running models", !quiet);
    let results = attribution::run_with_progress(specs, input, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let intervals = match bootstrap {
        Some(args) => intervals(specs, input, args, quiet)?,
        None => None,
    };
    Ok((results, intervals))
}

/// Bootstrap intervals, when `--bootstrap N` was given, with a bar of replicates.
fn intervals(
    specs: &[ModelSpec],
    input: &ModelInput,
    args: &BootstrapArgs,
    quiet: bool,
) -> anyhow::Result<Option<Intervals>> {
    let Some(n) = args.bootstrap else {
        return Ok(None);
    };
    let bar = progress::bar(u64::from(n), "bootstrap", !quiet);
    let intervals =
        bootstrap::intervals_with_progress(specs, input, n as usize, args.seed, &|| bar.inc(1))?;
    bar.finish_and_clear();
    Ok(Some(intervals))
}

/// Credits per segment (`--by`) and/or period (`--period`, `--from`, `--to`); None when no
/// breakdown was asked for.
pub fn segments(
    input: &Input,
    specs: &[ModelSpec],
    by: Option<&str>,
    periods: &PeriodArgs,
    bootstrap: &BootstrapArgs,
    quiet: bool,
) -> anyhow::Result<Option<Vec<SegmentResults>>> {
    // The window (--from, --to) is applied to the input already; alone it is no breakdown.
    let filtered = periods.from.is_some() || periods.to.is_some();
    if by.is_none() && periods.period.is_none() {
        return Ok(None);
    }
    anyhow::ensure!(
        !matches!(input, Input::Sharded { .. }),
        "--by, --period, --from and --to split journeys, which a run in shards does not keep: leave out --shards and --memory-limit"
    );
    let bar = progress::stage("attributing segments", !quiet);
    let run = |table: &PathTable, journeys: Option<&Journeys>| -> anyhow::Result<_> {
        // One spinner for all segments: per-segment bars would flood the terminal.
        let models = run_models(
            specs,
            &ModelInput { table, journeys },
            Some(bootstrap),
            true,
        )?;
        bar.tick();
        Ok(models)
    };
    let mut out = Vec::new();
    match input {
        Input::Paths { table, .. } => {
            anyhow::ensure!(
                periods.period.is_none() && !filtered,
                "--period, --from and --to need journey times: run on raw exports (--config), not --paths"
            );
            let mut keys: Vec<&String> = table.rows.iter().map(|r| &r.segment).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let sub = PathTable::from_named(table.named_rows().filter(|r| &r.segment == key));
                let (results, intervals) = run(&sub, None)?;
                out.push(SegmentResults {
                    key: if key.is_empty() {
                        "(none)".into()
                    } else {
                        key.clone()
                    },
                    results,
                    intervals,
                });
            }
        }
        Input::Sharded { .. } => {}
        Input::Raw(built) => {
            let from = periods.from.map(journey::periods::day_start);
            let to = periods
                .to
                .and_then(|d| d.succ_opt())
                .map(journey::periods::day_start);
            let label = match (periods.from, periods.to) {
                (None, None) => "all".to_string(),
                (f, t) => format!(
                    "{}..{}",
                    f.map(|d| d.to_string()).unwrap_or_default(),
                    t.map(|d| d.to_string()).unwrap_or_default()
                ),
            };
            let split = built.journeys.split_by(|j| {
                let t = Journeys::time_of(j);
                if from.is_some_and(|f| t < f) || to.is_some_and(|e| t >= e) {
                    return None;
                }
                let mut parts = Vec::new();
                if let Some(p) = periods.period {
                    parts.push(p.key(t));
                }
                if by.is_some() {
                    parts.push(if j.segment.is_empty() {
                        "(none)".into()
                    } else {
                        j.segment.clone()
                    });
                }
                Some(if parts.is_empty() {
                    label.clone()
                } else {
                    parts.join(" / ")
                })
            });
            for (key, journeys) in split {
                let table = journeys.path_table();
                let (results, intervals) = run(&table, Some(&journeys))?;
                out.push(SegmentResults {
                    key,
                    results,
                    intervals,
                });
            }
        }
    }
    bar.finish_and_clear();
    Ok(Some(out))
}
