//! A serde `Serializer` adapter that refuses values JSON would silently change.
//!
//! serde_json writes NaN and ±infinity as `null`, and writes `Some(None)`, `Some(())` and
//! `None` all as `null`: each reads back as a different value. Kimera refuses them at encode
//! time instead (the field path is added by the caller, on the error path only).
//!
//! Every method is `#[inline]`, as serde_json's own are: without it the forwarding calls stay
//! calls across codegen units, which cost ~5% of encoding 10,000 log records.

use std::fmt::Display;

use serde::ser::{
    self, Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant,
    SerializeTuple, SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// `value`, serialized through the lossless check.
pub(crate) struct Lossless<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: Serialize + ?Sized> Serialize for Lossless<'_, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Checked {
            inner: serializer,
            in_some: false,
        })
    }
}

const NON_FINITE: &str = "JSON has no NaN or infinity (serde_json would write null); \
                          use the binary backend or keep the float finite";
const NULL_IN_SOME: &str = "Some of a value JSON writes as null (None, () or a unit struct) \
                            would read back as None; use an enum or the binary backend";

struct Checked<S> {
    inner: S,
    /// Set directly under `Some`: a `null` here would read back as `None`.
    in_some: bool,
}

struct Compound<C> {
    inner: C,
}

impl<S: Serializer> Checked<S> {
    #[inline]
    fn refuse_null(&self) -> Result<(), S::Error> {
        if self.in_some {
            return Err(ser::Error::custom(NULL_IN_SOME));
        }
        Ok(())
    }
}

#[inline]
fn finite<E: ser::Error>(finite: bool) -> Result<(), E> {
    if finite {
        Ok(())
    } else {
        Err(E::custom(NON_FINITE))
    }
}

macro_rules! forward_scalars {
    ($($method:ident($ty:ty);)*) => {$(
        #[inline]
        fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
            self.inner.$method(v)
        }
    )*};
}

impl<S: Serializer> Serializer for Checked<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<S::SerializeSeq>;
    type SerializeTuple = Compound<S::SerializeTuple>;
    type SerializeTupleStruct = Compound<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<S::SerializeTupleVariant>;
    type SerializeMap = Compound<S::SerializeMap>;
    type SerializeStruct = Compound<S::SerializeStruct>;
    type SerializeStructVariant = Compound<S::SerializeStructVariant>;

    forward_scalars! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
    }

    #[inline]
    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        finite(v.is_finite())?;
        self.inner.serialize_f32(v)
    }

    #[inline]
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        finite(v.is_finite())?;
        self.inner.serialize_f64(v)
    }

    #[inline]
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.refuse_null()?;
        self.inner.serialize_none()
    }

    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(&InSome(value))
    }

    #[inline]
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.refuse_null()?;
        self.inner.serialize_unit()
    }

    #[inline]
    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.refuse_null()?;
        self.inner.serialize_unit_struct(name)
    }

    #[inline]
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, index, variant)
    }

    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        // JSON writes a newtype as its content, so a null inside still reads back as None.
        if self.in_some {
            self.inner.serialize_newtype_struct(name, &InSome(value))
        } else {
            self.inner.serialize_newtype_struct(name, &Lossless(value))
        }
    }

    #[inline]
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_newtype_variant(name, index, variant, &Lossless(value))
    }

    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_seq(len)?,
        })
    }

    #[inline]
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_tuple(len)?,
        })
    }

    #[inline]
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_tuple_struct(name, len)?,
        })
    }

    #[inline]
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        Ok(Compound {
            inner: self
                .inner
                .serialize_tuple_variant(name, index, variant, len)?,
        })
    }

    #[inline]
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_map(len)?,
        })
    }

    #[inline]
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_struct(name, len)?,
        })
    }

    #[inline]
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        Ok(Compound {
            inner: self
                .inner
                .serialize_struct_variant(name, index, variant, len)?,
        })
    }

    #[inline]
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.collect_str(value)
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// The content of a `Some`.
struct InSome<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> Serialize for InSome<'_, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Checked {
            inner: serializer,
            in_some: true,
        })
    }
}

macro_rules! compound {
    ($($trait:ident { $($method:ident($($arg:ident: $ty:ty),*);)* })*) => {$(
        impl<C: $trait> $trait for Compound<C> {
            type Ok = C::Ok;
            type Error = C::Error;

            $(
                #[inline]
                fn $method<T: Serialize + ?Sized>(&mut self, $($arg: $ty,)* value: &T) -> Result<(), C::Error> {
                    self.inner.$method($($arg,)* &Lossless(value))
                }
            )*

            #[inline]
            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    )*};
}

compound! {
    SerializeSeq { serialize_element(); }
    SerializeTuple { serialize_element(); }
    SerializeTupleStruct { serialize_field(); }
    SerializeTupleVariant { serialize_field(); }
    SerializeStruct { serialize_field(key: &'static str); }
    SerializeStructVariant { serialize_field(key: &'static str); }
}

impl<C: SerializeMap> SerializeMap for Compound<C> {
    type Ok = C::Ok;
    type Error = C::Error;

    #[inline]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        self.inner.serialize_key(&Lossless(key))
    }

    #[inline]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner.serialize_value(&Lossless(value))
    }

    #[inline]
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

#[cfg(test)]
mod tests {
    use super::Lossless;

    fn encode<T: serde::Serialize>(value: &T) -> Result<String, String> {
        serde_json::to_string(&Lossless(value)).map_err(|e| e.to_string())
    }

    #[test]
    fn refuses_what_json_would_change() {
        assert!(encode(&f64::NAN).unwrap_err().contains("NaN"));
        assert!(encode(&vec![1.0, f64::INFINITY]).is_err());
        assert!(encode(&Some(f32::NEG_INFINITY)).is_err());
        assert!(encode(&Some(None::<u8>)).unwrap_err().contains("None"));
        assert!(encode(&Some(())).is_err());
        let map: std::collections::BTreeMap<String, Option<Option<u8>>> =
            [("a".to_string(), Some(None))].into();
        assert!(encode(&map).is_err());
    }

    #[test]
    fn passes_what_json_keeps() {
        assert_eq!(encode(&Some(Some(1u8))).unwrap(), "1");
        assert_eq!(encode(&None::<Option<u8>>).unwrap(), "null");
        assert_eq!(encode(&Some(vec![None::<u8>])).unwrap(), "[null]");
        assert_eq!(encode(&(1.5f32, "x")).unwrap(), r#"[1.5,"x"]"#);
    }
}
