//! Smart pointers, references and wrappers serde writes as their contents: transparent, they
//! carry the identity of what they hold.

use std::borrow::{Cow, ToOwned};
use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::num::{Saturating, Wrapping};
use std::rc::Rc;
use std::sync::{Arc, Mutex, RwLock};

use crate::{Alias, KimeraHandler, Schema};

macro_rules! transparent_handlers {
    ($($ty:ty $(where T: $bound:path)?),* $(,)?) => {$(
        impl<'a, T: KimeraHandler $(+ $bound)? + ?Sized + 'a> KimeraHandler for $ty {
            const VERSION: u32 = T::VERSION;
            const SCHEMA: &'static Schema = T::SCHEMA;
            const REFERENCE: &'static Schema = T::REFERENCE;
            const FINGERPRINT: u64 = T::FINGERPRINT;
            const DECODE_BOUND: Option<crate::DecodeBound> = T::DECODE_BOUND;
            const BINARY_INCOMPATIBILITY: Option<&'static str> = T::BINARY_INCOMPATIBILITY;
            const ALIASES: &'static [Alias] = T::ALIASES;
        }
    )*};
}

transparent_handlers!(&'a T, &'a mut T, Box<T>, Rc<T>, Arc<T>, Cow<'a, T> where T: ToOwned);
// Serde writes a cell's or a lock's contents (a borrowed `RefCell` or a poisoned lock is an
// encode error), and a number wrapper's number.
transparent_handlers!(Cell<T> where T: Copy, RefCell<T>, Mutex<T>, RwLock<T>);
transparent_handlers!(Wrapping<T> where T: Sized, Saturating<T> where T: Sized, Reverse<T> where T: Sized);

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::sync::Arc;

    use crate::KimeraHandler;

    #[test]
    fn pointers_are_transparent() {
        assert_eq!(<Box<str>>::type_name(), "str");
        assert_eq!(<Cow<'static, str>>::type_name(), "str");
        assert_eq!(<Arc<Vec<u8>>>::FINGERPRINT, <Vec<u8>>::FINGERPRINT);
        assert_eq!(<Box<[u8]>>::type_name(), "list<u8>");
        assert_eq!(<std::sync::Mutex<u8>>::FINGERPRINT, u8::FINGERPRINT);
        assert_eq!(<std::num::Wrapping<u8>>::type_name(), "u8");
    }
}
