//! Provider API calls (Slack, OpenAI, …) on the same engine as webhooks: the same pooled client,
//! concurrency permits, timeouts and address guard, which the transport enforces (public provider
//! hosts pass it as any public host does; a self-hosted OpenAI-compatible server on a private
//! network needs an allowance).

use std::time::Duration;

use http::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};

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
    let url = parse_endpoint_url(url)
        .map_err(|message| TransportError::new(ErrorKind::Invalid, message))?;
    let Ok(_permit) = engine.permits.acquire().await else {
        return Err(TransportError::new(
            ErrorKind::ShuttingDown,
            "the delivery engine is shutting down",
        ));
    };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
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
    engine
        .transport()
        .post(&url, headers, body.into(), MAX_PROVIDER_RESPONSE, timeout)
        .await
}
