//! Slack `chat.postMessage` (Chatwoot's SendOnSlackService): build the request, read the answer.

use serde_json::{json, Value};

use super::Outcome;
use crate::dispatch::ProviderReply;
use crate::{Error, Result};

/// Slack errors after which Chatwoot disables the hook and asks for re-authorization.
pub const DISABLING_ERRORS: &[&str] = &[
    "invalid_auth",
    "account_inactive",
    "is_archived",
    "missing_scope",
    "channel_not_found",
    "not_in_channel",
    "token_revoked",
];

/// The message text as Chatwoot posts it: `*Sender*: content`.
pub fn message_text(sender_name: Option<&str>, content: &str) -> String {
    let sender = sender_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Agent");
    format!("*{sender}*: {content}")
}

/// The JSON body: a new message, or a reply in the conversation's thread.
pub fn post_message_body(channel: &str, text: &str, thread_ts: Option<&str>) -> Vec<u8> {
    let body = match thread_ts {
        Some(ts) => {
            json!({ "channel": channel, "text": text, "thread_ts": ts, "unfurl_links": true })
        }
        None => json!({ "channel": channel, "text": text }),
    };
    body.to_string().into_bytes()
}

/// What Slack's answer means. A new message's `ts` becomes the conversation identifier.
pub fn interpret(reply: &ProviderReply, threaded: bool) -> Result<Outcome> {
    if reply.status == 429 {
        return Ok(Outcome::retry(
            "slack: rate limited (HTTP 429)",
            reply.retry_after,
        ));
    }
    if reply.status >= 500 {
        return Ok(Outcome::retry(
            format!("slack: HTTP {}", reply.status),
            reply.retry_after,
        ));
    }
    let body: Value = serde_json::from_slice(&reply.body).map_err(|_| {
        Error::Delivery(format!(
            "slack: HTTP {} with a body that is not JSON",
            reply.status
        ))
    })?;
    if body.get("ok") == Some(&Value::Bool(true)) {
        return Ok(match (threaded, body.get("ts").and_then(Value::as_str)) {
            (false, Some(ts)) => Outcome::identifier(ts.to_string()),
            (false, None) => return Err(Error::Delivery("slack: ok without a ts".into())),
            (true, _) => Outcome::noop("posted in the conversation's thread"),
        });
    }
    let error = body
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("unknown_error");
    if DISABLING_ERRORS.contains(&error) {
        Ok(Outcome::disable_hook(error))
    } else if error == "ratelimited" {
        Ok(Outcome::retry("slack: ratelimited", reply.retry_after))
    } else {
        Err(Error::Delivery(format!("slack: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::OutcomeKind;
    use std::time::Duration;

    fn reply(status: u16, body: &str) -> ProviderReply {
        ProviderReply {
            retry_after: Some(Duration::from_secs(7)),
            ..crate::providers::test_reply(status, body)
        }
    }

    #[test]
    fn texts_and_bodies() {
        assert_eq!(message_text(Some("Sam"), "hi"), "*Sam*: hi");
        assert_eq!(message_text(None, "hi"), "*Agent*: hi");
        assert_eq!(message_text(Some("  "), "hi"), "*Agent*: hi");
        let threaded: Value =
            serde_json::from_slice(&post_message_body("C1", "t", Some("1.2"))).unwrap();
        assert_eq!(
            threaded,
            json!({"channel": "C1", "text": "t", "thread_ts": "1.2", "unfurl_links": true})
        );
        let new: Value = serde_json::from_slice(&post_message_body("C1", "t", None)).unwrap();
        assert_eq!(new, json!({"channel": "C1", "text": "t"}));
    }

    #[test]
    fn answers() {
        assert_eq!(
            interpret(&reply(200, r#"{"ok":true,"ts":"1.5"}"#), false).unwrap(),
            Outcome::identifier("1.5".into())
        );
        assert_eq!(
            interpret(&reply(200, r#"{"ok":true,"ts":"1.5"}"#), true)
                .unwrap()
                .kind,
            OutcomeKind::Noop
        );
        for error in DISABLING_ERRORS {
            let body = format!(r#"{{"ok":false,"error":"{error}"}}"#);
            assert_eq!(
                interpret(&reply(200, &body), false).unwrap(),
                Outcome::disable_hook(*error)
            );
        }
        let limited = interpret(&reply(429, ""), false).unwrap();
        assert_eq!(
            (limited.kind, limited.retry_after),
            (OutcomeKind::Retry, Some(Duration::from_secs(7)))
        );
        assert_eq!(
            interpret(&reply(503, "down"), true).unwrap().kind,
            OutcomeKind::Retry
        );
        assert_eq!(
            interpret(&reply(200, r#"{"ok":false,"error":"ratelimited"}"#), true)
                .unwrap()
                .kind,
            OutcomeKind::Retry
        );
        assert!(
            interpret(&reply(200, r#"{"ok":false,"error":"msg_too_long"}"#), true)
                .unwrap_err()
                .to_string()
                .contains("msg_too_long")
        );
        assert!(interpret(&reply(200, "<html>"), true).is_err());
    }
}
