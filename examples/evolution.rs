//! A type changes between two releases of a service, and neither release needs code for it:
//! release 2 reads what release 1 stored (a snapshot, binary values with and without their
//! schema, JSON), and release 1, rolled back, reads what release 2 wrote where it can.
//!
//! Run with `cargo run --example evolution --features binary,snapshot`.

#[path = "support/players.rs"]
mod players;

use kimera::snapshot::SnapshotStore;
use kimera::{Binary, Format};
use players::{release1, release2};

// The schema history release 2 ships: every shape `game.Player` and `game.Item` have had,
// recorded by the tests (`tests/history.rs` pins this file; a service keeps it honest with
// `kimera::history::assert_history`).
kimera::schema_history!("examples/evolution-schemas.json");

fn main() -> Result<(), kimera::Error> {
    let dir = std::env::temp_dir().join(format!("kimera-evolution-{}", std::process::id()));
    let old = release1::Player {
        name: "ada".into(),
        level: 12,
        guild: Some("night owls".into()),
        inventory: vec![release1::Item { id: 7, count: 3 }],
    };

    // Release 1 stores its state the usual ways.
    let mut store = SnapshotStore::open(&dir)?;
    store.save(&old)?;
    drop(store);
    let plain = kimera::binary::to_vec(&old)?; // no schema inside
    let carried = Binary::new().with_schema().encode(&old)?;
    let text = kimera::json::to_string(&old)?;
    println!(
        "release 1 wrote: binary {} bytes, binary with its schema {} bytes, JSON {} bytes",
        plain.len(),
        carried.len(),
        text.len()
    );

    // Release 2 reads all of it into its own `Player`.
    let mut store = SnapshotStore::open(&dir)?;
    let (_, from_snapshot) = store.latest::<release2::Player>()?.expect("a snapshot");
    drop(store);
    let from_plain: release2::Player = kimera::binary::from_slice(&plain)?; // through the history
    let from_carried: release2::Player = kimera::from_slice(&carried)?;
    let from_json: release2::Player = kimera::json::from_str(&text)?;
    assert!([&from_plain, &from_carried, &from_json]
        .iter()
        .all(|p| **p == from_snapshot));
    println!("release 2 read: {from_snapshot:?}");

    // Release 2 writes; release 1, rolled back, reads what it can: an added field is skipped...
    let mut new = from_snapshot;
    new.achievements.push("first blood".into());
    new.inventory[0].enchantment = Some("fire".into());
    let bytes = kimera::binary::to_vec(&new.inventory)?;
    let inventory: Vec<release1::Item> = kimera::binary::from_slice(&bytes)?;
    assert_eq!(inventory, old.inventory);
    println!("release 1 read release 2's inventory: {inventory:?}");

    // ...but a widened field does not narrow back: refused, never truncated.
    let err = kimera::binary::from_slice::<release1::Player>(&kimera::binary::to_vec(&new)?)
        .expect_err("a narrowing");
    println!("release 1 refuses release 2's player: {err}");

    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
