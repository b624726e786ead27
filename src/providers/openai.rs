//! OpenAI chat completions (Chatwoot's OpenAI ProcessorService), and OpenAI-compatible servers.

use std::time::Duration;

use serde_json::{json, Value};

use super::messages::{last_chat, ChatMessage};
use super::Outcome;
use crate::dispatch::{provider_get, Engine, ProviderReply};
use crate::secret::Secret;
use crate::{Error, Result};

pub const DEFAULT_MODEL: &str = "gpt-4";
/// How much of the conversation the auto-reply sends: the last chat messages (no private notes,
/// no activity), oldest first.
pub const HISTORY: usize = 10;

/// The system prompt: the hook's own, or Chatwoot's default naming the account.
pub fn system_prompt(custom: Option<&str>, account_name: &str) -> String {
    match custom.map(str::trim).filter(|p| !p.is_empty()) {
        Some(prompt) => prompt.to_string(),
        None => format!("You are a helpful customer support assistant for {account_name}."),
    }
}

/// The request body: the system prompt, then the last [`HISTORY`] chat messages (the customer's
/// are the user's turns; agents' and templates are the assistant's).
pub fn chat_body(model: &str, system: &str, history: &[ChatMessage]) -> Vec<u8> {
    let mut messages = vec![json!({ "role": "system", "content": system })];
    messages.extend(last_chat(history, HISTORY).into_iter().map(|m| {
        json!({ "role": if m.incoming() { "user" } else { "assistant" }, "content": m.content })
    }));
    json!({ "model": model, "messages": messages, "max_tokens": 500, "temperature": 0.7 })
        .to_string()
        .into_bytes()
}

/// How long the key check on save may take.
pub const KEY_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Chatwoot's key check when a hook is saved: GET `{base}/models` with the key. The key is invalid
/// only when OpenAI answers 401; any other answer, or none (a timeout, an outage), counts as valid
/// so that a network problem never blocks saving.
pub async fn key_valid(engine: &Engine, base_url: &str, api_key: &Secret) -> bool {
    let url = format!("{}/models", base_url.trim_end_matches('/'));
    !matches!(
        provider_get(engine, &url, Some(api_key), KEY_CHECK_TIMEOUT).await,
        Ok(reply) if reply.status == 401
    )
}

/// What the answer means: the first choice's content is the reply.
pub fn interpret(reply: &ProviderReply) -> Result<Outcome> {
    let body: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let error_message = || {
        body.as_ref()
            .and_then(|b| b.pointer("/error/message"))
            .and_then(Value::as_str)
            .unwrap_or("no error message")
            .to_string()
    };
    match reply.status {
        200..=299 => {}
        401 => {
            let code = body
                .as_ref()
                .and_then(|b| b.pointer("/error/code"))
                .and_then(Value::as_str)
                .unwrap_or("invalid_api_key");
            return Ok(Outcome::disable_hook(code));
        }
        429 => {
            return Ok(Outcome::retry(
                format!("openai: rate limited: {}", error_message()),
                reply.retry_after,
            ))
        }
        500..=599 => {
            return Ok(Outcome::retry(
                format!("openai: HTTP {}", reply.status),
                reply.retry_after,
            ))
        }
        status => {
            return Err(Error::Delivery(format!(
                "openai: HTTP {status}: {}",
                error_message()
            )))
        }
    }
    let content = body
        .as_ref()
        .and_then(|b| b.pointer("/choices/0/message/content"))
        .ok_or_else(|| {
            Error::Delivery("openai: answer without choices[0].message.content".into())
        })?;
    match content.as_str().map(str::trim) {
        Some(text) if !text.is_empty() => Ok(Outcome::reply(text.to_string())),
        _ => Ok(Outcome::noop("the model answered with nothing")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::messages::MessageType;
    use crate::providers::test_reply as reply;
    use crate::providers::OutcomeKind;

    #[test]
    fn request() {
        assert_eq!(
            system_prompt(None, "Acme"),
            "You are a helpful customer support assistant for Acme."
        );
        assert_eq!(system_prompt(Some("Be brief."), "Acme"), "Be brief.");
        let history: Vec<ChatMessage> = (0..12)
            .map(|i| ChatMessage {
                message_type: if i % 2 == 0 {
                    MessageType::Incoming
                } else {
                    MessageType::Outgoing
                },
                private: false,
                content: format!("m{i}"),
                sender_name: String::new(),
            })
            .collect();
        let body: Value = serde_json::from_slice(&chat_body("gpt-4o", "sys", &history)).unwrap();
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 11);
        assert_eq!(messages[0], json!({"role": "system", "content": "sys"}));
        assert_eq!(messages[1], json!({"role": "user", "content": "m2"}));
        assert_eq!(messages[2], json!({"role": "assistant", "content": "m3"}));
        assert_eq!(
            (
                body["model"].as_str(),
                body["max_tokens"].as_u64(),
                body["temperature"].as_f64()
            ),
            (Some("gpt-4o"), Some(500), Some(0.7))
        );
    }

    #[test]
    fn answers() {
        let ok = r#"{"choices":[{"message":{"role":"assistant","content":" Hello! "}}]}"#;
        assert_eq!(
            interpret(&reply(200, ok)).unwrap(),
            Outcome::reply("Hello!".into())
        );
        assert_eq!(
            interpret(&reply(200, r#"{"choices":[{"message":{"content":""}}]}"#))
                .unwrap()
                .kind,
            OutcomeKind::Noop
        );
        let denied = interpret(&reply(401, r#"{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}"#)).unwrap();
        assert_eq!(denied, Outcome::disable_hook("invalid_api_key"));
        assert_eq!(
            interpret(&reply(429, r#"{"error":{"message":"slow down"}}"#))
                .unwrap()
                .kind,
            OutcomeKind::Retry
        );
        assert_eq!(interpret(&reply(502, "")).unwrap().kind, OutcomeKind::Retry);
        assert!(
            interpret(&reply(400, r#"{"error":{"message":"bad model"}}"#))
                .unwrap_err()
                .to_string()
                .contains("bad model")
        );
        assert!(interpret(&reply(200, "{}")).is_err());
    }
}
