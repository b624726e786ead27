//! One endpoint's delivery: sign, send, classify, and retry in process when that is quick.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;

use super::classify::{classify_status, retry_after_of, status_error, Verdict};
use super::engine::Engine;
use super::guard::Refusal;
use super::headers::{signing_headers, Scheme};
use super::urls::check_literal_host;
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
}

/// How one attempt ended.
enum Attempt {
    Done {
        status: u16,
        verdict: Verdict,
        retry_after: Option<Duration>,
        excerpt: Vec<u8>,
    },
    /// No HTTP answer. `quick_retry`: a connection failure worth one more try at once.
    Failed {
        error: String,
        retryable: bool,
        quick_retry: bool,
    },
}

pub async fn deliver(
    engine: &Engine,
    endpoint: Prepared,
    body: Bytes,
    scheme: Scheme,
    timeout: Duration,
) -> DeliveryResult {
    let config = &engine.config;
    let started = Instant::now();
    let mut result = DeliveryResult::new(endpoint.url_text.clone(), endpoint.delivery_id.clone());

    if let Err(refusal) = check_literal_host(&config.guard, &endpoint.url) {
        result.error = Some(refusal.to_string());
        result.duration = started.elapsed();
        return result;
    }

    loop {
        result.attempts += 1;
        let attempt = attempt(engine, &endpoint, &body, scheme, timeout).await;
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
            Attempt::Failed {
                error,
                retryable,
                quick_retry,
            } => {
                result.status = None;
                result.response_excerpt.clear();
                result.retry_after = None;
                result.error = Some(error);
                result.retryable = retryable;
                if quick_retry && inline_left {
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
    endpoint: &Prepared,
    body: &Bytes,
    scheme: Scheme,
    timeout: Duration,
) -> Attempt {
    let Ok(_permit) = engine.permits.acquire().await else {
        return Attempt::Failed {
            error: "the delivery engine is shutting down".into(),
            retryable: true,
            quick_retry: false,
        };
    };
    let mut headers = endpoint.headers.clone();
    for (name, value) in signing_headers(
        scheme,
        endpoint.key.as_ref(),
        &endpoint.delivery_id,
        now_unix(),
        body,
    ) {
        // Our values are hex, base64, digits and UUIDs, always valid header values.
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let request = engine
        .client
        .post(endpoint.url.clone())
        .headers(headers)
        .body(body.clone())
        .timeout(timeout);
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => return failure(&e, timeout).into(),
    };
    let status = response.status().as_u16();
    let retry_after = retry_after_of(&response);
    let excerpt = read_excerpt(response, engine.config.max_response_bytes, deadline).await;
    Attempt::Done {
        status,
        verdict: classify_status(status),
        retry_after,
        excerpt,
    }
}

/// Reads at most `limit` bytes of the response body before `deadline`; the rest is never buffered
/// (dropping the response closes the connection instead of draining it).
pub(super) async fn read_excerpt(
    mut response: reqwest::Response,
    limit: usize,
    deadline: tokio::time::Instant,
) -> Vec<u8> {
    let mut excerpt = Vec::new();
    while excerpt.len() < limit {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                let room = limit - excerpt.len();
                excerpt.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            // End of body, a body error or the deadline: the status already decided the outcome.
            _ => break,
        }
    }
    excerpt
}

/// A request that got no HTTP answer: what happened, and whether to try again (later, or at once).
pub(super) struct TransportFailure {
    pub error: String,
    pub retryable: bool,
    pub quick_retry: bool,
}

impl From<TransportFailure> for Attempt {
    fn from(f: TransportFailure) -> Self {
        Attempt::Failed {
            error: f.error,
            retryable: f.retryable,
            quick_retry: f.quick_retry,
        }
    }
}

/// Describes a transport failure without the URL (reqwest's own text includes it, and URLs can carry
/// tokens) and decides whether it is worth retrying.
pub(super) fn failure(e: &reqwest::Error, timeout: Duration) -> TransportFailure {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let mut root = None;
    while let Some(cause) = source {
        if let Some(refusal) = cause.downcast_ref::<Refusal>() {
            return TransportFailure {
                error: refusal.to_string(),
                retryable: false,
                quick_retry: false,
            };
        }
        root = Some(cause);
        source = cause.source();
    }
    let detail = root
        .map(|c| c.to_string())
        .unwrap_or_else(|| "unknown error".into());
    if e.is_timeout() {
        TransportFailure {
            error: format!("timed out after {:.1}s", timeout.as_secs_f64()),
            retryable: true,
            quick_retry: false,
        }
    } else if e.is_redirect() {
        TransportFailure {
            error: format!("redirect refused: {detail}"),
            retryable: false,
            quick_retry: false,
        }
    } else if e.is_connect() {
        TransportFailure {
            error: format!("connection failed: {detail}"),
            retryable: true,
            quick_retry: true,
        }
    } else {
        TransportFailure {
            error: format!("request failed: {detail}"),
            retryable: true,
            quick_retry: false,
        }
    }
}
