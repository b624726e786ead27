//! OpenAI editor events (Chatwoot's `Hook#process_event` for the openai app): rewrite, summarize
//! or suggest a reply or labels for an agent. One request `{model, messages: [system, user]}` to
//! chat/completions; the answer is `{message}` or `{error, error_code}` as Chatwoot's controller
//! renders it. The instructions are this crate's own, as data in [`INSTRUCTIONS`].

use crate::providers::apps::setting;
use std::time::Duration;

use serde_json::{json, Value};

use super::messages::{ChatMessage, MessageType};
use crate::dispatch::{provider_post, Engine, ProviderReply};
use crate::secret::Secret;
use crate::{Error, Result};

/// The model when the installation names none (Chatwoot's OPENAI_GPT_MODEL default).
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
/// How many characters of conversation a request may carry (about 4 characters a token).
pub const CHARACTER_BUDGET: usize = 400_000;
/// How long a cached label suggestion is kept.
pub const CACHE_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// label_suggestion runs for conversations with at least this many incoming messages,
const LABEL_MIN_INCOMING: usize = 3;
/// at most this many messages in all,
const LABEL_MAX_MESSAGES: usize = 100;
/// and, past this many, only when the last message is the customer's.
const LABEL_LAST_INCOMING_AFTER: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorEvent {
    Rephrase,
    Summarize,
    ReplySuggestion,
    FixSpellingGrammar,
    Shorten,
    Expand,
    MakeFriendly,
    MakeFormal,
    Simplify,
    LabelSuggestion,
}

/// Each event's name and its system instruction.
pub const INSTRUCTIONS: &[(EditorEvent, &str, &str)] = &[
    (EditorEvent::Rephrase, "rephrase",
     "Reword the support agent's draft below so it reads clearly, keeping its meaning, language and tone. Answer with the new text only."),
    (EditorEvent::Summarize, "summarize",
     "Below is a support conversation between a customer and agents. Write a short summary for a colleague taking it over: what the customer wants, what was done, and what is still open. Use the conversation's language."),
    (EditorEvent::ReplySuggestion, "reply_suggestion",
     "You draft the next reply of a customer support agent. Read the conversation and write one reply the agent could send, in the customer's language, polite and to the point. Answer with the reply only."),
    (EditorEvent::FixSpellingGrammar, "fix_spelling_grammar",
     "Correct the spelling, grammar and punctuation of the text below without changing its wording otherwise or its language. Answer with the corrected text only."),
    (EditorEvent::Shorten, "shorten",
     "Make the text below shorter while keeping everything the customer needs to know, in the same language. Answer with the new text only."),
    (EditorEvent::Expand, "expand",
     "Expand the text below into a fuller reply with a little more detail and context, in the same language, without inventing facts. Answer with the new text only."),
    (EditorEvent::MakeFriendly, "make_friendly",
     "Rewrite the text below in a warmer, friendlier tone, in the same language and with the same content. Answer with the new text only."),
    (EditorEvent::MakeFormal, "make_formal",
     "Rewrite the text below in a formal, professional tone, in the same language and with the same content. Answer with the new text only."),
    (EditorEvent::Simplify, "simplify",
     "Rewrite the text below in plain, simple words that anyone can follow, in the same language and with the same content. Answer with the new text only."),
    (EditorEvent::LabelSuggestion, "label_suggestion",
     "Pick the labels from the list that fit the support conversation. Answer with at most two label names from the list, separated by commas, and nothing else; answer with nothing when none fits."),
];

impl EditorEvent {
    /// The event for Chatwoot's event name; None for a name it does not know (answered with nil).
    pub fn parse(name: &str) -> Option<Self> {
        INSTRUCTIONS
            .iter()
            .find(|(_, known, _)| *known == name)
            .map(|(event, _, _)| *event)
    }

    pub fn name(self) -> &'static str {
        self.entry().1
    }

    pub fn instruction(self) -> &'static str {
        self.entry().2
    }

    fn entry(self) -> &'static (EditorEvent, &'static str, &'static str) {
        INSTRUCTIONS
            .iter()
            .find(|(event, _, _)| *event == self)
            .unwrap_or(&INSTRUCTIONS[0])
    }
}

/// What an event is asked with (the Ruby face reads it off the hook, the event and the conversation).
#[derive(Debug, Clone, Default)]
pub struct EditorInput {
    pub event_name: String,
    /// `event.data.content`: the agent's draft, for the rewrite events.
    pub content: String,
    /// The conversation's messages, oldest first; None when there is no conversation.
    pub messages: Option<Vec<ChatMessage>>,
    /// The account's label titles, for label_suggestion.
    pub labels: Vec<String>,
    pub settings: Value,
    /// The installation's model; empty for [`DEFAULT_MODEL`].
    pub model: String,
    pub base_url: String,
    pub conversation_id: String,
    /// The conversation's last activity (Unix seconds): a new message makes a new cache key.
    pub last_activity_at: i64,
}

