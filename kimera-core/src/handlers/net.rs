//! IP and socket addresses: text in human-readable formats, numbers in compact ones.
//!
//! Serde writes `Ipv4Addr` as `"10.0.0.1"` in JSON and as its four octets in bincode, and an
//! `IpAddr` as the address's text in JSON but as the enum `IpAddr { V4, V6 }` in bincode: the
//! schemas say both (see [`Foreign`]).
//!
//! `SocketAddrV6` is written without its flow information in every format, and without its
//! scope id in compact formats: serde's impl leaves them out, so they read back as 0.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::{EnumRepr, Fields, Foreign, KimeraHandler, Schema, Shape, TypeDef, Variant};

impl KimeraHandler for Ipv4Addr {
    // Built in, so its schema is known to cover what it reads.
    const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
    const SCHEMA: &'static Schema = &Schema::Foreign(&Foreign::new(
        "ipv4",
        &Schema::Str,
        &Schema::Array(&Schema::U8, 4),
    ));
}

impl KimeraHandler for Ipv6Addr {
    // Built in, so its schema is known to cover what it reads.
    const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
    const SCHEMA: &'static Schema = &Schema::Foreign(&Foreign::new(
        "ipv6",
        &Schema::Str,
        &Schema::Array(&Schema::U8, 16),
    ));
}

impl KimeraHandler for SocketAddrV4 {
    // Built in, so its schema is known to cover what it reads.
    const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
    const SCHEMA: &'static Schema = &Schema::Foreign(&Foreign::new(
        "socket_addr_v4",
        &Schema::Str,
        &Schema::Tuple(&[Ipv4Addr::SCHEMA, &Schema::U16]),
    ));
}

impl KimeraHandler for SocketAddrV6 {
    // Built in, so its schema is known to cover what it reads.
    const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
    const SCHEMA: &'static Schema = &Schema::Foreign(&Foreign::new(
        "socket_addr_v6",
        &Schema::Str,
        &Schema::Tuple(&[Ipv6Addr::SCHEMA, &Schema::U16]),
    ));
}

/// `IpAddr` and `SocketAddr`: in compact formats serde writes the enum `$enum { V4, V6 }`.
macro_rules! v4_or_v6 {
    ($($ty:ty => $name:literal, $enum:literal, $v4:ty, $v6:ty;)*) => {$(
        impl KimeraHandler for $ty {
            // Built in, so its schema is known to cover what it reads.
            const DECODE_BOUND: Option<crate::DecodeBound> = Self::SCHEMA.decode_bound_with(&[]);
            const SCHEMA: &'static Schema = &Schema::Foreign(&Foreign::new(
                $name,
                &Schema::Str,
                &Schema::Type(&TypeDef {
                    name: $enum,
                    version: 1,
                    params: &[],
                    origin: None,
                    by_reference: &[],
                    shape: Shape::Enum {
                        repr: EnumRepr::External,
                        variants: &[
                            Variant {
                                name: "V4",
                                fields: Fields::Newtype(<$v4>::SCHEMA),
                                untagged: false,
                                aliases: &[],
                            },
                            Variant {
                                name: "V6",
                                fields: Fields::Newtype(<$v6>::SCHEMA),
                                untagged: false,
                                aliases: &[],
                            },
                        ],
                    },
                }),
            ));
        }
    )*};
}

impl crate::with::BuiltIn for Ipv4Addr {}
impl crate::with::BuiltIn for Ipv6Addr {}
impl crate::with::BuiltIn for IpAddr {}
impl crate::with::BuiltIn for SocketAddrV4 {}
impl crate::with::BuiltIn for SocketAddrV6 {}
impl crate::with::BuiltIn for SocketAddr {}

v4_or_v6! {
    IpAddr => "ip", "IpAddr", Ipv4Addr, Ipv6Addr;
    SocketAddr => "socket_addr", "SocketAddr", SocketAddrV4, SocketAddrV6;
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use crate::{KimeraHandler, Schema};

    #[test]
    fn addresses_say_what_each_format_gets() {
        assert_eq!(IpAddr::type_name(), "ip");
        let Schema::Foreign(ip) = IpAddr::SCHEMA else {
            panic!("IpAddr is foreign");
        };
        assert_eq!(ip.readable, &Schema::Str);
        assert!(matches!(ip.compact, Schema::Type(def) if def.name == "IpAddr"));
        assert_ne!(IpAddr::FINGERPRINT, Ipv4Addr::FINGERPRINT);
        assert_ne!(SocketAddr::FINGERPRINT, IpAddr::FINGERPRINT);
        assert_ne!(IpAddr::FINGERPRINT, String::FINGERPRINT);
    }
}
