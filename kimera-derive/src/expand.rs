//! The generated `KimeraHandler` impl: schema, reference and binary compatibility, read from
//! the serde attributes the way serde reads them (`serde_derive_internals`).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use serde_derive_internals::ast::{Container, Data, Field, Style, Variant};
use serde_derive_internals::attr::TagType;
use serde_derive_internals::{Ctxt, Derive};
use syn::spanned::Spanned;
use syn::{DeriveInput, GenericParam, Ident, LitStr, Type};

use crate::attr;

pub fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    if let syn::Data::Union(union) = &input.data {
        return Err(syn::Error::new_spanned(
            union.union_token,
            "#[derive(Kimera)] supports structs and enums, as serde does; a union has no serde shape",
        ));
    }
    let kimera = attr::Container::parse(&input.attrs)?;
    let cx = Ctxt::new();
    let container = Container::from_ast(&cx, input, Derive::Serialize);
    // Malformed serde attributes leave no shape to describe. Serde's derive reports them too,
    // so they may show twice; reporting nothing would be worse where serde's derive is absent.
    cx.check()?;
    let container =
        container.ok_or_else(|| syn::Error::new(Span::call_site(), "unsupported item"))?;
    Expander::new(&container, kimera)?.expand()
}

/// Why most binary-incompatible attributes are: serde reads them by asking the format what
/// comes next.
const NEEDS_ANY: &str =
    "needs a self-describing format (serde's `deserialize_any`), which bincode is not";

/// The ways to give a field whose shape Kimera cannot see a shape the binary backend can read.
const DECLARE_SHAPE: &str = "Declare the field's shape: turn on the Kimera feature named after \
    the type's crate if it has one (`uuid`, `url`, `time`, ...), name a handled type that serde \
    writes the same way in every format with `#[kimera(with = T)]`, or implement \
    `KimeraHandler` for the type; or use the JSON backend for this type.";

/// What the derive was asked for: the container and its `#[kimera]` attributes. Describing the
/// type reads it and returns what it found; nothing is filled in as a side effect.
struct Expander<'a> {
    container: &'a Container<'a>,
    krate: syn::Path,
    name: String,
    version: u32,
    /// The type of the version before this one (`#[kimera(previous = OrderV2)]`).
    previous: Option<Type>,
    /// Where `name = "..."` was given, for duplicate-name errors; `None` for a default name.
    name_span: Option<Span>,
    register: bool,
    aliases: Vec<String>,
    alias_spans: Vec<Span>,
    /// `#[kimera(bound = "...")]`: the impl's where-predicates, instead of inferred ones.
    bound: Option<Vec<syn::WherePredicate>>,
}

/// A field as the schema sees it.
struct SchemaField<'a> {
    field: &'a Field<'a>,
    attrs: attr::Field,
}

/// A part of the type's schema (the shape, a variant's fields, one field) as tokens, with the
/// facts about it that the impl's other constants are built from.
struct Described {
    schema: TokenStream,
    facts: Facts,
}

impl Described {
    fn new(schema: TokenStream, facts: Facts) -> Self {
        Described { schema, facts }
    }
}

/// What describing a part of the type found besides its schema. Parts combine with
/// [`Facts::and`] in the order serde writes them, which is the order of the schema's children.
#[derive(Default)]
struct Facts {
    /// Why the type's own serde attributes rule out the binary backend: the first reason found.
    incompatibility: Option<String>,
    /// The schema's children (fields, variant by variant), in order.
    children: Vec<Child>,
    /// Whether serde may read more than the schema describes (then the type has no decode
    /// bound): a variant read but never written, a field read by another type's impl.
    reads_beyond_schema: bool,
    /// Compile-time checks of the fields, emitted beside the impl.
    checks: Vec<TokenStream>,
    /// The types whose handlers the impl uses: the ones that need the type parameters they
    /// name to have handlers.
    handled_types: Vec<Type>,
}

/// One child of the schema: how it enters the type's fingerprint, decode bound and binary check.
struct Child {
    fingerprint: TokenStream,
    bound: TokenStream,
    /// Its binary-compatibility constant; `None` for children that do not check one (recursive
    /// fields, which enter by reference, and opaque ones, refused by the type itself).
    incompatibility: Option<TokenStream>,
    /// Hashed by reference: a field that refers back to the type being defined.
    by_reference: bool,
}

impl Facts {
    fn incompatible(message: String) -> Self {
        Facts {
            incompatibility: Some(message),
            ..Facts::default()
        }
    }

    fn reads_beyond_schema(reads: bool) -> Self {
        Facts {
            reads_beyond_schema: reads,
            ..Facts::default()
        }
    }