/// An event's request.
#[derive(Debug)]
pub struct EditorCall {
    pub event: EditorEvent,
    url: String,
    api_key: Secret,
    body: Vec<u8>,
    /// Where its answer is cached (label_suggestion only).
    pub cache_key: Option<String>,
}

/// What Chatwoot's controller renders.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorAnswer {
    /// 200 `{message}` (`None`: the model gave no choice).
    Message(Option<String>),
    /// 422 `{error, error_code}`: the provider's parsed body and HTTP status; no status when no
    /// answer came (a timeout, a refused connection).
    Error {
        error: Value,
        error_code: Option<u16>,
    },
}

impl EditorAnswer {
    /// As Chatwoot caches it: the JSON of the answer.
    pub fn to_json(&self) -> Value {
        match self {
            EditorAnswer::Message(message) => json!({ "message": message }),
            EditorAnswer::Error { error, error_code } => {
                json!({ "error": error, "error_code": error_code })
            }
        }
    }

    pub fn from_json(value: &Value) -> Option<Self> {
        match value.get("error") {
            Some(error) => Some(EditorAnswer::Error {
                error: error.clone(),
                error_code: value
                    .get("error_code")
                    .and_then(Value::as_u64)
                    .and_then(|c| u16::try_from(c).ok()),
            }),
            None => value
                .get("message")
                .map(|m| EditorAnswer::Message(m.as_str().map(String::from))),
        }
    }
}

/// The cache key: the event, the conversation and its last activity, so any new message misses.
pub fn cache_key(event: EditorEvent, conversation_id: &str, last_activity_at: i64) -> String {
    format!(
        "OPEN_AI_CONVERSATION_KEY::V1::{}::{conversation_id}::{last_activity_at}",
        event.name()
    )
}

/// A setting Chatwoot's form stores as a boolean (or, from older forms, as text).
fn enabled(settings: &Value, name: &str) -> bool {
    match settings.get(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.trim(), "true" | "1"),
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    }
}

/// The conversation messages a transcript uses: the customer's and the agents', not private.
fn transcribed(message: &ChatMessage) -> bool {
    !message.private
        && matches!(
            message.message_type,
            MessageType::Incoming | MessageType::Outgoing
        )
        && !message.content.trim().is_empty()
}

/// The newest messages that fit in `budget` characters (after `used`), oldest first: walked from
/// the newest, stopping at the first that would not fit.
fn within_budget(messages: &[ChatMessage], used: usize) -> Vec<&ChatMessage> {
    let mut total = used;
    let mut kept: Vec<&ChatMessage> = Vec::new();
    for message in messages.iter().rev().filter(|m| transcribed(m)) {
        let length = message.content.chars().count();
        if total + length > CHARACTER_BUDGET {
            break;
        }
        total += length;
        kept.push(message);
    }
    kept.reverse();
    kept
}

/// One line per message: who (Customer or Agent, and the name) and what.
fn transcript(messages: &[&ChatMessage]) -> String {
    let mut text = String::new();
    for message in messages {
        let who = if message.incoming() {
            "Customer"
        } else {
            "Agent"
        };
        match message.sender_name.trim() {
            "" => text.push_str(&format!("{who}: {}\n", message.content)),
            name => text.push_str(&format!("{who} {name}: {}\n", message.content)),
        }
    }
    text
}

/// Chatwoot's conditions for label suggestions: enough from the customer, not too long, and in a
/// long conversation only when the customer spoke last.
fn labels_wanted(messages: &[ChatMessage]) -> bool {
    let incoming = messages.iter().filter(|m| m.incoming()).count();
    let last_incoming = messages.last().is_some_and(ChatMessage::incoming);
    incoming >= LABEL_MIN_INCOMING
        && messages.len() <= LABEL_MAX_MESSAGES
        && (messages.len() <= LABEL_LAST_INCOMING_AFTER || last_incoming)
}

