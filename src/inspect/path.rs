//! Where in a value a conversion is, for its errors: `lines[2].sku`.

use std::fmt::Write as _;

/// The segments from the root to the value being converted, one per level entered, and the
/// path of the first failure.
#[derive(Default)]
pub(super) struct Path {
    levels: Vec<Segment>,
    failed: Option<String>,
}

enum Segment {
    /// The level's own value, before any child.
    Here,
    Field(String),
    Index(usize),
    Key(usize),
    Value(usize),
}

impl Path {
    /// Enters a value; returns the depth.
    pub(super) fn enter(&mut self) -> usize {
        self.levels.push(Segment::Here);
        self.levels.len()
    }

    /// Leaves a value that converted.
    pub(super) fn leave(&mut self) {
        self.levels.pop();
    }

    /// Leaves a value that failed: the innermost failure is the one kept.
    pub(super) fn fail(&mut self) {
        if self.failed.is_none() {
            self.failed = Some(self.render());
        }
        self.levels.pop();
    }

    fn set(&mut self, segment: Segment) {
        if let Some(top) = self.levels.last_mut() {
            *top = segment;
        }
    }

    /// The next child is the field (or variant) `name`.
    pub(super) fn field(&mut self, name: &str) {
        self.set(Segment::Field(name.to_owned()));
    }

    /// The next child is element `i`.
    pub(super) fn index(&mut self, i: usize) {
        self.set(Segment::Index(i));
    }

    /// The next child is the key of map entry `i`.
    pub(super) fn key(&mut self, i: usize) {
        self.set(Segment::Key(i));
    }

    /// The next child is the value of map entry `i`.
    pub(super) fn value(&mut self, i: usize) {
        self.set(Segment::Value(i));
    }

    /// The path of the first failure, `.` for the value itself.
    pub(super) fn failed(&self) -> String {
        self.failed.clone().unwrap_or_else(|| ".".to_owned())
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for segment in &self.levels {
            // Paths are for people; a name from the input is quoted by its start.
            let _ = match segment {
                Segment::Here => Ok(()),
                Segment::Field(name) if out.is_empty() => {
                    write!(out, "{}", kimera_core::envelope::quoted_name(name))
                }
                Segment::Field(name) => {
                    write!(out, ".{}", kimera_core::envelope::quoted_name(name))
                }
                Segment::Index(i) => write!(out, "[{i}]"),
                Segment::Key(i) => write!(out, "[key of entry {i}]"),
                Segment::Value(i) => write!(out, "[entry {i}]"),
            };
        }
        match out.is_empty() {
            true => ".".to_owned(),
            false => out,
        }
    }
}
