//! `Integrations::Native::Signature`: the native halves of the signing and verifying methods.
//! The Ruby face (lib/integrations/native/signature.rb) owns keyword arguments and type checks,
//! then calls these positional `_native_*` functions.

use chatwoot_integrations::signature::{self as sig, Failure, TwilioAlgorithm, TwilioContent};
use magnus::{
    function, prelude::*, value::ReprValue, Integer, IntoValue, RArray, RHash, RModule, RString,
    Ruby, Symbol, Value,
};

use crate::errors;
use crate::helpers::{
    bytes::{owned, with_bytes},
    panic::guard,
    RbResult,
};

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
/// signature verifies, else the failure code Symbol (`:mismatch`, `:malformed_timestamp`, …; see
/// `_native_failures`); false when an argument is not plain (see [`plain_strings`]).
fn check_chatwoot(
    ruby: &Ruby,
    secret: Value,
    timestamp: Value,
    body: Value,
    signature: Value,
    tolerance: Value,
    now: Value,
) -> RbResult<Value> {
    let strings = [secret, timestamp, body, signature];
    check_windowed(
        ruby,
        strings,
        tolerance,
        now,
        |[s, t, b, g], tolerance, now| sig::verify_chatwoot(s, t, b, g, tolerance, now),
    )
}

/// `_native_check_slack(secret, timestamp, body, signature, tolerance, now)` → nil or the reason;
/// false when an argument is not plain.
fn check_slack(
    ruby: &Ruby,
    secret: Value,
    timestamp: Value,
    body: Value,
    signature: Value,
    tolerance: Value,
    now: Value,
) -> RbResult<Value> {
    let strings = [secret, timestamp, body, signature];
    check_windowed(
        ruby,
        strings,
        tolerance,
        now,
        |[s, t, b, g], tolerance, now| sig::verify_slack(s, t, b, g, tolerance, now),
    )
}

/// The HMAC key of a Standard Webhooks secret; an invalid `whsec_` secret is the operator's error.
fn standard_key(ruby: &Ruby, secret: RString) -> RbResult<Vec<u8>> {
    with_bytes([secret], |[secret]| sig::standard_key(secret)).map_err(|e| errors::to_ruby(ruby, e))
}

/// `_native_sign_standard(secret, id, timestamp, body)` → `"v1,<base64>"`.
fn sign_standard(
    ruby: &Ruby,
    secret: RString,
    id: RString,
    timestamp: RString,
    body: RString,
) -> RbResult<RString> {
    guard(ruby, || {
        let key = standard_key(ruby, secret)?;
        let signature = with_bytes([id, timestamp, body], |[id, timestamp, body]| {
            sig::sign_standard(&key, id, timestamp, body)
        });
        Ok(ruby.str_new(&signature))
    })
}

/// `_native_check_standard(secret, id, timestamp, body, header, tolerance, now)` → nil or the
/// reason; false when an argument is not plain.
#[allow(clippy::too_many_arguments)]
fn check_standard(
    ruby: &Ruby,
    secret: Value,
    id: Value,
    timestamp: Value,
    body: Value,
    header: Value,
    tolerance: Value,
    now: Value,
) -> RbResult<Value> {
    let strings = [secret, id, timestamp, body, header];
    let (Some([secret, id, timestamp, body, header]), Some((tolerance, now))) =
        (plain_strings(strings), plain_window(tolerance, now))
    else {
        return Ok(not_plain(ruby));
    };
    let outcome = guard(ruby, || {
        let key = standard_key(ruby, secret)?;
        check(
            ruby,
            [id, timestamp, body, header],
            |[id, timestamp, body, header]| {
                sig::verify_standard(&key, id, timestamp, body, header, tolerance, now)
            },
        )
    });
    checked(ruby, outcome)
}

/// `_native_check_hub(secret, body, header)` → nil or the reason; false when one is not a String.
fn check_hub(ruby: &Ruby, secret: Value, body: Value, header: Value) -> RbResult<Value> {
    let Some(strings) = plain_strings([secret, body, header]) else {
        return Ok(not_plain(ruby));
    };
    checked(
        ruby,
        check(ruby, strings, |[secret, body, header]| {
            sig::verify_hub(secret, body, header)
        }),
    )
}

/// `_native_check_base64(secret, body, signature)` → nil or the reason; false when one is not a
/// String.
fn check_base64(ruby: &Ruby, secret: Value, body: Value, signature: Value) -> RbResult<Value> {
    let Some(strings) = plain_strings([secret, body, signature]) else {
        return Ok(not_plain(ruby));
    };
    checked(
        ruby,
        check(ruby, strings, |[secret, body, signature]| {
            sig::verify_base64(secret, body, signature)
        }),
    )
}

