//! Compile errors of the derives: one minimal file per mistake in `tests/ui/`, with the
//! expected output beside it. Refresh with `TRYBUILD=overwrite cargo test --test ui`
//! and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
