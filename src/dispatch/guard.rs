//! The address guard (SSRF protection): which IP addresses a webhook may be delivered to.
//!
//! Chatwoot refuses private networks unless an operator allows them, and so do we, more strictly:
//! every special-purpose range of the IANA registries that is not the public Internet is refused
//! by default, including IPv4 addresses hidden inside IPv6 forms (mapped, compatible, NAT64, 6to4).
//! Names are resolved by our own resolver (`resolver.rs`) and only vetted addresses are connected to.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

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
    fn never_allowed(self) -> bool {
        matches!(
            self,
            AddressClass::Unspecified | AddressClass::Multicast | AddressClass::Broadcast
        )
    }
}

/// Which IPv4 special-purpose range `ip` is in, if any.
fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    use AddressClass::*;
    let n = u32::from(ip);
    let within = |net: [u8; 4], bits: u32| {
        let net = u32::from(Ipv4Addr::from(net));
        let mask = if bits == 0 {
            0
        } else {
            u32::MAX << (32 - bits)
        };
        n & mask == net & mask
    };
    // Order matters: the most specific range first.
    let table: &[([u8; 4], u32, AddressClass)] = &[
        ([255, 255, 255, 255], 32, Broadcast),
        ([169, 254, 169, 254], 32, CloudMetadata), // AWS, GCP, Azure, OpenStack
        ([100, 100, 100, 200], 32, CloudMetadata), // Alibaba Cloud
        ([0, 0, 0, 0], 8, Unspecified),            // "this network"
        ([127, 0, 0, 0], 8, Loopback),
        ([10, 0, 0, 0], 8, Private),
        ([172, 16, 0, 0], 12, Private),
        ([192, 168, 0, 0], 16, Private),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([100, 64, 0, 0], 10, SharedCgnat),
        ([192, 0, 0, 0], 24, Reserved), // IETF protocol assignments
        ([192, 0, 2, 0], 24, Documentation),
        ([198, 51, 100, 0], 24, Documentation),
        ([203, 0, 113, 0], 24, Documentation),
        ([198, 18, 0, 0], 15, Benchmarking),
        ([192, 88, 99, 0], 24, Reserved), // deprecated 6to4 relay anycast
        ([224, 0, 0, 0], 4, Multicast),
        ([240, 0, 0, 0], 4, Reserved),
    ];
    table
        .iter()
        .find(|(net, bits, _)| within(*net, *bits))
        .map(|(_, _, class)| *class)
}

/// The IPv4 address an IPv6 address stands for, where the connection would really reach one:
/// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail),
        [0, 0, 0, 0, 0, 0, _, _] if u128::from(ip) > 1 => Some(tail),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail),
        [0x2002, a, b, ..] => Some(Ipv4Addr::new(
            (a >> 8) as u8,
            a as u8,
            (b >> 8) as u8,
            b as u8,
        )),
        _ => None,
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    use AddressClass::*;
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    match s {
        [0, 0, 0, 0, 0, 0, 0, 0] => Some(Unspecified),
        [0, 0, 0, 0, 0, 0, 0, 1] => Some(Loopback),
        [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] => Some(CloudMetadata), // AWS IMDS over IPv6
        _ if s[0] & 0xfe00 == 0xfc00 => Some(UniqueLocal),              // fc00::/7
        _ if s[0] & 0xffc0 == 0xfe80 => Some(LinkLocal),                // fe80::/10
        _ if s[0] & 0xffc0 == 0xfec0 => Some(Private), // deprecated site-local fec0::/10
        _ if s[0] & 0xff00 == 0xff00 => Some(Multicast), // ff00::/8
        [0x2001, 0x0db8, ..] => Some(Documentation),   // 2001:db8::/32
        _ if s[0] & 0xfff0 == 0x3ff0 => Some(Documentation), // 3fff::/20
        [0x0100, 0, 0, 0, ..] => Some(Reserved),       // discard-only 100::/64
        [0x2001, 0, ..] => Some(Reserved),             // Teredo (hides an IPv4 peer)
        [0x2001, b, ..] if b & 0xfff0 == 0x0010 || b & 0xfff0 == 0x0020 => Some(Reserved), // ORCHID
        [0x2001, 0x0002, 0, ..] => Some(Benchmarking), // 2001:2::/48
        _ => None,
    }
}

/// The special-purpose class of `ip`, or `None` for a public unicast address.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// A connection the guard refused. Names the host and address (never anything secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub host: String,
    pub ip: IpAddr,
    pub class: AddressClass,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ip = self.ip.to_string();
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        if host == ip {
            write!(
                f,
                "refused by the address guard: {ip} is {}",
                self.class.describe()
            )?;
        } else {
            write!(
                f,
                "refused by the address guard: {host} resolves to {ip}, {}",
                self.class.describe()
            )?;
        }
        if self.class.never_allowed() {
            Ok(())
        } else if self.class == AddressClass::CloudMetadata {
            f.write_str(" (only allowed_private_cidrs can open it)")
        } else {
            f.write_str(
                " (see allow_private_addresses, allowed_private_hosts, allowed_private_cidrs)",
            )
        }
    }
}

impl std::error::Error for Refusal {}

/// What the operator allows beyond the public Internet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardPolicy {
    /// Allow every private, loopback, link-local, CGNAT and ULA address (not cloud metadata).
    pub allow_private: bool,
    /// Host names (lower case) whose addresses may be private, like WEBHOOK_ALLOWED_PRIVATE_HOSTS.
    pub allowed_hosts: Vec<String>,
    /// Networks that are always allowed, like WEBHOOK_ALLOWED_PRIVATE_CIDRS; the only way to
    /// reach a cloud metadata address.
    pub allowed_cidrs: Vec<IpNet>,
}

