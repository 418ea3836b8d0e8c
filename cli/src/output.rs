//! How the command line shows what it read: sizes, the `info` report, a table for a
//! terminal, JSON and CSV.

use insula::dynamic::{Object, Snapshot, cell_text};
use insula::schema::SchemaDef;
use std::io::{self, Write};
use std::path::Path;

/// `bytes` for a person: `1.5 MiB (1572864 bytes)`.
pub(crate) fn bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64;
    let mut unit = "bytes";
    for next in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit} ({bytes} bytes)")
}

/// The `info` report.
pub(crate) fn info(out: &mut impl Write, path: &Path, snapshot: &Snapshot) -> insula::Result<()> {
    let stats = snapshot.stats()?;
    let io = |source| insula::Error::Io { path: path.to_owned(), source };
    let free = stats.free_bytes.map_or_else(|| "unknown".to_owned(), |free| format!("about {}", bytes(free)));
    writeln!(out, "file: {}", path.display()).map_err(io)?;
    writeln!(out, "format: {}", insula::dynamic::FORMAT_VERSION).map_err(io)?;
    writeln!(out, "size: {}, free: {free}", bytes(stats.file_bytes)).map_err(io)?;
    writeln!(out, "collections: {}", stats.collections.len()).map_err(io)?;
    for collection in &stats.collections {
        writeln!(out).map_err(io)?;
        writeln!(
            out,
            "{}: {} objects, records {}",
            collection.name,
            collection.objects,
            bytes(collection.record_bytes)
        )
        .map_err(io)?;
        for index in &collection.indexes {
            let unique = if index.unique { " (unique)" } else { "" };
            writeln!(
                out,
                "  index {}{unique}: {} entries, {}",
                index.name,
                index.entries,
                bytes(index.bytes)
            )
            .map_err(io)?;
        }
        let schema = snapshot.schema(&collection.name)?;
        for line in insula::schema::lock_text(std::slice::from_ref(schema))
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
        {
            writeln!(out, "  {line}").map_err(io)?;
        }
    }
    Ok(())
}

/// Objects as a JSON array, or NDJSON (`lines`).
pub(crate) fn json(
    out: &mut impl Write,
    id_name: &str,
    objects: impl Iterator<Item = insula::Result<Object>>,
    lines: bool,
) -> Result<(), crate::Failed> {
    let mut writer = insula::json::Writer::new(out, lines)?;
    for object in objects {
        writer.write_object(id_name, &object?)?;
    }
    writer.finish()?;
    Ok(())
}

/// Objects as CSV (RFC 4180): a header of the id and the fields, then one line each.
pub(crate) fn csv(
    out: &mut impl Write,
    schema: &SchemaDef,
    objects: impl Iterator<Item = insula::Result<Object>>,
) -> Result<(), crate::Failed> {
    insula::dynamic::write_csv(out, schema, objects)?;
    Ok(())
}

/// Objects as a table for a terminal: a column per field, cells cut to 32 characters.
pub(crate) fn table(out: &mut impl Write, schema: &SchemaDef, objects: &[Object]) -> io::Result<()> {
    const WIDEST: usize = 32;
    let cut = |text: String| -> String {
        let text = text.replace(['\n', '\r', '\t'], " ");
        if text.chars().count() > WIDEST {
            format!("{}…", text.chars().take(WIDEST - 1).collect::<String>())
        } else {
            text
        }
    };
    let mut rows: Vec<Vec<String>> = vec![
        std::iter::once(schema.id.clone())
            .chain(schema.fields.iter().map(|field| field.name.clone()))
            .collect(),
    ];
    for object in objects {
        rows.push(
            std::iter::once(object.id.to_string())
                .chain(object.fields.iter().map(|(_, value)| cut(cell_text(value))))
                .collect(),
        );
    }
    let columns = rows[0].len();
    let widths: Vec<usize> =
        (0..columns).map(|at| rows.iter().map(|row| row[at].chars().count()).max().unwrap_or(0)).collect();
    for (number, row) in rows.iter().enumerate() {
        let line: Vec<String> =
            row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
        if number == 0 {
            let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
            writeln!(out, "{}", rule.join("  "))?;
        }
    }
    writeln!(out, "({} objects)", objects.len())
}
