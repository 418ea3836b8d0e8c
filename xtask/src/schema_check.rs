//! `cargo xtask schema-check`: the workspace's collections (`insula_workspace::model`)
//! against the committed lock, with the verdicts opening a database would reach.

use insula::Action;
use insula::schema::{Verdict, check_lock_with, lock_text};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The committed lock, at the workspace root.
fn default_lock() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).join("schema.lock")
}

struct Options {
    bless: bool,
    database: Option<PathBuf>,
    lock: PathBuf,
}

/// What `cargo xtask schema-check --help` prints.
const HELP: &str = "usage: cargo xtask schema-check [--bless] [--db FILE] [--lock FILE]

Compares the schemas of the workspace's collections with the lock (schema.lock at the
workspace root), printing each difference with its verdict: compatible (a database
written under the lock opens and migrates) or breaking (it is refused). Exits 1 on any
drift.

  --bless      rewrite the lock from the code
  --db FILE    say what opening the database FILE with the code's collections would do
  --lock FILE  use another lock file
  --help       print this";

fn options(args: &[String]) -> Result<Option<Options>, String> {
    let mut options = Options { bless: false, database: None, lock: default_lock() };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bless" => options.bless = true,
            "--db" => options.database = Some(args.next().ok_or("--db takes a file")?.into()),
            "--lock" => options.lock = args.next().ok_or("--lock takes a file")?.into(),
            "--help" | "-h" => return Ok(None),
            other => {
                return Err(format!("unknown argument `{other}`; see `cargo xtask schema-check --help`"));
            }
        }
    }
    Ok(Some(options))
}

pub(crate) fn run(args: &[String]) -> ExitCode {
    let options = match options(args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("schema-check: {problem}");
            return ExitCode::from(2);
        }
    };
    let builder = insula_workspace::model::builder();
    match &options.database {
        Some(database) => check_database(&builder, database),
        None => check_drift(&builder.schemas(), &builder.migrations(), &options),
    }
}

/// What opening `database` with the workspace's collections would do.
fn check_database(builder: &insula::DbBuilder, database: &Path) -> ExitCode {
    match builder.plan(database) {
        Ok(plan) => {
            for (collection, action) in plan {
                match action {
                    Action::Nothing => println!("{collection}: nothing to do"),
                    Action::Create => println!("{collection}: create"),
                    Action::Drop => {
                        println!("{collection}: drop (its objects, indexes and schema are deleted)")
                    }
                    Action::Convert { changes, by } => {
                        println!("{collection}: breaking, migrated by {}:", by.join(", then "));
                        for change in changes {
                            println!("  {change}");
                        }
                    }
                    Action::Migrate(changes) => {
                        println!("{collection}: migrate:");
                        for change in changes {
                            println!("  {change}");
                        }
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Err(insula::Error::SchemaIncompatible { collection, changes, .. }) => {
            println!("{collection}: refuse:");
            for change in changes {
                println!("  {change}");
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("schema-check: {error}");
            ExitCode::from(2)
        }
    }
}

/// The code's schemas against the lock; `--bless` accepts them.
fn check_drift(
    schemas: &[insula::schema::SchemaDef],
    migrations: &[insula::schema::Migration],
    options: &Options,
) -> ExitCode {
    let lock = &options.lock;
    let display = lock.display();
    if options.bless {
        return match std::fs::write(lock, lock_text(schemas)) {
            Ok(()) => {
                println!("{display}: written, {} collection(s)", schemas.len());
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("schema-check: {display}: {error}");
                ExitCode::from(2)
            }
        };
    }
    let text = match std::fs::read_to_string(lock) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => {
            eprintln!("schema-check: {display}: {error}");
            return ExitCode::from(2);
        }
    };
    let drift = match check_lock_with(&text, schemas, migrations) {
        Ok(drift) => drift,
        Err(error) => {
            eprintln!(
                "schema-check: {display}: {error}; regenerate it with `cargo xtask schema-check --bless`"
            );
            return ExitCode::from(2);
        }
    };
    if drift.is_empty() {
        println!("{display}: no drift, {} collection(s)", schemas.len());
        return ExitCode::SUCCESS;
    }
    for line in &drift {
        println!("{line}");
    }
    let breaking = drift.iter().filter(|line| line.verdict == Verdict::Breaking).count();
    let migrated =
        drift.iter().filter(|line| line.verdict == Verdict::Breaking && line.migrated_by.is_some()).count();
    println!(
        "{} difference(s) from {display}, {breaking} breaking ({migrated} migrated by the code); to accept them, run `cargo xtask schema-check --bless`",
        drift.len()
    );
    ExitCode::FAILURE
}
