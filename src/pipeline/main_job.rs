//! The main job: from its options to everything the report folder and the terminal show.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Attributed, BootstrapArgs, Input, MainJobOptions, PeriodArgs, Summary};
use crate::attribution::Attribution;
use crate::ingest::{self, Spend};
use crate::journey::Period;
use crate::report::compare::{self, ChannelComparison};
use crate::report::credits::SegmentResults;
use crate::report::html;
use crate::report::periods::{self, Shift};
use crate::report::spend::{self as spend_report, Efficiency};
use crate::report::thresholds::{self, Measure};

/// Spend against the attributed results.
pub struct SpendReport {
    /// The spend rows and their accounting.
    pub spend: Spend,
    /// Cost per channel.
    pub cost: BTreeMap<String, f64>,
    /// Cost, CPA and ROAS per model and channel.
    pub efficiency: Vec<Efficiency>,
    /// The same per period, with `--period`: each period's spend against its credits.
    pub by_period: Vec<(String, Vec<Efficiency>)>,
}

impl SpendReport {
    /// Channels with spend but no attributed touch under the first model.
    pub fn channels_without_touches(&self, results: &[Attribution]) -> Vec<&str> {
        let Some(first) = results.first() else {
            return Vec::new();
        };
        self.cost
            .keys()
            .filter(|c| !first.channels.contains(c))
            .map(String::as_str)
            .collect()
    }
}

/// What a report covers and how it was made, stated in every output that can carry it
/// (the terminal, JSON documents, Markdown, the HTML page).
#[derive(Debug, Clone, Serialize)]
pub struct ReportContext {
    /// The config file, when the input was raw exports.
    pub config: Option<String>,
    /// First day of the report window (conversions from it on), when it has one.
    pub window_from: Option<String>,
    /// Last day of the report window, included.
    pub window_to: Option<String>,
    /// Days a journey reaches back before its conversion.
    pub lookback_days: Option<f64>,
    /// Days of the first and last conversion reported.
    pub conversions_from: Option<String>,
    pub conversions_to: Option<String>,
    /// The models run.
    pub models: Vec<String>,
}

impl ReportContext {
    /// One line for people: `window 2026-09-01 – 2026-09-28 (conversions 2026-09-01 – …)`.
    pub fn line(&self) -> String {
        let window = match (&self.window_from, &self.window_to) {
            (None, None) => "window: all data".to_string(),
            (f, t) => format!(
                "window: {} – {}",
                f.as_deref().unwrap_or("start"),
                t.as_deref().unwrap_or("end")
            ),
        };
        let conversions = match (&self.conversions_from, &self.conversions_to) {
            (Some(f), Some(t)) => format!(" (conversions {f} – {t})"),
            _ => " (no conversions)".to_string(),
        };
        let lookback = self
            .lookback_days
            .map(|d| format!("; lookback {d} days"))
            .unwrap_or_default();
        let config = self
            .config
            .as_deref()
            .map(|c| format!("; config {c}"))
            .unwrap_or_default();
        format!(
            "{window}{conversions}{lookback}; models {}{config}",
            self.models.join(", ")
        )
    }
}

