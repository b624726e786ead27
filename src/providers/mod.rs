//! What the providers send us and what we send them. One file per provider.

pub mod slack_event;
