//! The address guard (SSRF protection): which addresses a request may connect to. The transport
//! enforces it on every request it sends, so no caller (a webhook delivery, a provider call) has
//! to remember it.
//!
//! - `classes`: the special-purpose address blocks (the IANA registries) and what kind each is.
//! - `policy`: what the operator opens beyond the public Internet (its settings are parsed there),
//!   the check of one address, and the [`Refusal`] naming what was refused.
//! - `host`: how a host is read (brackets, trailing dot), the same way by every check.
//! - `resolve`: the resolver and TCP connector that connect to vetted addresses only.
//!
//! [`Guard`] is the one entry: the transport `admit`s every request (the first and every redirect
//! hop) and makes every connection with its `connector`.

mod classes;
mod host;
mod policy;
mod resolve;

use std::sync::Arc;
use std::time::Duration;

use url::Url;

pub use classes::{classify, AddressClass};
pub use policy::{parse_cidr, GuardPolicy, Refusal};
pub use resolve::GuardedConnector;

/// The guard a transport enforces: one policy, checked twice per new connection, by two means.
///
/// - [`Guard::admit`], before each request is handed to the pooled client: a host given as an
///   address literal is never resolved, so it is judged here, before any connection is tried
///   (and before a pooled connection could be reused for it).
/// - [`Guard::connector`], for each new connection: names are resolved through the policy (only
///   allowed addresses are connected to, whatever DNS answers next time), and literal addresses
///   are checked again.
#[derive(Debug, Clone)]
pub struct Guard {
    policy: Arc<GuardPolicy>,
}

impl Guard {
    pub fn new(policy: GuardPolicy) -> Self {
        Guard {
            policy: Arc::new(policy),
        }
    }

    /// Whether a request to `url` may be sent: refused when its host is an address the policy
    /// does not allow; a name passes here and is checked by the resolver when connecting.
    pub fn admit(&self, url: &Url) -> Result<(), Refusal> {
        self.policy.check_literal(url)
    }

    /// The TCP connector for the transport's client: every connection it makes passes the guard.
    pub fn connector(&self, connect_timeout: Duration) -> GuardedConnector {
        GuardedConnector::new(self.policy.clone(), connect_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::parse_endpoint_url;

    #[test]
    fn literal_hosts_are_refused_before_connecting_and_names_left_to_the_resolver() {
        let strict = Guard::new(GuardPolicy::default());
        for url in [
            "http://127.0.0.1/",
            "http://[::1]/",
            "http://0x7f.1/",
            "http://169.254.169.254/latest",
            "http://[::ffff:127.0.0.1]/",
            "http://2130706433/",
            "http://0.0.0.0:80/",
        ] {
            let url = parse_endpoint_url(url).unwrap();
            assert!(strict.admit(&url).is_err(), "{url}");
        }
        assert!(strict
            .admit(&parse_endpoint_url("http://93.184.216.34/").unwrap())
            .is_ok());
        // Names are left to the resolver.
        assert!(strict
            .admit(&parse_endpoint_url("http://localhost/").unwrap())
            .is_ok());
    }
}
