//! [`AnyValue`]: a decoded value whose type is known at run time.

use std::any::Any;
use std::fmt;

use super::RegisteredType;

/// A value of some registered type, as [`decode_any`](super::decode_any) returns it.
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
/// #[kimera(name = "docs.Reading")]
/// struct Reading { sensor: String, value: f64 }
///
/// let bytes = kimera::binary::to_vec(&Reading { sensor: "t1".into(), value: 0.5 })?;
/// let any = kimera::registry::decode_any(&bytes)?;
/// assert!(any.is::<Reading>() && !any.is::<String>());
/// assert_eq!(any.to_json_value()?, serde_json::json!({ "sensor": "t1", "value": 0.5 }));
/// // The wrong type gives the value back.
/// let any = any.downcast::<String>().unwrap_err();
/// assert_eq!(any.downcast::<Reading>().unwrap().sensor, "t1");
/// # Ok::<(), kimera::Error>(())
/// ```
pub struct AnyValue {
    value: Box<dyn Any + Send>,
    ty: &'static RegisteredType,
    written_version: u32,
}

impl AnyValue {
    pub(super) fn new(
        value: Box<dyn Any + Send>,
        ty: &'static RegisteredType,
        written_version: u32,
    ) -> Self {
        AnyValue {
            value,
            ty,
            written_version,
        }
    }

    /// The value's Kimera type name (its current name, even when the envelope used an alias).
    pub fn type_name(&self) -> &'static str {
        self.ty.name()
    }

    /// The value's version: the current version of its type, which older values have been
    /// migrated to.
    pub fn version(&self) -> u32 {
        self.ty.version()
    }

    /// The version that wrote the envelope, before any migration.
    pub fn written_version(&self) -> u32 {
        self.written_version
    }

    /// The registered type the value was decoded as.
    pub fn registered_type(&self) -> &'static RegisteredType {
        self.ty
    }

    /// Whether the value is a `T`.
    pub fn is<T: Any>(&self) -> bool {
        self.value.is::<T>()
    }

    /// The value, if it is a `T`.
    ///
    /// ```
    /// #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera)]
    /// #[kimera(name = "docs.Batch")]
    /// struct Batch { ids: Vec<u8> }
    ///
    /// let any = kimera::registry::decode_any(&kimera::json::to_vec(&Batch { ids: vec![1, 2] })?)?;
    /// assert_eq!(any.downcast_ref::<Batch>().map(|b| b.ids.len()), Some(2));
    /// assert!(any.downcast_ref::<String>().is_none());
    /// # Ok::<(), kimera::Error>(())
    /// ```
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.value.downcast_ref()
    }

    /// The value, mutably, if it is a `T`.
    pub fn downcast_mut<T: Any>(&mut self) -> Option<&mut T> {
        self.value.downcast_mut()
    }

    /// The value as a `T`, or the `AnyValue` back if it is not one.
    pub fn downcast<T: Any>(self) -> Result<T, AnyValue> {
        match self.value.downcast::<T>() {
            Ok(value) => Ok(*value),
            Err(value) => Err(AnyValue { value, ..self }),
        }
    }

    /// The value as plain JSON (no envelope), for logs. Refuses what JSON cannot hold exactly
    /// (NaN, infinities, `Some(None)`), as the JSON backend does.
    #[cfg(feature = "json")]
    pub fn to_json_value(&self) -> kimera_core::Result<serde_json::Value> {
        let decoder = self
            .ty
            .decoder
            .as_ref()
            .ok_or_else(|| super::LookupError::NotDecodable {
                type_name: self.ty.name().to_owned(),
                rust_type: self.ty.rust_type(),
            })?;
        (decoder.to_json_value)(&*self.value)
    }
}

impl fmt::Debug for AnyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnyValue")
            .field("type_name", &self.type_name())
            .field("version", &self.version())
            .field("written_version", &self.written_version)
            .finish_non_exhaustive()
    }
}
