//! Slack's Web API as the gem calls it: a form-encoded POST with the bot token, and an answer that
//! is HTTP 200 with `{"ok": true, …}` or `{"ok": false, "error": "<code>"}`. This maps every answer
//! (and every HTTP-level failure) onto one [`Failure`], and a failure onto what Chatwoot does next.

use std::time::Duration;

use serde_json::Value;

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};

use crate::dispatch::{
    parse_endpoint_url, provider_post, ChannelBody, Engine, ProviderFailure, ProviderReply,
};
use crate::providers::Outcome;
use crate::secret::Secret;
use crate::{Error, Result};

/// Slack errors after which Chatwoot asks for re-authorization and disables the hook when posting
/// (its IsArchived, AccountInactive, MissingScope, InvalidAuth, ChannelNotFound, NotInChannel).
/// `token_revoked` is added: it means the same as `invalid_auth` (the token will never work again).
pub const DISABLING_ERRORS: &[&str] = &[
    "invalid_auth",
    "account_inactive",
    "is_archived",
    "missing_scope",
    "channel_not_found",
    "not_in_channel",
    "token_revoked",
];

/// A Web API call that did not answer `ok: true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A later try may work: HTTP 429, `ratelimited`, 5xx, a timeout or a broken connection.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Slack answered `ok: false` with this error code.
    Slack(String),
    /// No usable answer and no point retrying: a refused URL, a body that is not Slack's JSON.
    Other(Error),
}

impl Failure {
    /// What the hook's owner does: `disabling` codes become `:disable_hook`, retries `:retry`,
    /// any other Slack error is a DeliveryError naming the code.
    pub fn into_outcome(self, disabling: &[&str]) -> Result<Outcome> {
        match self {
            Failure::Retry {
                reason,
                retry_after,
            } => Ok(Outcome::retry(reason, retry_after)),
            Failure::Slack(code) if disabling.contains(&code.as_str()) => {
                Ok(Outcome::disable_hook(code))
            }
            Failure::Slack(code) => Err(Error::Delivery(format!("slack: {code}"))),
            Failure::Other(error) => Err(error),
        }
    }
}

/// What Slack's answer means: the JSON of an `ok` answer, or the failure.
pub fn read(reply: &ProviderReply) -> std::result::Result<Value, Failure> {
    if reply.status == 429 {
        return Err(Failure::Retry {
            reason: "slack: rate limited (HTTP 429)".into(),
            retry_after: reply.retry_after,
        });
    }
    if reply.status >= 500 {
        return Err(Failure::Retry {
            reason: format!("slack: HTTP {}", reply.status),
            retry_after: reply.retry_after,
        });
    }
    let body: Value = serde_json::from_slice(&reply.body).map_err(|_| {
        Failure::Other(Error::Delivery(format!(
            "slack: HTTP {} with a body that is not JSON",
            reply.status
        )))
    })?;
    if body.get("ok") == Some(&Value::Bool(true)) {
        return Ok(body);
    }
    let code = body
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("unknown_error");
    if code == "ratelimited" {
        return Err(Failure::Retry {
            reason: "slack: ratelimited".into(),
            retry_after: reply.retry_after,
        });
    }
    Err(Failure::Slack(code.to_string()))
}

/// The URL of a Web API method under the configured base (`https://slack.com/api`).
pub fn method_url(base_url: &str, method: &str) -> String {
    format!("{}/{}", base_url.trim_end_matches('/'), method)
}

/// A transport failure as a [`Failure`]: retryable ones retry, the rest (a refused URL) are
/// configuration errors. The message never holds the URL or the token.
pub fn transport_failure(failure: ProviderFailure) -> Failure {
    if failure.is_retryable() {
        Failure::Retry {
            reason: format!("slack: {}", failure.message()),
            retry_after: None,
        }
    } else {
        Failure::Other(Error::Configuration(format!(
            "slack: {}",
            failure.message()
        )))
    }
}

/// POSTs a JSON body to a Web API method with the bot token and reads the answer.
pub async fn call_json(
    engine: &Engine,
    url: &str,
    token: &Secret,
    body: Vec<u8>,
    timeout: Duration,
) -> std::result::Result<Value, Failure> {
    let reply = provider_post(
        engine,
        url,
        Some(token),
        "application/json; charset=utf-8",
        body,
        timeout,
    )
    .await
    .map_err(transport_failure)?;
    read(&reply)
}

/// POSTs form fields to a Web API method with the bot token and reads the answer. Read methods
/// (users.info, conversations.members) take only form fields, never JSON.
pub async fn call_form(
    engine: &Engine,
    base_url: &str,
    method: &str,
    token: &Secret,
    fields: &[(&str, &str)],
    timeout: Duration,
) -> std::result::Result<Value, Failure> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes();
    let reply = provider_post(
        engine,
        &method_url(base_url, method),
        Some(token),
        "application/x-www-form-urlencoded",
        body,
        timeout,
    )
    .await
    .map_err(transport_failure)?;
    read(&reply)
}

