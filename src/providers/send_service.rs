//! SendService: for a hook and a message, decide whether to act, build the provider's request,
//! perform it, and answer with an Outcome. Everything that can be decided without the network
//! (unknown app, invalid settings, wrong direction, missing token) is decided in `prepare`, before
//! any request is made.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::dialogflow::{self, DialogflowCall, ServiceAccount};
use super::{openai, slack, Outcome};
use crate::dispatch::{provider_post, Engine};
use crate::providers::apps;
use crate::secret::Secret;
use crate::{Error, Result};

/// What the Ruby side reads off Chatwoot's hook and message (duck-typed there), as plain data.
#[derive(Debug, Clone, Default)]
pub struct SendInput {
    pub app_id: String,
    pub settings: Value,
    pub access_token: Option<Secret>,
    pub reference_id: Option<String>,
    pub content: String,
    pub incoming: bool,
    pub outgoing: bool,
    pub sender_name: Option<String>,
    pub conversation_identifier: Option<String>,
    pub account_name: String,
    /// The conversation's last messages, oldest first: (incoming?, content).
    pub history: Vec<(bool, String)>,
    /// The provider's base URL from the configuration (slack_api_url, openai_api_url, …).
    pub base_url: String,
    /// Google's token endpoint (c.google_token_url), for Dialogflow.
    pub token_url: String,
    /// The Dialogflow session: the conversation's contact source id (or its id).
    pub session_id: String,
    // Slack (issue 17)
    /// Chatwoot's message, conversation and inbox fields Slack's post is built from.
    pub slack: slack::outgoing::SlackFields,
}

/// A provider request ready to send, or the decision that none is needed.
#[derive(Debug)]
pub enum Prepared {
    Skip(Outcome),
    Request(Request),
}

#[derive(Debug)]
pub enum Request {
    /// One Bearer-authenticated JSON POST (Slack, OpenAI).
    Bearer(Call),
    /// A token exchange (cached) and detectIntent.
    Dialogflow(DialogflowCall),
    /// Slack's chat.postMessage (src/providers/slack/outgoing.rs).
    Slack(slack::outgoing::Post),
}

#[derive(Debug)]
pub struct Call {
    app: &'static str,
    url: String,
    token: Secret,
    body: Vec<u8>,
}

fn setting<'a>(settings: &'a Value, name: &str) -> Option<&'a str> {
    settings
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn endpoint(base_url: &str, path: &str) -> String {
    format!("{}/{}", base_url.trim_end_matches('/'), path)
}

/// Everything decided before the network: validation, direction, the request itself.
pub fn prepare(input: &SendInput) -> Result<Prepared> {
    let app = apps::find(&input.app_id)
        .ok_or_else(|| Error::Configuration(format!("unknown app {:?}", input.app_id)))?;
    let problems = apps::validate(app, &input.settings);
    if !problems.is_empty() {
        let list: Vec<String> = problems
            .into_iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect();
        return Err(Error::Configuration(format!(
            "invalid {} settings: {}",
            app.id,
            list.join("; ")
        )));
    }
    match app.id {
        "slack" => slack::outgoing::prepare(input),
        "openai" => prepare_openai(input),
        "dialogflow" => prepare_dialogflow(input),
        other => Err(Error::Configuration(format!(
            "the {other} app is not handled by SendService"
        ))),
    }
}

fn prepare_openai(input: &SendInput) -> Result<Prepared> {
    if !input.incoming {
        return Ok(Prepared::Skip(Outcome::noop(
            "openai answers incoming messages only",
        )));
    }
    if input.content.trim().is_empty() {
        return Ok(Prepared::Skip(Outcome::noop("the message has no text")));
    }
    let api_key = setting(&input.settings, "api_key")
        .ok_or_else(|| Error::Configuration("openai: api_key is required".into()))?;
    let model = setting(&input.settings, "model").unwrap_or(openai::DEFAULT_MODEL);
    let system = openai::system_prompt(
        setting(&input.settings, "system_prompt"),
        &input.account_name,
    );
    Ok(Prepared::Request(Request::Bearer(Call {
        app: "openai",
        url: endpoint(&input.base_url, "chat/completions"),
        token: Secret::new(api_key),
        body: openai::chat_body(model, &system, &input.history),
    })))
}

