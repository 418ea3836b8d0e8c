//! `cargo xtask bench`: builds and runs the comparison benchmark (`insula-bench`'s
//! `compare` binary) in release mode, passing the arguments through.

use std::process::{Command, ExitCode};

pub(crate) fn run(args: &[String]) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["run", "--release", "--quiet", "--package", "insula-bench", "--bin", "compare", "--"])
        .args(args)
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("bench: could not run cargo: {error}");
            ExitCode::from(2)
        }
    }
}
