//! The schema history: a file of every shape the types have had, embedded in the program, so
//! that plain binary values (no schema inside) written by another build are resolved; and the
//! test helper that keeps such a file honest.

#[path = "support/evolution.rs"]
mod evolution;
#[path = "../examples/support/players.rs"]
mod players;

use evolution::{
    added_default, downgrades, nested, removed_reordered, renamed, unresolvable, upgrades, values,
    variant_added, widened,
};
use kimera::history::{assert_history, Entry, History};
use kimera::Kimera;
use serde::{Deserialize, Serialize};

kimera::schema_history!("tests/golden/evolution/kimera-schemas.json");

/// Every shape of every case type, as both builds would have recorded them.
fn recorded() -> History {
    let mut history = History::new();
    let entries = [
        Entry::of::<added_default::v1::T>(),
        Entry::of::<added_default::v2::T>(),
        Entry::of::<removed_reordered::v1::T>(),
        Entry::of::<removed_reordered::v2::T>(),
        Entry::of::<renamed::v1::T>(),
        Entry::of::<renamed::v2::T>(),
        Entry::of::<variant_added::v1::T>(),
        Entry::of::<variant_added::v2::T>(),
        Entry::of::<widened::v1::T>(),
        Entry::of::<widened::v2::T>(),
        Entry::of::<nested::v1::Line>(),
        Entry::of::<nested::v2::Line>(),
        Entry::of::<nested::v1::T>(),
        Entry::of::<nested::v2::T>(),
        Entry::of::<nested::Page<nested::v1::Line>>(),
        Entry::of::<nested::Page<nested::v2::Line>>(),
        Entry::of::<unresolvable::v1::Narrowed>(),
    ];
    for entry in entries {
        history.record(entry);
    }
    history
}

/// The embedded file is what these types record (`KIMERA_WRITE_GOLDEN=1` rewrites it).
#[test]
fn the_history_file_is_pinned() {
    let path = evolution::golden("kimera-schemas.json");
    let text = recorded().to_json();
    if std::env::var_os("KIMERA_WRITE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    assert_eq!(History::from_json(&text).unwrap(), recorded());
}

/// The history `examples/evolution.rs` embeds: both releases of its types.
#[test]
fn the_examples_history_is_pinned() {
    let mut history = History::new();
    history.record(Entry::of::<players::release1::Player>());
    history.record(Entry::of::<players::release1::Item>());
    history.record(Entry::of::<players::release2::Player>());
    history.record(Entry::of::<players::release2::Item>());
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/evolution-schemas.json");
    if std::env::var_os("KIMERA_WRITE_GOLDEN").is_some() {
        std::fs::write(&path, history.to_json()).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), history.to_json());
}

/// Plain binary values (no schema inside) from either build resolve with the embedded history.
#[test]
fn plain_binary_values_resolve_through_the_history() {
    let (old, new) = values::added();
    upgrades("added", &["bin"], &old, &new);
    downgrades("added", &["bin"], &new, &old);
    upgrades(
        "renamed",
        &["bin"],
        &renamed::v1::T { id: 1, qty: 5 },
        &renamed::v2::T { id: 1, quantity: 5 },
    );
    upgrades("nested", &["bin"], &values::order1(), &values::order2());
    downgrades("nested", &["bin"], &values::order2(), &values::order1());
    // Collections of a changed type: the history records `ev.Line` and `ev.Page<...>`, and the
    // reader composes `list<ev.Line>` of the recorded `ev.Line`s.
    upgrades(
        "lines",
        &["bin"],
        &values::order1().lines,
        &values::order2().lines,
    );
    use variant_added::{v1, v2};
    upgrades(
        "variant",
        &["bin"],
        &vec![v1::T::Opened, v1::T::Paid(5), v1::T::Unknown],
        &vec![v2::T::Opened, v2::T::Paid(5), v2::T::Unknown],
    );
}

/// A registered type of this test binary, at its current shape, and an older shape of it that
/// the test records as if an earlier build had.
#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
#[kimera(name = "hist.Player")]
struct Player {
    name: String,
    level: u8,
    #[serde(default)]
    score: u32,
}

mod earlier {
    use super::*;

    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "hist.Player", register = false)]
    pub struct Readable {
        pub name: String,
        pub level: u8,
    }

    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "hist.Player", register = false)]
    pub struct Unreadable {
        pub name: String,
        pub level: u64,
    }
}

fn problems_for(history: &History, name: &str) -> Vec<String> {
    history
        .check()
        .into_iter()
        .filter(|p| p.contains(name))
        .collect()
}

