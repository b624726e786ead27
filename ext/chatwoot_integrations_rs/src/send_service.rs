//! `Integrations::Native::SendServiceNative`: the native half of SendService. The Ruby face reads
//! Chatwoot's duck-typed hook and message into a Hash of plain values; the core decides (app,
//! active, settings, direction), performs the provider call with the GVL released
//! (interruptible), and the outcome comes back as a Hash with named fields.

use chatwoot_integrations::dispatch;
use chatwoot_integrations::providers::messages::{ChatMessage, MessageType};
use chatwoot_integrations::providers::openai::HISTORY;
use chatwoot_integrations::providers::send_service::{self, Plan, SendInput};
use chatwoot_integrations::providers::Outcome;
use chatwoot_integrations::secret::Secret;
use chatwoot_integrations::Error as CoreError;
use magnus::{function, prelude::*, Error, RArray, RHash, RModule, RString, Ruby, Value};

use crate::errors::{self, to_ruby};
use crate::helpers::{bytes::owned, panic::guard, RbResult};
use crate::json_values;
use crate::payload::value::to_value;

/// The conversation's messages as the face reads them:
/// `[[message_type, private, content, sender_name], …]`.
pub fn history_from(ruby: &Ruby, rows: Option<RArray>) -> RbResult<Vec<ChatMessage>> {
    let Some(rows) = rows else {
        return Ok(Vec::new());
    };
    let mut history = Vec::with_capacity(rows.len());
    for row in rows.into_iter() {
        let (kind, private, content, sender_name): (String, bool, String, Option<String>) =
            magnus::TryConvert::try_convert(row)?;
        let Some(message_type) = MessageType::parse(&kind) else {
            return Err(Error::new(
                ruby.exception_arg_error(),
                "a message's message_type must be incoming, outgoing, activity or template",
            ));
        };
        history.push(ChatMessage {
            message_type,
            private,
            content,
            sender_name: sender_name.unwrap_or_default(),
        });
    }
    Ok(history)
}

/// Reads the input Hash the Ruby face builds (String keys).
fn input_from(
    ruby: &Ruby,
    hash: RHash,
    streams: &mut crate::slack::Streams,
) -> RbResult<SendInput> {
    let token: Option<RString> = hash.lookup("access_token")?;
    let settings: Value = hash.fetch("settings")?;
    let webhook_body: Option<RString> = hash.lookup("webhook_body")?;
    Ok(SendInput {
        app_id: hash.fetch("app_id")?,
        active: hash.lookup::<_, Option<bool>>("active")?.unwrap_or(false),
        settings: to_value(ruby, settings, "settings")?,
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
        history: history_from(ruby, hash.lookup("history")?)?,
        base_url: hash.fetch("base_url")?,
        token_url: hash
            .lookup::<_, Option<String>>("token_url")?
            .unwrap_or_default(),
        session_id: hash
            .lookup::<_, Option<String>>("session_id")?
            .unwrap_or_default(),
        webhook_body: webhook_body.map(owned).unwrap_or_default(),
        event: hash
            .lookup::<_, Option<String>>("event")?
            .unwrap_or_default(),
        private: hash.lookup::<_, Option<bool>>("private")?.unwrap_or(false),
        content_type: hash
            .lookup::<_, Option<String>>("content_type")?
            .unwrap_or_default(),
        submitted_value: hash.lookup("submitted_value")?,
        conversation_status: hash.lookup("conversation_status")?,
        // Slack
        slack: crate::slack::outgoing_fields(hash.lookup("slack")?, streams)?,
    })
}

/// `{kind:, content:, replies:, identifier:, reason:, retry_after:, messages:,
/// external_source_id:}` for `Outcome.new`.
pub fn outcome_hash(ruby: &Ruby, o: Outcome) -> RbResult<RHash> {
    let hash = ruby.hash_new();
    hash.aset(ruby.to_symbol("kind"), ruby.to_symbol(o.kind.as_str()))?;
    hash.aset(ruby.to_symbol("content"), o.content)?;
    hash.aset(ruby.to_symbol("replies"), ruby.ary_from_vec(o.replies))?;
    hash.aset(ruby.to_symbol("identifier"), o.identifier)?;
    hash.aset(ruby.to_symbol("reason"), o.reason)?;
    hash.aset(
        ruby.to_symbol("retry_after"),
        o.retry_after.map(|d| d.as_secs_f64()),
    )?;
    let messages = ruby.ary_new_capa(o.messages.len());
    for message in &o.messages {
        messages.push(json_values::to_ruby(ruby, message)?)?;
    }
    hash.aset(ruby.to_symbol("messages"), messages)?;
    hash.aset(ruby.to_symbol("external_source_id"), o.external_source_id)?;
    Ok(hash)
}

/// `_native_perform(input)` → the outcome Hash; ConfigurationError / DeliveryError otherwise.
fn perform(ruby: &Ruby, input: RHash) -> RbResult<RHash> {
    guard(ruby, || {
        let mut streams = crate::slack::Streams::default();
        let input = input_from(ruby, input, &mut streams)?;
        let outcome = match send_service::plan(&input).map_err(|e| to_ruby(ruby, e))? {
            Plan::Answer(outcome) => outcome,
            Plan::Call(request) => {
                let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
                let timeout = engine.config.timeout;
                let work = send_service::perform(engine.clone(), request, timeout);
                // Streamed attachments (Slack's) are read on this thread as their uploads ask.
                let result: Result<Outcome, CoreError> = streams.block_on(ruby, &engine, work)?;
                result.map_err(|e| to_ruby(ruby, e))?
            }
        };
        outcome_hash(ruby, outcome)
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let send: RModule = errors::native_module(ruby)?.define_module("SendServiceNative")?;
    send.define_singleton_method("_native_perform", function!(perform, 1))?;
    // How many chat messages the auto-reply sends: the face reads no more than this many.
    send.const_set("HISTORY", HISTORY)?;
    Ok(())
}
