//! Compile-time errors of `#[derive(Kimera)]` and of the binary backend, pinned with trybuild.
//!
//! Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p kimera-ui-tests`, then read every diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    // The binary-incompatibility errors are raised during monomorphization, which `cargo check`
    // skips: a `pass` case in the same `TestCases` makes trybuild run `cargo build` instead.
    t.pass("tests/ui/pass/*.rs");
}
