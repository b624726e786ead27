//! What the providers send us and what we send them. One file per provider.

pub mod apps;
pub mod dialogflow;
pub mod dyte;
pub mod google_auth;
pub mod google_translate;
pub mod http;
pub mod linear;
pub mod messages;
pub mod openai;
pub mod openai_editor;
mod outcome;
pub mod send_service;
pub mod slack;

pub use outcome::{from_failure, Outcome, OutcomeKind};

/// A provider's answer as the unit tests build it: a status and a body (a JSON `Value` or text).
#[cfg(test)]
fn test_reply(status: u16, body: impl ToString) -> crate::dispatch::ProviderReply {
    crate::dispatch::ProviderReply {
        status,
        retry_after: None,
        body: body.to_string().into_bytes(),
    }
}
