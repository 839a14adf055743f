//! [`AnyValue`]: a decoded value whose type is known at run time.

use std::any::Any;
use std::fmt;

use kimera_core::Result;

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

    /// The value encoded again, in an envelope of `format`'s backend under its options: to
    /// forward a value in another backend than it came in, or after changing it through
    /// [`downcast_mut`](Self::downcast_mut). It is written as the current version of its type,
    /// under its current name (the bytes it came in are the way to forward it unchanged).
    ///
    /// ```
    /// use kimera::{Binary, Json};
    ///
    /// #[derive(serde::Serialize, serde::Deserialize, kimera::Kimera, Debug, PartialEq)]
    /// #[kimera(name = "docs.Alert")]
    /// struct Alert { level: u8 }
    ///
    /// let mut any = kimera::registry::decode_any(&kimera::json::to_vec(&Alert { level: 1 })?)?;
    /// any.downcast_mut::<Alert>().unwrap().level = 3;
    /// let bytes = any.to_vec(&Binary::new())?;
    /// assert_eq!(kimera::binary::from_slice::<Alert>(&bytes)?, Alert { level: 3 });
    /// assert_eq!(any.to_vec(&Json::new())?, kimera::json::to_vec(&Alert { level: 3 })?);
    /// # Ok::<(), kimera::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// This can fail as the format's `encode` can ([`ErrorKind::Encode`] for a value the
    /// format refuses, such as NaN in JSON), with [`ErrorKind::Unsupported`] for a type the
    /// binary backend cannot carry, and with [`LookupError::NotDecodable`] for a type
    /// registered without serde's impls.
    ///
    /// [`ErrorKind::Encode`]: crate::ErrorKind::Encode
    /// [`ErrorKind::Unsupported`]: crate::ErrorKind::Unsupported
    /// [`LookupError::NotDecodable`]: super::LookupError::NotDecodable
    // Without a backend there is no `AnyFormat`, and `options()` returns an empty enum.
    #[cfg_attr(
        not(any(feature = "json", feature = "binary")),
        allow(unreachable_code)
    )]
    pub fn to_vec<F: AnyFormat>(&self, format: &F) -> Result<Vec<u8>> {
        (self.decoder()?.encode)(&*self.value, format.options())
    }

    fn decoder(&self) -> Result<&'static super::Decoder> {
        let decoder = self
            .ty
            .decoder
            .as_ref()
            .ok_or_else(|| super::LookupError::NotDecodable {
                type_name: self.ty.name().to_owned(),
                rust_type: self.ty.rust_type(),
            })?;
        Ok(decoder)
    }

    /// The value as plain JSON (no envelope), for logs. Refuses what JSON cannot hold exactly
    /// (NaN, infinities, `Some(None)`), as the JSON backend does.
    #[cfg(feature = "json")]
    pub fn to_json_value(&self) -> Result<serde_json::Value> {
        (self.decoder()?.to_json_value)(&*self.value)
    }
}

/// The formats an [`AnyValue`] is encoded in again by [`AnyValue::to_vec`]: the enabled
/// backends' [`Json`](crate::Json) and [`Binary`](crate::Binary), with their options. Sealed.
pub trait AnyFormat: sealed::Sealed {}

#[cfg(feature = "json")]
impl AnyFormat for crate::Json {}
#[cfg(feature = "binary")]
impl AnyFormat for crate::Binary {}

pub(super) use sealed::Options;

mod sealed {
    use kimera_core::{KimeraHandler, Result};
    use serde::Serialize;

    /// A backend and its options, passed to the registered type's encode function.
    #[derive(Clone, Copy)]
    pub enum Options {
        #[cfg(feature = "json")]
        Json(crate::Json),
        #[cfg(feature = "binary")]
        Binary(crate::Binary),
    }

    #[cfg_attr(
        not(any(feature = "json", feature = "binary")),
        allow(unused_variables)
    )]
    impl Options {
        pub fn encode<T: KimeraHandler + Serialize>(self, value: &T) -> Result<Vec<u8>> {
            match self {
                #[cfg(feature = "json")]
                Options::Json(json) => kimera_core::Format::encode(&json, value),
                #[cfg(feature = "binary")]
                Options::Binary(binary) => binary.encode_checked_at_run_time(value),
            }
        }
    }

    pub trait Sealed {
        fn options(&self) -> Options;
    }

    #[cfg(feature = "json")]
    impl Sealed for crate::Json {
        fn options(&self) -> Options {
            Options::Json(*self)
        }
    }

    #[cfg(feature = "binary")]
    impl Sealed for crate::Binary {
        fn options(&self) -> Options {
            Options::Binary(*self)
        }
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
