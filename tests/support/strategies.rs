//! proptest strategies for the foreign types services key their maps by, shared by the
//! property tests (`tests/inspect.rs`, `tests/json_schema.rs`, `tests/python_reader.rs`).
#![allow(dead_code)] // Each test uses some of them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use uuid::Uuid;

pub fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

/// Any address, and often the ones with text forms of their own: IPv4-mapped, and runs of
/// zero groups (which `Display` shortens to `::`).
pub fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    let group = prop_oneof![3 => Just(0u16), 1 => Just(1u16), 2 => any::<u16>()];
    prop_oneof![
        any::<u128>().prop_map(Ipv6Addr::from),
        any::<u32>().prop_map(|a| Ipv4Addr::from(a).to_ipv6_mapped()),
        proptest::array::uniform8(group).prop_map(Ipv6Addr::from),
    ]
}

pub fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        ipv6().prop_map(IpAddr::V6),
    ]
}
