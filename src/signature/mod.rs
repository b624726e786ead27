//! Webhook signatures: signing what we send, verifying what we receive.
//!
//! Every comparison of a received signature with the expected one is constant-time
//! (`subtle`), and every verifier answers junk input with a [`Failure`], never a panic.

mod base64_body;
mod chatwoot;
mod failure;
mod hub;
mod linear;
mod mac;
mod request_path;
mod slack;
mod standard;
mod stripe;
mod timestamp;
mod twilio;

pub use base64_body::verify_base64;
pub use chatwoot::{sign_chatwoot, signed_content, verify_chatwoot};
pub use failure::{Failure, Part};
pub use hub::verify_hub;
pub use linear::verify_linear;
pub use mac::{hmac_sha1, hmac_sha256, hmac_sha256_hex, verify_hex};
pub use request_path::{
    canonical_path, request_paths, route_keys, router_path, without_format, RequestPaths,
};
pub use slack::verify_slack;
pub use standard::{sign_standard, standard_key, verify_standard};
pub use stripe::verify_stripe;
pub use timestamp::{check_window, now_unix, parse_canonical_seconds, parse_unix_seconds};
pub use twilio::{parse_form, verify_twilio, verify_twilio_with, TwilioAlgorithm, TwilioContent};