    /// `self`, then `other`.
    fn and(mut self, other: Facts) -> Self {
        self.incompatibility = self.incompatibility.or(other.incompatibility);
        self.children.extend(other.children);
        self.reads_beyond_schema |= other.reads_beyond_schema;
        self.checks.extend(other.checks);
        self.handled_types.extend(other.handled_types);
        self
    }
}

/// For `unzip`: the facts of a list of fields, in order.
impl Extend<Facts> for Facts {
    fn extend<I: IntoIterator<Item = Facts>>(&mut self, iter: I) {
        for facts in iter {
            *self = std::mem::take(self).and(facts);
        }
    }
}

impl<'a> Expander<'a> {
    fn new(container: &'a Container<'a>, kimera: attr::Container) -> syn::Result<Self> {
        let (name, name_span) = match &kimera.name {
            Some(lit) => (lit.value(), Some(lit.span())),
            None => (container.ident.to_string(), None),
        };
        if let Some(alias) = kimera.aliases.iter().find(|a| a.value() == name) {
            return Err(syn::Error::new(
                alias.span(),
                format_args!("`{name}` is this type's own name; an alias is a former name"),
            ));
        }
        if let Some(previous) = &kimera.previous {
            if !container.generics.params.is_empty() {
                return Err(syn::Error::new(
                    previous.span(),
                    "`previous` is supported on types without generic parameters; migrate a \
                     generic type by converting its values after decoding",
                ));
            }
        }
        Ok(Expander {
            container,
            krate: kimera.krate,
            name,
            version: kimera.version,
            previous: kimera.previous,
            name_span,
            register: kimera.register,
            alias_spans: kimera.aliases.iter().map(LitStr::span).collect(),
            aliases: kimera.aliases.iter().map(LitStr::value).collect(),
            bound: kimera.bound,
        })
    }

