//! Values without an envelope: plain JSON that another program wrote, read into a type, and a
//! value as a [`serde_json::Value`].

use kimera_core::envelope::{data_error, encode_error};
use kimera_core::path::{decode_path, encode_path};
use kimera_core::{Guard, KimeraHandler, Limit, Limits, Result};
use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};

use crate::envelope::{byte_offset, classify, has_kimera_key, Input};
use crate::lossless::Lossless;

/// Reads plain JSON (a value alone, as any JSON library writes it: no envelope, so no type
/// or version is checked) as a `T`, within the default [`Limits`], with the field path in
/// errors.
///
/// ```
/// use std::collections::BTreeMap;
///
/// let stock: BTreeMap<String, u32> = kimera::json::from_plain_str(r#"{"A-1": 2}"#)?;
/// assert_eq!(stock["A-1"], 2);
///
/// let err = kimera::json::from_plain_str::<BTreeMap<String, u32>>(r#"{"A-1": -2}"#).unwrap_err();
/// assert!(err.to_string().starts_with("invalid `map<str,u32>` v1 at `A-1`: invalid value"));
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`from_plain_slice`] can.
pub fn from_plain_str<'a, T: KimeraHandler + Deserialize<'a>>(text: &'a str) -> Result<T> {
    from_plain_slice(text.as_bytes())
}

/// [`from_plain_str`] from bytes.
///
/// ```
/// let pair: (u8, bool) = kimera::json::from_plain_slice(b"[7, true]")?;
/// assert_eq!(pair, (7, true));
/// assert!(kimera::json::from_plain_slice::<(u8, bool)>(b"[7, true] []").is_err());
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail if the input is cut short ([`ErrorKind::Truncated`]), if it is not a
/// valid `T` or holds more than one JSON value ([`ErrorKind::Data`], with the field path; a Kimera
/// envelope read here is named as one), or if it is larger or nests deeper than the default
/// [`Limits`] allow ([`ErrorKind::LimitExceeded`]).
///
/// [`ErrorKind::Data`]: kimera_core::ErrorKind::Data
/// [`ErrorKind::LimitExceeded`]: kimera_core::ErrorKind::LimitExceeded
/// [`ErrorKind::Truncated`]: kimera_core::ErrorKind::Truncated
pub fn from_plain_slice<'a, T: KimeraHandler + Deserialize<'a>>(bytes: &'a [u8]) -> Result<T> {
    decode(bytes, &Limits::DEFAULT, Input::Value)
}

/// The value alone, without an envelope, as a [`serde_json::Value`]: for logs and tools that
/// want plain JSON. Refuses, with the field path, what JSON would change (NaN, infinities,
/// `Some(None)`), as [`to_string`](crate::to_string) does.
///
/// ```
/// let value = kimera::json::to_json_value(&vec![(1u8, "a")])?;
/// assert_eq!(value, serde_json::json!([[1, "a"]]));
/// assert!(kimera::json::to_json_value(&f64::NAN).is_err());
/// # Ok::<(), kimera::Error>(())
/// ```
///
/// # Errors
///
/// This conversion can fail as [`to_vec`](crate::to_vec) can.
pub fn to_json_value<T: KimeraHandler + Serialize + ?Sized>(
    value: &T,
) -> Result<serde_json::Value> {
    Lossless(value)
        .serialize(serde_json::value::Serializer)
        .map_err(|err| {
            let path = encode_path(&Lossless(value), |tracked| {
                let _ = tracked.serialize(serde_json::value::Serializer);
            });
            encode_error::<T>(path, err).into()
        })
}

/// Decodes `bytes`, one JSON value and nothing after it, as a `T` under `limits`; on failure
/// decodes again to name the field path.
pub(crate) fn decode<'de, T>(bytes: &'de [u8], limits: &Limits, input: Input) -> Result<T>
where
    T: KimeraHandler + Deserialize<'de>,
{
    if bytes.len() as u64 > limits.max_size {
        return Err(Limit::Size.exceeded(limits.max_size).into());
    }
    let guard = Guard::new(limits, bytes.len());
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let err = match T::deserialize(guard.deserializer(&mut de)) {
        Ok(value) => match de.end() {
            Ok(()) => return Ok(value),
            Err(err) => {
                let after = bytes.len() - byte_offset(bytes, err.line(), err.column());
                let message = format!("{after} bytes follow the JSON value");
                return Err(data_error::<T>(".", message).into());
            }
        },
        Err(err) => err,
    };
    if let Some(kind) = guard.exceeded() {
        return Err(kind.into());
    }
    let err = match classify(bytes, err, input) {
        Ok(kimera) => return Err(kimera),
        Err(err) => err,
    };
    let guard = Guard::new(limits, bytes.len());
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let path = decode_path::<T>(|seed| {
        let _ = guard.seed(seed).deserialize(&mut de);
    });
    let hint = match input {
        Input::Value if has_kimera_key(bytes) == Some(true) => {
            " (the input is a Kimera envelope: read it with `kimera::json::from_str`)"
        }
        _ => "",
    };
    Err(data_error::<T>(path, format_args!("{err}{hint}")).into())
}

#[cfg(test)]
mod tests {
    use kimera_core::{ErrorKind, Limit, Limits};

    use super::{decode, from_plain_slice, Input};

    #[test]
    fn whole_input_errors_are_named_as_a_plain_value() {
        let kind = |bytes: &[u8]| from_plain_slice::<Vec<u8>>(bytes).unwrap_err().into_kind();
        assert!(matches!(
            kind(b"[1, 2"),
            ErrorKind::Truncated {
                context: "JSON value",
                offset: 5
            }
        ));
        let err = from_plain_slice::<std::collections::BTreeMap<String, u8>>(
            br#"{"kimera":1,"type":"map<str,u8>","version":1,"value":{}}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().ends_with(
                "(the input is a Kimera envelope: read it with `kimera::json::from_str`)"
            ),
            "{err}"
        );
        // And the other way: plain JSON read as an envelope.
        let err = crate::from_slice::<std::collections::BTreeMap<String, u8>>(br#"{"qty": 2}"#)
            .unwrap_err();
        assert!(
            err.to_string().ends_with(
                "(the object has no `kimera` key: JSON without an envelope is read with \
                 `kimera::json::from_plain_str`)"
            ),
            "{err}"
        );
        let err = from_plain_slice::<Vec<u8>>(b"[1] [2]").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid `list<u8>` v1 at the top level: 3 bytes follow the JSON value"
        );
        assert!(matches!(
            kind(br#"{"kimera":1,"type":"list<u8>","version":1,"value":[1]}"#),
            ErrorKind::Data { .. }
        ));
    }

    #[test]
    fn the_limits_apply() {
        let nested = b"[[[[1]]]]";
        let limits = Limits::default().with_max_depth(3);
        let err = decode::<Vec<Vec<Vec<Vec<u8>>>>>(nested, &limits, Input::Value).unwrap_err();
        assert!(matches!(
            err.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::Depth,
                max: 3
            }
        ));
        let err =
            decode::<u8>(b"1    ", &Limits::default().with_max_size(4), Input::Value).unwrap_err();
        assert!(matches!(
            err.kind(),
            ErrorKind::LimitExceeded {
                limit: Limit::Size,
                max: 4
            }
        ));
    }
}
