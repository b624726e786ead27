//! Outgoing webhook delivery: one payload, many endpoints, each signed over the exact bytes sent,
//! delivered concurrently on the process-wide engine, with one result per endpoint in order.
//!
//! Durability is not here: a retryable result goes back to the caller (the Ruby face re-enqueues it
//! as a Sidekiq job). Here: signing, the address guard, timeouts, bounded concurrency, classification
//! and quick in-process retries.

mod calling_thread;
mod classify;
mod config;
mod deliver;
mod engine;
mod fanout;
mod guard;
mod headers;
mod ids;
mod lanes;
mod redact;
pub mod retry_schedule;
mod transport;
mod transport_error;
mod upload_body;
mod urls;

use std::time::Duration;

pub use crate::providers::http::{
    get as provider_get, post as provider_post, request as provider_request, ProviderFailure,
};
pub use calling_thread::{on_this_thread, ThisThread};
pub use classify::{classify_status, parse_retry_after, Verdict};
pub use config::{call_timeout, DispatchConfig, Limit, Settings, Unit, LIMITS};
pub use engine::{configure, current_config, engine, Engine};
pub use fanout::{dispatch_all, dispatch_one};
pub use guard::{
    classify as classify_address, parse_cidr, AddressClass, Guard, GuardPolicy, Refusal,
};
pub use headers::{custom_headers, Scheme};
pub use ids::derived_id as derived_delivery_id;
pub use redact::{redact, redacted, REDACTED};
pub use transport::Reply as ProviderReply;
pub use transport_error::{ErrorKind, TransportError};
pub use upload_body::{ChannelBody, Chunk};
pub use urls::{parse as parse_url, parse_endpoint_url, MAX_URL_BYTES};

use crate::secret::Secret;

/// One endpoint as the caller gives it.
#[derive(Debug, Clone)]
pub struct EndpointSpec {
    pub url: String,
    pub secret: Option<Secret>,
    pub headers: Vec<(String, String)>,
    /// Reused on retries so receivers can de-duplicate; a new UUID v4 when absent.
    pub delivery_id: Option<String>,
    /// Secret rotation: the secrets still accepted besides `secret` (the newest), newest first.
    /// Standard Webhooks signs with each (one `v1,` entry per secret); the schemes that carry
    /// one signature (Chatwoot, hex body) sign with `secret` alone.
    pub previous_secrets: Vec<Secret>,
}

/// An entry of a fan-out that could not be made into an [`EndpointSpec`] (the binding found an
/// endpoint that is not a Hash, a URL that is not a String, text that is not UTF-8, …). It gets an
/// invalid result in its place, and the others are delivered all the same.
#[derive(Debug, Clone, Default)]
pub struct Unusable {
    /// The URL as far as it could be read; redacted for the result. Empty when there was none.
    pub url: String,
    /// The caller's delivery id, when it could be read; a new one otherwise.
    pub delivery_id: Option<String>,
    /// What was wrong, naming the field and never quoting a value (it may be a secret).
    pub error: String,
}

/// One entry of a fan-out: an endpoint to validate and deliver, or one already found unusable.
#[derive(Debug, Clone)]
pub enum EndpointInput {
    Spec(EndpointSpec),
    Unusable(Unusable),
}

impl From<EndpointSpec> for EndpointInput {
    fn from(spec: EndpointSpec) -> Self {
        EndpointInput::Spec(spec)
    }
}

impl From<Unusable> for EndpointInput {
    fn from(unusable: Unusable) -> Self {
        EndpointInput::Unusable(unusable)
    }
}

/// The outcome for one endpoint.
#[derive(Debug, Clone, Default)]
pub struct DeliveryResult {
    /// The endpoint's URL as it may be shown (see [`redact`]): never its user info, query values
    /// or fragment.
    pub url: String,
    pub delivery_id: String,
    /// The last HTTP status received, if any.
    pub status: Option<u16>,
    pub attempts: u32,
    pub duration: Duration,
    /// `None` on success.
    pub error: Option<String>,
    pub retryable: bool,
    /// The endpoint's input was unusable (bad URL, bad header); nothing was sent.
    pub invalid: bool,
    /// At most `max_response_bytes` of the last response body.
    pub response_excerpt: Vec<u8>,
    /// The receiver's Retry-After, when it sent one.
    pub retry_after: Option<Duration>,
}

impl DeliveryResult {
    fn new(url: String, delivery_id: String) -> Self {
        DeliveryResult {
            url,
            delivery_id,
            ..Default::default()
        }
    }

    pub fn success(&self) -> bool {
        self.error.is_none()
    }

    fn invalid(url: String, delivery_id: String, error: String) -> Self {
        DeliveryResult {
            invalid: true,
            error: Some(error),
            ..DeliveryResult::new(url, delivery_id)
        }
    }
}

/// Per-call options.
#[derive(Debug, Clone, Copy)]
pub struct DispatchOptions {
    pub scheme: Scheme,
    /// Overrides the configured timeout for this call.
    pub timeout: Option<Duration>,
}
