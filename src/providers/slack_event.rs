//! Slack Events API payloads, as Chatwoot's Slack integration meets them: the `url_verification`
//! handshake, and `message` events in a thread (a reply to a conversation Chatwoot posted).
//! Everything else is ignored explicitly, with the reason.

use serde::Deserialize;

/// Slack bodies larger than this are not events we handle (Slack's own limit is far below).
const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackEvent {
    /// Answer with the challenge to finish the Events API handshake.
    UrlVerification { challenge: String },
    /// A message posted in a thread: `thread_ts` identifies the Chatwoot conversation.
    ThreadReply {
        thread_ts: String,
        text: String,
        user: Option<String>,
        channel: Option<String>,
        ts: Option<String>,
    },
    /// Anything else; `reason` says why it is not acted on.
    Ignored { reason: String },
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: Option<String>,
    challenge: Option<String>,
    event: Option<Inner>,
}

#[derive(Deserialize)]
struct Inner {
    #[serde(rename = "type")]
    kind: Option<String>,
    subtype: Option<String>,
    thread_ts: Option<String>,
    text: Option<String>,
    user: Option<String>,
    channel: Option<String>,
    ts: Option<String>,
    bot_id: Option<String>,
}

fn ignored(reason: impl Into<String>) -> SlackEvent {
    SlackEvent::Ignored {
        reason: reason.into(),
    }
}

/// Parses a raw Events API body. Never fails: junk is `Ignored` with the reason.
pub fn parse(body: &[u8]) -> SlackEvent {
    if body.len() > MAX_BODY {
        return ignored("body is larger than 1 MiB");
    }
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(envelope) => envelope,
        Err(e) => return ignored(format!("body is not a JSON object: {e}")),
    };
    match envelope.kind.as_deref() {
        Some("url_verification") => match envelope.challenge {
            Some(challenge) => SlackEvent::UrlVerification { challenge },
            None => ignored("url_verification without a challenge"),
        },
        Some("event_callback") => {
            let Some(event) = envelope.event else {
                return ignored("event_callback without an event");
            };
            match event.kind.as_deref() {
                Some("message") => {}
                Some(other) => return ignored(format!("event type {other} is not handled")),
                None => return ignored("event without a type"),
            }
            if let Some(subtype) = event.subtype {
                return ignored(format!("message subtype {subtype} is not handled"));
            }
            if event.bot_id.is_some() {
                return ignored("message from a bot (possibly our own post)");
            }
            match event.thread_ts {
                Some(thread_ts) => SlackEvent::ThreadReply {
                    thread_ts,
                    text: event.text.unwrap_or_default(),
                    user: event.user,
                    channel: event.channel,
                    ts: event.ts,
                },
                None => ignored("message is not in a thread"),
            }
        }
        Some(other) => ignored(format!("payload type {other} is not handled")),
        None => ignored("payload without a type"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_verification() {
        let body = br#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
        assert_eq!(
            parse(body),
            SlackEvent::UrlVerification {
                challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".into()
            }
        );
    }

    #[test]
    fn threaded_message() {
        let body = br#"{"type":"event_callback","team_id":"T1","event":{"type":"message","channel":"C1","user":"U2","text":"On it!","ts":"1700000001.000200","thread_ts":"1700000000.000100"}}"#;
        assert_eq!(
            parse(body),
            SlackEvent::ThreadReply {
                thread_ts: "1700000000.000100".into(),
                text: "On it!".into(),
                user: Some("U2".into()),
                channel: Some("C1".into()),
                ts: Some("1700000001.000200".into()),
            }
        );
    }

    #[test]
    fn everything_else_is_ignored_with_a_reason() {
        let cases: &[(&[u8], &str)] = &[
            (br#"{"type":"event_callback","event":{"type":"message","text":"top level"}}"#, "not in a thread"),
            (br#"{"type":"event_callback","event":{"type":"reaction_added"}}"#, "reaction_added"),
            (br#"{"type":"event_callback","event":{"type":"message","subtype":"message_changed","thread_ts":"1"}}"#, "message_changed"),
            (br#"{"type":"event_callback","event":{"type":"message","bot_id":"B1","thread_ts":"1"}}"#, "bot"),
            (br#"{"type":"app_rate_limited"}"#, "app_rate_limited"),
            (br#"{"type":"url_verification"}"#, "without a challenge"),
            (b"[]", "not a JSON object"),
            (b"not json", "not a JSON object"),
            (b"", "not a JSON object"),
            (br#"{"type":5}"#, "not a JSON object"),
        ];
        for (body, reason) in cases {
            match parse(body) {
                SlackEvent::Ignored { reason: r } => assert!(r.contains(reason), "{r} / {reason}"),
                other => panic!("{other:?} for {:?}", String::from_utf8_lossy(body)),
            }
        }
    }
}
