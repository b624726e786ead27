//! Core of the `chatwoot_integrations_rs` gem, in plain Rust (no Ruby here).
//!
//! - [`signature`]: HMAC signing and constant-time verification for every scheme Chatwoot meets.
//! - [`dispatch`]: signed, guarded, concurrent webhook delivery on the engine's lanes (a few
//!   single-threaded runtimes per process); the address guard (`dispatch::Guard`) and the HTTP
//!   transport that enforces it on every request.
//! - [`providers`]: the integration apps (`providers::apps`), the provider call
//!   (`providers::http`, on the same transport) and one module per provider.
//! - [`payload`]: the JSON writers the binding's payload walk writes through.
//! - [`secret`]: key material that never prints.
//! - [`error`]: the one error type the binding crate maps onto Ruby exception classes.

pub mod dispatch;
pub mod error;
pub mod payload;
pub mod providers;
pub mod secret;
pub mod signature;
mod sync;

pub use error::{Error, Result};
