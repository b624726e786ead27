//! What the operator opens beyond the public Internet (`allow_private_addresses`,
//! `allowed_private_hosts`, `allowed_private_cidrs`, parsed here), the check of one address
//! against it, and the refusal that names what was refused.
//!
//! Chatwoot refuses private networks unless an operator allows them, and so do we, more strictly
//! (see `classes` for what is refused by default).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use url::{Host, Url};

use super::classes::{classify, classify_v4, embedded_v4, AddressClass};
use super::host;
use crate::{Error, Result};

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
        // "64:ff9b::7f00:1 (an IPv6 form of 127.0.0.1)" when the IPv4 address is what was refused.
        let carried = match self.ip {
            IpAddr::V6(v6) => embedded_v4(v6)
                .filter(|(v4, _)| classify_v4(*v4) == Some(self.class))
                .map(|(v4, _)| format!(" (an IPv6 form of {v4})")),
            IpAddr::V4(_) => None,
        }
        .unwrap_or_default();
        let host = host::unbracketed(&self.host);
        // A literal host is the address, however it was spelled ([::ffff:7f00:1] is ::ffff:127.0.0.1).
        if host::literal_ip(host) == Some(self.ip) {
            write!(
                f,
                "refused by the address guard: {ip}{carried} is {}",
                self.class.describe()
            )?;
        } else {
            write!(
                f,
                "refused by the address guard: {host} resolves to {ip}{carried}, {}",
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

/// One `allowed_private_hosts` entry: a host, and the one port it is opened on (every port when
/// none is given). Parsed as a URL's host is (lower case, IDNA, the IPv4 spellings URLs accept),
/// so an entry matches the host of the URLs it was meant for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    host: Host<String>,
    port: Option<u16>,
}

impl AllowedHost {
    /// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address (every port).
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let invalid = || {
            Error::InvalidArgument(format!(
                "allowed_private_hosts: {text:?} is not a host or host:port (like hooks.internal, \
                 hooks.internal:8080 or [fd00::5]:8080)"
            ))
        };
        let (host, port) = if text.starts_with('[') {
            let end = text.find(']').ok_or_else(invalid)?;
            match &text[end + 1..] {
                "" => (&text[..=end], None),
                rest => (
                    &text[..=end],
                    Some(rest.strip_prefix(':').ok_or_else(invalid)?),
                ),
            }
        } else if let Ok(v6) = text.parse::<Ipv6Addr>() {
            return Ok(AllowedHost {
                host: Host::Ipv6(v6),
                port: None,
            });
        } else {
            match text.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (text, None),
            }
        };
        let port = match port {
            // Digits only: u16's parser would also take "+80".
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p != 0)
                    .ok_or_else(invalid)?,
            ),
            Some(_) => return Err(invalid()),
            None => None,
        };
        let host = host::without_root_dot(host);
        if host.is_empty() {
            return Err(invalid());
        }
        let host = Host::parse(host).map_err(|_| invalid())?;
        Ok(AllowedHost { host, port })
    }

    /// Whether a connection to `host` (a URL's host: a name, or an address in brackets or not) on
    /// `port` is opened by this entry. An address entry opens that literal address only, not the
    /// names that resolve to it.
    fn matches(&self, host: &str, port: u16) -> bool {
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        let host = host::without_root_dot(host);
        match &self.host {
            Host::Domain(name) => name.eq_ignore_ascii_case(host),
            Host::Ipv4(v4) => host.parse::<Ipv4Addr>().is_ok_and(|h| h == *v4),
            Host::Ipv6(v6) => host::unbracketed(host)
                .parse::<Ipv6Addr>()
                .is_ok_and(|h| h == *v6),
        }
    }
}

/// What the operator allows beyond the public Internet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardPolicy {
    /// Allow every private, loopback, link-local, CGNAT and ULA address (not cloud metadata).
    pub allow_private: bool,
    /// Hosts (and host:port pairs) whose addresses may be private, like WEBHOOK_ALLOWED_PRIVATE_HOSTS.
    pub allowed_hosts: Vec<AllowedHost>,
    /// Networks that are always allowed, like WEBHOOK_ALLOWED_PRIVATE_CIDRS; the only way to
    /// reach a cloud metadata address.
    pub allowed_cidrs: Vec<IpNet>,
}

