//! The schema lock check of `cargo xtask schema-check`, as a test: the workspace's
//! collections must match the committed `schema.lock`.

use insula::schema::check_lock;

#[test]
fn the_collections_match_the_committed_lock() {
    let lock =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.lock")).unwrap_or_default();
    let drift = check_lock(&lock, &insula_workspace::model::builder().schemas()).expect("the lock parses");
    assert!(
        drift.is_empty(),
        "the schemas drifted from schema.lock:\n{}\nto accept the change, run `cargo xtask schema-check --bless`",
        drift.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    );
}
