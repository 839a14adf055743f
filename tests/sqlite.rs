//! Values in a real SQLite database file: thousands of rows in BLOB and TEXT columns, queried
//! by SQLite's own JSON functions, migrated on read, with decode errors that keep Kimera's
//! message.

use std::path::PathBuf;

use kimera::sqlite::{BinaryColumn, JsonColumn};
use kimera::Kimera;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Order", version = 2, previous = OrderV1)]
struct Order {
    id: u64,
    customer: String,
    lines: Vec<Line>,
    note: Option<String>,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Line")]
struct Line {
    sku: String,
    qty: u32,
}

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "shop.Order")]
struct OrderV1 {
    id: u64,
    customer: String,
}

impl From<OrderV1> for Order {
    fn from(v1: OrderV1) -> Self {
        Order {
            id: v1.id,
            customer: v1.customer,
            lines: Vec::new(),
            note: Some("migrated from v1".into()),
        }
    }
}

const ROWS: u64 = 5_000;

fn order(id: u64) -> Order {
    Order {
        id,
        customer: format!("customer-{}", id % 37),
        lines: (0..id % 4)
            .map(|n| Line {
                sku: format!("SKU-{n}"),
                qty: (id % 9) as u32 + 1,
            })
            .collect(),
        note: (id % 5 == 0).then(|| format!("note {id}")),
    }
}

/// A database file of its own under the target directory, removed when dropped.
struct Database(PathBuf, Connection);

impl Database {
    fn new(name: &str) -> Self {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{name}-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let db = Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, blob BLOB NOT NULL, doc TEXT NOT NULL)",
        )
        .unwrap();
        Database(path, db)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn thousands_of_values_round_trip_through_a_database_file() {
    let mut db = Database::new("round-trip");
    let tx = db.1.transaction().unwrap();
    {
        let mut insert = tx
            .prepare("INSERT INTO orders (id, blob, doc) VALUES (?1, ?2, ?3)")
            .unwrap();
        for id in 0..ROWS {
            let order = order(id);
            insert
                .execute((id as i64, BinaryColumn(&order), JsonColumn(&order)))
                .unwrap();
        }
    }
    tx.commit().unwrap();

    // Read back through a new connection to the file.
    let db2 = Connection::open(&db.0).unwrap();
    let mut select = db2
        .prepare("SELECT id, blob, doc, typeof(blob), typeof(doc) FROM orders ORDER BY id")
        .unwrap();
    let rows = select
        .query_map((), |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, BinaryColumn<Order>>(1)?,
                row.get::<_, JsonColumn<Order>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
            ))
        })
        .unwrap();
    let mut count = 0;
    for row in rows {
        let (id, blob, doc, blob_type, doc_type) = row.unwrap();
        let expected = order(id as u64);
        assert_eq!(blob.into_inner(), expected);
        assert_eq!(doc.into_inner(), expected);
        assert_eq!((blob_type.as_str(), doc_type.as_str()), ("blob", "text"));
        count += 1;
    }
    assert_eq!(count, ROWS);
}

#[test]
fn the_json_column_is_json_sqlite_itself_can_query() {
    let db = Database::new("json-query");
    for id in 0..500 {
        let order = order(id);
        db.1.execute(
            "INSERT INTO orders (id, blob, doc) VALUES (?1, ?2, ?3)",
            (id as i64, BinaryColumn(&order), JsonColumn(&order)),
        )
        .unwrap();
    }
    let count: i64 = db
        .1
        .query_row(
            "SELECT count(*) FROM orders WHERE json_extract(doc, '$.value.customer') = 'customer-3'",
            (),
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(count, (0..500).filter(|id| id % 37 == 3).count() as i64);
    let (kind, version, qty): (String, i64, i64) =
        db.1.query_row(
            "SELECT json_extract(doc, '$.type'), json_extract(doc, '$.version'), \
             json_extract(doc, '$.value.lines[0].qty') FROM orders WHERE id = 7",
            (),
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!((kind.as_str(), version, qty), ("shop.Order", 2, 8));
    let valid: i64 =
        db.1.query_row("SELECT min(json_valid(doc)) FROM orders", (), |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(valid, 1);
}

#[test]
fn rows_written_by_an_older_version_migrate_on_read() {
    let db = Database::new("migrate");
    let old = OrderV1 {
        id: 1,
        customer: "ada".into(),
    };
    db.1.execute(
        "INSERT INTO orders (id, blob, doc) VALUES (1, ?1, ?2)",
        (BinaryColumn(&old), JsonColumn(&old)),
    )
    .unwrap();
    let (blob, doc): (BinaryColumn<Order>, JsonColumn<Order>) =
        db.1.query_row("SELECT blob, doc FROM orders", (), |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    let expected = Order::from(old);
    assert_eq!(blob.0, expected);
    assert_eq!(doc.0, expected);
}

#[test]
fn decode_errors_keep_kimeras_message() {
    let db = Database::new("errors");
    db.1.execute(
        "INSERT INTO orders (id, blob, doc) VALUES (1, ?1, ?2)",
        (
            BinaryColumn(&"not an order".to_string()),
            "{\"no\": \"envelope\"}",
        ),
    )
    .unwrap();
    let err =
        db.1.query_row("SELECT blob FROM orders", (), |row| {
            row.get::<_, BinaryColumn<Order>>(0)
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("type mismatch: expected `shop.Order`, found `str`"),
        "{err}"
    );
    let err =
        db.1.query_row("SELECT doc FROM orders", (), |row| {
            row.get::<_, JsonColumn<Order>>(0)
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("not a Kimera json envelope"),
        "{err}"
    );
    let err =
        db.1.query_row("SELECT NULL", (), |row| {
            row.get::<_, BinaryColumn<Order>>(0)
        })
        .unwrap_err();
    assert!(
        matches!(err, rusqlite::Error::InvalidColumnType(..)),
        "{err}"
    );
}
