//! Outgoing webhook delivery: one payload, many endpoints, each signed over the exact bytes sent,
//! delivered concurrently on the process-wide engine, with one result per endpoint in order.
//!
//! Durability is not here: a retryable result goes back to the caller (the Ruby face re-enqueues it
//! as a Sidekiq job). Here: signing, the address guard, timeouts, bounded concurrency, classification
//! and quick in-process retries.

mod classify;
mod config;
mod deliver;
mod engine;
mod guard;
mod headers;
mod ids;
mod lanes;
mod provider;
mod redact;
mod resolver;
mod transport;
mod urls;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::task::JoinSet;

pub use classify::{classify_status, parse_retry_after, Verdict};
pub use config::{parse_cidr, DispatchConfig};
pub use engine::{configure, current_config, engine, Engine};
pub use guard::{classify as classify_address, AddressClass, GuardPolicy, Refusal};
pub use headers::Scheme;
pub use provider::{post as provider_post, ProviderFailure, ProviderReply};
pub use redact::{redact, redacted, REDACTED};
pub use urls::{check_literal_host, parse as parse_url, parse_endpoint_url, MAX_URL_BYTES};

use crate::secret::Secret;
use crate::signature::standard_key;
use crate::sync::lock;
use ids::DeliveryIds;

/// One endpoint as the caller gives it.
#[derive(Debug, Clone)]
pub struct EndpointSpec {
    pub url: String,
    pub secret: Option<Secret>,
    pub headers: Vec<(String, String)>,
    /// Reused on retries so receivers can de-duplicate; a new UUID v4 when absent.
    pub delivery_id: Option<String>,
}

/// The outcome for one endpoint.
#[derive(Debug, Clone, Default)]
pub struct DeliveryResult {
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

    fn invalid(spec: &EndpointSpec, delivery_id: String, error: String) -> Self {
        DeliveryResult {
            invalid: true,
            error: Some(error),
            ..DeliveryResult::new(spec.url.clone(), delivery_id)
        }
    }
}

/// Validates one endpoint: URL, headers, delivery id, and (for Standard Webhooks) the secret's format.
fn prepare(
    spec: &EndpointSpec,
    scheme: Scheme,
    ids: &mut DeliveryIds,
) -> Result<deliver::Prepared, (String, String)> {
    let delivery_id = match &spec.delivery_id {
        Some(id) => id.clone(),
        None => ids.next_id(),
    };
    let fail = |error: String| (delivery_id.clone(), error);
    if delivery_id.is_empty()
        || delivery_id.len() > 128
        || !delivery_id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(fail(
            "delivery_id must be 1 to 128 printable ASCII characters".into(),
        ));
    }
    let url = urls::parse_endpoint_url(&spec.url).map_err(&fail)?;
    let headers = headers::custom_headers(&spec.headers).map_err(&fail)?;
    let key = match (&spec.secret, scheme) {
        (Some(secret), Scheme::Standard) => Some(Secret::new(
            standard_key(secret.expose()).map_err(|e| fail(e.to_string()))?,
        )),
        (secret, _) => secret.clone(),
    };
    Ok(deliver::Prepared {
        url,
        url_text: spec.url.clone(),
        key,
        headers,
        delivery_id,
    })
}

/// Per-call options.
#[derive(Debug, Clone, Copy)]
pub struct DispatchOptions {
    pub scheme: Scheme,
    /// Overrides the configured timeout for this call.
    pub timeout: Option<Duration>,
}

/// Delivers `body` to every endpoint concurrently; results come back in endpoint order. An endpoint
/// with unusable input gets an `invalid` result and the others are delivered all the same.
///
/// The deliveries run on at most `max_concurrency` tasks per call, spread over the engine's lanes,
/// each taking the next endpoint by index until none is left, and validating it just before
/// sending it. One task per endpoint, each queueing for a permit, cost about a fifth of the
/// throughput (every completion woke a waiting task, often on another thread); validating all
/// endpoints first kept every worker idle meanwhile.
///
/// Dropping the returned future (a cancelled dispatch) aborts every delivery still in flight.
pub async fn dispatch_all(
    engine: Arc<Engine>,
    endpoints: Vec<EndpointSpec>,
    body: Bytes,
    options: DispatchOptions,
) -> Vec<DeliveryResult> {
    let timeout = options.timeout.unwrap_or(engine.config.timeout);
    let count = endpoints.len();
    let workers = count.min(engine.config.max_concurrency);
    let endpoints = Arc::new(endpoints);
    let next = Arc::new(AtomicUsize::new(0));
    // Each result is stored as soon as it is known, so a delivery that panics (a bug) loses only
    // its own result, filled in below.
    let results = Arc::new(Mutex::new(vec![None; count]));
    // The body's bytes once per lane: cloning a Bytes counts a reference on the shared buffer, and
    // one count for every lane's workers had the lanes' cores contending for its cache line.
    let bodies: Vec<Bytes> = (0..engine.lane_count().min(workers))
        .map(|lane| match lane {
            0 => body.clone(),
            _ => Bytes::copy_from_slice(&body),
        })
        .collect();
    let mut tasks = JoinSet::new();
    let first_lane = engine.next_lane();
    for worker in 0..workers {
        let lane = engine.lane(first_lane + worker).clone();
        let (engine, body, endpoints, next, results) = (
            engine.clone(),
            bodies[worker % bodies.len()].clone(),
            endpoints.clone(),
            next.clone(),
            results.clone(),
        );
        let work = async move {
            let mut ids = DeliveryIds::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(spec) = endpoints.get(index) else {
                    break;
                };
                let result = match prepare(spec, options.scheme, &mut ids) {
                    Ok(prepared) => {
                        deliver::deliver(&engine, prepared, body.clone(), options.scheme, timeout)
                            .await
                    }
                    Err((delivery_id, error)) => DeliveryResult::invalid(spec, delivery_id, error),
                };
                lock(&results)[index] = Some(result);
            }
        };
        tasks.spawn_on(work, &lane);
    }
    while tasks.join_next().await.is_some() {}
    let results = std::mem::take(&mut *lock(&results));
    results
        .into_iter()
        .zip(endpoints.iter())
        .map(|(result, spec)| {
            result.unwrap_or_else(|| DeliveryResult {
                error: Some("internal error: the delivery task failed".into()),
                retryable: true,
                ..DeliveryResult::new(
                    spec.url.clone(),
                    spec.delivery_id.clone().unwrap_or_default(),
                )
            })
        })
        .collect()
}
