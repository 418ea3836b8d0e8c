//! `cargo xtask mutants`: mutation testing of the runtime's core with cargo-mutants,
//! scoped so that one mutant costs seconds: only the parts below are mutated, only the
//! runtime's unit tests and the integration suite (`tests/it`) run, and the suites that
//! take long and guard other things (crash, stress, the damaged-file sweeps, the 3 GiB
//! object) are skipped. Extra arguments go to cargo-mutants (`--shard 1/4`,
//! `--in-place`, `-f FILE`, `--list`).

use std::process::{Command, ExitCode};

/// The files mutated, by part, as the README's mutation table lists them.
pub(crate) const PARTS: &[(&str, &[&str])] = &[
    (
        "query engine",
        &[
            "runtime/src/query/condition.rs",
            "runtime/src/query/embedded.rs",
            "runtime/src/query/list.rs",
            "runtime/src/query/page.rs",
            "runtime/src/query/request.rs",
            "runtime/src/query/sort.rs",
            "runtime/src/query/text.rs",
            "runtime/src/db/select.rs",
            "runtime/src/store/tables.rs",
        ],
    ),
    ("planner", &["runtime/src/query/plan.rs"]),
    (
        "codec",
        &[
            "runtime/src/codec/boxed.rs",
            "runtime/src/codec/bytes.rs",
            "runtime/src/codec/layout.rs",
            "runtime/src/codec/list.rs",
            "runtime/src/codec/scalar.rs",
            "runtime/src/codec/text.rs",
            "runtime/src/codec/value.rs",
        ],
    ),
    ("index keys", &["runtime/src/codec/key.rs"]),
    ("schema classifier", &["runtime/src/schema/evolution.rs", "runtime/src/schema/stored.rs"]),
    ("watchers", &["runtime/src/db/watchers.rs", "runtime/src/watch.rs"]),
    (
        "transaction rules",
        &[
            "runtime/src/db/txn.rs",
            "runtime/src/db/database.rs",
            "runtime/src/db/group.rs",
            "runtime/src/store/write.rs",
        ],
    ),
    (
        "operations",
        &[
            "runtime/src/db/operations.rs",
            "runtime/src/store/backup.rs",
            "runtime/src/store/compact.rs",
            "runtime/src/store/stats.rs",
            "runtime/src/store/holder.rs",
        ],
    ),
    (
        "JSON and the dynamic reader",
        &[
            "runtime/src/json/read.rs",
            "runtime/src/json/write.rs",
            "runtime/src/dynamic/decode.rs",
            "runtime/src/dynamic/encode.rs",
            "runtime/src/dynamic/filter.rs",
            "runtime/src/dynamic/import.rs",
            "runtime/src/dynamic/keys.rs",
        ],
    ),
];

/// Test names the mutants' runs skip: long suites whose subject is not these parts.
const SKIPPED: &[&str] = &[
    "crash::",
    "stress::",
    "damaged_files::flipped",
    "damaged_files::arbitrary",
    "bad_input::an_object_over_the_size_limit",
    "examples::",
];

pub(crate) fn run(args: &[String]) -> ExitCode {
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!(
            "usage: cargo xtask mutants [CARGO-MUTANTS OPTIONS]\n\nMutates the runtime's query engine, planner, \
             codec, index keys, schema classifier, watchers and transaction rules, and runs the runtime's unit \
             tests and tests/it against each mutant. Needs cargo-mutants (`cargo install cargo-mutants`). \
             Results go to mutants.out/. Options such as `--shard 1/4`, `--in-place` or `--list` pass through."
        );
        return ExitCode::SUCCESS;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args(["mutants", "--package", "insula", "--test-workspace", "true"]);
    for (_, files) in PARTS {
        for file in *files {
            command.args(["--file", file]);
        }
    }
    // Left out: `Debug` impls (words for people, no behaviour), and the loops that run
    // in the compiler (the const check of enum tags, the const layout of a record): their
    // loop mutants hang const evaluation until the build times out. The tag check has a
    // unit test; a wrong layout offset fails every codec test.
    command.args([
        "--exclude-re",
        r"impl .*Debug for |assert_distinct_tags|replace \+= with [-*]= in CurrentLayout",
    ]);
    command
        // cargo-mutants 27 runs the baseline on the mutated package's tests only, where
        // `--test it` does not exist: the baseline is `cargo test` itself, run by CI.
        .args(["--baseline", "skip", "--cap-lints", "true", "--timeout", "120", "--build-timeout", "300"])
        .args(["--cargo-test-arg=--lib", "--cargo-test-arg=--test", "--cargo-test-arg=it"])
        .args(args)
        // The first `--` ends cargo-mutants' options, the second cargo test's.
        .args(["--", "--"]);
    for skipped in SKIPPED {
        command.args(["--skip", skipped]);
    }
    // The model-based query test at a size that finds the planner's and conditions'
    // mutants in a second or two.
    command.env("PROPTEST_CASES", "256");
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => ExitCode::from(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1)),
        Err(error) => {
            eprintln!(
                "mutants: could not run cargo mutants ({error}); install it with `cargo install cargo-mutants`"
            );
            ExitCode::from(2)
        }
    }
}
