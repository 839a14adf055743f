//! bincode's errors as sentences: their `Display` is their `Debug` text
//! (`Serde(AnyNotSupported)`), which says nothing to a user.

use bincode::error::{DecodeError, EncodeError, IntegerType};
use bincode::serde::{DecodeError as SerdeDecode, EncodeError as SerdeEncode};

/// What went wrong while decoding a body.
pub(crate) fn decode(err: &DecodeError) -> String {
    match err {
        DecodeError::UnexpectedEnd { additional } => {
            format!("the body ends {additional} bytes before the value does")
        }
        DecodeError::InvalidIntegerType { expected, found } => format!(
            "expected {}, found the encoding of {}",
            integer(expected),
            integer(found)
        ),
        DecodeError::NonZeroTypeIsZero { non_zero_type } => {
            format!("found zero for a non-zero {}", integer(non_zero_type))
        }
        DecodeError::UnexpectedVariant {
            type_name, found, ..
        } => format!("`{type_name}` has no variant number {found}"),
        DecodeError::Utf8 { inner } => format!("a string is not valid UTF-8 ({inner})"),
        DecodeError::InvalidCharEncoding(bytes) => {
            format!("the bytes {bytes:02x?} are not a valid UTF-8 char")
        }
        DecodeError::InvalidBooleanValue(byte) => {
            format!("expected a boolean (0 or 1), found the byte {byte}")
        }
        DecodeError::ArrayLengthMismatch { required, found } => {
            format!("expected an array of {required} elements, found {found}")
        }
        DecodeError::OutsideUsizeRange(n) => {
            format!("the length {n} does not fit in this platform's memory")
        }
        DecodeError::OtherString(message) => message.clone(),
        DecodeError::Other(message) => (*message).to_owned(),
        DecodeError::Io { inner, .. } => format!("reading failed: {inner}"),
        DecodeError::Serde(serde) => match serde {
            SerdeDecode::AnyNotSupported
            | SerdeDecode::IdentifierNotSupported
            | SerdeDecode::IgnoredAnyNotSupported => "the type's Deserialize asks the format \
                what comes next (serde's `deserialize_any`), which the binary format cannot \
                tell; its schema should have said so, so this is a handler that describes its \
                type wrongly"
                .to_owned(),
            SerdeDecode::CannotBorrowOwnedData => {
                "the type borrows data the binary format cannot lend".to_owned()
            }
            _ => "the body is not a valid value of the type".to_owned(),
        },
        _ => "the body is not a valid value of the type".to_owned(),
    }
}

/// What went wrong while encoding a body.
pub(crate) fn encode(err: &EncodeError) -> String {
    match err {
        EncodeError::OtherString(message) => message.clone(),
        EncodeError::Other(message) => (*message).to_owned(),
        EncodeError::RefCellAlreadyBorrowed { type_name, .. } => {
            format!("a `{type_name}` is mutably borrowed")
        }
        EncodeError::LockFailed { type_name } => format!("a `{type_name}` lock is poisoned"),
        EncodeError::InvalidPathCharacters => "a path is not valid UTF-8".to_owned(),
        EncodeError::InvalidSystemTime { .. } => {
            "a `SystemTime` is before the Unix epoch".to_owned()
        }
        EncodeError::Io { inner, .. } => format!("writing failed: {inner}"),
        EncodeError::Serde(SerdeEncode::SequenceMustHaveLength) => "a sequence or map does \
            not say its length before its elements (a `Serialize` impl passed `None` to \
            `serialize_seq` or `serialize_map`), which the binary format needs"
            .to_owned(),
        _ => "the value cannot be written in the binary format".to_owned(),
    }
}

fn integer(ty: &IntegerType) -> &'static str {
    match ty {
        IntegerType::U8 => "a u8",
        IntegerType::U16 => "a u16",
        IntegerType::U32 => "a u32",
        IntegerType::U64 | IntegerType::Usize => "a u64",
        IntegerType::U128 => "a u128",
        IntegerType::I8 => "an i8",
        IntegerType::I16 => "an i16",
        IntegerType::I32 => "an i32",
        IntegerType::I64 | IntegerType::Isize => "an i64",
        IntegerType::I128 => "an i128",
        _ => "an integer of an unknown width",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_debug_text() {
        let any = DecodeError::Serde(SerdeDecode::AnyNotSupported);
        assert!(!decode(&any).contains("AnyNotSupported"));
        let end = DecodeError::UnexpectedEnd { additional: 3 };
        assert_eq!(decode(&end), "the body ends 3 bytes before the value does");
        let int = DecodeError::InvalidIntegerType {
            expected: IntegerType::U16,
            found: IntegerType::U64,
        };
        assert_eq!(decode(&int), "expected a u16, found the encoding of a u64");
    }
}
