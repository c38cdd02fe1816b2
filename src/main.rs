// mimalloc: the many short strings of a load are freed and reused across threads, which the
// system allocator does slowly and hands back to the kernel late. Its `no_thp` feature: with
// transparent huge pages, memory it hands back and takes again is zeroed 2 MB at a time
// (a third of a 10M-row run went to clearing pages in the kernel).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc hands memory freed for `purge_delay` ms back to the kernel (1 s by default), and
// memory taken again is faulted in and zeroed page by page: a third of the kernel time of a
// 100M-row run. 5 s keeps what one stage frees for the next (100M rows in 4 shards: 89 -> 79 s,
// kernel time 31 -> 17 s, peak about 10.5 GiB; never purging: 74 s but a 14.1 GiB peak).
// MIMALLOC_PURGE_DELAY still wins.
const PURGE_DELAY_MS: std::ffi::c_long = 5_000;
/// `mi_option_purge_delay` in mimalloc's `mi_option_t`.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// Whether the command line asks for `--memory-limit`: then freed memory goes back to the
/// kernel at once, so that the peak is what the run holds, not what it held shortly before
/// (100M rows in shards: 7.9 GiB instead of 10.5 GiB, for 15 % more time). Read before the
/// arguments are parsed: the allocator is set up before anything is allocated in earnest.
fn memory_bounded(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    args.into_iter().any(|a| {
        a.to_str()
            .is_some_and(|a| a == "--memory-limit" || a.starts_with("--memory-limit="))
    })
}

fn main() -> std::process::ExitCode {
    // A reader that stops early (`omnitouch run | head`) closes the pipe: end quietly, as
    // command-line tools do, instead of panicking on the next `println!`.
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        let delay = if memory_bounded(std::env::args_os()) {
            0
        } else {
            PURGE_DELAY_MS
        };
        // SAFETY: mimalloc (the global allocator above, linked in) only stores the option.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, delay) };
    }
    omnitouch::cli::main()
}

#[cfg(test)]
mod tests {
    use super::memory_bounded;

    fn bounded(args: &[&str]) -> bool {
        memory_bounded(args.iter().map(std::ffi::OsString::from))
    }

    #[test]
    fn memory_limit_is_seen_in_either_spelling_and_only_as_itself() {
        assert!(bounded(&["omnitouch", "run", "--memory-limit", "8GiB"]));
        assert!(bounded(&["omnitouch", "run", "--memory-limit=8GiB"]));
        assert!(!bounded(&["omnitouch", "run", "--shards", "4"]));
        assert!(!bounded(&["omnitouch", "run", "--memory-limits", "8GiB"]));
        assert!(!bounded(&["omnitouch", "run", "-c", "memory-limit.toml"]));
    }
}
