fn main() -> std::process::ExitCode {
    omnitouch::cli::main()
}
