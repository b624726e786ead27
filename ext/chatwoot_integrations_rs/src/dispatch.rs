//! `Integrations::Native` delivery: the native halves of `configure`, `dispatch` and `redact_url`.
//! The Ruby face (lib/integrations/native/dispatch.rb, configuration.rb) takes the keyword
//! arguments and builds the result objects; this converts the endpoints to owned Rust data (see
//! `endpoints`), releases the GVL while the deliveries run, and converts the results back.

mod endpoints;

use std::time::Duration;

use bytes::Bytes;
use chatwoot_integrations::dispatch::{
    self, DeliveryResult, DispatchConfig, DispatchOptions, GuardPolicy, Scheme,
};
use magnus::{function, prelude::*, Error, IntoValue, RArray, RString, Ruby, Value};

use crate::errors::to_ruby;
use crate::helpers::bytes::with_bytes;
use crate::helpers::{gvl, panic::guard, RbResult};

fn seconds(ruby: &Ruby, name: &str, value: f64) -> RbResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        Error::new(
            ruby.exception_arg_error(),
            format!("{name} must be a non-negative number of seconds"),
        )
    })
}

/// `_native_configure(timeout, max_concurrency, inline_retries, retry_after_cap, max_redirects,
/// redirect_keeps_headers, max_response_bytes, allow_private, allowed_hosts, allowed_cidrs)`.
#[allow(clippy::too_many_arguments)]
fn configure(
    ruby: &Ruby,
    timeout: f64,
    max_concurrency: usize,
    inline_retries: u32,
    retry_after_cap: f64,
    max_redirects: usize,
    redirect_keeps_headers: bool,
    max_response_bytes: usize,
    allow_private: bool,
    allowed_hosts: Vec<String>,
    allowed_cidrs: Vec<String>,
) -> RbResult<()> {
    guard(ruby, || {
        let guard = GuardPolicy::from_settings(allow_private, &allowed_hosts, &allowed_cidrs)
            .map_err(|e| to_ruby(ruby, e))?;
        let config = DispatchConfig {
            timeout: seconds(ruby, "timeout", timeout)?,
            max_concurrency,
            inline_retries,
            retry_after_cap: seconds(ruby, "retry_after_cap", retry_after_cap)?,
            max_redirects,
            redirect_keeps_headers,
            max_response_bytes,
            guard,
            ..DispatchConfig::default()
        };
        dispatch::configure(config).map_err(|e| to_ruby(ruby, e))
    })
}

/// `_native_dispatch(endpoints, headers, body, scheme, timeout_or_nil)`: `endpoints` is the caller's
/// Array as it is (each entry a Hash with `url`, `secret`, `headers`, `delivery_id`), `headers`
/// the shared ones (a defect there raises). Returns one result tuple per endpoint:
/// `[url, status, attempts, duration, error, retryable, excerpt, delivery_id, retry_after, invalid]`,
/// where `url` is redacted and `invalid` is false, or the exception class a single dispatch
/// raises for that endpoint's defect (TypeError for a wrong type, ArgumentError otherwise).
fn dispatch(
    ruby: &Ruby,
    endpoints: RArray,
    headers: Value,
    body: RString,
    scheme: String,
    timeout: Option<f64>,
) -> RbResult<RArray> {
    guard(ruby, || {
        let scheme = Scheme::parse(&scheme).ok_or_else(|| {
            Error::new(
                ruby.exception_arg_error(),
                format!("unknown scheme {scheme:?}"),
            )
        })?;
        let timeout = timeout.map(|t| seconds(ruby, "timeout", t)).transpose()?;
        let shared = endpoints::shared_headers(ruby, headers)?;
        let endpoints::Endpoints {
            inputs,
            type_errors,
        } = endpoints::convert(ruby, endpoints, &shared)?;
        // SAFETY: copied at once; the copy is what every endpoint sends and signs.
        let body = Bytes::copy_from_slice(unsafe { body.as_slice() });
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let options = DispatchOptions { scheme, timeout };
        let work = dispatch::dispatch_all(engine.clone(), inputs, body, options);
        let results = gvl::block_on(ruby, &engine, work)?;
        let array = ruby.ary_new_capa(results.len());
        for (index, result) in results.into_iter().enumerate() {
            let invalid = match result.invalid {
                false => ruby.qfalse().as_value(),
                true if type_errors.contains(index) => ruby.exception_type_error().as_value(),
                true => ruby.exception_arg_error().as_value(),
            };
            array.push(result_tuple(ruby, result, invalid)?)?;
        }
        Ok(array)
    })
}

fn result_tuple(ruby: &Ruby, r: DeliveryResult, invalid: Value) -> RbResult<Value> {
    let values: [Value; 10] = [
        ruby.str_new(&r.url).into_value_with(ruby),
        r.status.into_value_with(ruby),
        r.attempts.into_value_with(ruby),
        r.duration.as_secs_f64().into_value_with(ruby),
        r.error
            .as_deref()
            .map(|e| ruby.str_new(e))
            .into_value_with(ruby),
        r.retryable.into_value_with(ruby),
        ruby.str_new(&String::from_utf8_lossy(&r.response_excerpt))
            .into_value_with(ruby),
        ruby.str_new(&r.delivery_id).into_value_with(ruby),
        r.retry_after.map(|d| d.as_secs_f64()).into_value_with(ruby),
        invalid,
    ];
    Ok(ruby.ary_new_from_values(&values).into_value_with(ruby))
}

/// `_native_redact_url(text)`: the URL as it may be shown (see the core's `dispatch::redact`), read
/// by the parser that sends; bytes that are not UTF-8 are replaced first.
fn redact_url(ruby: &Ruby, text: RString) -> RbResult<RString> {
    guard(ruby, || {
        let shown = with_bytes([text], |[bytes]| {
            dispatch::redact(&String::from_utf8_lossy(bytes))
        });
        Ok(ruby.str_new(&shown))
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let native = crate::errors::native_module(ruby)?;
    native.define_singleton_method("_native_configure", function!(configure, 10))?;
    native.define_singleton_method("_native_dispatch", function!(dispatch, 5))?;
    native.define_singleton_method("_native_redact_url", function!(redact_url, 1))?;
    endpoints::init(ruby);
    Ok(())
}