fn prepare_dialogflow(input: &SendInput) -> Result<Prepared> {
    if !input.incoming {
        return Ok(Prepared::Skip(Outcome::noop(
            "dialogflow answers incoming messages only",
        )));
    }
    if input.content.trim().is_empty() {
        return Ok(Prepared::Skip(Outcome::noop("the message has no text")));
    }
    let credentials = input.settings.get("credentials").unwrap_or(&Value::Null);
    Ok(Prepared::Request(Request::Dialogflow(DialogflowCall {
        account: ServiceAccount::from_setting(credentials)?,
        project: setting(&input.settings, "project_id")
            .unwrap_or_default()
            .to_string(),
        region: setting(&input.settings, "region").map(String::from),
        language: setting(&input.settings, "language_code")
            .unwrap_or(dialogflow::DEFAULT_LANGUAGE)
            .to_string(),
        session: input.session_id.clone(),
        text: input.content.clone(),
        api_url: input.base_url.clone(),
        token_url: input.token_url.clone(),
    })))
}

/// Performs a prepared request on the engine and reads the answer.
pub async fn perform(engine: Arc<Engine>, request: Request, timeout: Duration) -> Result<Outcome> {
    match request {
        Request::Bearer(call) => perform_bearer(&engine, call, timeout).await,
        Request::Dialogflow(call) => dialogflow::perform(&engine, call, timeout).await,
        Request::Slack(post) => slack::outgoing::perform(&engine, post, timeout).await,
    }
}

async fn perform_bearer(engine: &Engine, call: Call, timeout: Duration) -> Result<Outcome> {
    let reply = match provider_post(
        engine,
        &call.url,
        Some(&call.token),
        "application/json; charset=utf-8",
        call.body,
        timeout,
    )
    .await
    {
        Ok(reply) => reply,
        Err(failure) if failure.retryable() => {
            return Ok(Outcome::retry(
                format!("{}: {}", call.app, failure.message()),
                None,
            ))
        }
        Err(failure) => {
            return Err(Error::Configuration(format!(
                "{}: {}",
                call.app,
                failure.message()
            )))
        }
    };
    openai::interpret(&reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn slack_input() -> SendInput {
        SendInput {
            app_id: "slack".into(),
            settings: json!({}),
            access_token: Some(Secret::new("xoxb-1")),
            reference_id: Some("C123".into()),
            content: "hi".into(),
            outgoing: true,
            sender_name: Some("Sam".into()),
            base_url: "https://slack.com/api/".into(),
            ..Default::default()
        }
    }

    #[test]
    fn decisions_before_the_network() {
        // Slack's own rules are tested in src/providers/slack/outgoing.rs: here, the delegation.
        let first_post = SendInput {
            incoming: true,
            outgoing: false,
            ..slack_input()
        };
        assert!(matches!(
            prepare(&first_post).unwrap(),
            Prepared::Request(Request::Slack(_))
        ));
        assert!(matches!(
            prepare(&slack_input()).unwrap(),
            Prepared::Skip(_)
        ));
        let no_token = prepare(&SendInput {
            access_token: None,
            ..first_post.clone()
        })
        .unwrap_err();
        assert!(no_token.to_string().contains("access_token"));
        let no_channel = prepare(&SendInput {
            reference_id: None,
            ..first_post.clone()
        })
        .unwrap_err();
        assert!(no_channel.to_string().contains("channel"));
        assert!(prepare(&SendInput {
            app_id: "fax".into(),
            ..slack_input()
        })
        .unwrap_err()
        .to_string()
        .contains("unknown app"));
        let openai = SendInput {
            app_id: "openai".into(),
            settings: json!({}),
            incoming: true,
            ..slack_input()
        };
        assert!(prepare(&openai)
            .unwrap_err()
            .to_string()
            .contains("API key is required"));
        let thread = SendInput {
            conversation_identifier: Some("1.5".into()),
            ..slack_input()
        };
        let Prepared::Request(request) = prepare(&thread).unwrap() else {
            panic!()
        };
        // The token never shows in Debug output.
        assert!(!format!("{request:?}").contains("xoxb-1"));
    }
}
