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

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::task::JoinSet;

pub use classify::{classify_status, parse_retry_after, Verdict};
pub use config::{parse_cidr, DispatchConfig};
pub use engine::{configure, current_config, engine, Engine};
pub use guard::{classify as classify_address, AddressClass, GuardPolicy, Refusal};
pub use headers::{custom_headers, Scheme};
pub use provider::{
    get as provider_get, post as provider_post, request as provider_request, ProviderFailure,
    ProviderReply,
};
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

/// Delivery ids go into a header and into receivers' logs: printable ASCII, at most 128 bytes.
fn usable_delivery_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Why an endpoint was not sent, for its invalid result.
struct Refused {
    url: String,
    delivery_id: String,
    error: String,
}

impl From<Refused> for DeliveryResult {
    fn from(r: Refused) -> Self {
        DeliveryResult::invalid(r.url, r.delivery_id, r.error)
    }
}

/// Validates one endpoint: URL, headers, delivery id, and (for Standard Webhooks) the secret's
/// format.
fn prepare(
    input: &EndpointInput,
    scheme: Scheme,
    ids: &mut DeliveryIds,
) -> Result<deliver::Prepared, Refused> {
    let refused = |url, delivery_id, error| Refused {
        url,
        delivery_id,
        error,
    };
    let spec = match input {
        EndpointInput::Spec(spec) => spec,
        EndpointInput::Unusable(unusable) => {
            let delivery_id = match &unusable.delivery_id {
                Some(id) if usable_delivery_id(id) => id.clone(),
                _ => ids.next_id(),
            };
            return Err(refused(
                redact(&unusable.url),
                delivery_id,
                unusable.error.clone(),
            ));
        }
    };
    let delivery_id = match &spec.delivery_id {
        Some(id) if usable_delivery_id(id) => id.clone(),
        // The result gets a new id: the refused one may hold a newline meant for a log line.
        Some(_) => {
            return Err(refused(
                redact(&spec.url),
                ids.next_id(),
                "delivery_id must be 1 to 128 printable ASCII characters".into(),
            ))
        }
        None => ids.next_id(),
    };
    let url = match urls::parse_endpoint_url(&spec.url) {
        Ok(url) => url,
        Err(error) => return Err(refused(redact(&spec.url), delivery_id, error)),
    };
    let shown = redacted(&url);
    let headers = match headers::custom_headers(&spec.headers) {
        Ok(headers) => headers,
        Err(error) => return Err(refused(shown, delivery_id, error)),
    };
    let key = match (&spec.secret, scheme) {
        (Some(secret), Scheme::Standard) => match standard_key(secret.expose()) {
            Ok(key) => Some(Secret::new(key)),
            Err(e) => return Err(refused(shown, delivery_id, e.to_string())),
        },
        (secret, _) => secret.clone(),
    };
    Ok(deliver::Prepared {
        url,
        // What the result shows, not what is sent (that is `url`).
        url_text: shown,
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
pub fn dispatch_all<E: Into<EndpointInput>>(
    engine: Arc<Engine>,
    endpoints: Vec<E>,
    body: Bytes,
    options: DispatchOptions,
) -> impl Future<Output = Vec<DeliveryResult>> + Send + 'static {
    // (In place when `E` is `EndpointInput` already: no copy of the list.)
    let endpoints: Vec<EndpointInput> = endpoints.into_iter().map(Into::into).collect();
    deliver_all(engine, endpoints, body, options)
}

async fn deliver_all(
    engine: Arc<Engine>,
    endpoints: Vec<EndpointInput>,
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
                let Some(input) = endpoints.get(index) else {
                    break;
                };
                let result = match prepare(input, options.scheme, &mut ids) {
                    Ok(prepared) => {
                        deliver::deliver(&engine, prepared, body.clone(), options.scheme, timeout)
                            .await
                    }
                    Err(refused) => refused.into(),
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
        .map(|(result, input)| {
            result.unwrap_or_else(|| {
                let (url, delivery_id) = match input {
                    EndpointInput::Spec(spec) => (&spec.url, &spec.delivery_id),
                    EndpointInput::Unusable(unusable) => (&unusable.url, &unusable.delivery_id),
                };
                DeliveryResult {
                    error: Some("internal error: the delivery task failed".into()),
                    retryable: true,
                    ..DeliveryResult::new(
                        redact(url),
                        delivery_id
                            .clone()
                            .filter(|id| usable_delivery_id(id))
                            .unwrap_or_default(),
                    )
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(url: &str, delivery_id: Option<&str>) -> EndpointInput {
        EndpointSpec {
            url: url.into(),
            secret: None,
            headers: vec![],
            delivery_id: delivery_id.map(Into::into),
        }
        .into()
    }

    #[test]
    fn a_prepared_endpoint_sends_its_url_and_shows_it_redacted() {
        let mut ids = DeliveryIds::new();
        let input = spec(" http://u:pw-secret@h/x?token=t0ken", Some("id-1"));
        let Ok(prepared) = prepare(&input, Scheme::Chatwoot, &mut ids) else {
            panic!("refused");
        };
        assert_eq!(prepared.url.password(), Some("pw-secret"));
        assert_eq!(prepared.url_text, "http://h/x?token=[REDACTED]");
        assert_eq!(prepared.delivery_id, "id-1");
    }

    #[test]
    fn refused_endpoints_show_no_secret_and_no_unusable_delivery_id() {
        let mut ids = DeliveryIds::new();
        let refused = |input: EndpointInput, ids: &mut DeliveryIds| match prepare(
            &input,
            Scheme::Standard,
            ids,
        ) {
            Ok(_) => panic!("prepared"),
            Err(refused) => DeliveryResult::from(refused),
        };

        let r = refused(spec("http://u:pw-secret@exa mple/", Some("id-2")), &mut ids);
        assert!(r.invalid && !r.retryable && r.attempts == 0);
        assert_eq!(r.url, "http://[REDACTED]@exa mple/");
        assert_eq!(r.delivery_id, "id-2");
        assert!(r.error.as_deref().unwrap().contains("not a valid URL"));

        // A delivery id with a newline is refused, and the result carries a new one instead.
        let r = refused(spec("http://h/", Some("id\nX-Injected: 1")), &mut ids);
        assert!(r.error.as_deref().unwrap().contains("delivery_id"));
        assert!(uuid::Uuid::parse_str(&r.delivery_id).is_ok(), "{r:?}");

        let unusable = Unusable {
            url: "\thttp://u:pw-secret@h/?k=v".into(),
            delivery_id: Some("id-3".into()),
            error: "secret must be a String, got Integer".into(),
        };
        let r = refused(unusable.into(), &mut ids);
        assert_eq!(r.url, "http://h/?k=[REDACTED]");
        assert_eq!(r.delivery_id, "id-3");
        assert_eq!(
            r.error.as_deref(),
            Some("secret must be a String, got Integer")
        );

        // Standard Webhooks: a secret that is not whsec_ base64 is the endpoint's defect.
        let input = EndpointSpec {
            secret: Some(Secret::new("whsec_!!")),
            ..match spec("http://u:pw-secret@h/", None) {
                EndpointInput::Spec(spec) => spec,
                EndpointInput::Unusable(_) => unreachable!(),
            }
        };
        let r = refused(input.into(), &mut ids);
        assert_eq!(r.url, "http://h/");
        assert!(!format!("{r:?}").contains("pw-secret"));
    }
}