/// The request for an event, or None when Chatwoot answers nil: an unknown event, no
/// conversation for an event that reads one, label suggestions off or not wanted.
pub fn plan(input: &EditorInput) -> Result<Option<EditorCall>> {
    let Some(event) = EditorEvent::parse(&input.event_name) else {
        return Ok(None);
    };
    let api_key = setting(&input.settings, "api_key")
        .ok_or_else(|| Error::Configuration("openai: api_key is required".into()))?;
    let system = json!({ "role": "system", "content": event.instruction() });
    let mut cache = None;
    let messages = match event {
        EditorEvent::Summarize | EditorEvent::ReplySuggestion | EditorEvent::LabelSuggestion => {
            let Some(conversation) = input.messages.as_deref() else {
                return Ok(None);
            };
            match event {
                EditorEvent::Summarize => {
                    let text = transcript(&within_budget(conversation, 0));
                    vec![system, json!({ "role": "user", "content": text })]
                }
                EditorEvent::ReplySuggestion => {
                    let mut turns = vec![system];
                    turns.extend(within_budget(conversation, 0).into_iter().map(|m| {
                        json!({ "role": if m.incoming() { "user" } else { "assistant" }, "content": m.content })
                    }));
                    turns
                }
                _ => {
                    if !enabled(&input.settings, "label_suggestion")
                        || input.labels.is_empty()
                        || !labels_wanted(conversation)
                    {
                        return Ok(None);
                    }
                    let labels = input.labels.join(", ");
                    let text = transcript(&within_budget(conversation, labels.chars().count()));
                    cache = Some(cache_key(
                        event,
                        &input.conversation_id,
                        input.last_activity_at,
                    ));
                    vec![
                        system,
                        json!({ "role": "user", "content": format!("Messages:\n{text}\nLabels:\n{labels}") }),
                    ]
                }
            }
        }
        _ => vec![system, json!({ "role": "user", "content": input.content })],
    };
    let model = match input.model.trim() {
        "" => DEFAULT_MODEL,
        model => model,
    };
    Ok(Some(EditorCall {
        event,
        url: format!("{}/chat/completions", input.base_url.trim_end_matches('/')),
        api_key: Secret::new(api_key),
        body: json!({ "model": model, "messages": messages })
            .to_string()
            .into_bytes(),
        cache_key: cache,
    }))
}

/// Drops a leading "label:" / "labels:" the model may put before its answer, on every line.
fn without_label_prefix(text: &str) -> String {
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let lower = trimmed.to_ascii_lowercase();
            ["labels:", "label:"]
                .iter()
                .find(|prefix| lower.starts_with(*prefix))
                .map_or(line, |prefix| trimmed[prefix.len()..].trim_start())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The answer: 2xx → the first choice's content; anything else → its body and status.
pub fn interpret(event: EditorEvent, reply: &ProviderReply) -> EditorAnswer {
    let body: Value = serde_json::from_slice(&reply.body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&reply.body).into_owned()));
    if !(200..=299).contains(&reply.status) {
        return EditorAnswer::Error {
            error: body,
            error_code: Some(reply.status),
        };
    }
    let content = body
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str);
    EditorAnswer::Message(content.map(|text| match event {
        EditorEvent::LabelSuggestion => without_label_prefix(text),
        _ => text.to_string(),
    }))
}

