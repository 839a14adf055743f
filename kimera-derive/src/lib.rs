//! `#[derive(Kimera)]`: generates a type's `KimeraHandler` (name, version, schema, fingerprint).
//!
//! Use it through the `kimera` crate, which re-exports it and documents its attributes.
#![deny(missing_docs)]

mod attr;
mod expand;

use proc_macro::TokenStream;

/// Derives `kimera::KimeraHandler`. See the `kimera` crate's documentation of `Kimera`.
#[proc_macro_derive(Kimera, attributes(kimera))]
pub fn derive_kimera(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