/// `_native_check_twilio(auth_token, url, params, body, signature, settings)` → nil or the reason;
/// `params` is `[[name, [value, …]], …]` for form requests, `body` the raw body for JSON ones (else
/// nil), `settings` the `X-Twilio-Webhooks-Signature-Settings` value ("" when absent), which picks
/// HMAC-SHA256 for SharedKey webhooks.
fn check_twilio(
    ruby: &Ruby,
    auth_token: RString,
    url: RString,
    params: RArray,
    body: Option<RString>,
    signature: RString,
    settings: RString,
) -> RbResult<Option<Symbol>> {
    guard(ruby, || {
        let Ok(url) = String::from_utf8(owned(url)) else {
            return Ok(Some(ruby.to_symbol("malformed")));
        };
        let Some(algorithm) = TwilioAlgorithm::from_settings(&owned(settings)) else {
            return Ok(Some(ruby.to_symbol("malformed")));
        };
        let mut pairs = Vec::with_capacity(params.len());
        for i in 0..params.len() {
            let (name, values): (RString, RArray) = params.entry(i as isize)?;
            let values = (0..values.len())
                .map(|j| values.entry::<RString>(j as isize).map(owned))
                .collect::<RbResult<Vec<_>>>()?;
            pairs.push((owned(name), values));
        }
        let token = owned(auth_token);
        let signature = owned(signature);
        let outcome = match body {
            Some(body) => {
                let body = owned(body);
                let content = TwilioContent::Body(&body);
                sig::verify_twilio_with(algorithm, &token, &url, content, &signature)
            }
            None => {
                let content = TwilioContent::Params(&pairs);
                sig::verify_twilio_with(algorithm, &token, &url, content, &signature)
            }
        };
        Ok(reason(ruby, outcome))
    })
}

/// `_native_parse_form(body)` → `[[name, [value, …]], …]`: a form body as Twilio signs it (see the
/// core's `parse_form`), for the middleware, which must not rely on the framework's parser.
fn parse_form(ruby: &Ruby, body: RString) -> RbResult<RArray> {
    guard(ruby, || {
        let params = with_bytes([body], |[body]| sig::parse_form(body));
        Ok(ruby.ary_from_iter(params.iter().map(|(name, values)| {
            let values = ruby.ary_from_iter(values.iter().map(|v| ruby.str_from_slice(v)));
            ruby.ary_from_iter([ruby.str_from_slice(name).as_value(), values.as_value()])
        })))
    })
}

/// `_native_check_linear(secret, body, signature, tolerance, now)` → nil or the reason; false when
/// an argument is not plain.
fn check_linear(
    ruby: &Ruby,
    secret: Value,
    body: Value,
    signature: Value,
    tolerance: Value,
    now: Value,
) -> RbResult<Value> {
    let strings = [secret, body, signature];
    check_windowed(
        ruby,
        strings,
        tolerance,
        now,
        |[s, b, g], tolerance, now| sig::verify_linear(s, b, g, tolerance, now),
    )
}

/// `_native_check_stripe(secret, body, header, tolerance, now)` → nil or the reason; false when an
/// argument is not plain.
fn check_stripe(
    ruby: &Ruby,
    secret: Value,
    body: Value,
    header: Value,
    tolerance: Value,
    now: Value,
) -> RbResult<Value> {
    let strings = [secret, body, header];
    check_windowed(
        ruby,
        strings,
        tolerance,
        now,
        |[s, b, h], tolerance, now| sig::verify_stripe(s, b, h, tolerance, now),
    )
}

/// `_native_request_paths(script_name, path_info)` → `[keys, spellings]`, the forms of a request's
/// path the Rack middleware matches its route table against (see the core's `request_path`).
fn request_paths(ruby: &Ruby, script_name: RString, path_info: RString) -> RbResult<RArray> {
    guard(ruby, || {
        let paths = with_bytes([script_name, path_info], |[script_name, path_info]| {
            sig::request_paths(script_name, path_info)
        });
        Ok(ruby.ary_from_iter([
            path_strings(ruby, &paths.keys),
            path_strings(ruby, &paths.spellings),
        ]))
    })
}

/// `_native_route_keys(path)` → the keys a String route of the middleware's table is stored under.
fn route_keys(ruby: &Ruby, path: RString) -> RbResult<RArray> {
    guard(ruby, || {
        let keys = with_bytes([path], |[path]| sig::route_keys(path));
        Ok(path_strings(ruby, &keys))
    })
}

/// Paths as Ruby Strings: UTF-8 when they are (so a Regexp route with non-ASCII text can match
/// them), binary otherwise. The encoding follows from the bytes, so equal paths compare equal.
fn path_strings(ruby: &Ruby, paths: &[Vec<u8>]) -> RArray {
    ruby.ary_from_iter(paths.iter().map(|path| match std::str::from_utf8(path) {
        Ok(text) => ruby.str_new(text),
        Err(_) => ruby.str_from_slice(path),
    }))
}

/// nil when verified, else the failure's code Symbol (`:malformed_timestamp`): the reason and the
/// part in one interned Symbol, so the non-bang forms allocate nothing on failure either.
fn reason(ruby: &Ruby, outcome: Result<(), Failure>) -> Option<Symbol> {
    outcome.err().map(|failure| ruby.to_symbol(failure.code()))
}

