//! How the guard reads a host, wherever it meets one (a URL, a connection's URI, an
//! `allowed_private_hosts` entry, a refusal's text), so every check compares the same spelling.

use std::net::IpAddr;

/// The host without the brackets of an IPv6 literal (`[::1]` is `::1`).
pub fn unbracketed(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The address a host is, when it is an address literal (`127.0.0.1`, `[::1]`, `::1`); `None` for
/// a name, which the guarded resolver checks when it resolves it.
pub fn literal_ip(host: &str) -> Option<IpAddr> {
    unbracketed(host).parse().ok()
}

/// A trailing dot names the same host (`hooks.internal.` is `hooks.internal`).
pub fn without_root_dot(host: &str) -> &str {
    host.strip_suffix('.').unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_one_way() {
        assert_eq!(literal_ip("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(literal_ip("::1"), Some("::1".parse().unwrap()));
        assert_eq!(literal_ip("127.0.0.1"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(literal_ip("localhost"), None);
        assert_eq!(without_root_dot("hooks.internal."), "hooks.internal");
        assert_eq!(without_root_dot("hooks.internal"), "hooks.internal");
    }
}
