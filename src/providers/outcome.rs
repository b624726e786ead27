//! What a provider call means for Chatwoot's models: the Ruby side applies it.

use std::time::Duration;

use crate::dispatch::ProviderFailure;
use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    /// Create a reply message with `content` (and `replies`).
    Reply,
    /// Store `identifier` (Slack's thread ts) as the conversation's identifier.
    Identifier,
    /// Disable the hook (and prompt re-authorization): `reason` says why.
    DisableHook,
    /// Try again later, after `retry_after` when the provider said.
    Retry,
    /// Open the conversation for a human agent (with any `replies` first).
    Handoff,
    /// Resolve the conversation (a bot's `resolve` action; with any `messages` first).
    Resolve,
    /// Nothing to do.
    Noop,
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Reply => "reply",
            OutcomeKind::Identifier => "identifier",
            OutcomeKind::DisableHook => "disable_hook",
            OutcomeKind::Retry => "retry",
            OutcomeKind::Handoff => "handoff",
            OutcomeKind::Resolve => "resolve",
            OutcomeKind::Noop => "noop",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub content: Option<String>,
    pub replies: Vec<String>,
    pub identifier: Option<String>,
    pub reason: Option<String>,
    pub retry_after: Option<Duration>,
    /// The id to store on the message (Slack: `cw-origin-<ts>` as external_source_id_slack).
    pub external_source_id: Option<String>,
    /// Bot messages to create, in order, each a Hash of message params (`content`, or a
    /// payload's `content_type` and `content_attributes`, such as an input_select card).
    pub messages: Vec<serde_json::Value>,
}

impl Outcome {
    /// An outcome of `kind` with nothing else set.
    pub fn of(kind: OutcomeKind) -> Self {
        Outcome {
            kind,
            content: None,
            replies: Vec::new(),
            identifier: None,
            reason: None,
            retry_after: None,
            external_source_id: None,
            messages: Vec::new(),
        }
    }

    pub fn noop(reason: impl Into<String>) -> Self {
        Outcome {
            reason: Some(reason.into()),
            ..Outcome::of(OutcomeKind::Noop)
        }
    }

    pub fn reply(content: String) -> Self {
        Outcome {
            replies: vec![content.clone()],
            content: Some(content),
            ..Outcome::of(OutcomeKind::Reply)
        }
    }

    pub fn identifier(identifier: String) -> Self {
        Outcome {
            identifier: Some(identifier),
            ..Outcome::of(OutcomeKind::Identifier)
        }
    }

    pub fn handoff() -> Self {
        Outcome::of(OutcomeKind::Handoff)
    }

    pub fn disable_hook(reason: impl Into<String>) -> Self {
        Outcome {
            reason: Some(reason.into()),
            ..Outcome::of(OutcomeKind::DisableHook)
        }
    }

    pub fn retry(reason: impl Into<String>, retry_after: Option<Duration>) -> Self {
        Outcome {
            reason: Some(reason.into()),
            retry_after,
            ..Outcome::of(OutcomeKind::Retry)
        }
    }
}

/// A provider call that got no HTTP answer, for every app the same way: a failure a later try may
/// cure (timeout, refused connection, shutting down) is an Outcome to retry; any other (a URL the
/// guard refuses, a token that cannot be a header) is the hook's configuration.
pub fn from_failure(what: &str, failure: ProviderFailure) -> crate::Result<Outcome> {
    if failure.retryable() {
        Ok(Outcome::retry(
            format!("{what}: {}", failure.message()),
            None,
        ))
    } else {
        Err(Error::Configuration(format!(
            "{what}: {}",
            failure.message()
        )))
    }
}