    fn expand(&self) -> syn::Result<TokenStream> {
        let p = self.private();
        let Described {
            schema: shape,
            facts,
        } = self.shape()?;
        let name = &self.name;
        let version = self.version;
        // The parameters the written fields use: the others (in `PhantomData`, in skipped
        // fields) change nothing in the bytes, so neither the name nor the bounds hold them.
        let used = self.used_type_params(&facts.handled_types);
        let params = used
            .iter()
            .map(|ident| quote!(<#ident as #p::KimeraHandler>::REFERENCE));
        let params = quote!(&[#(#params),*]);
        let own = match &facts.incompatibility {
            Some(message) => quote!(::core::option::Option::Some(#message)),
            None => quote!(::core::option::Option::None),
        };
        let fields = facts
            .children
            .iter()
            .filter_map(|c| c.incompatibility.as_ref());
        let nested: Vec<_> = facts.children.iter().map(|c| &c.fingerprint).collect();
        let decode_bound = match facts.reads_beyond_schema {
            true => quote!(::core::option::Option::None),
            false => {
                let bounds = facts.children.iter().map(|c| &c.bound);
                quote!(Self::SCHEMA.decode_bound_with(&[#(#bounds),*]))
            }
        };
        let by_reference = (0u32..)
            .zip(&facts.children)
            .filter_map(|(i, c)| c.by_reference.then_some(i));

        let ident = &self.container.ident;
        let mut generics = self.container.generics.clone();
        match &self.bound {
            Some(predicates) => generics
                .make_where_clause()
                .predicates
                .extend(predicates.iter().cloned()),
            None => {
                for param in generics.type_params_mut() {
                    if used.contains(&param.ident) {
                        param.bounds.push(syn::parse_quote!(#p::KimeraHandler));
                    }
                }
            }
        }
        let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
        let aliases = self
            .aliases
            .iter()
            .map(|alias| quote!(#p::Alias::of(#alias, Self::SCHEMA, &[#(#nested),*])));
        // A default name is only the identifier: envelopes carry where the type is defined, so
        // that two types sharing it do not read each other's values.
        let origin = match self.name_span {
            Some(_) => quote!(::core::option::Option::None),
            None => {
                let ident = ident.to_string();
                quote! {
                    ::core::option::Option::Some(::core::concat!(::core::module_path!(), "::", #ident))
                }
            }
        };
        let (migrate, chain_checks) = self.migration();
        let registration = self.registration();
        let checks = &facts.checks;
        Ok(quote! {
            #chain_checks
            #registration
            #(#checks)*

            #[automatically_derived]
            impl #impl_generics #p::KimeraHandler for #ident #ty_generics #where_clause {
                const VERSION: u32 = #version;
                const SCHEMA: &'static #p::Schema = &#p::Schema::Type(
                    &#p::TypeDef::new(#name, #version, #shape)
                        .with_params(#params)
                        .with_origin(#origin)
                        .with_by_reference(&[#(#by_reference),*]),
                );
                const REFERENCE: &'static #p::Schema = &#p::Schema::Named(
                    &#p::TypeRef::new(#name, #version, #p::schema_of::<Self>)
                        .with_params(#params)
                        .with_origin(#origin),
                );
                const FINGERPRINT: u64 = Self::SCHEMA.fingerprint_with(&[#(#nested),*]);
                const DECODE_BOUND: ::core::option::Option<#p::DecodeBound> = #decode_bound;
                const BINARY_INCOMPATIBILITY: ::core::option::Option<&'static str> =
                    #p::first_incompatibility(&[#own #(, #fields)*]);
                const ALIASES: &'static [#p::Alias] = &[#(#aliases),*];
                #migrate
            }
        })
    }

    /// With `previous = P`: the `migrate` method walking the chain through `P`, and the
    /// compile-time checks that `P` is an older version of the same type.
    fn migration(&self) -> (TokenStream, TokenStream) {
        let Some(previous) = &self.previous else {
            return (TokenStream::new(), TokenStream::new());
        };
        let p = self.private();
        let (name, version, aliases) = (&self.name, self.version, &self.aliases);
        let prev = type_text(previous);
        let older = format!(
            "`previous = {prev}`: `{prev}` must be an older version of `{name}`, but its \
             version is not below {version}; give each version of the chain its own, smaller \
             number"
        );
        let other = format!(
            "`previous = {prev}`: `{prev}` is not named `{name}` (nor one of its aliases), and a \
             migration chain links versions of one type: give it \
             `#[kimera(name = \"{name}\", version = N)]`"
        );
        let span = previous.span();
        let handler = quote_spanned!(span=> <#previous as #p::KimeraHandler>);
        let checks = quote_spanned! {span=>
            const _: () = {
                ::core::assert!(#handler::VERSION < #version, #older);
                ::core::assert!(#p::names_one_of(#handler::REFERENCE, #name, &[#(#aliases),*]), #other);
            };
        };
        let migrate = quote_spanned! {span=>
            fn migrate<'de, O: #p::Older<'de>>(older: O) -> #p::Result<Self> {
                let version = #p::Older::version(&older);
                let previous: #previous = match ::core::cmp::Ord::cmp(&version, &#handler::VERSION) {
                    ::core::cmp::Ordering::Equal => #p::Older::decode::<#previous>(older)?,
                    ::core::cmp::Ordering::Less => #handler::migrate(older)?,
                    ::core::cmp::Ordering::Greater => {
                        return ::core::result::Result::Err(#p::no_migration::<Self>(version));
                    }
                };
                // Parenthesized so that a missing `From`/`TryFrom` is reported at `previous`.
                (#p::upgrade::<#previous, Self>)(previous)
            }
        };
        (migrate, checks)
    }

    /// Registers a type without generic parameters with the registry, and claims its
    /// explicit name and its aliases, at its version, within the crate: a second type claiming
    /// one of them defines the same hidden macro, which the compiler reports at both names.
    /// Default names (the type's identifier) are not claimed: types of one identifier in two
    /// modules are common, and are told apart by `registry::check` if both are registered.
    fn registration(&self) -> TokenStream {
        if !self.register {
            return TokenStream::new();
        }
        let krate = &self.krate;
        let version = self.version;
        let name = self.name_span.map(|span| (&self.name, span));
        let claims = name
            .into_iter()
            .chain(self.aliases.iter().zip(self.alias_spans.iter().copied()))
            .map(|(name, span)| {
                let claim = format!("kimera_name_{}_v{version}_claimed_twice", mangle(name));
                let claim = Ident::new(&claim, span);
                quote_spanned! {span=>
                    // Types defined inside functions claim their names crate-wide too.
                    #[allow(non_local_definitions)]
                    const _: () = {
                        #[doc(hidden)]
                        #[macro_export]
                        macro_rules! #claim { () => {} }
                    };
                }
            });
        let register = self.container.generics.params.is_empty().then(|| {
            let ident = &self.container.ident;
            match &self.previous {
                Some(previous) => quote!(#krate::__private::register!(
                    ::core::option::Option::Some(#krate::__private::Previous::of::<#previous>());
                    #ident
                );),
                None => quote!(#krate::__private::register!(::core::option::Option::None; #ident);),
            }
        });
        quote!(#(#claims)* #register)
    }

    /// The type parameters that the types whose handlers the impl uses name, outside
    /// `PhantomData`, in declaration order: the ones in the type's name, and the ones bounded
    /// (unless `#[kimera(bound)]` says otherwise).
    fn used_type_params(&self, handled_types: &[Type]) -> Vec<Ident> {
        self.container
            .generics
            .type_params()
            .map(|param| &param.ident)
            .filter(|ident| {
                handled_types
                    .iter()
                    .any(|ty| mentions_outside_phantom(ty.to_token_stream(), ident))
            })
            .cloned()
            .collect()
    }

    fn shape(&self) -> syn::Result<Described> {
        let p = self.private();
        let attrs = &self.container.attrs;
        // serde reads another type than the one it writes, or than the fields say.
        let converts = Facts::reads_beyond_schema(
            attrs.type_into().is_some()
                || attrs.type_from().is_some()
                || attrs.type_try_from().is_some(),
        );
        if let Some(into) = attrs.type_into() {
            // `#[serde(into = "T")]`: serde writes a T.
            let Described { schema, facts } = self.type_schema(into, &attr::Field::default());
            return Ok(Described::new(
                quote!(#p::Shape::Transparent(#schema)),
                converts.and(facts),
            ));
        }
        match &self.container.data {
            Data::Struct(style, fields) => {
                let (fields, found) = self.schema_fields(fields)?;
                let facts = converts.and(found);
                if attrs.transparent() {
                    let field = fields.iter().find(|f| !f.field.attrs.skip_serializing());
                    let Described {
                        schema,
                        facts: more,
                    } = match field {
                        Some(f) => self.field_schema(f, false),
                        None => Described::new(quote!(&#p::Schema::Unit), Facts::default()),
                    };
                    return Ok(Described::new(
                        quote!(#p::Shape::Transparent(#schema)),
                        facts.and(more),
                    ));
                }
                let Described {
                    schema: fields,
                    facts: more,
                } = self.fields(*style, &fields, false);
                let facts = facts.and(more);
                if let TagType::Internal { tag } = attrs.tag() {
                    let ident = &self.container.ident;
                    let tagged = self.incompatible(
                        format!("`#[serde(tag = \"{tag}\")]` on struct `{ident}`"),
                        "writes a tag field that serde skips when reading, which only a \
                         self-describing format can do",
                    );
                    let name = attrs.name().serialize_name();
                    return Ok(Described::new(
                        quote!(#p::Shape::TaggedStruct { tag: #tag, name: #name, fields: #fields }),
                        facts.and(tagged),
                    ));
                }
                Ok(Described::new(quote!(#p::Shape::Struct(#fields)), facts))
            }
            Data::Enum(variants) => {
                let Described { schema, facts } = self.enum_shape(variants)?;
                Ok(Described::new(schema, converts.and(facts)))
            }
        }
    }

    fn enum_shape(&self, variants: &[Variant<'_>]) -> syn::Result<Described> {
        let p = self.private();
        let ident = self.container.ident.to_string();
        let (repr, mut facts) = match self.container.attrs.tag() {
            TagType::External => (quote!(#p::EnumRepr::External), Facts::default()),
            TagType::Internal { tag } => (
                quote!(#p::EnumRepr::Internal { tag: #tag }),
                self.incompatible(
                    format!("`#[serde(tag = \"{tag}\")]` (internally tagged enum `{ident}`)"),
                    NEEDS_ANY,
                ),
            ),
            TagType::Adjacent { tag, content } => (
                quote!(#p::EnumRepr::Adjacent { tag: #tag, content: #content }),
                self.incompatible(
                    format!(
                        "`#[serde(tag = \"{tag}\", content = \"{content}\")]` (adjacently tagged enum `{ident}`)"
                    ),
                    NEEDS_ANY,
                ),
            ),
            TagType::None => (
                quote!(#p::EnumRepr::Untagged),
                self.incompatible(format!("`#[serde(untagged)]` on enum `{ident}`"), NEEDS_ANY),
            ),
        };
        if let Some(variant) = misindexed_variant(variants) {
            let which = if variant.attrs.skip_serializing() {
                "skip"
            } else {
                "skip_deserializing"
            };
            facts = facts.and(self.incompatible(
                format!("`#[serde({which})]` on variant `{}`", variant.ident),
                "makes serde number the variants differently when writing and when reading, and \
                 bincode carries only the number",
            ));
        }
        let mut out = Vec::new();
        for variant in variants {
            attr::reject(&variant.original.attrs, "an enum variant")?;
            if variant.attrs.skip_serializing() {
                // Never written, so not in the schema; but read if serde reads it.
                facts = facts.and(Facts::reads_beyond_schema(
                    !variant.attrs.skip_deserializing(),
                ));
                continue;
            }
            let untagged = variant.attrs.untagged();
            if untagged {
                facts = facts.and(self.incompatible(
                    format!("`#[serde(untagged)]` on variant `{}`", variant.ident),
                    NEEDS_ANY,
                ));
            }
            let (fields, found) = self.schema_fields(&variant.fields)?;
            let variant_with = variant.attrs.serialize_with().is_some()
                || variant.attrs.deserialize_with().is_some();
            let Described {
                schema: fields,
                facts: more,
            } = self.fields(variant.style, &fields, variant_with);
            facts = facts.and(found).and(more);
            let name = variant.attrs.name().serialize_name();
            let aliases = variant
                .attrs
                .aliases()
                .iter()
                .filter(|alias| **alias != name);
            out.push(quote! {
                #p::Variant::new(#name, #fields)
                    .with_untagged(#untagged)
                    .with_aliases(&[#(#aliases),*])
            });
        }
        Ok(Described::new(
            quote!(#p::Shape::Enum { repr: #repr, variants: &[#(#out),*] }),
            facts,
        ))
    }

    /// The fields serde writes, with their kimera attributes, and the binary blockers among
    /// their serde attributes.
    fn schema_fields<'f>(
        &self,
        fields: &'f [Field<'f>],
    ) -> syn::Result<(Vec<SchemaField<'f>>, Facts)> {
        let mut out = Vec::new();
        let mut facts = Facts::default();
        for field in fields {
            let attrs = attr::Field::parse(&field.original.attrs)?;
            let (ser, de) = (
                field.attrs.skip_serializing(),
                field.attrs.skip_deserializing(),
            );
            let name = field_label(field);
            if ser != de {
                let which = if ser {
                    "skip_serializing"
                } else {
                    "skip_deserializing"
                };
                facts = facts.and(self.incompatible(
                    format!("`#[serde({which})]` on field `{name}`"),
                    "makes serde read a different shape than it writes, which only a \
                     self-describing format can tolerate",
                ));
            }
            if ser {
                continue;
            }
            if field.attrs.flatten() {
                facts = facts.and(
                    self.incompatible(format!("`#[serde(flatten)]` on field `{name}`"), NEEDS_ANY),
                );
            }
            if field.attrs.skip_serializing_if().is_some() {
                facts = facts.and(self.incompatible(
                    format!("`#[serde(skip_serializing_if)]` on field `{name}`"),
                    NEEDS_ANY,
                ));
            }
            out.push(SchemaField { field, attrs });
        }
        Ok((out, facts))
    }

    /// `variant_with`: the variant has `#[serde(with)]`, so serde writes its fields with the
    /// user's functions and their types say nothing of their shape.
    fn fields(&self, style: Style, fields: &[SchemaField<'_>], variant_with: bool) -> Described {
        let p = self.private();
        match style {
            Style::Unit => Described::new(quote!(#p::Fields::Unit), Facts::default()),
            Style::Newtype => match fields.first() {
                Some(f) => {
                    let Described { schema, facts } = self.field_schema(f, variant_with);
                    Described::new(quote!(#p::Fields::Newtype(#schema)), facts)
                }
                None => Described::new(quote!(#p::Fields::Unit), Facts::default()),
            },
            Style::Tuple => {
                let (schemas, facts): (Vec<_>, Facts) = fields
                    .iter()
                    .map(|f| {
                        let Described { schema, facts } = self.field_schema(f, variant_with);
                        (schema, facts)
                    })
                    .unzip();
                Described::new(quote!(#p::Fields::Tuple(&[#(#schemas),*])), facts)
            }
            Style::Struct => {
                let (fields, facts): (Vec<_>, Facts) = fields
                    .iter()
                    .map(|f| {
                        let Described { schema, facts } = self.field_schema(f, variant_with);
                        let name = f.field.attrs.name().serialize_name();
                        // `#[serde(default)]` on the struct gives every field its default.
                        let default = !f.field.attrs.default().is_none()
                            || !self.container.attrs.default().is_none();
                        let flatten = f.field.attrs.flatten();
                        let skip_if = f.field.attrs.skip_serializing_if().is_some();
                        // Every name serde reads the field under besides the one it writes.
                        let aliases = f
                            .field
                            .attrs
                            .aliases()
                            .iter()
                            .filter(|alias| **alias != name);
                        let field = quote! {
                            #p::Field::new(#name, #schema).with_attrs(
                                #p::FieldAttrs::new()
                                    .with_default(#default)
                                    .with_flatten(#flatten)
                                    .with_skip_if(#skip_if)
                                    .with_aliases(&[#(#aliases),*]),
                            )
                        };
                        (field, facts)
                    })
                    .unzip();
                Described::new(quote!(#p::Fields::Named(&[#(#fields),*])), facts)
            }
        }
    }

    /// A field's schema: its type's reference, unless an attribute says otherwise.
    fn field_schema(&self, f: &SchemaField<'_>, variant_with: bool) -> Described {
        let attrs = &f.field.attrs;
        let label = field_label(f.field);
        // With serde's `with`, the field's type says nothing of its shape: `#[kimera(...)]`
        // describes the module's output, and is needed whatever the type.
        let serde_with = variant_with
            || attrs.serialize_with().is_some()
            || attrs
                .deserialize_with()
                .is_some_and(|path| !is_borrow_helper(path));
        if let Some(opaque) = &f.attrs.opaque {
            let check = match serde_with {
                true => Facts::default(),
                false => self.refuse_if_handled(f.field.ty, &label, "`#[kimera(opaque)]`", None),
            };
            let opaque_field = self.incompatible_with_fix(
                format!("`#[kimera(opaque)]` on field `{label}`"),
                "leaves the field's shape unknown, and bincode's bytes cannot be read back \
                 without it",
                DECLARE_SHAPE,
            );
            let Described { schema, facts } = self.opaque(opaque.as_deref().unwrap_or("opaque"));
            return Described::new(schema, check.and(opaque_field).and(facts));
        }
        if let Some(with) = &f.attrs.with {
            // `with = T` says what is written, not what the field's impl reads.
            let mut facts = Facts::reads_beyond_schema(true);
            if !serde_with {
                let what = format!("`#[kimera(with = {})]`", type_text(with));
                facts = facts.and(self.refuse_if_handled(f.field.ty, &label, &what, Some(with)));
            }
            let Described {
                schema,
                facts: more,
            } = self.type_schema(with, &f.attrs);
            return Described::new(schema, facts.and(more));
        }
        if serde_with {
            return self.with_module(f, &label);
        }
        self.type_schema(f.field.ty, &f.attrs)
    }

    /// A field written by `#[serde(with = "module")]`: the module's own description if it
    /// exports one (`kimera::compact` does), found by name resolution, so that however the
    /// module's path is spelled the schema is the same (see `kimera_core::with`).
    fn with_module(&self, f: &SchemaField<'_>, label: &str) -> Described {
        let p = self.private();
        let message = self.binary_message(
            &format!("`#[serde(with = ...)]` on field `{label}`"),
            "writes a shape Kimera cannot see, and bincode's bytes cannot be read back without \
             it",
            DECLARE_SHAPE,
        );
        let Some(module) = with_module_path(&f.field.attrs) else {
            let Described { schema, facts } = self.opaque("with");
            return Described::new(schema, Facts::incompatible(message).and(facts));
        };
        let ty = f.field.ty;
        let span = ty.span();
        let probe = quote! {{
            #[allow(unused_imports)]
            use #p::with_fallback::*;
            {
                #[allow(unused_imports)]
                use #module::*;
                __KIMERA_WITH
            }
        }};
        let child = Child {
            fingerprint: quote_spanned!(span=> #p::with_fingerprint::<#ty, _>(&#probe)),
            bound: quote_spanned! {span=>
                #p::Schema::decode_bound_with(#p::with_reference::<#ty, _>(&#probe), &[])
            },
            incompatibility: Some(
                quote_spanned!(span=> #p::with_incompatibility::<#ty, _>(&#probe, #message)),
            ),
            by_reference: false,
        };
        let facts = Facts {
            children: vec![child],
            handled_types: vec![ty.clone()],
            ..Facts::default()
        };
        Described::new(
            quote_spanned!(span=> #p::with_reference::<#ty, _>(&#probe)),
            facts,
        )
    }

    /// A compile-time check that `ty` has no handler: `#[kimera(with = T)]` or `opaque` on it
    /// would describe it differently from its handler (an `IpAddr` is no `String` in bincode).
    /// Types naming generic parameters are not checked: the check lives outside the impl.
    fn refuse_if_handled(&self, ty: &Type, label: &str, what: &str, with: Option<&Type>) -> Facts {
        let generics = &self.container.generics;
        let tokens = ty.to_token_stream();
        let generic = has_lifetime(tokens.clone())
            || generics.params.iter().any(|param| match param {
                GenericParam::Type(t) => mentions(tokens.clone(), &t.ident),
                GenericParam::Const(c) => mentions(tokens.clone(), &c.ident),
                GenericParam::Lifetime(_) => false,
            })
            || mentions(tokens, &self.container.ident);
        if generic {
            return Facts::default();
        }
        let p = self.private();
        let message = format!(
            "field `{label}` of `{}`: `{}` has a Kimera handler, which describes what serde \
             writes for it in each backend; {what} would describe it otherwise. Remove {what}.",
            self.container.ident,
            type_text(ty)
        );
        // `with` naming a type of the same shape (`u64` for a `usize`) is redundant, not wrong.
        let described = match with {
            Some(with) => {
                quote!(::core::option::Option::Some(<#with as #p::KimeraHandler>::FINGERPRINT))
            }
            None => quote!(::core::option::Option::None),
        };
        let check = quote_spanned! {ty.span()=>
            const _: () = {
                #[allow(unused_imports)]
                use #p::NoHandler as _;
                if #p::describes_otherwise(#p::HandlerProbe::<#ty>::FINGERPRINT, #described) {
                    ::core::panic!("{}", #message)
                }
            };
        };
        Facts {
            checks: vec![check],
            ..Facts::default()
        }
    }

    /// A child schema Kimera knows only by name.
    fn opaque(&self, name: &str) -> Described {
        let p = self.private();
        let schema = quote!(&#p::Schema::Opaque(#name));
        let child = Child {
            fingerprint: quote!(#p::Schema::fingerprint(#schema)),
            bound: quote!(::core::option::Option::None),
            incompatibility: None,
            by_reference: false,
        };
        Described::new(
            schema,
            Facts {
                children: vec![child],
                ..Facts::default()
            },
        )
    }

    /// `<ty as KimeraHandler>::REFERENCE`, spanned so a missing handler points at the type.
    fn type_schema(&self, ty: &Type, attrs: &attr::Field) -> Described {
        let p = self.private();
        let span = ty.span();
        let schema = quote_spanned!(span=> <#ty as #p::KimeraHandler>::REFERENCE);
        // Fields that refer back to the type being defined enter its fingerprint and binary
        // check by reference only: their full constants would be a cycle. `#[kimera(recursive)]`
        // does the same for mutually recursive types.
        let child = if attrs.recursive || mentions(ty.to_token_stream(), &self.container.ident) {
            Child {
                fingerprint: quote!(#p::Schema::fingerprint(#schema)),
                // Recursion: no bound, so values of the type are decoded under the guard.
                bound: quote!(::core::option::Option::None),
                incompatibility: None,
                by_reference: true,
            }
        } else {
            Child {
                fingerprint: quote_spanned!(span=> <#ty as #p::KimeraHandler>::FINGERPRINT),
                bound: quote_spanned!(span=> <#ty as #p::KimeraHandler>::DECODE_BOUND),
                incompatibility: Some(
                    quote_spanned!(span=> <#ty as #p::KimeraHandler>::BINARY_INCOMPATIBILITY),
                ),
                by_reference: false,
            }
        };
        let facts = Facts {
            children: vec![child],
            handled_types: vec![ty.clone()],
            ..Facts::default()
        };
        Described::new(schema, facts)
    }

    /// A serde attribute that rules out the binary backend, and why.
    fn incompatible(&self, attribute: String, why: &str) -> Facts {
        self.incompatible_with_fix(
            attribute,
            why,
            "Use the JSON backend for this type, or remove the attribute.",
        )
    }

    /// [`incompatible`](Self::incompatible) with the fixes spelled out.
    fn incompatible_with_fix(&self, attribute: String, why: &str, fix: &str) -> Facts {
        Facts::incompatible(self.binary_message(&attribute, why, fix))
    }

    fn binary_message(&self, attribute: &str, why: &str, fix: &str) -> String {
        format!(
            "`{}`, and any type containing it, cannot be used with the binary backend: \
             {attribute} {why}. {fix}",
            self.name
        )
    }

    fn private(&self) -> TokenStream {
        let krate = &self.krate;
        quote!(#krate::__private)
    }
}

/// The first variant whose skipping makes the variant index serde writes differ from the one it
/// reads: serde writes a variant's position among all variants but reads it among those not
/// skipped when deserializing. Skipped variants after every written one are harmless.
fn misindexed_variant<'v>(variants: &'v [Variant<'v>]) -> Option<&'v Variant<'v>> {
    let mut skipped = None;
    for variant in variants {
        let (ser, de) = (
            variant.attrs.skip_serializing(),
            variant.attrs.skip_deserializing(),
        );
        if de && !ser {
            // Written, then read as whichever variant now has its index.
            return Some(variant);
        }
        if de {
            skipped = skipped.or(Some(variant));
        } else if !ser && skipped.is_some() {
            // Written at an index the reader gives to the next variant along.
            return skipped;
        }
    }
    None
}

/// Whether a type's tokens name `ident` (or `Self`) anywhere.
fn mentions(tokens: TokenStream, ident: &Ident) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == *ident || i == "Self",
        TokenTree::Group(g) => mentions(g.stream(), ident),
        _ => false,
    })
}

/// Whether `tokens` name `ident` as a type other than inside `PhantomData<...>`, which has a
/// handler whatever its parameter. `T::Key` names `T`'s associated type, not `T`: its handler
/// comes from `#[kimera(bound = "...")]`.
fn mentions_outside_phantom(tokens: TokenStream, ident: &Ident) -> bool {
    let mut tokens = tokens.into_iter().peekable();
    while let Some(tt) = tokens.next() {
        match tt {
            TokenTree::Ident(i) if i == "PhantomData" => {
                if !matches!(tokens.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '<') {
                    continue;
                }
                // Skip to the matching `>`; the `>` of a `->` (in `fn() -> T`) closes nothing.
                let (mut depth, mut arrow) = (0u32, false);
                for tt in tokens.by_ref() {
                    if let TokenTree::Punct(p) = &tt {
                        match p.as_char() {
                            '<' => depth += 1,
                            '>' if !arrow => depth -= 1,
                            _ => {}
                        }
                        arrow = p.as_char() == '-';
                        if depth == 0 {
                            break;
                        }
                    } else {
                        arrow = false;
                    }
                }
            }
            TokenTree::Ident(i) if i == *ident => {
                let qualified =
                    matches!(tokens.peek(), Some(TokenTree::Punct(p)) if p.as_char() == ':');
                if !qualified {
                    return true;
                }
            }
            TokenTree::Group(g) if mentions_outside_phantom(g.stream(), ident) => return true,
            _ => {}
        }
    }
    false
}

fn field_label(field: &Field<'_>) -> String {
    match &field.member {
        syn::Member::Named(ident) => ident.to_string(),
        syn::Member::Unnamed(index) => index.index.to_string(),
    }
}

/// Whether `path` is the function serde's derive itself puts in `deserialize_with` for
/// `#[serde(borrow)]` on a `Cow<str>` or `Cow<[u8]>`, which reads the type's own shape.
fn is_borrow_helper(path: &syn::ExprPath) -> bool {
    let segments = &path.path.segments;
    segments.first().is_some_and(|s| s.ident == "_serde")
        && segments
            .last()
            .is_some_and(|s| s.ident == "borrow_cow_str" || s.ident == "borrow_cow_bytes")
}

/// Whether tokens hold a lifetime (`'a`).
fn has_lifetime(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Punct(p) => p.as_char() == '\'',
        TokenTree::Group(g) => has_lifetime(g.stream()),
        _ => false,
    })
}

/// The module of `#[serde(with = "module")]`, when the field's serializer and deserializer are
/// its `serialize` and `deserialize` and its path can be imported from (no generic arguments,
/// and not a type: a remote-derive struct such as `DurationDef` is spelled in UpperCamelCase).
fn with_module_path(attrs: &serde_derive_internals::attr::Field) -> Option<syn::Path> {
    let module = |path: Option<&syn::ExprPath>, function: &str| {
        let mut module = path?.path.clone();
        let last = module.segments.pop()?.into_value();
        if last.ident != function || module.segments.is_empty() {
            return None;
        }
        module.segments.pop_punct();
        let plain = module
            .segments
            .iter()
            .all(|s| matches!(s.arguments, syn::PathArguments::None));
        let last = module.segments.last()?.ident.to_string();
        let is_type = last.starts_with(|c: char| c.is_ascii_uppercase());
        (plain && !is_type).then_some(module)
    };
    let ser = module(attrs.serialize_with(), "serialize")?;
    let de = module(attrs.deserialize_with(), "deserialize")?;
    (ser == de).then_some(ser)
}

/// A type or path as compact text, for messages.
fn type_text(tokens: &impl ToTokens) -> String {
    tokens.to_token_stream().to_string().replace(' ', "")
}

/// A type name as identifier characters, one to one: ASCII letters and digits stay, any other
/// character becomes `_` and its two hex digits (`shop.Order` is `shop_2eOrder`).
fn mangle(name: &str) -> String {
    name.chars()
        .map(|c| match c.is_ascii_alphanumeric() {
            true => c.to_string(),
            false => format!("_{:02x}", u32::from(c)),
        })
        .collect()
}
