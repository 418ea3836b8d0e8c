//! `cargo run --bin seed`: puts a valid database file into `corpus/open_file/`, so that
//! `cargo fuzz run open_file` mutates real pages from its first run.

use std::path::Path;

fn main() -> insula::Result<()> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/open_file");
    std::fs::create_dir_all(&corpus).map_err(|source| insula::Error::Io { path: corpus.clone(), source })?;
    let dir = tempfile::tempdir().map_err(|source| insula::Error::Io { path: corpus.clone(), source })?;
    let file = insula_fuzz::write_valid_file(dir.path(), "seed")?;
    let target = corpus.join("valid.insula");
    std::fs::copy(&file, &target).map_err(|source| insula::Error::Io { path: target.clone(), source })?;
    println!("{}", target.display());
    Ok(())
}
