//! Progress bars on stderr: drawn only when stderr is a terminal and not `--quiet`.
//!
//! With the environment variable `OMNITOUCH_TIMINGS` set (to anything), every stage also
//! prints its wall time to stderr when it finishes, bars drawn or not, with the process's CPU
//! time over the stage (how many cores it kept busy) and, on Linux, its resident memory then
//! and at its peak so far: how the benchmarks in docs/performance.md split a run into stages.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// A stage's progress: a bar or spinner (hidden when off) and the wall and CPU time it
/// started at.
pub struct Progress {
    bar: ProgressBar,
    message: &'static str,
    start: Instant,
    start_cpu: Option<f64>,
}

impl Progress {
    fn new(bar: ProgressBar, message: &'static str) -> Self {
        Progress {
            bar,
            message,
            start: Instant::now(),
            start_cpu: process_cpu_seconds(),
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
        if timings() {
            let wall = self.start.elapsed().as_secs_f64();
            let cpu = match (self.start_cpu, process_cpu_seconds()) {
                (Some(start), Some(end)) if wall > 0.0 => {
                    format!(
                        ", cpu {:.2} s ({:.1} cores busy)",
                        end - start,
                        (end - start) / wall
                    )
                }
                _ => String::new(),
            };
            eprintln!(
                "timing: {}: {wall:.2} s{cpu}{}",
                self.message,
                resident_memory().unwrap_or_default()
            );
        }
    }
}

/// Whether `OMNITOUCH_TIMINGS` asks for stage timings (and what else the stages print
/// beside them).
pub fn timings() -> bool {
    std::env::var_os("OMNITOUCH_TIMINGS").is_some()
}

/// User and system CPU time of the whole process so far, in seconds (every thread's).
fn process_cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage writes one rusage into the pointer given, which points at one.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
        if rc != 0 {
            return None;
        }
        // SAFETY: getrusage succeeded, so it filled the struct in.
        let usage = unsafe { usage.assume_init() };
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
    }
    #[cfg(not(unix))]
    None
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
