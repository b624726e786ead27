//! Dialogflow ES: with an access token for the hook's service account (google_auth), detectIntent
//! answers the customer's message with fulfillment messages: replies, cards, a handoff or a
//! resolve.

use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use super::google_auth::{self, ServiceAccount, TokenFailure};
use super::{from_failure, Outcome, OutcomeKind};
use crate::dispatch::{provider_post, Engine, ProviderReply};
use crate::{Error, Result};

pub const DEFAULT_LANGUAGE: &str = "en-US";
/// Chatwoot's Dialogflow client timeout, for the token and detectIntent alike.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_API_URL: &str = "https://dialogflow.googleapis.com";

/// Characters left as they are in a path segment: RFC 3986's unreserved ones. Everything else,
/// `/ ? # % :` included, is percent-encoded, so a value can neither add segments, start a query
/// or fragment, nor end the segment early (`:detectIntent` follows the session).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `value` as exactly one segment of a provider URL's path: percent-encoded, and refused when it
/// is empty or only dots, which URL parsers (ours, WHATWG's, included) read as "this" or "the
/// parent" segment even when percent-encoded (`%2e%2e`). The one rule for every value a provider
/// call puts in a path; Slack, OpenAI and Linear put none there (their paths are constants and
/// Linear's ids travel in GraphQL variables).
pub fn path_segment(what: &str, value: &str) -> Result<String> {
    if value.bytes().all(|b| b == b'.') {
        return Err(Error::InvalidArgument(format!(
            "{what} must not be empty or only dots, got {value:?}"
        )));
    }
    Ok(utf8_percent_encode(value, SEGMENT).to_string())
}

/// The project id: Google's characters (letters, digits, hyphens, and the `domain.com:` prefix of
/// the oldest projects), so that the setting names a project and nothing else.
pub(crate) fn check_project(project: &str) -> Result<()> {
    let valid = (1..=128).contains(&project.len())
        && project.starts_with(|c: char| c.is_ascii_alphanumeric())
        && project
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':'));
    if valid {
        Ok(())
    } else {
        Err(Error::Configuration(
            "dialogflow: project_id may only have letters, digits, '-', '.' and ':' (like my-agent-123)"
                .into(),
        ))
    }
}

/// The region (it goes into the host name as well as the path): a DNS label of lower-case
/// letters, digits and hyphens.
fn check_region(region: &str) -> Result<()> {
    let valid = (1..=63).contains(&region.len())
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(Error::Configuration(
            "dialogflow: region may only have lower-case letters, digits and '-' (like europe-west1)"
                .into(),
        ))
    }
}

/// The detectIntent URL; a region other than global uses its regional endpoint. The project and
/// region are checked (hook settings: `ConfigurationError`), and the session (the contact's source
/// id, anything a channel hands us) is one path segment (`ArgumentError` when it cannot be one).
pub fn detect_intent_url(
    base_url: &str,
    project: &str,
    region: Option<&str>,
    session: &str,
) -> Result<String> {
    check_project(project)?;
    let project = path_segment("dialogflow: project_id", project)?;
    let session = path_segment(
        "dialogflow: the session id (the contact's source_id)",
        session,
    )?;
    let base = base_url.trim_end_matches('/');
    Ok(match region.filter(|r| !r.is_empty() && *r != "global") {
        Some(region) => {
            check_region(region)?;
            let host = if base == DEFAULT_API_URL {
                format!("https://{region}-dialogflow.googleapis.com")
            } else {
                base.to_string()
            };
            format!("{host}/v2/projects/{project}/locations/{region}/agent/sessions/{session}:detectIntent")
        }
        None => format!("{base}/v2/projects/{project}/agent/sessions/{session}:detectIntent"),
    })
}

pub fn detect_intent_body(text: &str, language: &str) -> Vec<u8> {
    json!({ "queryInput": { "text": { "text": text, "languageCode": language } } })
        .to_string()
        .into_bytes()
}

