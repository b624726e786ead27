//! The fan-out: one payload to many endpoints, each validated just before it is delivered, on a
//! bounded number of workers spread over the engine's lanes, with one result per endpoint in order.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::task::JoinSet;

use super::calling_thread::{self, ThisThread};
use super::ids::DeliveryIds;
use super::transport::Transport;
use super::{
    deliver, headers, redact, redacted, urls, DeliveryResult, DispatchOptions, EndpointInput,
    Engine, Scheme,
};
use crate::secret::Secret;
use crate::signature::standard_key;
use crate::sync::lock;

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
    if spec.previous_secrets.len() >= headers::MAX_SECRETS {
        let error = format!("secret takes at most {} secrets", headers::MAX_SECRETS);
        return Err(refused(shown, delivery_id, error));
    }
    let previous_keys = match (key.is_some(), scheme) {
        (true, Scheme::Standard) => {
            let mut keys = Vec::with_capacity(spec.previous_secrets.len());
            for secret in &spec.previous_secrets {
                match standard_key(secret.expose()) {
                    Ok(key) => keys.push(Secret::new(key)),
                    Err(e) => return Err(refused(shown, delivery_id, e.to_string())),
                }
            }
            keys
        }
        _ => Vec::new(),
    };
    Ok(deliver::Prepared {
        url,
        // What the result shows, not what is sent (that is `url`).
        url_text: shown,
        key,
        headers,
        delivery_id,
        previous_keys,
    })
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
    if count == 1 {
        let transport = engine.transport();
        return vec![deliver_one(&engine, transport, &endpoints[0], body, options, timeout).await];
    }
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
                        let transport = engine.transport();
                        let body = body.clone();
                        deliver::deliver(
                            &engine,
                            transport,
                            prepared,
                            body,
                            options.scheme,
                            timeout,
                        )
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
        .map(|(result, input)| result.unwrap_or_else(|| task_failed(input)))
        .collect()
}

/// One endpoint delivered on the calling thread, which drives `here` while it waits (see
/// `calling_thread`): Chatwoot's common case, one job and one URL, without crossing a thread.
pub fn dispatch_one<'a>(
    engine: &'a Engine,
    here: &'a ThisThread,
    endpoint: EndpointInput,
    body: Bytes,
    options: DispatchOptions,
) -> impl Future<Output = DeliveryResult> + Send + 'a {
    let timeout = options.timeout.unwrap_or(engine.config.timeout);
    async move {
        // The thread was away since its last delivery: let its pool notice closed connections.
        calling_thread::catch_up().await;
        deliver_one(engine, here.transport(), &endpoint, body, options, timeout).await
    }
}

/// A single endpoint is delivered in the task that awaits it: no worker task, no second lane, no
/// result slots. Spawning a worker as a fan-out does cost two more cross-thread wake-ups per call
/// (its lane and back; see docs/architecture.md). A panic still becomes this endpoint's failed
/// result, as it does for a fan-out's worker.
async fn deliver_one(
    engine: &Engine,
    transport: &Transport,
    input: &EndpointInput,
    body: Bytes,
    options: DispatchOptions,
    timeout: Duration,
) -> DeliveryResult {
    let work = async {
        let mut ids = DeliveryIds::one();
        match prepare(input, options.scheme, &mut ids) {
            Ok(prepared) => {
                deliver::deliver(engine, transport, prepared, body, options.scheme, timeout).await
            }
            Err(refused) => refused.into(),
        }
    };
    CatchUnwind(Box::pin(work))
        .await
        .unwrap_or_else(|_| task_failed(input))
}

/// The result of an endpoint whose delivery panicked (a bug): retryable, without a status.
fn task_failed(input: &EndpointInput) -> DeliveryResult {
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
}

/// A future whose panic comes back as `Err`, as a spawned task's would (without the spawn).
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::{EndpointSpec, Unusable};

    fn spec(url: &str, delivery_id: Option<&str>) -> EndpointInput {
        EndpointSpec {
            url: url.into(),
            secret: None,
            headers: vec![],
            delivery_id: delivery_id.map(Into::into),
            previous_secrets: vec![],
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