pub async fn perform(engine: &Engine, call: EditorCall, timeout: Duration) -> EditorAnswer {
    match provider_post(
        engine,
        &call.url,
        Some(&call.api_key),
        "application/json",
        call.body,
        timeout,
    )
    .await
    {
        Ok(reply) => interpret(call.event, &reply),
        Err(failure) => EditorAnswer::Error {
            error: Value::String(format!("openai: {}", failure.message())),
            error_code: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_reply as reply;

    fn m(message_type: MessageType, content: &str) -> ChatMessage {
        ChatMessage {
            message_type,
            content: content.into(),
            sender_name: "Ann".into(),
            ..Default::default()
        }
    }

    fn body(call: &EditorCall) -> Value {
        serde_json::from_slice(&call.body).unwrap()
    }

    fn input(event: &str, messages: Vec<ChatMessage>) -> EditorInput {
        EditorInput {
            event_name: event.into(),
            content: "pls refund".into(),
            messages: Some(messages),
            labels: vec!["billing".into(), "bug".into()],
            settings: json!({"api_key": "sk", "label_suggestion": true}),
            base_url: "https://api.openai.com/v1/".into(),
            conversation_id: "7".into(),
            last_activity_at: 1_700_000_000,
            ..Default::default()
        }
    }

    #[test]
    fn every_event_has_its_own_instruction() {
        for (event, name, text) in INSTRUCTIONS {
            assert_eq!(EditorEvent::parse(name), Some(*event));
            assert_eq!((event.name(), event.instruction()), (*name, *text));
        }
        assert_eq!(EditorEvent::parse("improve"), None);
    }

    #[test]
    fn rewrite_and_transcripts() {
        use MessageType::*;
        let call = plan(&input("shorten", vec![])).unwrap().unwrap();
        assert_eq!(call.url, "https://api.openai.com/v1/chat/completions");
        let sent = body(&call);
        assert_eq!(sent["model"], "gpt-4o-mini");
        assert_eq!(
            sent["messages"][1],
            json!({"role": "user", "content": "pls refund"})
        );
        assert!(sent.get("temperature").is_none());
        let mut note = m(Outgoing, "private note");
        note.private = true;
        let conversation = vec![
            m(Incoming, "hello"),
            note,
            m(Activity, "assigned"),
            m(Template, "auto"),
            m(Outgoing, "hi there"),
        ];
        let sent = body(
            &plan(&input("summarize", conversation.clone()))
                .unwrap()
                .unwrap(),
        );
        assert_eq!(
            sent["messages"][1]["content"],
            "Customer Ann: hello\nAgent Ann: hi there\n"
        );
        let sent = body(
            &plan(&input("reply_suggestion", conversation))
                .unwrap()
                .unwrap(),
        );
        assert_eq!(
            sent["messages"].as_array().unwrap()[1..],
            [
                json!({"role": "user", "content": "hello"}),
                json!({"role": "assistant", "content": "hi there"})
            ]
        );
        assert!(plan(&EditorInput {
            messages: None,
            ..input("summarize", vec![])
        })
        .unwrap()
        .is_none());
    }

    #[test]
    fn the_budget_keeps_the_newest_messages() {
        let big = "x".repeat(CHARACTER_BUDGET / 2);
        let messages = vec![
            m(MessageType::Incoming, "oldest"),
            m(MessageType::Incoming, &big),
            m(MessageType::Outgoing, &big),
        ];
        let kept = within_budget(&messages, 0);
        assert_eq!(kept.len(), 2);
        assert_eq!(within_budget(&messages, 1).len(), 1);
    }

    #[test]
    fn label_suggestion_conditions() {
        use MessageType::*;
        let three = vec![m(Incoming, "a"), m(Incoming, "b"), m(Incoming, "c")];
        let call = plan(&input("label_suggestion", three.clone()))
            .unwrap()
            .unwrap();
        assert_eq!(
            call.cache_key.as_deref(),
            Some("OPEN_AI_CONVERSATION_KEY::V1::label_suggestion::7::1700000000")
        );
        assert!(body(&call)["messages"][1]["content"]
            .as_str()
            .unwrap()
            .ends_with("Labels:\nbilling, bug"));
        let two = three[..2].to_vec();
        assert!(plan(&input("label_suggestion", two)).unwrap().is_none());
        let off = EditorInput {
            settings: json!({"api_key": "sk"}),
            ..input("label_suggestion", three.clone())
        };
        assert!(plan(&off).unwrap().is_none());
        let mut long: Vec<ChatMessage> = (0..21).map(|_| m(Incoming, "q")).collect();
        assert!(plan(&input("label_suggestion", long.clone()))
            .unwrap()
            .is_some());
        long.push(m(Outgoing, "answer"));
        assert!(plan(&input("label_suggestion", long)).unwrap().is_none());
        let too_many: Vec<ChatMessage> = (0..101).map(|_| m(Incoming, "q")).collect();
        assert!(plan(&input("label_suggestion", too_many))
            .unwrap()
            .is_none());
        assert!(plan(&input("shorten", vec![]))
            .unwrap()
            .unwrap()
            .cache_key
            .is_none());
    }

    #[test]
    fn answers() {
        let ok = json!({"choices": [{"message": {"role": "assistant", "content": "Labels: billing, bug"}}]});
        assert_eq!(
            interpret(EditorEvent::LabelSuggestion, &reply(200, &ok)),
            EditorAnswer::Message(Some("billing, bug".into()))
        );
        assert_eq!(
            interpret(EditorEvent::Shorten, &reply(200, &ok)),
            EditorAnswer::Message(Some("Labels: billing, bug".into()))
        );
        assert_eq!(
            interpret(EditorEvent::Shorten, &reply(200, json!({"choices": []}))),
            EditorAnswer::Message(None)
        );
        let failed = interpret(
            EditorEvent::Shorten,
            &reply(429, json!({"error": {"message": "slow"}})),
        );
        assert_eq!(
            failed,
            EditorAnswer::Error {
                error: json!({"error": {"message": "slow"}}),
                error_code: Some(429)
            }
        );
        assert_eq!(EditorAnswer::from_json(&failed.to_json()), Some(failed));
    }
}