#[test]
fn the_check_finds_missing_and_unreadable_schemas() {
    let mut history = History::new();
    let missing = problems_for(&history, "hist.Player");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].starts_with("the current schema of `hist.Player` v1"),
        "{missing:?}"
    );

    for entry in History::current() {
        history.record(entry);
    }
    assert_eq!(problems_for(&history, "hist.Player"), Vec::<String>::new());
    // An earlier shape this build resolves is no problem...
    history.record(Entry::of::<earlier::Readable>());
    assert_eq!(problems_for(&history, "hist.Player"), Vec::<String>::new());
    // ...one it cannot read is, naming the field and why.
    history.record(Entry::of::<earlier::Unreadable>());
    let problems = problems_for(&history, "hist.Player");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].ends_with("cannot read it in binary: at `level`: the writer's `u64` does not fit the reader's `u8`"),
        "{problems:?}"
    );
    // A document that does not give its fingerprint is reported too.
    let mut forged = Entry::of::<earlier::Readable>();
    forged.fingerprint = "0000000000000001".into();
    history.record(forged);
    assert!(history
        .check()
        .iter()
        .any(|p| p.contains("has the fingerprint")));
}

#[test]
fn a_history_checked_without_the_build_gives_the_verdicts_of_the_build() {
    // `check_recorded` stands the newest schema of each type and version in for the build's
    // reader: on the pinned history, it agrees with what the cases' types resolve.
    let history = History::from_json(include_str!("golden/evolution/kimera-schemas.json"))
        .expect("a history");
    assert_eq!(history.check_recorded(), Vec::<String>::new());
    // Rolled back, a build reads the newer values of every case but those whose change only
    // reads forwards: a removed field the old build requires, a rename it has no alias for,
    // and widened numbers.
    let rollback = history.check_rollback();
    let names: Vec<&str> = rollback
        .iter()
        .map(|p| p.split('`').nth(1).expect("a type name"))
        .collect();
    assert_eq!(
        names,
        ["ev.Removed", "ev.Renamed", "ev.Widened"],
        "{rollback:?}"
    );
    assert!(
        rollback[2]
            .ends_with("in binary: at `a`: the writer's `u32` does not fit the reader's `u8`"),
        "{rollback:?}"
    );

    // The same verdict for a shape this build cannot read, with both schemas as documents.
    let mut history = History::new();
    history.record(Entry::of::<earlier::Unreadable>());
    for entry in History::current()
        .into_iter()
        .filter(|e| e.name == "hist.Player")
    {
        history.record(entry);
    }
    let problems = history.check_recorded();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .ends_with("in binary: at `level`: the writer's `u64` does not fit the reader's `u8`"),
        "{problems:?}"
    );
}

/// A recursive type, compared with itself and with a changed copy: the check ends.
#[test]
fn recursive_documents_are_checked_against_each_other() {
    use kimera::schema::document::{check::check_documents, Document};

    #[derive(Serialize, Deserialize, Kimera)]
    #[kimera(name = "hist.Tree", register = false)]
    struct Tree {
        value: u8,
        children: Vec<Tree>,
    }
    mod wider {
        use super::*;
        #[derive(Serialize, Deserialize, Kimera)]
        #[kimera(name = "hist.Tree", register = false)]
        pub struct Tree {
            pub value: u16,
            pub children: Vec<Tree>,
        }
    }
    let (narrow, wide) = (Document::of::<Tree>(), Document::of::<wider::Tree>());
    assert!(check_documents(&narrow, &narrow, false).is_ok());
    assert!(check_documents(&narrow, &wide, false).is_ok());
    let err = check_documents(&wide, &narrow, true).expect_err("u16 into u8");
    assert_eq!(err.path(), "value");
}

#[test]
fn the_helper_records_and_then_passes() {
    let dir = std::env::temp_dir().join(format!("kimera-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kimera-schemas.json");
    // The helper panics while the current schemas are missing, from a missing file or an
    // empty one (which `schema_history!` needs to exist)...
    for empty in [false, true] {
        if empty {
            std::fs::write(&path, "").unwrap();
        }
        let missing = std::panic::catch_unwind(|| assert_history(&path)).unwrap_err();
        let message = missing.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("does not record the current schemas of `hist.Player` v1"),
            "{message}"
        );
        assert!(
            message.contains("`KIMERA_SCHEMAS=overwrite cargo test`"),
            "{message}"
        );
    }
    // ...records them when asked to (the file a user commits)...
    let mut history = History::new();
    for entry in History::current() {
        history.record(entry);
    }
    std::fs::write(&path, history.to_json()).unwrap();
    // ...and passes from then on.
    assert_history(&path);
    std::fs::remove_dir_all(&dir).unwrap();
}
