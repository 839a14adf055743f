//! Nothing: the package exists for its trybuild test (`tests/ui.rs`).
