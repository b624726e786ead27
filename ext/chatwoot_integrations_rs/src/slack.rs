//! `Integrations::Native::Slack`: the native half of `Slack::Event.parse`.

use chatwoot_integrations::providers::slack_event::{self, SlackEvent};
use magnus::{function, prelude::*, RHash, RModule, RString, Ruby};

use crate::errors;
use crate::helpers::{bytes::with_bytes, panic::guard, RbResult};

/// `_native_parse_event(body)` → `{ kind: :url_verification | :thread_reply | :ignored, … }`.
fn parse_event(ruby: &Ruby, body: RString) -> RbResult<RHash> {
    guard(ruby, || {
        let event = with_bytes([body], |[body]| slack_event::parse(body));
        let hash = ruby.hash_new();
        let sym = |s: &str| ruby.to_symbol(s);
        match event {
            SlackEvent::UrlVerification { challenge } => {
                hash.aset(sym("kind"), sym("url_verification"))?;
                hash.aset(sym("challenge"), challenge)?;
            }
            SlackEvent::ThreadReply {
                thread_ts,
                text,
                user,
                channel,
                ts,
            } => {
                hash.aset(sym("kind"), sym("thread_reply"))?;
                hash.aset(sym("thread_ts"), thread_ts)?;
                hash.aset(sym("text"), text)?;
                hash.aset(sym("user"), user)?;
                hash.aset(sym("channel"), channel)?;
                hash.aset(sym("ts"), ts)?;
            }
            SlackEvent::Ignored { reason } => {
                hash.aset(sym("kind"), sym("ignored"))?;
                hash.aset(sym("reason"), reason)?;
            }
        }
        Ok(hash)
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let module: RModule = errors::native_module(ruby)?.define_module("Slack")?;
    module.define_singleton_method("_native_parse_event", function!(parse_event, 1))?;
    Ok(())
}