/// What the main job found: the models' results and everything reported beside them.
pub struct MainJob<'a> {
    /// What the report covers: window, lookback, models, config, data range.
    pub context: ReportContext,
    /// Write each conversion's credit (`--per-conversion` or `[report] per_conversion`).
    pub per_conversion: bool,
    /// What probably spoils the result beyond the input's own warnings (spend and
    /// conversions over different days).
    pub warnings: Vec<crate::pipeline::checks::Warning>,
    /// The path table, the models' results, the baseline and intervals.
    pub attributed: Attributed<'a>,
    /// Accounting, stitching and journey statistics, when the input was raw exports.
    pub summary: Option<Summary<'a>>,
    /// Credits per segment or period, when a breakdown was asked for.
    pub segments: Option<Vec<SegmentResults>>,
    /// Each channel's shares across the models.
    pub comparison: Vec<ChannelComparison>,
    /// Whether periods were compared with the previous one (`--compare-previous`).
    pub compare_previous: bool,
    /// Share changes between consecutive periods (`--compare-previous`).
    pub shifts: Vec<Shift>,
    /// Spend, CPA and ROAS, when the config has a `[spend]` section.
    pub spend: Option<SpendReport>,
    /// The quantities `--fail-on` thresholds name.
    pub measures: BTreeMap<String, Measure>,
    /// The thresholds that tripped, described.
    pub tripped: Vec<String>,
    /// Indices into the results of the models the HTML page draws.
    pub page_models: Vec<usize>,
    /// Credits per period of the page's models (in page order), for its period view: the
    /// `--period` breakdown, else weekly.
    pub page_periods: Option<PagePeriods>,
    /// The config's lift tests beside each model's credit in their windows, and each model
    /// calibrated to them; empty without `[[experiments]]` or journey times.
    pub lift: Lift,
}

/// Lift tests against the models ([`crate::attribution::calibration`]).
#[derive(Debug, Clone, Default)]
pub struct Lift {
    /// One per experiment and model.
    pub checks: Vec<crate::attribution::calibration::LiftCheck>,
    /// Each model calibrated to the tests.
    pub calibrated: Vec<Attribution>,
}

/// Each model's credit to each tested channel for the conversions of its test's window, and
/// the models calibrated to the tests. Needs the journeys (raw exports in one piece).
fn lift(input: &Input, attributed: &super::Attributed) -> anyhow::Result<Lift> {
    use crate::attribution::calibration::{calibrate, LiftCheck};
    let (Some(config), Some(journeys)) = (input.config(), attributed.journeys) else {
        return Ok(Lift::default());
    };
    if config.experiments.is_empty() || attributed.built.is_none() {
        return Ok(Lift::default());
    }
    let mut checks = Vec::new();
    for e in &config.experiments {
        let (from, to) = e.days().map_err(|m| anyhow::anyhow!(m))?;
        let window = crate::journey::Window {
            from: Some(crate::journey::periods::day_start(from)),
            to: Some(crate::journey::periods::day_start(
                to + chrono::Days::new(1),
            )),
        };
        let inside = journeys.window(window);
        let table = inside.path_table();
        let (results, _) = super::run_models(
            &attributed.specs,
            &crate::attribution::ModelInput {
                table: &table,
                journeys: Some(&inside),
            },
            None,
            true,
        )?;
        for r in results {
            let at = r.channels.iter().position(|c| *c == e.channel);
            let measured = [
                (
                    "conversions",
                    e.incremental_conversions,
                    e.interval,
                    &r.conversions,
                ),
                ("value", e.incremental_value, e.value_interval, &r.value),
            ];
            for (quantity, measured, interval, credits) in measured {
                let Some(measured) = measured else {
                    continue;
                };
                let credited = at.map_or(0.0, |i| credits[i]);
                checks.push(LiftCheck {
                    model: r.model.clone(),
                    channel: e.channel.clone(),
                    quantity: quantity.into(),
                    method: e.method.clone(),
                    from: e.from.clone(),
                    to: e.to.clone(),
                    measured,
                    interval,
                    credited,
                    inside: interval.map(|[low, high]| (low..=high).contains(&credited)),
                });
            }
        }
    }
    // A channel's factor: its measured increments over the model's credits, per quantity.
    let factors = |model: &str, quantity: &str| -> Vec<(String, f64)> {
        let mine: Vec<&LiftCheck> = checks
            .iter()
            .filter(|c| c.model == model && c.quantity == quantity)
            .collect();
        let mut channels: Vec<&str> = mine.iter().map(|c| c.channel.as_str()).collect();
        channels.sort_unstable();
        channels.dedup();
        channels
            .into_iter()
            .map(|ch| {
                let of = |f: fn(&LiftCheck) -> f64| -> f64 {
                    mine.iter().filter(|c| c.channel == ch).map(|c| f(c)).sum()
                };
                let credited = of(|c| c.credited);
                let factor = if credited > 0.0 {
                    of(|c| c.measured) / credited
                } else {
                    1.0
                };
                (ch.to_string(), factor)
            })
            .collect()
    };
    let calibrated = attributed
        .results
        .iter()
        .map(|r| {
            calibrate(
                r,
                &factors(&r.model, "conversions"),
                &factors(&r.model, "value"),
            )
        })
        .collect();
    Ok(Lift { checks, calibrated })
}

