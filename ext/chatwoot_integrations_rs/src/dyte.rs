//! `Integrations::Native::DyteNative`: the native half of Dyte (meetings, participants, tokens,
//! the credential check), each call with the GVL released.

use chatwoot_integrations::dispatch;
use chatwoot_integrations::providers::dyte::{self, Agent, Client, Credentials, DyteAnswer};
use magnus::{function, prelude::*, RHash, RModule, Ruby, Value};

use crate::errors::{self, to_ruby};
use crate::helpers::{gvl, panic::guard, RbResult};
use crate::json_values;
use crate::payload::value::to_value;

fn client(ruby: &Ruby, input: RHash) -> RbResult<Client> {
    let settings: Value = input.fetch("settings")?;
    let settings = to_value(ruby, settings, "settings")?;
    let credentials = Credentials::from_settings(&settings).map_err(|e| to_ruby(ruby, e))?;
    let api_url = input
        .lookup::<_, Option<String>>("api_url")?
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            match credentials {
                Credentials::RealtimeKit { .. } => dyte::REALTIMEKIT_API_URL,
                Credentials::Legacy { .. } => dyte::DYTE_API_URL,
            }
            .to_string()
        });
    Ok(Client {
        credentials,
        api_url,
    })
}

/// `{data:}` (with `content_attributes:` for a new meeting) or `{error:, error_code:}`.
fn answer_hash(ruby: &Ruby, answer: DyteAnswer, meeting: bool) -> RbResult<RHash> {
    let hash = ruby.hash_new();
    match answer {
        DyteAnswer::Data(data) => {
            if meeting {
                let attributes = dyte::meeting_attributes(&data);
                hash.aset(
                    ruby.to_symbol("content_attributes"),
                    json_values::to_ruby(ruby, &attributes)?,
                )?;
            }
            hash.aset(ruby.to_symbol("data"), json_values::to_ruby(ruby, &data)?)?;
        }
        DyteAnswer::Error { error, error_code } => {
            hash.aset(ruby.to_symbol("error"), json_values::to_ruby(ruby, &error)?)?;
            hash.aset(ruby.to_symbol("error_code"), error_code)?;
        }
    }
    Ok(hash)
}

/// A text field of the input Hash the face builds; "" when absent.
fn text(input: RHash, name: &str) -> RbResult<String> {
    Ok(input.lookup::<_, Option<String>>(name)?.unwrap_or_default())
}

/// The agent a participant is made for.
fn agent(input: RHash) -> RbResult<Agent> {
    Ok(Agent {
        user_id: text(input, "user_id")?,
        name: text(input, "name")?,
        picture: text(input, "picture")?,
    })
}

/// `_native_call(operation, input)`: create_meeting, add_participant or refresh_token.
fn call(ruby: &Ruby, operation: String, input: RHash) -> RbResult<RHash> {
    guard(ruby, || {
        let client = client(ruby, input)?;
        let (title, meeting_id, participant_id) = (
            text(input, "title")?,
            text(input, "meeting_id")?,
            text(input, "participant_id")?,
        );
        let agent = agent(input)?;
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let timeout = engine.config.timeout;
        let call_engine = engine.clone();
        let meeting = operation == "create_meeting";
        let work = async move {
            let engine = &call_engine;
            match operation.as_str() {
                "create_meeting" => client.create_meeting(engine, &title, timeout).await,
                "add_participant" => {
                    client
                        .add_participant(engine, &meeting_id, &agent, timeout)
                        .await
                }
                "refresh_token" => {
                    client
                        .refresh_token(engine, &meeting_id, &participant_id, timeout)
                        .await
                }
                other => Err(chatwoot_integrations::Error::InvalidArgument(format!(
                    "dyte: no operation {other:?}"
                ))),
            }
        };
        let answer = gvl::block_on(ruby, &engine, work)?.map_err(|e| to_ruby(ruby, e))?;
        answer_hash(ruby, answer, meeting)
    })
}

/// `_native_join(input)` → the answer Hash, with `participant_id:` to store when the agent is new.
fn join(ruby: &Ruby, input: RHash) -> RbResult<RHash> {
    guard(ruby, || {
        let client = client(ruby, input)?;
        let (meeting_id, stored) = (text(input, "meeting_id")?, text(input, "participant_id")?);
        let agent = agent(input)?;
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let timeout = engine.config.timeout;
        let call_engine = engine.clone();
        let work = async move {
            client
                .join(&call_engine, &meeting_id, Some(&stored), &agent, timeout)
                .await
        };
        let joined = gvl::block_on(ruby, &engine, work)?.map_err(|e| to_ruby(ruby, e))?;
        let hash = answer_hash(ruby, joined.answer, false)?;
        if let Some(id) = joined.participant_id {
            hash.aset(ruby.to_symbol("participant_id"), id)?;
        }
        Ok(hash)
    })
}

/// `_native_check(input)` → nil when the credentials are usable (or cannot be checked now), else
/// the reason: invalid_api_token, invalid_account_or_permissions, app_not_found.
fn check(ruby: &Ruby, input: RHash) -> RbResult<Option<&'static str>> {
    guard(ruby, || {
        let client = client(ruby, input)?;
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let call_engine = engine.clone();
        let work = async move { dyte::check_credentials(&call_engine, &client).await };
        Ok(gvl::block_on(ruby, &engine, work)?.err())
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let module: RModule = errors::native_module(ruby)?.define_module("DyteNative")?;
    module.define_singleton_method("_native_call", function!(call, 2))?;
    module.define_singleton_method("_native_check", function!(check, 1))?;
    module.define_singleton_method("_native_join", function!(join, 1))?;
    Ok(())
}
