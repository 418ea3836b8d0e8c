//! `insula`: look inside an Insula database file without the app's types. Every command
//! reads the file through `insula::dynamic`, from the schemas the file records.
//!
//! Output goes to stdout, errors to stderr in one line. Exit codes: 0 done, 1 failed
//! (the file, the input or a check), 2 bad usage.

#![forbid(unsafe_code)]

mod output;
mod progress;

use clap::{Parser, Subcommand, ValueEnum};
use insula::dynamic::{Filter, Object, Reader, Snapshot};
use insula::json::Import;
use progress::{Counting, Progress};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Look inside Insula database files: their collections, objects and schemas, without
/// the app's types.
#[derive(Debug, Parser)]
#[command(name = "insula", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The file's format, size and free space, and each collection with its objects,
    /// the bytes of its records and of each index, and its schema.
    Info {
        /// The database file (`<name>.insula`).
        file: PathBuf,
    },
    /// The stored schemas, in the text of a schema lock file (to diff with `schema.lock`).
    Schema {
        /// The database file.
        file: PathBuf,
    },
    /// The objects of a collection, as JSON, NDJSON or CSV.
    Export {
        /// The database file.
        file: PathBuf,
        /// The collection's stored name.
        collection: String,
        /// Only the objects that match this filter (`likes > 10 and author = "ada"`).
        #[arg(long = "where", value_name = "FILTER")]
        filter: Option<String>,
        /// Sort by this field (`-field` for descending); ties go by id.
        #[arg(long, value_name = "FIELD", allow_hyphen_values = true)]
        sort: Option<String>,
        /// At most this many objects.
        #[arg(long)]
        limit: Option<usize>,
        /// The output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Imports JSON (an array) or NDJSON into a collection, in one transaction: every
    /// object goes in, or none does.
    Import {
        /// The database file; no app may have it open.
        file: PathBuf,
        /// The collection's stored name.
        collection: String,
        /// The JSON or NDJSON file; standard input when absent.
        input: Option<PathBuf>,
        /// Skip keys that no field of the collection has, instead of refusing the input.
        #[arg(long)]
        ignore_unknown_keys: bool,
    },
    /// The objects that match a filter: a table on a terminal, JSON when piped.
    Query {
        /// The database file.
        file: PathBuf,
        /// The collection's stored name.
        collection: String,
        /// The filter: `likes > 10 and author = "ada"`, `tags contains "rust"`,
        /// `reply_to is none`, `profile.name starts_with "A"`, `id in [1, 2]`.
        filter: String,
        /// Sort by this field (`-field` for descending); ties go by id.
        #[arg(long, value_name = "FIELD", allow_hyphen_values = true)]
        sort: Option<String>,
        /// At most this many objects.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Checks every record and cross-checks every index against the objects.
    Verify {
        /// The database file.
        file: PathBuf,
    },
    /// Rewrites the file in place into full pages and gives its free space back.
    Compact {
        /// The database file; no app may have it open.
        file: PathBuf,
    },
    /// Serves the web inspector of the file on a local address, and prints its URL
    /// (with the token every request needs); serves until Ctrl-C.
    Inspect {
        /// The database file; no app may have it open (attach to a running app with
        /// `Db::serve_inspector` instead).
        file: PathBuf,
        /// The port; a free one when absent.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Open the file read-only and refuse every write.
        #[arg(long)]
        read_only: bool,
        /// The address to listen on. Anyone who can reach it and has the URL can read
        /// and change the data: keep the loopback unless you mean it.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
    },
    /// Writes a compacted copy of the file, from one snapshot, to a new file.
    Backup {
        /// The database file.
        file: PathBuf,
        /// Where the copy goes; it must not exist.
        to: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A JSON array.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values with a header; lists and embedded structs as JSON.
    Csv,
}

/// A failure, with its message.
struct Failed(String);

impl<E: std::fmt::Display> From<E> for Failed {
    fn from(error: E) -> Self {
        Failed(error.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = run(cli.command, &mut out, terminal).and_then(|()| out.flush().map_err(Failed::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failed(message)) => {
            drop(out);
            eprintln!("insula: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, out: &mut impl Write, terminal: bool) -> Result<(), Failed> {
    match command {
        Command::Info { file } => {
            let snapshot = Reader::open(&file)?.read()?;
            output::info(out, &file, &snapshot)?;
        }
        Command::Schema { file } => {
            let schemas = Reader::open(&file)?.collections()?;
            write!(out, "{}", insula::schema::lock_text(&schemas))?;
        }
        Command::Export { file, collection, filter, sort, limit, format } => {
            let snapshot = Reader::open(&file)?.read()?;
            let filter = filter.as_deref().map(Filter::parse).transpose()?;
            let total = snapshot.count(&collection)?;
            let objects = select(&snapshot, &collection, filter.as_ref(), sort.as_deref(), limit)?;
            let total = filter.is_none().then(|| limit.map_or(total, |limit| total.min(limit as u64)));
            let mut progress = Progress::new("exporting", "objects", total);
            let objects = objects.inspect(move |_| progress.add(1));
            let id_name = snapshot.schema(&collection)?.id.clone();
            match format {
                Format::Json | Format::Ndjson => {
                    output::json(out, &id_name, objects, format == Format::Ndjson)?
                }
                Format::Csv => output::csv(out, snapshot.schema(&collection)?, objects)?,
            }
        }
        Command::Import { file, collection, input, ignore_unknown_keys } => {
            let options = Import::new().ignore_unknown_keys(ignore_unknown_keys);
            let count = match input {
                Some(input) => {
                    let reader = std::fs::File::open(&input)
                        .map_err(|error| format!("{}: {error}", input.display()))?;
                    let size = reader.metadata().ok().map(|metadata| metadata.len());
                    let reader = Counting::new(reader, Progress::new("importing", "bytes", size));
                    insula::dynamic::import_json(&file, &collection, reader, &options)?
                }
                None => {
                    let reader =
                        Counting::new(std::io::stdin().lock(), Progress::new("importing", "bytes", None));
                    insula::dynamic::import_json(&file, &collection, reader, &options)?
                }
            };
            writeln!(out, "imported {count} objects into {collection}")?;
        }
        Command::Query { file, collection, filter, sort, limit } => {
            let snapshot = Reader::open(&file)?.read()?;
            let filter = Filter::parse(&filter)?;
            let objects = select(&snapshot, &collection, Some(&filter), sort.as_deref(), limit)?;
            let schema = snapshot.schema(&collection)?;
            if terminal {
                let objects: Vec<Object> = objects.collect::<insula::Result<_>>()?;
                output::table(out, schema, &objects)?;
            } else {
                output::json(out, &schema.id, objects, false)?;
            }
        }
        Command::Verify { file } => {
            let snapshot = Reader::open(&file)?.read()?;
            let mut problems = 0;
            for schema in snapshot.collections() {
                match verify(&snapshot, &schema.name) {
                    Ok(count) => writeln!(
                        out,
                        "{}: {count} objects, every record and index entry checks out",
                        schema.name
                    )?,
                    Err(error) => {
                        problems += 1;
                        writeln!(out, "{}: {error}", schema.name)?;
                    }
                }
            }
            if problems > 0 {
                return Err(Failed(format!(
                    "{problems} collection(s) failed verification; restore the file from a backup"
                )));
            }
        }
        Command::Compact { file } => {
            let compaction = insula::dynamic::compact(&file)?;
            writeln!(
                out,
                "compacted {}: {} -> {}",
                file.display(),
                output::bytes(compaction.bytes_before),
                output::bytes(compaction.bytes_after)
            )?;
        }
        Command::Inspect { file, port, read_only, bind } => {
            let reader = if read_only { Reader::open(&file)? } else { Reader::open_writable(&file)? };
            let (stop, stopped) = std::sync::mpsc::channel();
            ctrlc::set_handler(move || {
                let _ = stop.send(());
            })?;
            let inspector = insula::inspector::Inspector::serve(reader, (bind, port), read_only)?;
            let mode = if inspector.is_read_only() { " (read-only)" } else { "" };
            writeln!(out, "inspecting {}{mode} at {}", file.display(), inspector.url())?;
            writeln!(out, "press Ctrl-C to stop")?;
            out.flush()?;
            let _ = stopped.recv();
            // Dropping the inspector ends its threads; the file closes with the reader.
            drop(inspector);
            writeln!(out, "stopped; {} is closed", file.display())?;
        }
        Command::Backup { file, to } => {
            let bytes = insula::dynamic::backup(&file, &to)?;
            writeln!(out, "copied {} to {} ({})", file.display(), to.display(), output::bytes(bytes))?;
        }
    }
    Ok(())
}

/// Reads every record of `collection` (each record's check and references are verified
/// as it decodes), then cross-checks its indexes; returns how many objects it has.
fn verify(snapshot: &Snapshot, collection: &str) -> insula::Result<u64> {
    let mut count = 0;
    let mut progress = Progress::new("reading records", "objects", Some(snapshot.count(collection)?));
    for object in snapshot.records(collection)? {
        object?;
        count += 1;
        progress.add(1);
    }
    drop(progress);
    snapshot.verify(collection)?;
    Ok(count)
}

/// The objects of `collection` that `filter` keeps, sorted by `sort` (`field` or
/// `-field`), at most `limit` of them. Without a sort they stream in id order.
fn select<'s>(
    snapshot: &'s Snapshot,
    collection: &str,
    filter: Option<&Filter>,
    sort: Option<&str>,
    limit: Option<usize>,
) -> Result<Box<dyn Iterator<Item = insula::Result<Object>> + 's>, Failed> {
    let records = match filter {
        Some(filter) => snapshot.query(collection, filter)?,
        None => snapshot.records(collection)?,
    };
    let limit = limit.unwrap_or(usize::MAX);
    let Some(sort) = sort else { return Ok(Box::new(records.take(limit))) };
    let (field, descending) = match sort.strip_prefix('-') {
        Some(field) => (field, true),
        None => (sort, false),
    };
    let schema = snapshot.schema(collection)?;
    if field != schema.id && schema.field(field.split('.').next().unwrap_or(field)).is_none() {
        let names: Vec<&str> = schema.fields.iter().map(|field| field.name.as_str()).collect();
        return Err(Failed(format!(
            "collection `{collection}` has no field `{field}` to sort by; its fields are: {}",
            names.join(", ")
        )));
    }
    let mut objects: Vec<Object> = records.collect::<insula::Result<_>>()?;
    let key = |object: &Object| -> insula::dynamic::AnyValue {
        if field == schema.id {
            insula::dynamic::AnyValue::U64(object.id)
        } else {
            object.path(field).cloned().unwrap_or(insula::dynamic::AnyValue::Null)
        }
    };
    objects.sort_by(|a, b| {
        let order = key(a).compare(&key(b)).unwrap_or(std::cmp::Ordering::Equal);
        let order = if descending { order.reverse() } else { order };
        order.then(a.id.cmp(&b.id))
    });
    objects.truncate(limit);
    Ok(Box::new(objects.into_iter().map(Ok)))
}