impl MainJob<'_> {
    /// The largest share shift of the latest period, when periods were compared.
    pub fn largest_shift(&self) -> Option<&Shift> {
        periods::largest_latest(&self.shifts)
    }
}

/// The main job's input: raw exports in one piece or in shards, or a path table; with a
/// report window, only the window's journeys.
pub fn input(options: &MainJobOptions, quiet: bool) -> anyhow::Result<Input> {
    match shards(options)? {
        Some(n) => {
            let split = options.input.journey.by.is_some()
                || options.periods.period.is_some()
                || options.periods.from.is_some()
                || options.periods.to.is_some();
            anyhow::ensure!(
                !split && options.bootstrap.bootstrap.is_none(),
                "--by, --period, --from, --to and --bootstrap need every journey at once, which a run in shards does not keep: leave out --shards and --memory-limit"
            );
            let input = super::input_in_shards(&options.input, &options.models, n, quiet)?;
            // The config's window too.
            input.check_window(&options.periods)?;
            Ok(input)
        }
        None => super::input_in_window(&options.input, Some(&options.periods), quiet),
    }
}

/// Runs the models on `input` and works out everything the reports show.
pub fn main_job<'a>(
    input: &'a Input,
    options: &MainJobOptions,
    quiet: bool,
) -> anyhow::Result<MainJob<'a>> {
    let attributed = super::attribute(
        input,
        &options.models,
        options.baseline.as_deref(),
        Some(&options.bootstrap),
        quiet,
    )?;
    let summary = input.summary();
    anyhow::ensure!(
        !options.wants_share_shift() || options.periods.compare_previous,
        "the share_shift threshold needs --period and --compare-previous"
    );
    let by = options.input.journey.by.as_deref();
    let segments = super::segments(
        input,
        &attributed.specs,
        by,
        &options.periods,
        &options.bootstrap,
        quiet,
    )?;
    let comparison = compare::compare(&attributed.results, &attributed.baseline);
    let shifts = match &segments {
        Some(segments) if options.periods.compare_previous => {
            let rules = super::shift_rules(input, &options.periods, segments)?;
            periods::shifts(segments, &rules)
        }
        _ => Vec::new(),
    };
    let window = super::report_window(input.config(), &options.periods)?;
    let conversions = conversion_days(input);
    let mut warnings = Vec::new();
    let spend = match &summary {
        Some(s) => ingest::load_spend(s.config)?.map(|mut spend| {
            // Spend is daily: the window's days are its spend.
            spend.rows.retain(|r| window.contains(r.day));
            warnings.extend(spend_days_warning(&spend, conversions));
            let cost = spend.by_channel();
            let efficiency = spend_report::efficiency(&attributed.results, &cost);
            let by_period = match (options.periods.period, &segments) {
                (Some(period), Some(segments)) => segments
                    .iter()
                    .map(|s| {
                        let key = s.key.split(" / ").next().unwrap_or(&s.key);
                        let mut cost = BTreeMap::new();
                        for r in spend.rows.iter().filter(|r| period.key(r.day) == key) {
                            *cost.entry(r.channel.clone()).or_insert(0.0) += r.cost;
                        }
                        (s.key.clone(), spend_report::efficiency(&s.results, &cost))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            SpendReport {
                spend,
                cost,
                efficiency,
                by_period,
            }
        }),
        None => None,
    };
    let mut measures = measures(summary.as_ref());
    if let Some(largest) = periods::largest_latest(&shifts) {
        measures.insert(
            "share_shift".into(),
            Measure {
                count: 100.0 * largest.shift.abs(),
                base: 1.0,
            },
        );
    }
    let tripped = thresholds::tripped(&options.fail_on, &measures);
    let asked = options
        .page_models
        .as_deref()
        .or_else(|| input.config().and_then(|c| c.report.page_models.as_deref()));
    let names: Vec<(&str, &str)> = attributed
        .specs
        .iter()
        .map(|s| (s.name.as_str(), s.base.as_str()))
        .collect();
    let page_models = html::page_models(&names, &attributed.baseline, asked).map_err(|e| {
        let place = if options.page_models.is_some() {
            "--page-models"
        } else {
            "[report] page_models"
        };
        anyhow::anyhow!("{place}: {e}")
    })?;
    let page_periods = page_periods(
        input,
        &attributed,
        &page_models,
        by,
        &options.periods,
        segments.as_deref(),
    )?;
    let day = |t: i64| Some(Period::Day.key(t));
    let context = ReportContext {
        config: input.config().map(|c| c.path.display().to_string()),
        window_from: window.from.and_then(day),
        window_to: window.to.and_then(|t| day(t - 1)),
        lookback_days: match input.config() {
            Some(config) => {
                Some(super::journey_options(config, &options.input.journey)?.lookback_days)
            }
            None => None,
        },
        conversions_from: conversions.and_then(|(f, _)| day(f)),
        conversions_to: conversions.and_then(|(_, t)| day(t)),
        models: attributed.results.iter().map(|r| r.model.clone()).collect(),
    };
    let lift = lift(input, &attributed)?;
    Ok(MainJob {
        lift,
        per_conversion: options.per_conversion
            || input.config().is_some_and(|c| c.report.per_conversion),
        context,
        warnings,
        attributed,
        summary,
        segments,
        comparison,
        compare_previous: options.periods.compare_previous,
        shifts,
        spend,
        measures,
        tripped,
        page_models,
        page_periods,
    })
}

/// Credits per period for the page's models: taken from the `--period` breakdown when there
/// is one (and no `--by`), else worked out weekly for those models alone (no bootstrap). None
/// where journeys carry no times (a path table) or are not kept (shards).
fn page_periods(
    input: &Input,
    attributed: &super::Attributed,
    page_models: &[usize],
    by: Option<&str>,
    periods: &PeriodArgs,
    segments: Option<&[SegmentResults]>,
) -> anyhow::Result<Option<PagePeriods>> {
    if by.is_some() || !matches!(input, Input::Raw(_)) {
        return Ok(None);
    }
    let weekly = PeriodArgs {
        period: Some(periods.period.unwrap_or(Period::Week)),
        from: periods.from,
        to: periods.to,
        compare_previous: false,
        min_period_conversions: periods.min_period_conversions,
        include_partial_periods: false,
    };
    let segments = match segments.filter(|_| periods.period.is_some()) {
        Some(segments) => segments
            .iter()
            .map(|s| SegmentResults {
                key: s.key.clone(),
                results: page_models
                    .iter()
                    .filter_map(|&m| s.results.get(m).cloned())
                    .collect(),
                intervals: None,
            })
            .collect(),
        None => {
            let specs: Vec<_> = page_models
                .iter()
                .map(|&m| attributed.specs[m].clone())
                .collect();
            let no_bootstrap = BootstrapArgs {
                bootstrap: None,
                seed: 0,
            };
            match super::segments(input, &specs, None, &weekly, &no_bootstrap, true)? {
                Some(segments) => segments,
                None => return Ok(None),
            }
        }
    };
    let partial = super::shift_rules(input, &weekly, &segments)?.partial;
    Ok(weekly.period.map(|period| PagePeriods {
        period,
        segments,
        partial,
    }))
}

/// Credits per period of the page's models, in page order, and which periods are partial.
pub struct PagePeriods {
    pub period: Period,
    pub segments: Vec<SegmentResults>,
    pub partial: std::collections::BTreeSet<String>,
}

/// The first and last conversion times of the journeys reported (raw exports only).
fn conversion_days(input: &Input) -> Option<(i64, i64)> {
    match input {
        Input::Raw(built) => built.journeys.conversion_range(),
        Input::Sharded { data, .. } => data.conversion_range,
        Input::Paths { .. } => None,
    }
}

/// A warning when the spend's days and the conversions' days differ at their ends by more
/// than a tenth of the conversions' span (two days at least): ROAS would set the cost of some
/// days against the value of others.
fn spend_days_warning(
    spend: &Spend,
    conversions: Option<(i64, i64)>,
) -> Option<crate::pipeline::checks::Warning> {
    const DAY: i64 = 86_400_000_000;
    let (first, last) = conversions?;
    let days = spend.rows.iter().map(|r| r.day);
    let spend_first = days.clone().min()?;
    let spend_last = days.max()?;
    // Days at either end that one covers and the other not (a conversion late in a day
    // counts from its midnight), against a tenth of the conversions' span, at least two.
    let first_day = first - first.rem_euclid(DAY);
    let last_day = last - last.rem_euclid(DAY);
    let apart_days = ((spend_first - first_day).abs() + (last_day - spend_last).abs()) / DAY;
    let span_days = (last_day - first_day) / DAY + 1;
    let apart = apart_days > 2.max(span_days / 10);
    let day = |t: i64| Period::Day.key(t);
    apart.then(|| {
        crate::pipeline::checks::Warning(format!(
            "spend covers {} – {} but the conversions reported {} – {}: ROAS and CPA set the cost of some days against the value of others (cut both with --from/--to)",
            day(spend_first),
            day(spend_last),
            day(first),
            day(last)
        ))
    })
}

/// The quantities `--fail-on` thresholds name.
fn measures(summary: Option<&Summary>) -> BTreeMap<String, Measure> {
    let mut m = BTreeMap::new();
    let Some(b) = summary else {
        return m;
    };
    let total = b.accounting.total();
    let s = b.journey_stats;
    let mut put = |name: &str, count: u64, base: u64| {
        m.insert(
            name.to_string(),
            Measure {
                count: count as f64,
                base: base as f64,
            },
        );
    };
    put("rejected_rows", total.rejected_total(), total.rows_read);
    put("unassigned", total.unassigned, total.touches);
    put("unattributed", s.unattributed, b.conversions_in);
    put(
        "rows_without_person",
        b.stitch.rows_without_person,
        total.touches + total.conversions,
    );
    m
}

/// Shards from `--shards`, or from `--memory-limit` and the size of the exports; None to run
/// in one piece.
fn shards(options: &MainJobOptions) -> anyhow::Result<Option<usize>> {
    if let Some(n) = options.shards {
        return Ok(Some(n as usize));
    }
    let Some(limit) = options.memory_limit else {
        return Ok(None);
    };
    let path = super::config_path(&options.input.config)?;
    let config = crate::config::Config::load(&path)?;
    let bytes = crate::shards::export_bytes(&config)?;
    let need = crate::shards::first_pass_need(bytes);
    if need > limit {
        eprintln!(
            "note: reading the identifiers of every row may take up to about {} for these exports (estimated from their size), more than --memory-limit {}; the shards keep the rest of the run under it",
            bytesize::ByteSize(need),
            bytesize::ByteSize(limit)
        );
    }
    Ok(crate::shards::shards_for(bytes, limit))
}
