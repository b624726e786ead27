//! Core of the `chatwoot_integrations_rs` gem, in plain Rust (no Ruby here).
//!
//! - [`signature`]: HMAC signing and constant-time verification for every scheme Chatwoot meets.
//! - [`error`]: the one error type the binding crate maps onto Ruby exception classes.

pub mod error;
pub mod signature;

pub use error::{Error, Result};
