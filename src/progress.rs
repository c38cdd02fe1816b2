//! Progress bars on stderr: drawn only when stderr is a terminal and not `--quiet`.
//!
//! With the environment variable `OMNITOUCH_TIMINGS` set (to anything), every stage also
//! prints its wall time to stderr when it finishes, bars drawn or not, and on Linux the
//! process's resident memory then and at its peak so far: how the benchmarks in
//! docs/performance.md split a run into stages.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// A stage's progress: a bar or spinner (hidden when off) and the time it started.
pub struct Progress {
    bar: ProgressBar,
    message: &'static str,
    start: Instant,
}

impl Progress {
    fn new(bar: ProgressBar, message: &'static str) -> Self {
        Progress {
            bar,
            message,
            start: Instant::now(),
        }
    }

    /// Advances the bar by `n` steps.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Sets the bar's position.
    pub fn set_position(&self, pos: u64) {
        self.bar.set_position(pos);
    }

    /// Redraws a spinner.
    pub fn tick(&self) {
        self.bar.tick();
    }

    /// Ends the stage: clears the bar and, under `OMNITOUCH_TIMINGS`, prints its time.
    pub fn finish_and_clear(&self) {
        self.bar.finish_and_clear();
        if std::env::var_os("OMNITOUCH_TIMINGS").is_some() {
            eprintln!(
                "timing: {}: {:.2} s{}",
                self.message,
                self.start.elapsed().as_secs_f64(),
                resident_memory().unwrap_or_default()
            );
        }
    }
}

/// ", resident X MiB (peak Y MiB)" from `/proc/self/status`, where the system has it: which
/// stage sets a run's peak.
fn resident_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let mib = |field: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(field))?;
        let kib: u64 = line[field.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024)
    };
    Some(format!(
        ", resident {} MiB (peak {} MiB)",
        mib("VmRSS:")?,
        mib("VmHWM:")?
    ))
}

fn drawn(enabled: bool) -> bool {
    enabled && std::io::stderr().is_terminal()
}

/// A bar of `len` steps, drawn when progress is on and stderr is a terminal.
pub fn bar(len: u64, message: &'static str, enabled: bool) -> Progress {
    if !drawn(enabled) {
        return Progress::new(ProgressBar::hidden(), message);
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:>18} [{bar:30}] {pos}/{len} {elapsed}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    Progress::new(bar, message)
}

/// A spinner for a stage of unknown length, ticking on its own, drawn as [`bar`] is.
pub fn stage(message: &'static str, enabled: bool) -> Progress {
    if !drawn(enabled) {
        return Progress::new(ProgressBar::hidden(), message);
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Progress::new(bar, message)
}
