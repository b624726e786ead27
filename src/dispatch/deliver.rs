//! One endpoint's delivery: sign, send, classify, and retry in process when that is quick.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::HeaderMap;
use url::Url;

use super::classify::{classify_status, status_error, Verdict};
use super::engine::Engine;
use super::headers::{Scheme, Signing};
use super::transport::Transport;
use super::transport_error::{ErrorKind, TransportError};
use super::DeliveryResult;
use crate::secret::Secret;
use crate::signature::now_unix;

/// An endpoint whose input has been validated: ready to send.
pub struct Prepared {
    pub url: Url,
    pub url_text: String,
    pub key: Option<Secret>,
    pub headers: HeaderMap,
    pub delivery_id: String,
    /// Standard Webhooks secret rotation: the older keys, each signing too (see `Signing`).
    pub previous_keys: Vec<Secret>,
}

/// How one attempt ended.
enum Attempt {
    Done {
        status: u16,
        verdict: Verdict,
        retry_after: Option<Duration>,
        excerpt: Vec<u8>,
    },
    /// No HTTP answer.
    Failed(TransportError),
}

/// Delivers `endpoint` on `transport`: the pooled client of the thread the delivery runs on (a
/// lane's, or the calling thread's own; see `calling_thread`).
pub async fn deliver(
    engine: &Engine,
    transport: &Transport,
    endpoint: Prepared,
    body: Bytes,
    scheme: Scheme,
    timeout: Duration,
) -> DeliveryResult {
    let config = &engine.config;
    let started = Instant::now();
    let mut result = DeliveryResult::new(endpoint.url_text.clone(), endpoint.delivery_id.clone());

    loop {
        result.attempts += 1;
        let attempt = attempt(engine, transport, &endpoint, &body, scheme, timeout).await;
        let inline_left = result.attempts <= config.inline_retries;
        let pause = match attempt {
            Attempt::Done {
                status,
                verdict,
                retry_after,
                excerpt,
            } => {
                result.status = Some(status);
                result.response_excerpt = excerpt;
                result.retry_after = retry_after;
                match verdict {
                    Verdict::Success => {
                        result.error = None;
                        result.retryable = false;
                        break;
                    }
                    Verdict::Retryable => {
                        result.error = Some(status_error(status));
                        result.retryable = true;
                        // Retried in process only when the receiver says when, and that is soon.
                        match retry_after {
                            Some(wait) if inline_left && wait <= config.retry_after_cap => wait,
                            _ => break,
                        }
                    }
                    Verdict::Final => {
                        result.error = Some(status_error(status));
                        result.retryable = false;
                        break;
                    }
                }
            }
            Attempt::Failed(failure) => {
                // An address the guard refused before any connection is no attempt (and final).
                if !failure.attempted() {
                    result.attempts -= 1;
                }
                result.status = None;
                result.response_excerpt.clear();
                result.retry_after = None;
                result.error = Some(failure.message().to_owned());
                result.retryable = failure.is_retryable();
                if failure.is_quick_retry() && inline_left {
                    Duration::from_millis(100 * u64::from(result.attempts))
                } else {
                    break;
                }
            }
        };
        tokio::time::sleep(pause).await;
    }
    result.duration = started.elapsed();
    result
}

async fn attempt(
    engine: &Engine,
    transport: &Transport,
    endpoint: &Prepared,
    body: &Bytes,
    scheme: Scheme,
    timeout: Duration,
) -> Attempt {
    let Ok(_permit) = engine.permits.acquire().await else {
        return Attempt::Failed(TransportError::new(
            ErrorKind::ShuttingDown,
            "the delivery engine is shutting down",
        ));
    };
    // Signed by the transport, request by request: a redirect hop is signed over its own body.
    let signing = Signing {
        scheme,
        key: endpoint.key.as_ref(),
        delivery_id: &endpoint.delivery_id,
        timestamp: now_unix(),
        previous_keys: &endpoint.previous_keys,
    };
    let headers = endpoint.headers.clone();
    let max = engine.config.max_response_bytes;
    match transport
        .post_signed(&endpoint.url, headers, &signing, body.clone(), max, timeout)
        .await
    {
        Ok(reply) => Attempt::Done {
            status: reply.status,
            verdict: classify_status(reply.status),
            retry_after: reply.retry_after,
            excerpt: reply.body,
        },
        Err(failure) => Attempt::Failed(failure),
    }
}
