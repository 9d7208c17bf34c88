//! The `compass` binary: parses the command line and hands over to the chosen subcommand.

use std::process::ExitCode;

use clap::Parser;
use compass::{cli::Cli, run};

fn main() -> ExitCode {
    run(Cli::parse())
}
