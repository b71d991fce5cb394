//! The `keyfold` binary: parses the command line and hands over to the library.

use clap::Parser;

/// mimalloc rather than the system allocator: a profile of the license API's check spent
/// about a tenth of its time in glibc's malloc and free (many small, short-lived
/// allocations across the worker and blocking threads).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    keyfold::cli::run(keyfold::cli::Cli::parse())
}