impl GuardPolicy {
    /// The policy from the settings as an operator writes them (`allow_private_addresses`,
    /// `allowed_private_hosts`, `allowed_private_cidrs`); an entry that does not parse is an
    /// `InvalidArgument` naming the setting and the entry.
    pub fn from_settings(
        allow_private: bool,
        hosts: &[impl AsRef<str>],
        cidrs: &[impl AsRef<str>],
    ) -> Result<Self> {
        Ok(GuardPolicy {
            allow_private,
            allowed_hosts: hosts
                .iter()
                .map(|h| AllowedHost::parse(h.as_ref()))
                .collect::<Result<_>>()?,
            allowed_cidrs: cidrs
                .iter()
                .map(|c| parse_cidr(c.as_ref()))
                .collect::<Result<_>>()?,
        })
    }

    /// `Ok` when a connection to `ip` on `port`, reached through the URL host `host`, is allowed.
    pub fn check(&self, host: &str, port: u16, ip: IpAddr) -> Result<(), Refusal> {
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
        if self.allow_private || self.allowed_hosts.iter().any(|h| h.matches(host, port)) {
            return Ok(());
        }
        refuse()
    }

    /// The check for a URL whose host is an IP literal (the connector does not resolve those, so
    /// the resolver never sees them); names pass here and are checked by the resolver.
    pub fn check_literal(&self, url: &Url) -> Result<(), Refusal> {
        let ip: IpAddr = match url.host() {
            Some(Host::Ipv4(v4)) => v4.into(),
            Some(Host::Ipv6(v6)) => v6.into(),
            _ => return Ok(()),
        };
        let port = url.port_or_known_default().unwrap_or(0);
        self.check(url.host_str().unwrap_or_default(), port, ip)
    }
}

