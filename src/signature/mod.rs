//! Webhook signatures: signing what we send, verifying what we receive.
//!
//! Every comparison of a received signature with the expected one is constant-time
//! (`subtle`), and every verifier answers junk input with a [`Failure`], never a panic.

mod chatwoot;
mod failure;
mod mac;
mod standard;
mod timestamp;

pub use chatwoot::{sign_chatwoot, signed_content, verify_chatwoot};
pub use failure::Failure;
pub use mac::{hmac_sha256, hmac_sha256_hex, verify_hex};
pub use standard::{sign_standard, standard_key};
pub use timestamp::{check_window, now_unix, parse_unix_seconds};
