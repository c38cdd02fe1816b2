// mimalloc: the many short strings of a load are freed and reused across threads, which the
// system allocator does slowly and hands back to the kernel late. Its `no_thp` feature: with
// transparent huge pages, memory it hands back and takes again is zeroed 2 MB at a time
// (a third of a 10M-row run went to clearing pages in the kernel).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    omnitouch::cli::main()
}
