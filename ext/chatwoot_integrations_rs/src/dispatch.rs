//! `Integrations::Native` delivery: the native halves of `configure` and `dispatch`.
//! The Ruby face (lib/integrations/native/dispatch.rb, configuration.rb) validates keyword
//! arguments and builds the result objects; this converts to owned Rust data, releases the GVL
//! while the deliveries run, and converts the results back.

use std::time::Duration;

use bytes::Bytes;
use chatwoot_integrations::dispatch::{
    self, DeliveryResult, DispatchConfig, DispatchOptions, EndpointSpec, GuardPolicy, Scheme,
};
use chatwoot_integrations::secret::Secret;
use magnus::{function, prelude::*, Error, IntoValue, RArray, RString, Ruby, Value};

use crate::errors::to_ruby;
use crate::helpers::{bytes::owned, gvl, panic::guard, RbResult};

/// One endpoint as the Ruby face passes it: `[url, secret or nil, [[name, value], …], delivery_id or nil]`.
type EndpointTuple = (
    String,
    Option<RString>,
    Vec<(String, String)>,
    Option<String>,
);

fn secret_from(value: Option<RString>) -> Option<Secret> {
    value.map(|s| Secret::new(owned(s)))
}

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

/// `_native_dispatch(endpoints, body, scheme, timeout_or_nil)` → one result tuple per endpoint:
/// `[url, status, attempts, duration, error, retryable, excerpt, delivery_id, retry_after, invalid]`.
fn dispatch(
    ruby: &Ruby,
    endpoints: RArray,
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
        // Entry by entry: a Ruby String (the secret) may not be kept in heap memory the GC cannot see,
        // so each is copied into an owned Secret at once.
        let endpoints = (0..endpoints.len())
            .map(|i| {
                let (url, secret, headers, delivery_id): EndpointTuple =
                    endpoints.entry(i as isize)?;
                Ok(EndpointSpec {
                    url,
                    secret: secret_from(secret),
                    headers,
                    delivery_id,
                })
            })
            .collect::<RbResult<Vec<_>>>()?;
        // SAFETY: copied at once; the copy is what every endpoint sends and signs.
        let body = Bytes::copy_from_slice(unsafe { body.as_slice() });
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let options = DispatchOptions { scheme, timeout };
        let work = dispatch::dispatch_all(engine.clone(), endpoints, body, options);
        let results = gvl::block_on(ruby, &engine, work)?;
        let array = ruby.ary_new_capa(results.len());
        for result in results {
            array.push(result_tuple(ruby, result)?)?;
        }
        Ok(array)
    })
}

fn result_tuple(ruby: &Ruby, r: DeliveryResult) -> RbResult<Value> {
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
        r.invalid.into_value_with(ruby),
    ];
    Ok(ruby.ary_new_from_values(&values).into_value_with(ruby))
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let native = crate::errors::native_module(ruby)?;
    native.define_singleton_method("_native_configure", function!(configure, 10))?;
    native.define_singleton_method("_native_dispatch", function!(dispatch, 4))?;
    Ok(())
}
