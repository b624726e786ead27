//! `Integrations::Native::OpenAINative`: the native half of `OpenAI.process_event` (Chatwoot's
//! editor events). The core plans the request (event, conditions, prompt, cache key); this reads
//! the app's cache store (any object with `read(key)` and `write(key, value, expires_in:)`, such
//! as Rails.cache), performs the call with the GVL released, and caches what it should.

use chatwoot_integrations::dispatch;
use chatwoot_integrations::providers::openai;
use chatwoot_integrations::providers::openai_editor::{self, EditorAnswer, EditorInput, CACHE_TTL};
use chatwoot_integrations::secret::Secret;
use magnus::{function, prelude::*, KwArgs, RArray, RHash, RModule, RString, Ruby, Value};

use crate::errors::{self, to_ruby};
use crate::helpers::{bytes::owned, gvl, panic::guard, RbResult};
use crate::json_values;
use crate::payload::value::to_value;
use crate::send_service::history_from;

fn input_from(ruby: &Ruby, hash: RHash) -> RbResult<EditorInput> {
    let settings: Value = hash.fetch("settings")?;
    let messages: Option<RArray> = hash.lookup("messages")?;
    let has_conversation = messages.is_some();
    let messages = history_from(ruby, messages)?;
    Ok(EditorInput {
        event_name: hash.fetch("event_name")?,
        content: hash
            .lookup::<_, Option<String>>("content")?
            .unwrap_or_default(),
        messages: has_conversation.then_some(messages),
        labels: hash
            .lookup::<_, Option<Vec<String>>>("labels")?
            .unwrap_or_default(),
        settings: to_value(ruby, settings, "settings")?,
        model: hash
            .lookup::<_, Option<String>>("model")?
            .unwrap_or_default(),
        base_url: hash.fetch("base_url")?,
        conversation_id: hash
            .lookup::<_, Option<String>>("conversation_id")?
            .unwrap_or_default(),
        last_activity_at: hash
            .lookup::<_, Option<i64>>("last_activity_at")?
            .unwrap_or(0),
    })
}

/// `{message:}` or `{error:, error_code:}`, the Hash Chatwoot's controller renders.
fn answer_hash(ruby: &Ruby, answer: EditorAnswer) -> RbResult<Value> {
    let hash = ruby.hash_new();
    match answer {
        EditorAnswer::Message(message) => hash.aset(ruby.to_symbol("message"), message)?,
        EditorAnswer::Error { error, error_code } => {
            hash.aset(ruby.to_symbol("error"), json_values::to_ruby(ruby, &error)?)?;
            hash.aset(ruby.to_symbol("error_code"), error_code)?;
        }
    }
    Ok(hash.as_value())
}

/// A cached answer, when the store has one this crate wrote (JSON text); anything else is a miss.
fn cached(store: Value, key: &str) -> RbResult<Option<EditorAnswer>> {
    let value: Value = store.funcall("read", (key,))?;
    let Some(text) = RString::from_value(value) else {
        return Ok(None);
    };
    // SAFETY: the bytes are read at once, and nothing runs Ruby code meanwhile.
    let json: Option<serde_json::Value> = serde_json::from_slice(unsafe { text.as_slice() }).ok();
    Ok(json.as_ref().and_then(EditorAnswer::from_json))
}

/// `_native_process_event(input, store)` → the answer Hash, or nil (Chatwoot's nil: an unknown
/// event, no conversation, label suggestions off or not wanted). ConfigurationError without an
/// api_key.
fn process_event(ruby: &Ruby, input: RHash, store: Value) -> RbResult<Value> {
    guard(ruby, || {
        let input = input_from(ruby, input)?;
        let Some(call) = openai_editor::plan(&input).map_err(|e| to_ruby(ruby, e))? else {
            return Ok(ruby.qnil().as_value());
        };
        let cache_key = call.cache_key.clone().filter(|_| !store.is_nil());
        if let Some(key) = &cache_key {
            if let Some(answer) = cached(store, key)? {
                return answer_hash(ruby, answer);
            }
        }
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let timeout = engine.config.timeout;
        let call_engine = engine.clone();
        let work = async move { openai_editor::perform(&call_engine, call, timeout).await };
        let answer = gvl::block_on(ruby, &engine, work)?;
        // Only answers are kept: an error (a rate limit, an outage) is asked again next time.
        if let (Some(key), EditorAnswer::Message(_)) = (&cache_key, &answer) {
            let options = ruby.hash_new();
            options.aset(ruby.to_symbol("expires_in"), CACHE_TTL.as_secs())?;
            let _: Value = store.funcall(
                "write",
                (key.as_str(), answer.to_json().to_string(), KwArgs(options)),
            )?;
        }
        answer_hash(ruby, answer)
    })
}

/// `_native_valid_key(api_key, base_url)` → false only when OpenAI refuses the key (HTTP 401).
fn valid_key(ruby: &Ruby, api_key: RString, base_url: String) -> RbResult<bool> {
    guard(ruby, || {
        let key = Secret::new(owned(api_key));
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let call_engine = engine.clone();
        let work = async move { openai::key_valid(&call_engine, &base_url, &key).await };
        gvl::block_on(ruby, &engine, work)
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let module: RModule = errors::native_module(ruby)?.define_module("OpenAINative")?;
    module.define_singleton_method("_native_process_event", function!(process_event, 2))?;
    module.define_singleton_method("_native_valid_key", function!(valid_key, 2))?;
    Ok(())
}
