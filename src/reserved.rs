//! IANA's special-purpose address registries, as Let's Encrypt applies them.
//!
//! Let's Encrypt drops every address in the IPv4 and IPv6 Special-Purpose Address
//! Registries before it connects, whether DNS returned it or a redirect named it. The
//! tables below are those registries (the IANA registry pages, revisions of 2024), kept
//! as whole prefixes the way Let's Encrypt's validation authority keeps them: where the
//! registry marks a smaller block inside a prefix as globally reachable, the CA still drops
//! the whole prefix, so this table does too. Multicast is not in the registries and is not
//! dropped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One registry entry: a prefix and the registry's name for it.
struct Block<A> {
    network: A,
    prefix_len: u8,
    name: &'static str,
}

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix_len: u8, name: &'static str) -> Block<Ipv4Addr> {
    Block {
        network: Ipv4Addr::new(a, b, c, d),
        prefix_len,
        name,
    }
}

const fn v6(segments: [u16; 8], prefix_len: u8, name: &'static str) -> Block<Ipv6Addr> {
    let [a, b, c, d, e, f, g, h] = segments;
    Block {
        network: Ipv6Addr::new(a, b, c, d, e, f, g, h),
        prefix_len,
        name,
    }
}

const IPV4_SPECIAL: &[Block<Ipv4Addr>] = &[
    v4(0, 0, 0, 0, 8, "\"this network\" (RFC 791)"),
    v4(10, 0, 0, 0, 8, "private use (RFC 1918)"),
    v4(100, 64, 0, 0, 10, "shared address space (RFC 6598)"),
    v4(127, 0, 0, 0, 8, "loopback (RFC 1122)"),
    v4(169, 254, 0, 0, 16, "link local (RFC 3927)"),
    v4(172, 16, 0, 0, 12, "private use (RFC 1918)"),
    v4(192, 0, 0, 0, 24, "IETF protocol assignments (RFC 6890)"),
    v4(192, 0, 2, 0, 24, "documentation, TEST-NET-1 (RFC 5737)"),
    v4(192, 31, 196, 0, 24, "AS112-v4 (RFC 7535)"),
    v4(192, 52, 193, 0, 24, "AMT (RFC 7450)"),
    v4(192, 88, 99, 0, 24, "deprecated 6to4 relay anycast (RFC 7526)"),
    v4(192, 168, 0, 0, 16, "private use (RFC 1918)"),
    v4(192, 175, 48, 0, 24, "direct delegation AS112 service (RFC 7534)"),
    v4(198, 18, 0, 0, 15, "benchmarking (RFC 2544)"),
    v4(198, 51, 100, 0, 24, "documentation, TEST-NET-2 (RFC 5737)"),
    v4(203, 0, 113, 0, 24, "documentation, TEST-NET-3 (RFC 5737)"),
    v4(240, 0, 0, 0, 4, "reserved (RFC 1112)"),
    v4(255, 255, 255, 255, 32, "limited broadcast (RFC 919)"),
];

const IPV6_SPECIAL: &[Block<Ipv6Addr>] = &[
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback (RFC 4291)"),
    v6([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified (RFC 4291)"),
    v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, "IPv4-mapped (RFC 4291)"),
    v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, "IPv4-IPv6 translation (RFC 6052)"),
    v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "local-use IPv4/IPv6 translation (RFC 8215)"),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only (RFC 6666)"),
    v6([0x100, 0, 0, 1, 0, 0, 0, 0], 64, "dummy IPv6 prefix (RFC 9780)"),
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, "IETF protocol assignments (RFC 2928)"),
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation (RFC 3849)"),
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4 (RFC 3056)"),
    v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48, "direct delegation AS112 service (RFC 7534)"),
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation (RFC 9637)"),
    v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, "segment routing SIDs (RFC 9602)"),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique local (RFC 4193)"),
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local unicast (RFC 4291)"),
];

/// Returns the registry name of the special-purpose block that contains `addr`, if any.
pub fn special_purpose(addr: IpAddr) -> Option<&'static str> {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            IPV4_SPECIAL
                .iter()
                .find(|b| prefix_matches32(bits, u32::from(b.network), b.prefix_len))
                .map(|b| b.name)
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            IPV6_SPECIAL
                .iter()
                .find(|b| prefix_matches128(bits, u128::from(b.network), b.prefix_len))
                .map(|b| b.name)
        }
    }
}

fn prefix_matches32(addr: u32, network: u32, prefix_len: u8) -> bool {
    let mask = if prefix_len == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix_len)) };
    addr & mask == network & mask
}

fn prefix_matches128(addr: u128, network: u128, prefix_len: u8) -> bool {
    let mask = if prefix_len == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix_len)) };
    addr & mask == network & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reserved(text: &str) -> bool {
        special_purpose(text.parse().unwrap()).is_some()
    }

    #[test]
    fn private_and_loopback_are_reserved() {
        for addr in ["10.10.10.10", "127.0.0.1", "192.168.1.1", "172.31.255.255", "::1", "fd00::1", "fe80::1"] {
            assert!(reserved(addr), "{addr}");
        }
    }

    #[test]
    fn public_addresses_are_not_reserved() {
        for addr in ["1.1.1.1", "172.32.0.1", "8.8.8.8", "2606:4700::1111", "224.0.0.1"] {
            assert!(!reserved(addr), "{addr}");
        }
    }

    #[test]
    fn prefix_edges() {
        assert!(reserved("100.127.255.255"));
        assert!(!reserved("100.128.0.0"));
        assert!(reserved("198.19.255.255"));
        assert!(!reserved("198.20.0.0"));
        assert!(reserved("2001:1ff:ffff::1"));
        assert!(!reserved("2001:200::1"));
    }
}
