//! `Integrations::Native::Signature`: the native halves of the signing and verifying methods.
//! The Ruby face (lib/integrations/native/signature.rb) owns keyword arguments and type checks,
//! then calls these positional `_native_*` functions.

use chatwoot_integrations::signature::{self as sig, Failure};
use magnus::{function, prelude::*, RModule, RString, Ruby, Symbol};

use crate::errors;
use crate::helpers::{bytes::with_bytes, panic::guard, RbResult};

/// `_native_hmac_sha256_hex(secret, body)` → lower-case hex String.
fn hmac_sha256_hex(ruby: &Ruby, secret: RString, body: RString) -> RbResult<RString> {
    guard(ruby, || {
        let hex = with_bytes([secret, body], |[secret, body]| {
            sig::hmac_sha256_hex(secret, &[body])
        });
        Ok(ruby.str_new(&hex))
    })
}

/// `_native_verify(secret, body, hex)` → true when `hex` is the lower-case hex HMAC of `body`.
fn verify(ruby: &Ruby, secret: RString, body: RString, candidate: RString) -> RbResult<bool> {
    guard(ruby, || {
        Ok(with_bytes(
            [secret, body, candidate],
            |[secret, body, candidate]| sig::verify_hex(secret, &[body], candidate),
        ))
    })
}

/// `_native_sign_chatwoot(secret, timestamp, body)` → `"sha256=<hex>"`.
fn sign_chatwoot(
    ruby: &Ruby,
    secret: RString,
    timestamp: RString,
    body: RString,
) -> RbResult<RString> {
    guard(ruby, || {
        let signature = with_bytes([secret, timestamp, body], |[secret, timestamp, body]| {
            sig::sign_chatwoot(secret, timestamp, body)
        });
        Ok(ruby.str_new(&signature))
    })
}

/// `_native_check_chatwoot(secret, timestamp, body, signature, tolerance, now)` → nil when the
/// signature verifies, else the reason Symbol (`:mismatch`, `:expired`, `:malformed`, `:missing`).
fn check_chatwoot(
    ruby: &Ruby,
    secret: RString,
    timestamp: RString,
    body: RString,
    signature: RString,
    tolerance: u64,
    now: i64,
) -> RbResult<Option<Symbol>> {
    guard(ruby, || {
        let outcome = with_bytes(
            [secret, timestamp, body, signature],
            |[secret, timestamp, body, signature]| {
                sig::verify_chatwoot(secret, timestamp, body, signature, tolerance, now)
            },
        );
        Ok(reason(ruby, outcome))
    })
}

fn reason(ruby: &Ruby, outcome: Result<(), Failure>) -> Option<Symbol> {
    outcome
        .err()
        .map(|failure| ruby.to_symbol(failure.as_str()))
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let native = errors::native_module(ruby)?;
    let module: RModule = native.define_module("Signature")?;
    module.define_singleton_method("_native_hmac_sha256_hex", function!(hmac_sha256_hex, 2))?;
    module.define_singleton_method("_native_verify", function!(verify, 3))?;
    module.define_singleton_method("_native_sign_chatwoot", function!(sign_chatwoot, 3))?;
    module.define_singleton_method("_native_check_chatwoot", function!(check_chatwoot, 6))?;
    Ok(())
}
