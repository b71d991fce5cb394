//! The `keyfold` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    keyfold::cli::run(keyfold::cli::Cli::parse())
}
