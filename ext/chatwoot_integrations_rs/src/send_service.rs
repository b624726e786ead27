//! `Integrations::Native::SendService` and `Apps`: the native halves. The Ruby face reads Chatwoot's
//! duck-typed hook and message into a Hash of plain values; this decides, performs the provider
//! call with the GVL released (interruptible), and returns the outcome as a tuple.

use chatwoot_integrations::dispatch;
use chatwoot_integrations::providers::apps;
use chatwoot_integrations::providers::send_service::{self, Prepared, SendInput};
use chatwoot_integrations::providers::{linear, Outcome};
use chatwoot_integrations::secret::Secret;
use chatwoot_integrations::Error as CoreError;
use magnus::{function, prelude::*, IntoValue, RArray, RHash, RModule, RString, Ruby, Value};

use crate::errors::{self, to_ruby};
use crate::helpers::{
    bytes::{owned, with_bytes},
    gvl,
    panic::guard,
    RbResult,
};

fn settings_from(ruby: &Ruby, json: RString) -> RbResult<apps::Settings> {
    with_bytes([json], |[json]| apps::parse_settings(json)).map_err(|e| to_ruby(ruby, e))
}

/// Reads the input Hash the Ruby face builds (String keys).
fn input_from(
    ruby: &Ruby,
    hash: RHash,
    streams: &mut crate::slack::Streams,
) -> RbResult<SendInput> {
    let token: Option<RString> = hash.lookup("access_token")?;
    Ok(SendInput {
        app_id: hash.fetch("app_id")?,
        settings: settings_from(ruby, hash.fetch("settings_json")?)?,
        access_token: token.map(|t| Secret::new(owned(t))),
        reference_id: hash.lookup("reference_id")?,
        content: hash
            .lookup::<_, Option<String>>("content")?
            .unwrap_or_default(),
        incoming: hash.lookup::<_, Option<bool>>("incoming")?.unwrap_or(false),
        outgoing: hash.lookup::<_, Option<bool>>("outgoing")?.unwrap_or(false),
        sender_name: hash.lookup("sender_name")?,
        conversation_identifier: hash.lookup("conversation_identifier")?,
        account_name: hash
            .lookup::<_, Option<String>>("account_name")?
            .unwrap_or_default(),
        history: hash
            .lookup::<_, Option<Vec<(bool, String)>>>("history")?
            .unwrap_or_default(),
        base_url: hash.fetch("base_url")?,
        token_url: hash
            .lookup::<_, Option<String>>("token_url")?
            .unwrap_or_default(),
        session_id: hash
            .lookup::<_, Option<String>>("session_id")?
            .unwrap_or_default(),
        // Slack (issue 17)
        slack: crate::slack::outgoing_fields(hash.lookup("slack")?, streams)?,
    })
}

/// `[kind, content, replies, identifier, reason, retry_after, external_source_id]`
pub(crate) fn outcome_tuple(ruby: &Ruby, o: Outcome) -> RbResult<RArray> {
    let values: [Value; 7] = [
        ruby.to_symbol(o.kind.as_str()).into_value_with(ruby),
        o.content.into_value_with(ruby),
        ruby.ary_from_vec(o.replies).into_value_with(ruby),
        o.identifier.into_value_with(ruby),
        o.reason.into_value_with(ruby),
        o.retry_after.map(|d| d.as_secs_f64()).into_value_with(ruby),
        o.external_source_id.into_value_with(ruby),
    ];
    Ok(ruby.ary_new_from_values(&values))
}

/// `_native_perform(input)` → the outcome tuple; ConfigurationError / DeliveryError otherwise.
fn perform(ruby: &Ruby, input: RHash) -> RbResult<RArray> {
    guard(ruby, || {
        let mut streams = crate::slack::Streams::default();
        let input = input_from(ruby, input, &mut streams)?;
        let outcome = match send_service::prepare(&input).map_err(|e| to_ruby(ruby, e))? {
            Prepared::Skip(outcome) => outcome,
            Prepared::Request(request) => {
                let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
                let timeout = engine.config.timeout;
                let work = send_service::perform(engine.clone(), request, timeout);
                // Streamed attachments (Slack's) are read on this thread as their uploads ask.
                let result: Result<Outcome, CoreError> = streams.block_on(ruby, &engine, work)?;
                result.map_err(|e| to_ruby(ruby, e))?
            }
        };
        outcome_tuple(ruby, outcome)
    })
}

/// `_native_validate(app_id, settings_json)` → `[[field, message], …]` (empty when valid); nil for an unknown app.
fn validate(ruby: &Ruby, app_id: String, settings_json: RString) -> RbResult<Option<RArray>> {
    guard(ruby, || {
        let Some(app) = apps::find(&app_id) else {
            return Ok(None);
        };
        let settings = settings_from(ruby, settings_json)?;
        let errors = apps::validate(app, &settings);
        let array = ruby.ary_new_capa(errors.len());
        for (field, message) in errors {
            array.push(ruby.ary_new_from_values(&[
                ruby.str_new(&field).as_value(),
                ruby.str_new(&message).as_value(),
            ]))?;
        }
        Ok(Some(array))
    })
}

/// `_native_apps` → `[[id, name, hook_type, oauth, [[field, label, required], …]], …]`
fn list(ruby: &Ruby) -> RbResult<RArray> {
    guard(ruby, || {
        let array = ruby.ary_new_capa(apps::APPS.len());
        for app in apps::APPS {
            let fields = ruby.ary_new_capa(app.fields.len());
            for f in app.fields {
                fields.push((f.name, f.label, f.required))?;
            }
            array.push((app.id, app.name, app.hook_type.as_str(), app.oauth, fields))?;
        }
        Ok(array)
    })
}

/// `_native_graphql(url, token, query, variables_json)` → the answer's `data` as JSON text;
/// DeliveryError with Linear's messages otherwise.
fn graphql(
    ruby: &Ruby,
    url: String,
    token: RString,
    query: String,
    variables_json: RString,
) -> RbResult<RString> {
    guard(ruby, || {
        let token = Secret::new(owned(token));
        let variables = settings_from(ruby, variables_json)?;
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let timeout = engine.config.timeout;
        let call_engine = engine.clone();
        let call = async move {
            linear::graphql(&call_engine, &url, &token, &query, &variables, timeout)
                .await
                .map(|data| data.to_string())
        };
        let data = gvl::block_on(ruby, &engine, call)?.map_err(|e| to_ruby(ruby, e))?;
        Ok(ruby.str_new(&data))
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let native = errors::native_module(ruby)?;
    let send: RModule = native.define_module("SendServiceNative")?;
    send.define_singleton_method("_native_perform", function!(perform, 1))?;
    let apps_module: RModule = native.define_module("Apps")?;
    apps_module.define_singleton_method("_native_validate", function!(validate, 2))?;
    apps_module.define_singleton_method("_native_apps", function!(list, 0))?;
    let linear_class = native.define_class("Linear", ruby.class_object())?;
    linear_class.define_singleton_method("_native_graphql", function!(graphql, 4))?;
    Ok(())
}
