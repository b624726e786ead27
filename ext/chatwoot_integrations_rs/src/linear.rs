//! `Integrations::Native::Linear`: one GraphQL call with the GVL released (interruptible). The
//! variables are walked straight into JSON values and the answer's `data` comes back as Ruby
//! objects.

use chatwoot_integrations::dispatch;
use chatwoot_integrations::providers::linear;
use chatwoot_integrations::secret::Secret;
use magnus::{function, prelude::*, RString, Ruby, Value};

use crate::errors::{self, to_ruby};
use crate::helpers::{bytes::owned, gvl, panic::guard, RbResult};
use crate::json_values;
use crate::payload::value::to_value;

/// Performs one GraphQL call with the GVL released; the answer's `data` as Ruby objects.
fn call(
    ruby: &Ruby,
    url: String,
    token: RString,
    query: String,
    variables: serde_json::Value,
) -> RbResult<Value> {
    let token = Secret::new(owned(token));
    let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
    let timeout = engine.config.timeout;
    let call_engine = engine.clone();
    let call = async move {
        linear::graphql(&call_engine, &url, &token, &query, &variables, timeout).await
    };
    let data = gvl::block_on(ruby, &engine, call)?.map_err(|e| to_ruby(ruby, e))?;
    json_values::to_ruby(ruby, &data)
}

/// `_native_graphql(url, token, query, variables)` → the answer's `data` (Hashes, Arrays, …);
/// DeliveryError with Linear's messages otherwise.
fn graphql(
    ruby: &Ruby,
    url: String,
    token: RString,
    query: String,
    variables: Value,
) -> RbResult<Value> {
    guard(ruby, || {
        let variables = to_value(ruby, variables, "variables")?;
        call(ruby, url, token, query, variables)
    })
}

/// `_native_operation(url, token, name, variables)`: one of Chatwoot's operations (the core's
/// documents), its variables checked first (ArgumentError naming the field, before any request).
fn operation(
    ruby: &Ruby,
    url: String,
    token: RString,
    name: String,
    variables: Value,
) -> RbResult<Value> {
    guard(ruby, || {
        let variables = to_value(ruby, variables, "variables")?;
        let (query, variables) =
            linear::operation(&name, variables).map_err(|e| to_ruby(ruby, e))?;
        call(ruby, url, token, query.to_string(), variables)
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let class = errors::native_module(ruby)?.define_class("Linear", ruby.class_object())?;
    class.define_singleton_method("_native_graphql", function!(graphql, 4))?;
    class.define_singleton_method("_native_operation", function!(operation, 4))?;
    Ok(())
}
