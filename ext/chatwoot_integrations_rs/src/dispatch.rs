//! `Integrations::Native` delivery: the native halves of `dispatch` and `redact_url`. The Ruby
//! face (lib/integrations/native/dispatch.rb) takes the keyword arguments and serializes the
//! payload; this checks the scheme, converts the endpoints to owned Rust data (see `endpoints`),
//! releases the GVL while the deliveries run, and returns the results as `DeliveryResult`s (see
//! `delivery_result`).

mod endpoints;

use bytes::Bytes;
use std::sync::Arc;

use chatwoot_integrations::dispatch::{
    self, DeliveryResult, DispatchOptions, EndpointInput, Engine, Scheme,
};
use magnus::value::{Qfalse, Qtrue};
use magnus::{function, prelude::*, Error, RArray, RString, Ruby, Symbol, Value};

use crate::delivery_result;
use crate::errors::to_ruby;
use crate::helpers::bytes::with_bytes;
use crate::helpers::symbol;
use crate::helpers::{gvl, panic::guard, RbResult};

/// The scheme a Symbol or String names, compared as bytes (no Symbol is made of the caller's text,
/// and a broken encoding cannot raise); the message never echoes a String.
fn scheme(ruby: &Ruby, value: Value) -> RbResult<Scheme> {
    let name = match Symbol::from_value(value) {
        Some(symbol) => symbol::name(symbol),
        None => RString::from_value(value),
    };
    // SAFETY: the bytes are compared at once; nothing runs Ruby code meanwhile.
    let known = name.and_then(|name| {
        Scheme::ALL
            .into_iter()
            .find(|s| s.name().as_bytes() == unsafe { name.as_slice() })
    });
    known.ok_or_else(|| {
        let names: Vec<String> = Scheme::ALL
            .iter()
            .map(|s| format!(":{}", s.name()))
            .collect();
        Error::new(
            ruby.exception_arg_error(),
            format!(
                "scheme must be one of {}, got {}",
                names.join(", "),
                described(value)
            ),
        )
    })
}

/// A value as a message may show it: a short Symbol, nil, true or false as it is, anything else
/// by class (a String may be a secret or megabytes long).
fn described(value: Value) -> String {
    if value.is_nil() {
        return "nil".into();
    }
    if let Some(symbol) = Symbol::from_value(value) {
        // SAFETY: copied at once.
        let text = symbol::name(symbol).map(|s| unsafe { s.to_string_lossy() }.into_owned());
        if let Some(text) = text.filter(|t| t.chars().count() <= 40) {
            return format!(":{}", text.escape_debug());
        }
        return "a Symbol".into();
    }
    if Qtrue::from_value(value).is_some() {
        return "true".into();
    }
    if Qfalse::from_value(value).is_some() {
        return "false".into();
    }
    // SAFETY: the name is copied at once, before anything can run Ruby code.
    unsafe { value.classname() }.into_owned()
}

/// `_native_dispatch(endpoints, headers, body, scheme, timeout_or_nil, single)`: `endpoints` is
/// the caller's Array as it is (each entry a Hash with `url`, `secret`, `headers`, `delivery_id`),
/// `headers` the shared ones (a defect there raises). Returns one `DeliveryResult` per endpoint, in
/// order, invalid endpoints included. With `single` (a dispatch to `url:`), an invalid endpoint
/// raises instead: TypeError for a value of the wrong type, ArgumentError otherwise.
fn dispatch(
    ruby: &Ruby,
    endpoints: RArray,
    headers: Value,
    body: RString,
    scheme_name: Value,
    timeout: Option<f64>,
    single: bool,
) -> RbResult<RArray> {
    guard(ruby, || {
        let scheme = scheme(ruby, scheme_name)?;
        let timeout = timeout
            .map(dispatch::call_timeout)
            .transpose()
            .map_err(|e| to_ruby(ruby, e))?;
        let shared = endpoints::shared_headers(ruby, headers)?;
        let endpoints::Endpoints {
            inputs,
            type_errors,
        } = endpoints::convert(ruby, endpoints, &shared)?;
        // SAFETY: copied at once; the copy is what every endpoint sends and signs.
        let body = Bytes::copy_from_slice(unsafe { body.as_slice() });
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let options = DispatchOptions { scheme, timeout };
        let results = deliver(ruby, &engine, inputs, body, options)?;
        if single {
            if let Some(r) = results.iter().find(|r| r.invalid) {
                let class = match type_errors.contains(0) {
                    true => ruby.exception_type_error(),
                    false => ruby.exception_arg_error(),
                };
                return Err(Error::new(class, r.error.clone().unwrap_or_default()));
            }
        }
        let array = ruby.ary_new_capa(results.len());
        for result in &results {
            array.push(delivery_result::build(ruby, result)?)?;
        }
        Ok(array)
    })
}

/// One endpoint (the common case) is delivered on this thread, which drives it while it waits;
/// several are fanned out over the engine's lanes. (A dispatch from a signal handler while this
/// thread already waits for one goes to the lanes too.)
fn deliver(
    ruby: &Ruby,
    engine: &Arc<Engine>,
    mut inputs: Vec<EndpointInput>,
    body: Bytes,
    options: DispatchOptions,
) -> RbResult<Vec<DeliveryResult>> {
    if inputs.len() == 1 {
        // Taken by the closure only if this thread can serve it; left for the lanes otherwise.
        let mut single = inputs.pop();
        let here = dispatch::on_this_thread(engine, |here| {
            let input = single.take()?;
            let work = dispatch::dispatch_one(engine, here, input, body.clone(), options);
            Some(gvl::wait(ruby, here, work))
        })
        .map_err(|e| to_ruby(ruby, e))?;
        if let Some(Some(result)) = here {
            return Ok(vec![result?]);
        }
        inputs.extend(single);
    }
    let work = dispatch::dispatch_all(engine.clone(), inputs, body, options);
    gvl::block_on(ruby, engine, work)
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
    let native = crate::namespace::native_module(ruby)?;
    native.define_singleton_method("_native_dispatch", function!(dispatch, 6))?;
    let names: Vec<Symbol> = Scheme::ALL
        .iter()
        .map(|s| ruby.to_symbol(s.name()))
        .collect();
    // Kept for callers that list the schemes; dispatch checks against `Scheme::ALL` itself.
    let names = ruby.ary_new_from_values(&names);
    names.freeze();
    native.const_set("SCHEMES", names)?;
    native.define_singleton_method("_native_redact_url", function!(redact_url, 1))?;
    endpoints::init(ruby);
    Ok(())
}
