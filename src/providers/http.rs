//! Provider API calls (Slack, OpenAI, …) on the same engine as webhooks: the same pooled client,
//! concurrency permits, timeouts and address guard, which the transport enforces (public provider
//! hosts pass it as any public host does; a self-hosted OpenAI-compatible server on a private
//! network needs an allowance).

use std::time::Duration;

use http::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use url::Url;

use crate::dispatch::{parse_endpoint_url, Engine, ErrorKind, TransportError};
use crate::secret::Secret;

/// Provider answers larger than this are cut (and then fail to parse): none of ours come near it.
const MAX_PROVIDER_RESPONSE: usize = 4 * 1024 * 1024;

/// An HTTP answer from a provider: the transport's reply, read to the end (up to 4 MiB).
pub use crate::dispatch::ProviderReply;

/// No HTTP answer: the transport's error (its message never holds the URL or token), under the
/// name provider code has long used.
pub type ProviderFailure = TransportError;

/// POSTs `body` to `url` with a Bearer token (when given) and waits for the whole answer.
pub async fn post(
    engine: &Engine,
    url: &str,
    bearer: Option<&Secret>,
    content_type: &'static str,
    body: Vec<u8>,
    timeout: Duration,
) -> Result<ProviderReply, ProviderFailure> {
    let (url, mut headers) = target(url, bearer)?;
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    let Ok(_permit) = engine.permits.acquire().await else {
        return Err(shutting_down());
    };
    engine
        .transport()
        .post(&url, headers, body.into(), MAX_PROVIDER_RESPONSE, timeout)
        .await
}

/// GETs `url` with a Bearer token (when given) and waits for the whole answer.
pub async fn get(
    engine: &Engine,
    url: &str,
    bearer: Option<&Secret>,
    timeout: Duration,
) -> Result<ProviderReply, ProviderFailure> {
    let authorization = bearer.map(|token| Secret::new([b"Bearer ", token.expose()].concat()));
    request(engine, false, url, authorization.as_ref(), None, timeout).await
}

/// A JSON call with a whole Authorization header value (`Basic …`, `Bearer …`): a POST of
/// `body` when given, else a GET.
pub async fn request(
    engine: &Engine,
    post: bool,
    url: &str,
    authorization: Option<&Secret>,
    body: Option<Vec<u8>>,
    timeout: Duration,
) -> Result<ProviderReply, ProviderFailure> {
    let (url, mut headers) = target(url, None)?;
    if let Some(value) = authorization {
        let mut value = HeaderValue::from_bytes(value.expose()).map_err(|_| {
            TransportError::new(
                ErrorKind::Invalid,
                "the credentials are not a valid header value",
            )
        })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    if post {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    let Ok(_permit) = engine.permits.acquire().await else {
        return Err(shutting_down());
    };
    let transport = engine.transport();
    if post {
        let body = body.unwrap_or_default().into();
        transport
            .post(&url, headers, body, MAX_PROVIDER_RESPONSE, timeout)
            .await
    } else {
        transport
            .get(&url, headers, true, MAX_PROVIDER_RESPONSE, timeout)
            .await
    }
}

fn shutting_down() -> ProviderFailure {
    TransportError::new(
        ErrorKind::ShuttingDown,
        "the delivery engine is shutting down",
    )
}

/// The URL (parsed; the transport's guard admits it) and the Authorization header of a call.
fn target(url: &str, bearer: Option<&Secret>) -> Result<(Url, HeaderMap), ProviderFailure> {
    let url = parse_endpoint_url(url)
        .map_err(|message| TransportError::new(ErrorKind::Invalid, message))?;
    let mut headers = HeaderMap::new();
    if let Some(token) = bearer {
        let mut value =
            HeaderValue::from_bytes(&[b"Bearer ", token.expose()].concat()).map_err(|_| {
                TransportError::new(
                    ErrorKind::Invalid,
                    "the access token is not a valid header value",
                )
            })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    Ok((url, headers))
}
