//! Which kind of special-purpose address an IP is, from the IANA special-purpose registries.
//!
//! Every block of the IANA special-purpose registries (IPv4 and IPv6, as of 2024) is refused by
//! default, globally reachable or not (none of them hosts a webhook receiver: they are private,
//! loopback, documentation, anycast service and translation ranges), and so is all IPv6 outside
//! 2000::/3, the only block IANA hands out as global unicast. IPv6 forms that carry an IPv4 address
//! (mapped, compatible, SIIT, NAT64, 6to4, Teredo) are refused, as the class of that address when
//! it is refused itself; the one exception is the well-known NAT64 prefix 64:ff9b::/96, which
//! IPv6-only networks reach the IPv4 Internet through: it passes when its IPv4 address is public.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of non-public address a refused IP is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Unspecified,
    Loopback,
    Private,
    LinkLocal,
    /// Cloud instance metadata (169.254.169.254 and friends): only an explicit CIDR opens it.
    CloudMetadata,
    SharedCgnat,
    Multicast,
    Broadcast,
    Documentation,
    Benchmarking,
    Reserved,
    UniqueLocal,
}

impl AddressClass {
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Unspecified => "an unspecified address",
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private network address",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::CloudMetadata => "a cloud metadata address",
            AddressClass::SharedCgnat => "a carrier-grade NAT (shared) address",
            AddressClass::Multicast => "a multicast address",
            AddressClass::Broadcast => "a broadcast address",
            AddressClass::Documentation => "a documentation address",
            AddressClass::Benchmarking => "a benchmarking address",
            AddressClass::Reserved => "a reserved address",
            AddressClass::UniqueLocal => "an IPv6 unique local address",
        }
    }

    /// Never a valid unicast destination, whatever the configuration says.
    pub(super) fn never_allowed(self) -> bool {
        matches!(
            self,
            AddressClass::Unspecified | AddressClass::Multicast | AddressClass::Broadcast
        )
    }
}

use AddressClass::*;

/// IPv4 special-purpose blocks (IANA registry, RFC 6890 and later), plus multicast and the cloud
/// metadata addresses; the most specific first.
const V4_BLOCKS: &[([u8; 4], u8, AddressClass)] = &[
    ([255, 255, 255, 255], 32, Broadcast),
    ([169, 254, 169, 254], 32, CloudMetadata), // AWS, GCP, Azure, OpenStack
    ([100, 100, 100, 200], 32, CloudMetadata), // Alibaba Cloud
    ([0, 0, 0, 0], 8, Unspecified),            // "this network" (0.0.0.0/32 "this host" inside)
    ([10, 0, 0, 0], 8, Private),
    ([100, 64, 0, 0], 10, SharedCgnat),
    ([127, 0, 0, 0], 8, Loopback),
    ([169, 254, 0, 0], 16, LinkLocal),
    ([172, 16, 0, 0], 12, Private),
    // IETF protocol assignments: DS-Lite, the dummy address, PCP and TURN anycast, NAT64 discovery.
    ([192, 0, 0, 0], 24, Reserved),
    ([192, 0, 2, 0], 24, Documentation),
    ([192, 31, 196, 0], 24, Reserved), // AS112-v4 (DNS sink)
    ([192, 52, 193, 0], 24, Reserved), // AMT relays
    ([192, 88, 99, 0], 24, Reserved),  // deprecated 6to4 relay anycast, 6a44 relays
    ([192, 168, 0, 0], 16, Private),
    ([192, 175, 48, 0], 24, Reserved), // AS112 direct delegation (DNS sink)
    ([198, 18, 0, 0], 15, Benchmarking),
    ([198, 51, 100, 0], 24, Documentation),
    ([203, 0, 113, 0], 24, Documentation),
    ([224, 0, 0, 0], 4, Multicast),
    ([240, 0, 0, 0], 4, Reserved),
];