/// Chatwoot's reading of the fulfillment messages, in order: one with text is a reply (its first
/// text); any other is its `payload`, which names an `action` (`handoff`, `resolve`) or is itself
/// the params of a bot message (content, content_type, content_attributes: an input_select card
/// keeps its items).
pub fn interpret(reply: &ProviderReply) -> Result<Outcome> {
    match reply.status {
        200..=299 => {}
        401 | 403 => return Ok(Outcome::disable_hook("permission_denied")),
        429 | 500..=599 => {
            return Ok(Outcome::retry(
                format!("dialogflow: HTTP {}", reply.status),
                reply.retry_after,
            ))
        }
        status => return Err(Error::Delivery(format!("dialogflow: HTTP {status}"))),
    }
    let body: Value = serde_json::from_slice(&reply.body)
        .map_err(|_| Error::Delivery("dialogflow: the answer is not JSON".into()))?;
    let mut messages: Vec<Value> = Vec::new();
    let mut action = None;
    let fulfillment = body
        .pointer("/queryResult/fulfillmentMessages")
        .and_then(Value::as_array);
    for message in fulfillment.into_iter().flatten() {
        let text = message
            .pointer("/text/text")
            .and_then(Value::as_array)
            .and_then(|texts| texts.first())
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let params = match text {
            Some(text) => json!({ "content": text }),
            None => match message.get("payload") {
                Some(Value::Object(payload)) if !payload.is_empty() => {
                    Value::Object(payload.clone())
                }
                _ => continue,
            },
        };
        match params.get("action").and_then(Value::as_str) {
            Some("handoff") => action = Some(OutcomeKind::Handoff),
            Some("resolve") => action = Some(OutcomeKind::Resolve),
            // Chatwoot ignores other actions (and never posts a payload that names one).
            Some(_) => {}
            None => messages.push(params),
        }
    }
    let replies: Vec<String> = messages
        .iter()
        .filter_map(|m| m.get("content").and_then(Value::as_str))
        .map(String::from)
        .collect();
    let kind = match action {
        Some(kind) => kind,
        None if messages.is_empty() => {
            return Ok(Outcome::noop("dialogflow answered with nothing to post"))
        }
        None => OutcomeKind::Reply,
    };
    Ok(Outcome {
        content: replies.first().cloned(),
        replies,
        messages,
        ..Outcome::of(kind)
    })
}

/// What a Dialogflow call needs (from the hook's settings and the message).
#[derive(Debug)]
pub struct DialogflowCall {
    pub account: ServiceAccount,
    pub project: String,
    pub region: Option<String>,
    pub language: String,
    pub session: String,
    pub text: String,
    pub api_url: String,
    pub token_url: String,
}

