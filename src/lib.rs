//! Core of the `chatwoot_integrations_rs` gem, in plain Rust (no Ruby here).
//!
//! - [`signature`]: HMAC signing and constant-time verification for every scheme Chatwoot meets.
//! - [`dispatch`]: signed, guarded, concurrent webhook delivery on a few lanes (single-threaded
//!   runtimes, each on a thread of its own), started once per process.
//! - [`secret`]: key material that never prints.
//! - [`error`]: the one error type the binding crate maps onto Ruby exception classes.

pub mod dispatch;
pub mod error;
pub mod hooks;
pub mod payload;
pub mod providers;
pub mod secret;
pub mod signature;
mod sync;

pub use error::{Error, Result};
