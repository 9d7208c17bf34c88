//! The `compass` binary: parses the command line and hands over to the chosen subcommand.

use std::process::ExitCode;

use clap::Parser;
use compass::{cli::Cli, run};

/// Every part of the process allocates through jemalloc (see `docs/benchmarks.md`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    run(Cli::parse())
}