/// Performs the call within Chatwoot's [`TIMEOUT`] per request.
pub async fn perform(engine: &Engine, call: DialogflowCall) -> Result<Outcome> {
    let timeout = TIMEOUT;
    // Before the token: a project, region or session that cannot be in the URL costs no request.
    let url = detect_intent_url(
        &call.api_url,
        &call.project,
        call.region.as_deref(),
        &call.session,
    )?;
    let token =
        match google_auth::access_token(engine, &call.account, &call.token_url, timeout).await {
            Ok(token) => token,
            Err(TokenFailure::Refused) => return Ok(Outcome::disable_hook("invalid_credentials")),
            Err(TokenFailure::Unavailable {
                reason,
                retry_after,
            }) => return Ok(Outcome::retry(format!("dialogflow {reason}"), retry_after)),
            Err(TokenFailure::Error(error)) => return Err(error),
        };
    let body = detect_intent_body(&call.text, &call.language);
    match provider_post(
        engine,
        &url,
        Some(&token),
        "application/json; charset=utf-8",
        body,
        timeout,
    )
    .await
    {
        Ok(reply) => interpret(&reply),
        Err(failure) => from_failure("dialogflow detectIntent", failure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_reply as reply;
    use crate::providers::OutcomeKind;

    #[test]
    fn urls_and_bodies() {
        assert_eq!(
            detect_intent_url("https://dialogflow.googleapis.com/", "proj", None, "s-1").unwrap(),
            "https://dialogflow.googleapis.com/v2/projects/proj/agent/sessions/s-1:detectIntent"
        );
        assert_eq!(
            detect_intent_url("https://dialogflow.googleapis.com", "proj", Some("europe-west1"), "s").unwrap(),
            "https://europe-west1-dialogflow.googleapis.com/v2/projects/proj/locations/europe-west1/agent/sessions/s:detectIntent"
        );
        assert_eq!(
            detect_intent_url("http://127.0.0.1:9/", "p", Some("global"), "s").unwrap(),
            "http://127.0.0.1:9/v2/projects/p/agent/sessions/s:detectIntent"
        );
        assert_eq!(
            detect_intent_url("http://127.0.0.1:9", "example.com:p", None, "s").unwrap(),
            "http://127.0.0.1:9/v2/projects/example.com%3Ap/agent/sessions/s:detectIntent"
        );
        let body: Value = serde_json::from_slice(&detect_intent_body("hola", "es")).unwrap();
        assert_eq!(
            body,
            json!({"queryInput": {"text": {"text": "hola", "languageCode": "es"}}})
        );
    }

    /// Hostile session ids: each stays one segment of the path the URL parser reads, decoded back
    /// to itself, with `:detectIntent` after it and no query or fragment.
    #[test]
    fn a_session_id_is_one_path_segment_whatever_it_holds() {
        let base = "https://dialogflow.googleapis.com";
        let prefix = "/v2/projects/acme/agent/sessions/";
        for session in [
            "x/../../../../v2/projects/OTHER/agent/sessions/y",
            "../../../../../../v2/projects/OTHER/agent/sessions/y",
            "a?key=injected",
            "a#fragment",
            "a:detectIntent?x=",
            "a%2F..%2Fb",
            "%2e%2e",
            ".%2e",
            "a/./b",
            "a\\..\\b",
            "a b\tc\nd",
            "a@evil.example",
            "//evil.example/x",
            "\u{202e}\u{0}é",
            "57",
            "5f0ac3d4-4c3e-4c1d-9e2a-2d6c9b0c1e7f",
        ] {
            let text = detect_intent_url(base, "acme", None, session).unwrap();
            let url = url::Url::parse(&text).unwrap();
            assert_eq!(
                url.host_str(),
                Some("dialogflow.googleapis.com"),
                "{session:?}"
            );
            assert_eq!((url.query(), url.fragment()), (None, None), "{session:?}");
            let path = url.path();
            let segment = path
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(":detectIntent"))
                .unwrap_or_else(|| panic!("{session:?} became {path}"));
            assert!(
                !segment.contains(['/', '?', '#', ':']),
                "{session:?}: {segment}"
            );
            let decoded = percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .unwrap();
            assert_eq!(decoded, session);
        }
        for session in ["", ".", "..", "...", "...."] {
            let error = detect_intent_url(base, "acme", None, session).unwrap_err();
            assert!(
                matches!(error, Error::InvalidArgument(_)),
                "{session:?}: {error:?}"
            );
            assert!(error.to_string().contains("source_id"), "{error}");
        }
    }

    #[test]
    fn project_and_region_are_checked() {
        let base = "https://dialogflow.googleapis.com";
        for project in [
            "", "a/b", "../x", "p?x", "p#x", "p%2F", "-p", ".p", "p q", "p@h", "é",
        ] {
            let error = detect_intent_url(base, project, None, "s").unwrap_err();
            assert!(matches!(error, Error::Configuration(_)), "{project:?}");
            assert!(error.to_string().contains("project_id"), "{error}");
        }
        for region in [
            "evil.example/#",
            "evil.example",
            "eu/../x",
            "EU-west1",
            "-eu",
            "eu-",
            "eu west",
            "eu?x",
            "eu@evil",
        ] {
            let error = detect_intent_url(base, "acme", Some(region), "s").unwrap_err();
            assert!(matches!(error, Error::Configuration(_)), "{region:?}");
            assert!(error.to_string().contains("region"), "{error}");
        }
        // The region is also a host name label: it can only name a googleapis.com host.
        let url = detect_intent_url(base, "acme", Some("us-central1"), "s").unwrap();
        assert!(url.starts_with("https://us-central1-dialogflow.googleapis.com/"));
    }

    #[test]
    fn answers() {
        let texts = json!({"queryResult": {"fulfillmentMessages": [{"text": {"text": ["Hi!", "ignored"]}}, {"text": {"text": ["How can I help?"]}}]}});
        let outcome = interpret(&reply(200, texts)).unwrap();
        assert_eq!(
            (outcome.kind, outcome.replies.clone()),
            (
                OutcomeKind::Reply,
                vec!["Hi!".to_string(), "How can I help?".to_string()]
            )
        );
        let card = json!({"content": "Pick one", "content_type": "input_select",
            "content_attributes": {"items": [{"title": "Orders", "value": "orders"}]}});
        let handoff = json!({"queryResult": {"fulfillmentMessages": [{"text": {"text": ["Connecting you"]}}, {"payload": card}, {"payload": {"action": "handoff"}}]}});
        let outcome = interpret(&reply(200, handoff)).unwrap();
        assert_eq!(outcome.kind, OutcomeKind::Handoff);
        assert_eq!(
            outcome.messages,
            [json!({"content": "Connecting you"}), card]
        );
        let resolve =
            json!({"queryResult": {"fulfillmentMessages": [{"payload": {"action": "resolve"}}]}});
        let outcome = interpret(&reply(200, resolve)).unwrap();
        assert_eq!(
            (outcome.kind, outcome.messages.len()),
            (OutcomeKind::Resolve, 0)
        );
        assert_eq!(
            interpret(&reply(200, json!({"queryResult": {}})))
                .unwrap()
                .kind,
            OutcomeKind::Noop
        );
        assert_eq!(
            interpret(&reply(403, json!({}))).unwrap().kind,
            OutcomeKind::DisableHook
        );
        assert_eq!(
            interpret(&reply(503, json!({}))).unwrap().kind,
            OutcomeKind::Retry
        );
        assert!(interpret(&reply(400, json!({}))).is_err());
    }
}
