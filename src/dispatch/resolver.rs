//! Name resolution that only hands the connector addresses the guard allows, so a name that
//! resolves (or re-resolves, DNS rebinding) to a private address is never connected to.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::dns::Name;
use tower_service::Service;

use super::guard::GuardPolicy;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone)]
pub struct GuardedResolver {
    policy: Arc<GuardPolicy>,
}

impl GuardedResolver {
    pub fn new(policy: Arc<GuardPolicy>) -> Self {
        GuardedResolver { policy }
    }
}

impl Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let mut allowed: Vec<SocketAddr> = Vec::new();
            let mut refusal = None;
            for addr in resolved {
                match policy.check(&host, addr.ip()) {
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