/// Downloads a file Slack shares (`url_private`) with the bot token: at most `limit` bytes, and
/// exactly `expected` bytes when Slack said the size (a cut-off body is a failure, never a file).
/// A redirect (Slack sends one to its login page when the token is refused) is not followed.
pub async fn download(
    engine: &Engine,
    url: &str,
    token: &Secret,
    expected: Option<usize>,
    limit: usize,
    timeout: Duration,
) -> std::result::Result<Vec<u8>, Failure> {
    let refused =
        |message: String| Failure::Other(Error::Configuration(format!("slack: {message}")));
    let url = parse_endpoint_url(url).map_err(refused)?;
    let mut value = HeaderValue::from_bytes(&[b"Bearer ", token.expose()].concat())
        .map_err(|_| refused("the access token is not a valid header value".into()))?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, value);
    let Ok(_permit) = engine.permits.acquire().await else {
        return Err(Failure::Retry {
            reason: "slack: the delivery engine is shutting down".into(),
            retry_after: None,
        });
    };
    // One byte over the limit tells a file at the limit from a larger one.
    let reply = engine
        .transport()
        .get(&url, headers, false, limit.saturating_add(1), timeout)
        .await
        .map_err(transport_failure)?;
    match reply.status {
        200 => {}
        429 | 500..=599 => {
            return Err(Failure::Retry {
                reason: format!("slack: file download HTTP {}", reply.status),
                retry_after: reply.retry_after,
            })
        }
        300..=399 | 401 | 403 => return Err(Failure::Slack("file_access_denied".into())),
        status => {
            return Err(Failure::Other(Error::Delivery(format!(
                "slack: file download HTTP {status}"
            ))))
        }
    }
    if reply.body.len() > limit {
        return Err(Failure::Other(Error::Delivery(format!(
            "slack: the file is larger than {limit} bytes"
        ))));
    }
    if expected.is_some_and(|size| size != reply.body.len()) {
        return Err(Failure::Retry {
            reason: "slack: the file download was cut off".into(),
            retry_after: None,
        });
    }
    Ok(reply.body)
}

/// What an upload sends: bytes already in memory (shared, not copied), or a file the binding
/// streams, its chunks arriving on the channel as they are read.
pub enum UploadBody {
    Bytes(Bytes),
    Stream(ChannelBody),
}

/// POSTs a file to an upload URL Slack handed out (files.getUploadURLExternal). The URL is its own
/// credential, so the token is not sent; Slack answers with plain text, so only the status matters.
pub async fn upload(
    engine: &Engine,
    url: &str,
    body: UploadBody,
    timeout: Duration,
) -> std::result::Result<(), Failure> {
    let refused =
        |message: String| Failure::Other(Error::Configuration(format!("slack: {message}")));
    let url = parse_endpoint_url(url).map_err(refused)?;
    let Ok(_permit) = engine.permits.acquire().await else {
        return Err(Failure::Retry {
            reason: "slack: the delivery engine is shutting down".into(),
            retry_after: None,
        });
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let transport = engine.transport();
    let reply = match body {
        UploadBody::Bytes(bytes) => {
            transport
                .post(&url, headers, bytes, UPLOAD_ANSWER_LIMIT, timeout)
                .await
        }
        UploadBody::Stream(body) => {
            transport
                .post_stream(&url, headers, body, UPLOAD_ANSWER_LIMIT, timeout)
                .await
        }
    }
    .map_err(transport_failure)?;
    upload_answer(reply.status, reply.retry_after)
}

/// What the upload URL's status means.
fn upload_answer(status: u16, retry_after: Option<Duration>) -> std::result::Result<(), Failure> {
    match status {
        200..=299 => Ok(()),
        429 | 500..=599 => Err(Failure::Retry {
            reason: format!("slack: file upload HTTP {status}"),
            retry_after,
        }),
        status => Err(Failure::Other(Error::Delivery(format!(
            "slack: file upload HTTP {status}"
        )))),
    }
}

/// The upload URL answers "OK - <length>": nothing more is read.
const UPLOAD_ANSWER_LIMIT: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::OutcomeKind;

    fn reply(status: u16, body: &str) -> ProviderReply {
        ProviderReply {
            retry_after: Some(Duration::from_secs(7)),
            ..crate::providers::test_reply(status, body)
        }
    }

    #[test]
    fn ok_answers_are_their_json() {
        let body = read(&reply(200, r#"{"ok":true,"ts":"1.5"}"#)).unwrap();
        assert_eq!(body["ts"], "1.5");
    }

    #[test]
    fn failures_and_what_they_mean() {
        for error in DISABLING_ERRORS {
            let body = format!(r#"{{"ok":false,"error":"{error}"}}"#);
            let failure = read(&reply(200, &body)).unwrap_err();
            assert_eq!(
                failure.into_outcome(DISABLING_ERRORS).unwrap(),
                Outcome::disable_hook(*error)
            );
        }
        for (status, body) in [
            (429, ""),
            (503, "down"),
            (200, r#"{"ok":false,"error":"ratelimited"}"#),
        ] {
            let outcome = read(&reply(status, body))
                .unwrap_err()
                .into_outcome(DISABLING_ERRORS)
                .unwrap();
            assert_eq!(
                (outcome.kind, outcome.retry_after),
                (OutcomeKind::Retry, Some(Duration::from_secs(7)))
            );
        }
        let other = read(&reply(200, r#"{"ok":false,"error":"msg_too_long"}"#)).unwrap_err();
        assert_eq!(other, Failure::Slack("msg_too_long".into()));
        assert_eq!(
            other
                .into_outcome(DISABLING_ERRORS)
                .unwrap_err()
                .to_string(),
            "slack: msg_too_long"
        );
        // missing_scope disables only where the caller says so (not for unfurls).
        let scope = Failure::Slack("missing_scope".into());
        assert!(scope.into_outcome(&[]).is_err());
        assert!(matches!(
            read(&reply(200, "<html>")),
            Err(Failure::Other(Error::Delivery(_)))
        ));
        assert_eq!(
            read(&reply(200, r#"{"ok":false}"#)).unwrap_err(),
            Failure::Slack("unknown_error".into())
        );
    }
}
