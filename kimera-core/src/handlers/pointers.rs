//! Smart pointers and references: transparent, they carry the identity of what they point to.

use std::borrow::{Cow, ToOwned};
use std::rc::Rc;
use std::sync::Arc;

use crate::{Alias, KimeraHandler, Schema};

macro_rules! transparent_handlers {
    ($($ty:ty $(where T: $bound:path)?),* $(,)?) => {$(
        impl<'a, T: KimeraHandler $(+ $bound)? + ?Sized + 'a> KimeraHandler for $ty {
            const VERSION: u32 = T::VERSION;
            const SCHEMA: &'static Schema = T::SCHEMA;
            const REFERENCE: &'static Schema = T::REFERENCE;
            const FINGERPRINT: u64 = T::FINGERPRINT;
            const BINARY_INCOMPATIBILITY: Option<&'static str> = T::BINARY_INCOMPATIBILITY;
            const ALIASES: &'static [Alias] = T::ALIASES;
        }
    )*};
}

transparent_handlers!(&'a T, &'a mut T, Box<T>, Rc<T>, Arc<T>, Cow<'a, T> where T: ToOwned);

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
    }
}