impl GuardPolicy {
    /// `Ok` when a connection to `ip` (reached through the name `host`) is allowed.
    pub fn check(&self, host: &str, ip: IpAddr) -> Result<(), Refusal> {
        let Some(class) = classify(ip) else {
            return Ok(());
        };
        let refuse = || {
            Err(Refusal {
                host: host.to_string(),
                ip,
                class,
            })
        };
        if class.never_allowed() {
            return refuse();
        }
        let ip = canonical(ip);
        if self.allowed_cidrs.iter().any(|net| net.contains(&ip)) {
            return Ok(());
        }
        if class == AddressClass::CloudMetadata {
            return refuse();
        }
        let host = host.trim_end_matches('.');
        if self.allow_private
            || self
                .allowed_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host))
        {
            return Ok(());
        }
        refuse()
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is, so CIDRs match either spelling.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AddressClass::*;

    fn class(text: &str) -> Option<AddressClass> {
        classify(text.parse().unwrap())
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "192.0.1.255",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "169.253.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn every_special_range_is_classified() {
        let cases = [
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("10.0.0.1", Private),
            ("10.255.255.255", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("169.254.0.1", LinkLocal),
            ("169.254.169.254", CloudMetadata),
            ("100.100.100.200", CloudMetadata),
            ("100.64.0.1", SharedCgnat),
            ("100.127.255.255", SharedCgnat),
            ("192.0.0.8", Reserved),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("198.18.0.1", Benchmarking),
            ("198.19.255.255", Benchmarking),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("240.0.0.1", Reserved),
            ("255.255.255.255", Broadcast),
            ("192.88.99.1", Reserved),
            ("::", Unspecified),
            ("::1", Loopback),
            ("fc00::1", UniqueLocal),
            ("fdff:ffff::1", UniqueLocal),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fec0::1", Private),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("3fff::1", Documentation),
            ("100::1", Reserved),
            ("2001::1", Reserved),
            ("2001:10::1", Reserved),
            ("2001:20::1", Reserved),
            ("2001:2::1", Benchmarking),
            ("fd00:ec2::254", CloudMetadata),
            // IPv4 hidden in IPv6: mapped, compatible, NAT64, 6to4.
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:169.254.169.254", CloudMetadata),
            ("::ffff:10.1.2.3", Private),
            ("::127.0.0.1", Loopback),
            ("::10.0.0.1", Private),
            ("64:ff9b::7f00:1", Loopback),
            ("64:ff9b::a9fe:a9fe", CloudMetadata),
            ("2002:7f00:0001::1", Loopback),
            ("2002:c0a8:0101::", Private),
        ];
        for (ip, expected) in cases {
            assert_eq!(class(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn odd_ipv4_spellings_parse_to_the_same_address() {
        // URLs are parsed by the WHATWG rules (url crate, as browsers do): decimal, octal and hex
        // IPv4 forms become the plain address before the guard sees them.
        for url in [
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
            "http://127.1/",
        ] {
            let parsed = url::Url::parse(url).unwrap();
            assert_eq!(parsed.host_str(), Some("127.0.0.1"), "{url}");
        }
        let parsed = url::Url::parse("http://0xa9.0xfe.0xa9.0xfe/").unwrap();
        assert_eq!(parsed.host_str(), Some("169.254.169.254"));
    }

    #[test]
    fn policy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let strict = GuardPolicy::default();
        assert!(strict.check("example.com", ip("93.184.216.34")).is_ok());
        let refusal = strict.check("localhost", ip("127.0.0.1")).unwrap_err();
        assert_eq!(refusal.class, Loopback);
        assert!(refusal
            .to_string()
            .contains("localhost resolves to 127.0.0.1, a loopback address"));

        let open = GuardPolicy {
            allow_private: true,
            ..Default::default()
        };
        assert!(open.check("h", ip("127.0.0.1")).is_ok());
        assert!(open.check("h", ip("10.0.0.1")).is_ok());
        assert!(open.check("h", ip("fd12::1")).is_ok());
        assert_eq!(
            open.check("h", ip("169.254.169.254")).unwrap_err().class,
            CloudMetadata
        );
        assert_eq!(
            open.check("h", ip("0.0.0.0")).unwrap_err().class,
            Unspecified
        );
        assert_eq!(
            open.check("h", ip("224.0.0.1")).unwrap_err().class,
            Multicast
        );

        let hosts = GuardPolicy {
            allowed_hosts: vec!["internal.example".into()],
            ..Default::default()
        };
        assert!(hosts.check("Internal.Example.", ip("10.0.0.5")).is_ok());
        assert!(hosts.check("other.example", ip("10.0.0.5")).is_err());
        assert!(hosts
            .check("internal.example", ip("169.254.169.254"))
            .is_err());

        let cidrs = GuardPolicy {
            allowed_cidrs: vec![
                "10.1.0.0/16".parse().unwrap(),
                "169.254.169.254/32".parse().unwrap(),
            ],
            ..Default::default()
        };
        assert!(cidrs.check("a", ip("10.1.2.3")).is_ok());
        assert!(cidrs.check("a", ip("::ffff:10.1.2.3")).is_ok());
        assert!(cidrs.check("a", ip("10.2.0.1")).is_err());
        assert!(cidrs.check("a", ip("169.254.169.254")).is_ok());
    }
}
