use std::process::ExitCode;

fn main() -> ExitCode {
    zhihui::cli::main()
}
