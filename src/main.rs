// mimalloc: the many short strings of a load are freed and reused across threads, which the
// system allocator does slowly and hands back to the kernel late.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    omnitouch::cli::main()
}
