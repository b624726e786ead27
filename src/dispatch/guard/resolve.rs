//! Name resolution that only hands the connector addresses the guard allows, so a name that
//! resolves (or re-resolves, DNS rebinding) to a private address is never connected to; and the
//! TCP connector around it, which knows the port being connected to (an `allowed_private_hosts`
//! entry may open one port only) and checks literal addresses, which are never resolved.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use super::host::literal_ip;
use super::GuardPolicy;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// Resolves the names of connections to one port.
#[derive(Clone)]
pub struct GuardedResolver {
    policy: Arc<GuardPolicy>,
    port: u16,
}

impl Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let (policy, port) = (self.policy.clone(), self.port);
        Box::pin(async move {
            let host = name.as_str().to_string();
            let resolved = tokio::net::lookup_host((host.as_str(), port)).await?;
            let mut allowed: Vec<SocketAddr> = Vec::new();
            let mut refusal = None;
            for addr in resolved {
                match policy.check(&host, port, addr.ip()) {
                    Ok(()) => allowed.push(addr),
                    Err(r) => {
                        refusal.get_or_insert(r);
                    }
                }
            }
            // The Refusal itself is the error, so the transport can find it in the source chain.
            match (allowed.is_empty(), refusal) {
                (false, _) => Ok(allowed.into_iter()),
                (true, Some(refusal)) => Err(refusal.into()),
                (true, None) => Err(format!("{host} has no addresses").into()),
            }
        })
    }
}

/// hyper-util's TCP connector, made for each new connection with a resolver that knows its port.
/// (The resolver interface carries the name only.) Building one costs an allocation, next to a
/// DNS lookup and a TCP handshake; pooled connections do not come here.
#[derive(Clone)]
pub struct GuardedConnector {
    policy: Arc<GuardPolicy>,
    connect_timeout: Duration,
}

impl GuardedConnector {
    pub fn new(policy: Arc<GuardPolicy>, connect_timeout: Duration) -> Self {
        GuardedConnector {
            policy,
            connect_timeout,
        }
    }
}

impl Service<Uri> for GuardedConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
            Some("https") => 443,
            _ => 80,
        });
        // A literal address is connected to without resolving: checked here, whatever the caller
        // checked before.
        let host = uri.host().unwrap_or_default();
        if let Some(ip) = literal_ip(host) {
            if let Err(refusal) = self.policy.check(host, port, ip) {
                return Box::pin(std::future::ready(Err(refusal.into())));
            }
        }
        let mut http = HttpConnector::new_with_resolver(GuardedResolver {
            policy: self.policy.clone(),
            port,
        });
        // hyper-rustls decides between http and https; the plain connector must let https through.
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(self.connect_timeout));
        Box::pin(async move { http.call(uri).await.map_err(BoxError::from) })
    }
}
