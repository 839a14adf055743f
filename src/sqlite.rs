//! Values in SQLite columns through rusqlite (feature `rusqlite`).
//!
//! [`BinaryColumn`] puts a value in a BLOB as a binary envelope (compact, checksummed);
//! [`JsonColumn`] puts it in a TEXT column as a JSON envelope, plain JSON that SQLite's own
//! JSON functions can query (`json_extract(doc, '$.value.customer')`: the value sits under the
//! envelope's `value` key). Both read either kind of column back into the type, migrating
//! values written by older versions, and turn a value that does not decode into a rusqlite
//! error that keeps Kimera's message.
//!
//! ```
//! use kimera::sqlite::{BinaryColumn, JsonColumn};
//! use kimera::Kimera;
//! use rusqlite::Connection;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
//! #[kimera(name = "shop.Order")]
//! struct Order { id: u64, customer: String }
//!
//! let db = Connection::open_in_memory()?;
//! db.execute("CREATE TABLE orders (blob BLOB, doc TEXT)", ())?;
//! let order = Order { id: 7, customer: "ada".into() };
//! db.execute("INSERT INTO orders VALUES (?1, ?2)", (BinaryColumn(&order), JsonColumn(&order)))?;
//!
//! let (blob, doc): (BinaryColumn<Order>, JsonColumn<Order>) =
//!     db.query_row("SELECT blob, doc FROM orders", (), |row| Ok((row.get(0)?, row.get(1)?)))?;
//! assert_eq!((blob.0, doc.0), (Order { id: 7, customer: "ada".into() }, order));
//!
//! let customer: String =
//!     db.query_row("SELECT json_extract(doc, '$.value.customer') FROM orders", (), |row| row.get(0))?;
//! assert_eq!(customer, "ada");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::ops::{Deref, DerefMut};

/// The rusqlite these columns are built against (0.40): use it, or the same version, in the
/// application.
pub use rusqlite;

use kimera_core::KimeraHandler;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, Value, ValueRef};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A value stored as a binary envelope in a BLOB; reads a BLOB or TEXT envelope of either
/// backend back. Writes a `T` or a `&T`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BinaryColumn<T>(pub T);

/// A value stored as a JSON envelope in TEXT, queryable with SQLite's JSON functions; reads a
/// TEXT or BLOB envelope of either backend back. Writes a `T` or a `&T`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JsonColumn<T>(pub T);

macro_rules! wrapper {
    ($wrapper:ident) => {
        impl<T> $wrapper<T> {
            /// The value.
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> Deref for $wrapper<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> DerefMut for $wrapper<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }

        impl<T: KimeraHandler + DeserializeOwned> FromSql for $wrapper<T> {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                decode(value).map($wrapper)
            }
        }
    };
}

wrapper!(BinaryColumn);
wrapper!(JsonColumn);

impl<T: KimeraHandler + Serialize> ToSql for BinaryColumn<T> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let bytes = crate::binary::to_vec(&self.0).map_err(to_sql_error)?;
        Ok(ToSqlOutput::Owned(Value::Blob(bytes)))
    }
}

impl<T: KimeraHandler + Serialize> ToSql for JsonColumn<T> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let text = crate::json::to_string(&self.0).map_err(to_sql_error)?;
        Ok(ToSqlOutput::Owned(Value::Text(text)))
    }
}

fn to_sql_error(err: kimera_core::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(err))
}

/// A `T` from a BLOB or TEXT column holding an envelope of either backend.
fn decode<T: KimeraHandler + DeserializeOwned>(value: ValueRef<'_>) -> FromSqlResult<T> {
    match value {
        ValueRef::Blob(bytes) | ValueRef::Text(bytes) => {
            crate::from_slice(bytes).map_err(FromSqlError::other)
        }
        _ => Err(FromSqlError::InvalidType),
    }
}
