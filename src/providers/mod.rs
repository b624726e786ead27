//! What the providers send us and what we send them. One file per provider.

pub mod dialogflow;
pub mod linear;
pub mod openai;
mod outcome;
pub mod send_service;
pub mod slack;
pub mod slack_event;

pub use outcome::{Outcome, OutcomeKind};