/// `_native_failures` → `{code => [reason, part or nil, message]}` for every failure code, read
/// once by `SignatureError` so the codes, reasons and messages are written only in the core.
fn failures(ruby: &Ruby) -> RbResult<RHash> {
    let table = ruby.hash_new();
    for failure in Failure::all() {
        let part = failure.part().map(|part| ruby.to_symbol(part.as_str()));
        let entry = (
            ruby.to_symbol(failure.as_str()),
            part,
            ruby.str_new(&failure.message()),
        );
        table.aset(ruby.to_symbol(failure.code()), entry)?;
    }
    Ok(table)
}

/// The verifiers' arguments when each is a String, the type the Ruby face's checks let through
/// unchanged. A verifier runs on every webhook a host receives, and checking the types here costs
/// nothing next to the Ruby calls that did it first (they were half of `verify_chatwoot`'s time
/// over a 3.5 KB body). Anything else, nil included, is `None`: the native function answers false
/// and the Ruby face runs its checks, which answer `:missing_*`, convert (an Integer or Time
/// timestamp) or raise naming the argument, and then call again with plain arguments. So the
/// rules stay in Ruby's `Arguments`; this only recognises the values they would pass as they are.
fn plain_strings<const N: usize>(values: [Value; N]) -> Option<[RString; N]> {
    let strings = values.map(RString::from_value);
    if strings.iter().any(Option::is_none) {
        return None;
    }
    // Every entry is Some (checked just above), so nothing here can panic.
    Some(strings.map(|s| s.expect("every entry was checked to be a String")))
}

/// `tolerance` and `now` when both are Integers in the ranges `Arguments.tolerance!` and
/// `Arguments.now_seconds!` accept (u64, i64); `None` sends the call through those checks.
fn plain_window(tolerance: Value, now: Value) -> Option<(u64, i64)> {
    let tolerance = Integer::from_value(tolerance)?.to_u64().ok()?;
    let now = Integer::from_value(now)?.to_i64().ok()?;
    Some((tolerance, now))
}

/// The answer that sends the Ruby face through its argument checks.
fn not_plain(ruby: &Ruby) -> Value {
    ruby.qfalse().as_value()
}

/// A verifier's nil-or-reason as the Value the `_native_check_*` functions with a fast path return.
fn checked(ruby: &Ruby, outcome: RbResult<Option<Symbol>>) -> RbResult<Value> {
    outcome.map(|reason| reason.into_value_with(ruby))
}

/// A verifier with a timestamp window, on plain arguments: false when one is not plain (the Ruby
/// face then runs its checks), else nil or the failure code.
fn check_windowed<const N: usize>(
    ruby: &Ruby,
    strings: [Value; N],
    tolerance: Value,
    now: Value,
    verify: impl FnOnce([&[u8]; N], u64, i64) -> Result<(), Failure>,
) -> RbResult<Value> {
    let (Some(strings), Some((tolerance, now))) =
        (plain_strings(strings), plain_window(tolerance, now))
    else {
        return Ok(not_plain(ruby));
    };
    checked(
        ruby,
        check(ruby, strings, |bytes| verify(bytes, tolerance, now)),
    )
}

/// Runs a verifier over the bytes of `strings`: nil when it passes, else the reason Symbol.
fn check<const N: usize>(
    ruby: &Ruby,
    strings: [RString; N],
    verify: impl FnOnce([&[u8]; N]) -> Result<(), Failure>,
) -> RbResult<Option<Symbol>> {
    guard(ruby, || Ok(reason(ruby, with_bytes(strings, verify))))
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let native = errors::native_module(ruby)?;
    let module: RModule = native.define_module("Signature")?;
    module.define_singleton_method("_native_hmac_sha256_hex", function!(hmac_sha256_hex, 2))?;
    module.define_singleton_method("_native_verify", function!(verify, 3))?;
    module.define_singleton_method("_native_sign_chatwoot", function!(sign_chatwoot, 3))?;
    module.define_singleton_method("_native_check_chatwoot", function!(check_chatwoot, 6))?;
    module.define_singleton_method("_native_check_slack", function!(check_slack, 6))?;
    module.define_singleton_method("_native_sign_standard", function!(sign_standard, 4))?;
    module.define_singleton_method("_native_check_standard", function!(check_standard, 7))?;
    module.define_singleton_method("_native_check_hub", function!(check_hub, 3))?;
    module.define_singleton_method("_native_check_base64", function!(check_base64, 3))?;
    module.define_singleton_method("_native_check_twilio", function!(check_twilio, 6))?;
    module.define_singleton_method("_native_parse_form", function!(parse_form, 1))?;
    module.define_singleton_method("_native_check_linear", function!(check_linear, 5))?;
    module.define_singleton_method("_native_check_stripe", function!(check_stripe, 5))?;
    module.define_singleton_method("_native_request_paths", function!(request_paths, 2))?;
    module.define_singleton_method("_native_route_keys", function!(route_keys, 1))?;
    module.define_singleton_method("_native_failures", function!(failures, 0))?;
    Ok(())
}