/// IPv6 special-purpose blocks without an IPv4 address in them (those are in `embedded_v4`; ::
/// and ::1 in `classify_v6`), plus multicast and the AWS metadata address; the most specific first.
/// Anything else outside 2000::/3 is refused as reserved.
const V6_BLOCKS: &[(u128, u8, AddressClass)] = &[
    // AWS IMDS over IPv6.
    (
        0xfd00_0ec2_0000_0000_0000_0000_0000_0254,
        128,
        CloudMetadata,
    ),
    (0x0100_0000_0000_0000_0000_0000_0000_0000, 64, Reserved), // discard-only 100::/64
    (0x0100_0000_0000_0001_0000_0000_0000_0000, 64, Reserved), // dummy prefix 100:0:0:1::/64
    (0x2001_0002_0000_0000_0000_0000_0000_0000, 48, Benchmarking), // 2001:2::/48
    // IETF protocol assignments 2001::/23: PCP, TURN and DNS-SD anycast, AMT, AS112-v6, ORCHID,
    // drone ids (Teredo, 2001::/32, carries an IPv4 address and is judged in `embedded_v4`).
    (0x2001_0000_0000_0000_0000_0000_0000_0000, 23, Reserved),
    (0x2001_0db8_0000_0000_0000_0000_0000_0000, 32, Documentation), // 2001:db8::/32
    (0x2620_004f_8000_0000_0000_0000_0000_0000, 48, Reserved),      // AS112 direct delegation
    (0x3fff_0000_0000_0000_0000_0000_0000_0000, 20, Documentation), // 3fff::/20
    (0x5f00_0000_0000_0000_0000_0000_0000_0000, 16, Reserved),      // SRv6 SIDs
    (0xfc00_0000_0000_0000_0000_0000_0000_0000, 7, UniqueLocal),
    (0xfe80_0000_0000_0000_0000_0000_0000_0000, 10, LinkLocal),
    (0xfec0_0000_0000_0000_0000_0000_0000_0000, 10, Private), // deprecated site-local
    (0xff00_0000_0000_0000_0000_0000_0000_0000, 8, Multicast),
];

fn in_v4(ip: u32, net: [u8; 4], bits: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
    ip & mask == u32::from_be_bytes(net) & mask
}

fn in_v6(ip: u128, net: u128, bits: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
    ip & mask == net & mask
}

/// Which IPv4 special-purpose block `ip` is in, if any.
pub(super) fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let n = u32::from(ip);
    V4_BLOCKS
        .iter()
        .find(|(net, bits, _)| in_v4(n, *net, *bits))
        .map(|(_, _, class)| *class)
}

/// How an IPv6 address carries an IPv4 one, and what that means for the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Embedding {
    /// The well-known NAT64 prefix: the translator connects to the IPv4 address, and public means
    /// allowed (DNS64 gives IPv6-only networks these addresses for every IPv4-only host).
    Translated,
    /// A form no webhook needs (IPv4-mapped, which names are never resolved to, IPv4-compatible,
    /// SIIT, local-use NAT64, 6to4, Teredo): refused whatever the IPv4 address, as this class when
    /// that address is public.
    Refused(AddressClass),
}

