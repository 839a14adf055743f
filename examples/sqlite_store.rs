//! Typed values in SQLite: a BLOB column of binary envelopes and a TEXT column of JSON ones,
//! queried with SQLite's JSON functions, including a row written by an older version.
//!
//! ```sh
//! cargo run --example sqlite_store --features rusqlite-bundled [DATABASE_FILE]   # default: an in-memory database
//! ```

use kimera::sqlite::{BinaryColumn, JsonColumn};
use kimera::Kimera;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Kimera, Debug, Clone, PartialEq)]
#[kimera(name = "crm.Customer", version = 2, previous = CustomerV1)]
struct Customer {
    name: String,
    email: Option<String>,
    tags: Vec<String>,
}

/// How version 1 stored a customer: no email, one tag.
#[derive(Serialize, Deserialize, Kimera)]
#[kimera(name = "crm.Customer")]
struct CustomerV1 {
    name: String,
    tag: String,
}

impl From<CustomerV1> for Customer {
    fn from(v1: CustomerV1) -> Self {
        Customer {
            name: v1.name,
            email: None,
            tags: vec![v1.tag],
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = match std::env::args().nth(1) {
        Some(path) => Connection::open(path)?,
        None => Connection::open_in_memory()?,
    };
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, blob BLOB, doc TEXT)",
    )?;

    let ada = Customer {
        name: "Ada".into(),
        email: Some("ada@example.com".into()),
        tags: vec!["vip".into(), "beta".into()],
    };
    db.execute(
        "INSERT INTO customers (blob, doc) VALUES (?1, ?2)",
        (BinaryColumn(&ada), JsonColumn(&ada)),
    )?;
    // A row an older release wrote.
    let old = CustomerV1 {
        name: "Bo".into(),
        tag: "legacy".into(),
    };
    db.execute(
        "INSERT INTO customers (blob, doc) VALUES (?1, ?2)",
        (BinaryColumn(&old), JsonColumn(&old)),
    )?;

    let mut select = db.prepare("SELECT id, blob, doc FROM customers ORDER BY id")?;
    let rows = select.query_map((), |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, BinaryColumn<Customer>>(1)?,
            row.get::<_, JsonColumn<Customer>>(2)?,
        ))
    })?;
    for row in rows {
        let (id, from_blob, from_doc) = row?;
        assert_eq!(from_blob.0, from_doc.0);
        println!("row {id}: {:?}", from_blob.into_inner());
    }

    // The JSON column is plain JSON SQLite can query: the value sits under `value`.
    let vip: String = db.query_row(
        "SELECT json_extract(doc, '$.value.name') FROM customers \
         WHERE EXISTS (SELECT 1 FROM json_each(doc, '$.value.tags') WHERE value = 'vip')",
        (),
        |row| row.get(0),
    )?;
    println!("VIP customer found by SQLite's JSON functions: {vip}");
    let versions: String = db.query_row(
        "SELECT group_concat(json_extract(doc, '$.version'), ', ') FROM customers",
        (),
        |row| row.get(0),
    )?;
    println!("versions stored: {versions} (all read as version 2)");
    Ok(())
}
