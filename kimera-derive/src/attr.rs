//! `#[kimera(...)]` attributes: parsing and validation, with errors at the user's span.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, Lit, LitStr, Path, Type};

/// Container attributes: `#[kimera(name = "shop.Order", version = 3, previous = OrderV2,
/// alias = "old.Order", crate = "kimera")]`.
pub struct Container {
    pub name: Option<LitStr>,
    pub version: u32,
    pub previous: Option<Type>,
    pub aliases: Vec<LitStr>,
    /// `register = false`: stay out of the registry and the crate's duplicate-name check.
    pub register: bool,
    pub krate: Path,
    /// `bound = "T: KimeraHandler"`: the impl's where-predicates instead of the inferred ones.
    pub bound: Option<Vec<syn::WherePredicate>>,
}

/// Field attributes: `#[kimera(with = T)]`, `#[kimera(opaque)]`, `#[kimera(recursive)]`.
#[derive(Default)]
pub struct Field {
    pub with: Option<Type>,
    pub opaque: Option<Option<String>>,
    pub recursive: bool,
}

const CONTAINER_KEYS: &str =
    "`name = \"...\"`, `version = N`, `previous = Type`, `alias = \"...\"`, `register = false`, `bound = \"...\"` or `crate = \"...\"`";
const FIELD_KEYS: &str = "`with = Type`, `opaque`, `opaque = \"name\"` or `recursive`";

impl Container {
    pub fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut out = Container {
            name: None,
            version: 1,
            previous: None,
            aliases: Vec::new(),
            register: true,
            krate: syn::parse_quote!(::kimera),
            bound: None,
        };
        let mut given = Given::default();
        for attr in kimera_attrs(attrs) {
            attr.parse_nested_meta(|meta| {
                // `alias` may be given several times; every other key once.
                if !meta.path.is_ident("alias") {
                    given.once(&meta)?;
                }
                if meta.path.is_ident("name") {
                    let lit: LitStr = meta.value()?.parse()?;
                    validate_name(&lit)?;
                    out.name = Some(lit);
                } else if meta.path.is_ident("version") {
                    let lit: Lit = meta.value()?.parse()?;
                    let version = match &lit {
                        Lit::Int(int) => int.base10_parse::<u32>().ok(),
                        _ => None,
                    };
                    out.version = match version {
                        Some(v) if v > 0 => v,
                        _ => {
                            return Err(syn::Error::new(
                                lit.span(),
                                "`version` must be an integer from 1 to 4294967295, such as `version = 3`",
                            ))
                        }
                    };
                } else if meta.path.is_ident("previous") {
                    const HINT: &str = "`previous` names the type of the version before this one, such as `previous = OrderV2`";
                    let value = meta.value()?;
                    out.previous = Some(value.parse().map_err(|e| syn::Error::new(e.span(), HINT))?);
                } else if meta.path.is_ident("alias") {
                    let lit: LitStr = meta.value()?.parse()?;
                    validate_name(&lit)?;
                    out.aliases.push(lit);
                } else if meta.path.is_ident("register") {
                    let lit: syn::LitBool = meta.value()?.parse().map_err(|e| {
                        syn::Error::new(e.span(), "`register` is `true` (the default) or `false`")
                    })?;
                    out.register = lit.value;
                } else if meta.path.is_ident("bound") {
                    const HINT: &str = "`bound` is a string of where-predicates that replace the inferred bounds, such as `bound = \"T: kimera::KimeraHandler\"` (or `bound = \"\"` for none)";
                    let lit: LitStr = meta
                        .value()?
                        .parse()
                        .map_err(|e| syn::Error::new(e.span(), HINT))?;
                    let parser = syn::punctuated::Punctuated::<syn::WherePredicate, syn::Token![,]>::parse_terminated;
                    let predicates = lit.parse_with(parser).map_err(|e| {
                        syn::Error::new(lit.span(), format_args!("{e}: {HINT}"))
                    })?;
                    out.bound = Some(predicates.into_iter().collect());
                } else if meta.path.is_ident("crate") {
                    const HINT: &str = "`crate` is the path of the kimera crate as a string, such as `crate = \"my_kimera\"`";
                    let value = meta.value()?;
                    let lit: LitStr = value.parse().map_err(|e| syn::Error::new(e.span(), HINT))?;
                    out.krate = lit.parse().map_err(|_| syn::Error::new(lit.span(), HINT))?;
                } else {
                    return Err(meta.error(format_args!(
                        "unknown kimera attribute `{}`: expected {CONTAINER_KEYS}",
                        path_text(&meta.path)
                    )));
                }
                Ok(())
            })?;
        }
        Ok(out)
    }
}

impl Field {
    pub fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut out = Field::default();
        let mut given = Given::default();
        for attr in kimera_attrs(attrs) {
            attr.parse_nested_meta(|meta| {
                given.once(&meta)?;
                if meta.path.is_ident("with") {
                    out.with = Some(meta.value()?.parse()?);
                } else if meta.path.is_ident("opaque") {
                    out.opaque = Some(match meta.input.peek(syn::Token![=]) {
                        true => {
                            let value = meta.value()?;
                            let lit = value.parse::<LitStr>().map_err(|e| {
                                syn::Error::new(
                                    e.span(),
                                    "`opaque` takes an optional name for the schema as a string, such as `opaque = \"uuid\"`",
                                )
                            })?;
                            Some(lit.value())
                        }
                        false => None,
                    });
                } else if meta.path.is_ident("recursive") {
                    out.recursive = true;
                } else {
                    return Err(meta.error(format_args!(
                        "unknown kimera field attribute `{}`: expected {FIELD_KEYS}",
                        path_text(&meta.path)
                    )));
                }
                Ok(())
            })?;
            if out.with.is_some() && out.opaque.is_some() {
                return Err(syn::Error::new_spanned(
                    attr,
                    "`with` and `opaque` describe the field two ways: keep one",
                ));
            }
        }
        Ok(out)
    }
}

/// The keys given so far on one item, across its `#[kimera]` attributes: a key given twice is
/// an error at the second, as serde's are (a later value would silently win otherwise).
#[derive(Default)]
struct Given(Vec<String>);

impl Given {
    fn once(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = path_text(&meta.path);
        if self.0.contains(&key) {
            return Err(meta.error(format_args!(
                "duplicate kimera attribute `{key}`: give it once"
            )));
        }
        self.0.push(key);
        Ok(())
    }
}

/// Rejects `#[kimera]` where it means nothing (on enum variants).
pub fn reject(attrs: &[Attribute], what: &str) -> syn::Result<()> {
    match kimera_attrs(attrs).next() {
        Some(attr) => Err(syn::Error::new_spanned(
            attr,
            format_args!(
                "#[kimera(...)] has no meaning on {what}; put it on the type or on a field"
            ),
        )),
        None => Ok(()),
    }
}

fn kimera_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("kimera"))
}

fn path_text(path: &Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Type names are what envelopes carry: keep them unambiguous next to the built-in
/// `list<...>` style names, and short enough for the binary header.
fn validate_name(lit: &LitStr) -> syn::Result<()> {
    let name = lit.value();
    let valid_char = |c: char| c.is_ascii_alphanumeric() || "._-:/".contains(c);
    if name.is_empty() || name.len() > 1024 || !name.chars().all(valid_char) {
        return Err(syn::Error::new(
            lit.span(),
            "a kimera type name is 1 to 1024 ASCII letters, digits and `. _ - : /`, such as \"shop.Order\"",
        ));
    }
    Ok(())
}