/// The IPv4 address an IPv6 address carries, for every form that carries one.
pub(super) fn embedded_v4(ip: Ipv6Addr) -> Option<(Ipv4Addr, Embedding)> {
    let bits = u128::from(ip);
    let low = Ipv4Addr::from(bits as u32);
    let form = |prefix: u128, len: u8| in_v6(bits, prefix, len);
    if form(0xffff << 32, 96) {
        // ::ffff:0:0/96, IPv4-mapped (a CIDR for the IPv4 address opens it, see `canonical`).
        Some((low, Embedding::Refused(Reserved)))
    } else if form(0x0064_ff9b << 96, 96) {
        // 64:ff9b::/96, NAT64 well-known prefix (RFC 6052).
        Some((low, Embedding::Translated))
    } else if form(0x0064_ff9b_0001 << 80, 48) {
        // 64:ff9b:1::/48, local-use NAT64 (RFC 8215): a site's own translator; the IPv4 address
        // sits in the last 32 bits when the site uses a /96, the usual choice.
        Some((low, Embedding::Refused(Private)))
    } else if form(0xffff_0000 << 32, 96) {
        // ::ffff:0:0:0/96, SIIT "IPv4-translated" (RFC 2765).
        Some((low, Embedding::Refused(Reserved)))
    } else if form(0, 96) {
        // ::/96, IPv4-compatible (deprecated by RFC 4291); :: and ::1 are classified before.
        Some((low, Embedding::Refused(Reserved)))
    } else if form(0x2002 << 112, 16) {
        // 2002::/16, 6to4: the IPv4 address in bits 16-48.
        Some((
            Ipv4Addr::from((bits >> 80) as u32),
            Embedding::Refused(Reserved),
        ))
    } else if form(0x2001 << 112, 32) {
        // 2001::/32, Teredo: the client's IPv4 address in the last 32 bits, inverted.
        Some((!low, Embedding::Refused(Reserved)))
    } else {
        None
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    let bits = u128::from(ip);
    if bits <= 1 {
        return Some(if bits == 0 { Unspecified } else { Loopback });
    }
    if let Some((v4, embedding)) = embedded_v4(ip) {
        return match embedding {
            Embedding::Translated => classify_v4(v4),
            Embedding::Refused(otherwise) => Some(classify_v4(v4).unwrap_or(otherwise)),
        };
    }
    V6_BLOCKS
        .iter()
        .find(|(net, len, _)| in_v6(bits, *net, *len))
        .map(|(_, _, class)| *class)
        .or_else(|| (!in_v6(bits, 0x2000 << 112, 3)).then_some(Reserved))
}

/// The special-purpose class of `ip`, or `None` for a public unicast address.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> Option<AddressClass> {
        classify(text.parse().unwrap())
    }

    /// The first, a middle and the last address of a block.
    fn v4_samples(net: &str, len: u8) -> [Ipv4Addr; 3] {
        let first = u32::from(net.parse::<Ipv4Addr>().unwrap());
        let size = 1u64 << (32 - u32::from(len));
        let last = (u64::from(first) + size - 1) as u32;
        [first, first + (size / 2) as u32, last].map(Ipv4Addr::from)
    }

    fn v6_samples(net: &str, len: u8) -> [Ipv6Addr; 3] {
        let first = u128::from(net.parse::<Ipv6Addr>().unwrap());
        let host_bits = 128 - u32::from(len);
        let span = u128::MAX.checked_shr(u32::from(len)).unwrap_or(0); // size - 1
        let middle = if host_bits == 0 {
            0
        } else {
            1u128 << (host_bits - 1)
        };
        [first, first + middle, first + span].map(Ipv6Addr::from)
    }

    /// The IANA IPv4 Special-Purpose Address Registry (2024) and the multicast block:
    /// (block, prefix length, globally reachable per IANA, name). Every one is refused, the
    /// globally reachable ones too (anycast services and DNS sinks, never a webhook receiver).
    const IANA_V4: &[(&str, u8, bool, &str)] = &[
        ("0.0.0.0", 8, false, "this network"),
        ("0.0.0.0", 32, false, "this host on this network"),
        ("10.0.0.0", 8, false, "private-use"),
        ("100.64.0.0", 10, false, "shared address space"),
        ("127.0.0.0", 8, false, "loopback"),
        ("169.254.0.0", 16, false, "link local"),
        ("172.16.0.0", 12, false, "private-use"),
        ("192.0.0.0", 24, false, "IETF protocol assignments"),
        ("192.0.0.0", 29, false, "IPv4 service continuity prefix"),
        ("192.0.0.8", 32, false, "IPv4 dummy address"),
        ("192.0.0.9", 32, true, "PCP anycast"),
        ("192.0.0.10", 32, true, "TURN anycast"),
        ("192.0.0.170", 32, false, "NAT64/DNS64 discovery"),
        ("192.0.0.171", 32, false, "NAT64/DNS64 discovery"),
        ("192.0.2.0", 24, false, "documentation (TEST-NET-1)"),
        ("192.31.196.0", 24, true, "AS112-v4"),
        ("192.52.193.0", 24, true, "AMT"),
        ("192.88.99.0", 24, false, "deprecated 6to4 relay anycast"),
        ("192.88.99.2", 32, true, "6a44 relay anycast"),
        ("192.168.0.0", 16, false, "private-use"),
        ("192.175.48.0", 24, true, "direct delegation AS112 service"),
        ("198.18.0.0", 15, false, "benchmarking"),
        ("198.51.100.0", 24, false, "documentation (TEST-NET-2)"),
        ("203.0.113.0", 24, false, "documentation (TEST-NET-3)"),
        ("224.0.0.0", 4, false, "multicast"),
        ("240.0.0.0", 4, false, "reserved"),
        ("255.255.255.255", 32, false, "limited broadcast"),
    ];

    /// The IANA IPv6 Special-Purpose Address Registry (2024), multicast and the deprecated
    /// site-local block: (block, prefix length, globally reachable per IANA, name). All are
    /// refused but the NAT64 well-known prefix, judged by the IPv4 address in it.
    const IANA_V6: &[(&str, u8, bool, &str)] = &[
        ("::1", 128, false, "loopback"),
        ("::", 128, false, "unspecified"),
        ("::ffff:0:0", 96, false, "IPv4-mapped"),
        ("64:ff9b:1::", 48, false, "local-use IPv4/IPv6 translation"),
        ("100::", 64, false, "discard-only"),
        ("100:0:0:1::", 64, false, "dummy IPv6 prefix"),
        ("2001::", 23, false, "IETF protocol assignments"),
        ("2001::", 32, false, "Teredo"),
        ("2001:1::1", 128, true, "PCP anycast"),
        ("2001:1::2", 128, true, "TURN anycast"),
        ("2001:1::3", 128, true, "DNS-SD SRP anycast"),
        ("2001:2::", 48, false, "benchmarking"),
        ("2001:3::", 32, true, "AMT"),
        ("2001:4:112::", 48, true, "AS112-v6"),
        ("2001:10::", 28, false, "deprecated ORCHID"),
        ("2001:20::", 28, true, "ORCHIDv2"),
        ("2001:30::", 28, true, "drone remote ID entity tags"),
        ("2001:db8::", 32, false, "documentation"),
        ("2002::", 16, false, "6to4"),
        (
            "2620:4f:8000::",
            48,
            true,
            "direct delegation AS112 service",
        ),
        ("3fff::", 20, false, "documentation"),
        ("5f00::", 16, false, "segment routing (SRv6) SIDs"),
        ("fc00::", 7, false, "unique-local"),
        ("fe80::", 10, false, "link-local unicast"),
        ("fec0::", 10, false, "deprecated site-local"),
        ("ff00::", 8, false, "multicast"),
    ];

    #[test]
    fn every_iana_special_purpose_ipv4_block_is_refused_at_its_first_middle_and_last_address() {
        for (net, len, _global, name) in IANA_V4 {
            for ip in v4_samples(net, *len) {
                assert!(
                    classify_v4(ip).is_some(),
                    "{ip} ({name}, {net}/{len}) passed"
                );
            }
        }
    }

    #[test]
    fn every_iana_special_purpose_ipv6_block_is_refused_at_its_first_middle_and_last_address() {
        for (net, len, _global, name) in IANA_V6 {
            for ip in v6_samples(net, *len) {
                assert!(
                    classify_v6(ip).is_some(),
                    "{ip} ({name}, {net}/{len}) passed"
                );
            }
        }
        // The NAT64 well-known prefix (globally reachable) is its IPv4 address: refused at the
        // block's first and last (0.0.0.0, 255.255.255.255), public in the middle (128.0.0.0).
        let [first, middle, last] = v6_samples("64:ff9b::", 96);
        assert_eq!(classify_v6(first), Some(Unspecified));
        assert_eq!(classify_v6(middle), None);
        assert_eq!(classify_v6(last), Some(Broadcast));
    }

    #[test]
    fn ipv6_outside_global_unicast_is_refused() {
        // 2000::/3 is the only block IANA allocates as global unicast.
        for ip in [
            "1::", "200::1", "400::1", "4000::1", "8000::1", "c000::1", "e000::1",
        ] {
            assert_eq!(class(ip), Some(Reserved), "{ip}");
        }
        assert_eq!(
            class("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            Some(Reserved)
        );
        assert_eq!(class("4000::"), Some(Reserved));
    }

    #[test]
    fn every_ipv6_form_of_a_refused_ipv4_address_is_refused() {
        // (form, the IPv6 address carrying an IPv4 address)
        type Embed = fn(u32) -> u128;
        let forms: [(&str, Embed); 7] = [
            ("IPv4-mapped ::ffff:0:0/96", |v4| {
                0xffff << 32 | u128::from(v4)
            }),
            ("IPv4-compatible ::/96", u128::from),
            ("SIIT ::ffff:0:0:0/96", |v4| 0xffff << 48 | u128::from(v4)),
            ("NAT64 64:ff9b::/96", |v4| 0x64_ff9b << 96 | u128::from(v4)),
            ("local-use NAT64 64:ff9b:1::/48", |v4| {
                0x64_ff9b_0001 << 80 | u128::from(v4)
            }),
            ("6to4 2002::/16", |v4| {
                0x2002 << 112 | u128::from(v4) << 80 | 1
            }),
            ("Teredo 2001::/32", |v4| 0x2001 << 112 | u128::from(!v4)),
        ];
        for (net, len, _, name) in IANA_V4 {
            for v4 in v4_samples(net, *len) {
                for (form, embed) in forms {
                    let v6 = Ipv6Addr::from(embed(u32::from(v4)));
                    let got = classify_v6(v6);
                    assert!(got.is_some(), "{v6} ({form} of {v4}, {name}) passed");
                    // The refusal says what the IPv4 address is (:: and ::1 are themselves).
                    if u128::from(v6) > 1 {
                        assert_eq!(got, classify_v4(v4), "{v6} ({form} of {v4})");
                    }
                }
            }
        }
        // A public IPv4 address passes only through the NAT64 well-known prefix.
        let public = u32::from(Ipv4Addr::new(8, 8, 8, 8));
        for (form, embed) in forms {
            let v6 = Ipv6Addr::from(embed(public));
            let expected = match form {
                "NAT64 64:ff9b::/96" => None,
                "local-use NAT64 64:ff9b:1::/48" => Some(Private),
                _ => Some(Reserved),
            };
            assert_eq!(classify_v6(v6), expected, "{v6} ({form})");
        }
    }

    #[test]
    fn the_forms_issue_13_names_are_refused() {
        for (ip, expected) in [
            ("64:ff9b:1::7f00:1", Loopback),
            ("::ffff:0:7f00:1", Loopback),
            ("::ffff:127.0.0.1", Loopback),
            ("::127.0.0.1", Loopback),
            ("64:ff9b::7f00:1", Loopback),
            ("64:ff9b::a9fe:a9fe", CloudMetadata),
            ("2002:7f00:0001::1", Loopback),
            ("2002:c0a8:0101::", Private),
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", Loopback), // client !80ff:fffe = 127.0.0.1
        ] {
            assert_eq!(class(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "9.9.9.9",
            "93.184.216.34",
            // Just outside the special blocks.
            "1.0.0.0",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.255",
            "192.0.3.0",
            "192.31.195.255",
            "192.31.197.0",
            "192.52.192.255",
            "192.52.194.0",
            "192.88.98.255",
            "192.88.100.0",
            "192.167.255.255",
            "192.169.0.0",
            "192.175.47.255",
            "192.175.49.0",
            "198.17.255.255",
            "198.20.0.0",
            "198.51.99.255",
            "198.51.101.0",
            "203.0.112.255",
            "203.0.114.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:4860:4860::8888",
            "2620:fe::fe",
            "2001:200::1",
            "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
            "2001:db9::",
            "2003::1",
            "2620:4f:7fff:ffff:ffff:ffff:ffff:ffff",
            "2620:4f:8001::",
            "3fff:1000::",
            "3ffe:ffff::1",
            "64:ff9b::808:808",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn classes() {
        let cases = [
            ("0.1.2.3", Unspecified),
            ("127.255.255.254", Loopback),
            ("10.255.255.255", Private),
            ("172.31.255.255", Private),
            ("169.254.0.1", LinkLocal),
            ("169.254.169.254", CloudMetadata),
            ("100.100.100.200", CloudMetadata),
            ("100.127.255.255", SharedCgnat),
            ("192.0.0.8", Reserved),
            ("198.51.100.7", Documentation),
            ("198.19.255.255", Benchmarking),
            ("239.255.255.250", Multicast),
            ("240.0.0.1", Reserved),
            ("255.255.255.255", Broadcast),
            ("::", Unspecified),
            ("::1", Loopback),
            ("fdff:ffff::1", UniqueLocal),
            ("febf::1", LinkLocal),
            ("fec0::1", Private),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("3fff::1", Documentation),
            ("100::1", Reserved),
            ("2001:2::1", Benchmarking),
            ("2001:20::1", Reserved),
            ("fd00:ec2::254", CloudMetadata),
            ("::ffff:169.254.169.254", CloudMetadata),
            ("::ffff:8.8.8.8", Reserved),
        ];
        for (ip, expected) in cases {
            assert_eq!(class(ip), Some(expected), "{ip}");
        }
    }
}