/// Parses `allowed_private_cidrs` entries ("10.0.0.0/8", "fd00::/8", or a bare address).
pub fn parse_cidr(text: &str) -> Result<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| {
            Error::InvalidArgument(format!(
                "allowed_private_cidrs: {text:?} is not a CIDR (like 10.0.0.0/8)"
            ))
        })
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

    use super::super::classes::AddressClass::*;

    #[test]
    fn refusals_say_which_ipv4_address_an_ipv6_form_carries() {
        let strict = GuardPolicy::default();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let text = strict
            .check("[64:ff9b:1::7f00:1]", 80, ip("64:ff9b:1::7f00:1"))
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("64:ff9b:1::7f00:1 (an IPv6 form of 127.0.0.1) is a loopback address"),
            "{text}"
        );
        let text = strict
            .check("h.example", 80, ip("::ffff:0:a9fe:a9fe"))
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("h.example resolves to ::ffff:0:a9fe:a9fe (an IPv6 form of 169.254.169.254), a cloud metadata address (only allowed_private_cidrs"),
            "{text}"
        );
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
    fn literal_translation_forms_in_urls_are_refused() {
        // Even with the loopback CIDR open: only the mapped form is 127.0.0.1 itself.
        let loopback =
            GuardPolicy::from_settings(false, &[] as &[&str], &["127.0.0.1/32"]).unwrap();
        for url in [
            "http://[64:ff9b:1::7f00:1]:8080/",
            "http://[::ffff:0:7f00:1]:8080/",
            "http://[::ffff:0:127.0.0.1]/",
            "http://[64:ff9b::127.0.0.1]/",
            "http://[::127.0.0.1]/",
            "http://[2002:7f00:1::]/",
        ] {
            let url = Url::parse(url).unwrap();
            assert!(GuardPolicy::default().check_literal(&url).is_err(), "{url}");
            assert!(loopback.check_literal(&url).is_err(), "{url}");
        }
        let mapped = Url::parse("http://[::ffff:127.0.0.1]:8080/").unwrap();
        assert!(GuardPolicy::default().check_literal(&mapped).is_err());
        assert!(loopback.check_literal(&mapped).is_ok());
    }

    #[test]
    fn cidrs() {
        assert_eq!(parse_cidr("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(
            parse_cidr(" 127.0.0.1 ").unwrap().to_string(),
            "127.0.0.1/32"
        );
        assert_eq!(parse_cidr("fd00::/8").unwrap().to_string(), "fd00::/8");
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("example.com").is_err());
    }

    #[test]
    fn policy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let strict = GuardPolicy::default();
        assert!(strict
            .check("example.com", 443, ip("93.184.216.34"))
            .is_ok());
        let refusal = strict.check("localhost", 80, ip("127.0.0.1")).unwrap_err();
        assert_eq!(refusal.class, Loopback);
        assert!(refusal
            .to_string()
            .contains("localhost resolves to 127.0.0.1, a loopback address"));

        let open = GuardPolicy {
            allow_private: true,
            ..Default::default()
        };
        assert!(open.check("h", 80, ip("127.0.0.1")).is_ok());
        assert!(open.check("h", 80, ip("10.0.0.1")).is_ok());
        assert!(open.check("h", 80, ip("fd12::1")).is_ok());
        for (addr, class) in [
            ("169.254.169.254", CloudMetadata),
            ("0.0.0.0", Unspecified),
            ("224.0.0.1", Multicast),
            ("64:ff9b::a9fe:a9fe", CloudMetadata),
        ] {
            assert_eq!(open.check("h", 80, ip(addr)).unwrap_err().class, class);
        }

        let hosts =
            GuardPolicy::from_settings(false, &[" Internal.Example. "], &[] as &[&str]).unwrap();
        assert!(hosts.check("internal.example.", 80, ip("10.0.0.5")).is_ok());
        assert!(hosts.check("internal.example", 9, ip("10.0.0.5")).is_ok());
        assert!(hosts.check("other.example", 80, ip("10.0.0.5")).is_err());
        assert!(hosts
            .check("internal.example", 80, ip("169.254.169.254"))
            .is_err());

        let cidrs = GuardPolicy::from_settings(
            false,
            &[] as &[&str],
            &["10.1.0.0/16", "169.254.169.254/32"],
        )
        .unwrap();
        assert!(cidrs.check("a", 80, ip("10.1.2.3")).is_ok());
        assert!(cidrs.check("a", 80, ip("::ffff:10.1.2.3")).is_ok());
        assert!(cidrs.check("a", 80, ip("10.2.0.1")).is_err());
        assert!(cidrs.check("a", 80, ip("169.254.169.254")).is_ok());
    }

    #[test]
    fn allowed_hosts_open_one_port_when_given_one() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let policy = GuardPolicy::from_settings(
            false,
            &[
                "hooks.internal:8080",
                "127.0.0.1:9000",
                "[::1]:9001",
                "fd00::5",
                "0x7f.2",
                "Bücher.example:81",
            ],
            &[] as &[&str],
        )
        .unwrap();
        let cases = [
            ("hooks.internal", 8080, "10.0.0.5", true),
            ("hooks.internal.", 8080, "10.0.0.5", true),
            ("hooks.internal", 8081, "10.0.0.5", false),
            ("hooks.internal", 80, "10.0.0.5", false),
            ("127.0.0.1", 9000, "127.0.0.1", true),
            ("127.0.0.1", 9001, "127.0.0.1", false),
            // An address entry is that literal address, not a name resolving to it.
            ("localhost", 9000, "127.0.0.1", false),
            ("[::1]", 9001, "::1", true),
            ("::1", 9001, "::1", true),
            ("[::1]", 9000, "::1", false),
            ("[fd00::5]", 1, "fd00::5", true),
            ("[fd00:0::5]", 65535, "fd00::5", true),
            ("127.0.0.2", 5, "127.0.0.2", true),
            ("xn--bcher-kva.example", 81, "10.0.0.7", true),
            ("xn--bcher-kva.example", 80, "10.0.0.7", false),
        ];
        for (host, port, addr, allowed) in cases {
            assert_eq!(
                policy.check(host, port, ip(addr)).is_ok(),
                allowed,
                "{host}:{port} -> {addr}"
            );
        }
    }

    #[test]
    fn allowed_host_entries_that_do_not_parse_are_refused() {
        for entry in [
            "",
            "  ",
            "host:",
            "host:0",
            "host:65536",
            "host:+80",
            "host:80:81",
            "host:http",
            ":80",
            "[::1",
            "[::1]80",
            "[::1]:",
            "[nope]",
            "a b",
            "hooks.internal/path",
            "user@hooks.internal",
            "http://hooks.internal",
        ] {
            let error = AllowedHost::parse(entry).unwrap_err().to_string();
            assert!(
                error.starts_with("allowed_private_hosts: "),
                "{entry:?}: {error}"
            );
        }
        assert!(
            GuardPolicy::from_settings(false, &["ok", "bad host"], &[] as &[&str])
                .unwrap_err()
                .to_string()
                .contains("\"bad host\"")
        );
    }
}
