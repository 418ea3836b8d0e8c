//! `cargo xtask`: the workspace's chores. Run `cargo xtask help` for the list.

#![forbid(unsafe_code)]

mod bench;
mod mutants;
mod schema_check;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  schema-check [--bless] [--db FILE] [--lock FILE]
      compare the collections' schemas with the committed lock (schema.lock);
      --bless rewrites the lock; --db FILE says what opening FILE would do
  bench [--scale N] [--repetitions R] [--only CONTENDER] [--workload W2..W7]
      compare Insula with native_db, raw redb and SQLite (release build, N = 100000);
      --only runs one contender (insula, native_db, raw, sqlite), --workload runs W1
      (which fills the database) and that one workload, for profiling
  mutants [CARGO-MUTANTS OPTIONS]
      mutation testing of the runtime's core parts against its unit tests and tests/it
      (needs `cargo install cargo-mutants`; not run in CI)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("schema-check") => schema_check::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("mutants") => mutants::run(&args[1..]),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
