#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    thread_local! {
        static SCRATCH: tempfile::TempDir = tempfile::tempdir().expect("scratch dir");
    }
    SCRATCH.with(|dir| targets::path_table(data, dir.path()));
});
