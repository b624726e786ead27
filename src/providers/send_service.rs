//! SendService: for a hook and a message, decide whether to act, build the provider's request,
//! perform it, and answer with an Outcome. Everything that can be decided without the network
//! (unknown app, inactive hook, invalid settings, wrong direction, missing token) is decided here,
//! in `plan`, before any request is made; the Ruby face only reads Chatwoot's models.

use crate::providers::apps::setting;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::dialogflow::{self, DialogflowCall};
use super::google_auth::ServiceAccount;
use super::messages::ChatMessage;
use super::{from_failure, openai, slack, Outcome};
use crate::dispatch::{dispatch_all, provider_post, DispatchOptions, EndpointSpec, Engine, Scheme};
use crate::providers::apps;
use crate::secret::Secret;
use crate::{Error, Result};

/// The apps SendService acts for. Every other app of the registry is refused by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum App {
    /// The generic webhook: the message event, signed, through the dispatcher.
    Webhook,
    Slack,
    OpenAi,
    Dialogflow,
}

impl App {
    /// The app for a hook's `app_id`: ConfigurationError for an id the registry does not know, or
    /// one SendService has nothing to send for.
    pub fn from_id(id: &str) -> Result<App> {
        let registered = apps::find_or_refuse(id.as_bytes())?;
        Ok(match registered.id {
            "webhook" => App::Webhook,
            "slack" => App::Slack,
            "openai" => App::OpenAi,
            "dialogflow" => App::Dialogflow,
            other => {
                return Err(Error::Configuration(format!(
                    "the {other} app is not handled by SendService"
                )))
            }
        })
    }

    pub fn id(self) -> &'static str {
        match self {
            App::Webhook => "webhook",
            App::Slack => "slack",
            App::OpenAi => "openai",
            App::Dialogflow => "dialogflow",
        }
    }
}

/// What the Ruby side reads off Chatwoot's hook and message (duck-typed there), as plain data.
#[derive(Debug, Clone, Default)]
pub struct SendInput {
    pub app_id: String,
    /// `hook.active?` (or its status is enabled): an inactive hook sends nothing.
    pub active: bool,
    pub settings: Value,
    pub access_token: Option<Secret>,
    pub reference_id: Option<String>,
    pub content: String,
    pub incoming: bool,
    pub outgoing: bool,
    pub sender_name: Option<String>,
    pub conversation_identifier: Option<String>,
    pub account_name: String,
    /// The conversation's last messages, oldest first (the OpenAI auto-reply keeps the chat ones).
    pub history: Vec<ChatMessage>,
    /// The provider's base URL from the configuration (slack_api_url, openai_api_url, …).
    pub base_url: String,
    /// Google's token endpoint (c.google_token_url), for Dialogflow.
    pub token_url: String,
    /// The Dialogflow session: the conversation's contact source id (or its id).
    pub session_id: String,
    // Slack
    /// Chatwoot's message, conversation and inbox fields Slack's post is built from.
    pub slack: slack::outgoing::SlackFields,
    // -- the providers' fields (webhook, OpenAI, Dialogflow, …) --
    /// The webhook app: the message event's body, serialized by the Ruby face.
    pub webhook_body: Vec<u8>,
    /// The hook event: `message.created` or `message.updated` (Dialogflow's bot rules).
    pub event: String,
    /// The message is a private note.
    pub private: bool,
    /// The message's content_type (`input_select` for a bot's select).
    pub content_type: String,
    /// The first of content_attributes.submitted_values: what the customer chose in a select.
    pub submitted_value: Option<String>,
    /// The conversation's status (`pending` while a bot handles it).
    pub conversation_status: Option<String>,
}

/// What SendService will do for one message: answer at once, or make a provider call.
#[derive(Debug)]
pub enum Plan {
    /// Nothing to send; the Outcome says why.
    Answer(Outcome),
    Call(Request),
}

#[derive(Debug)]
pub enum Request {
    /// One Bearer-authenticated JSON POST (Slack, OpenAI).
    Bearer(Call),
    /// A token exchange (cached) and detectIntent.
    Dialogflow(DialogflowCall),
    /// Slack's chat.postMessage (src/providers/slack/outgoing.rs).
    Slack(slack::outgoing::Post),
    /// One signed delivery of the message event.
    Webhook(WebhookCall),
}

#[derive(Debug)]
pub struct Call {
    app: App,
    url: String,
    token: Secret,
    body: Vec<u8>,
}

#[derive(Debug)]
pub struct WebhookCall {
    endpoint: EndpointSpec,
    body: Vec<u8>,
}

fn endpoint(base_url: &str, path: &str) -> String {
    format!("{}/{}", base_url.trim_end_matches('/'), path)
}

/// Everything decided before the network: the app, whether the hook is active, its settings,
/// the direction, and the request itself.
pub fn plan(input: &SendInput) -> Result<Plan> {
    let app = App::from_id(&input.app_id)?;
    if !input.active {
        return Ok(Plan::Answer(Outcome::noop("the hook is not active")));
    }
    check_settings(app, &input.settings)?;
    match app {
        App::Webhook => plan_webhook(input),
        App::Slack => slack::outgoing::plan(input),
        App::OpenAi => plan_openai(input),
        App::Dialogflow => plan_dialogflow(input),
    }
}

/// The registry's validation, as one ConfigurationError listing every problem.
fn check_settings(app: App, settings: &Value) -> Result<()> {
    let Some(registered) = apps::find(app.id()) else {
        return Err(Error::Internal(format!(
            "{} is not in the registry",
            app.id()
        )));
    };
    let problems = apps::validate(registered, settings);
    if problems.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = problems
        .into_iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect();
    Err(Error::Configuration(format!(
        "invalid {} settings: {}",
        app.id(),
        list.join("; ")
    )))
}

fn plan_webhook(input: &SendInput) -> Result<Plan> {
    let url = setting(&input.settings, "url").unwrap_or_default();
    Ok(Plan::Call(Request::Webhook(WebhookCall {
        endpoint: EndpointSpec {
            url: url.to_string(),
            secret: setting(&input.settings, "secret").map(Secret::new),
            headers: Vec::new(),
            delivery_id: None,
            previous_secrets: Vec::new(),
        },
        body: input.webhook_body.clone(),
    })))
}

fn plan_openai(input: &SendInput) -> Result<Plan> {
    if !input.incoming {
        return Ok(Plan::Answer(Outcome::noop(
            "openai answers incoming messages only",
        )));
    }
    if input.content.trim().is_empty() {
        return Ok(Plan::Answer(Outcome::noop("the message has no text")));
    }
    let api_key = setting(&input.settings, "api_key")
        .ok_or_else(|| Error::Configuration("openai: api_key is required".into()))?;
    let model = setting(&input.settings, "model").unwrap_or(openai::DEFAULT_MODEL);
    let system = openai::system_prompt(
        setting(&input.settings, "system_prompt"),
        &input.account_name,
    );
    Ok(Plan::Call(Request::Bearer(Call {
        app: App::OpenAi,
        url: endpoint(&input.base_url, "chat/completions"),
        token: Secret::new(api_key),
        body: openai::chat_body(model, &system, &input.history),
    })))
}

fn plan_dialogflow(input: &SendInput) -> Result<Plan> {
    let updated = input.event == "message.updated";
    let skip = |reason: &str| Ok(Plan::Answer(Outcome::noop(reason)));
    if input.private {
        return skip("dialogflow does not see private notes");
    }
    if !input.incoming && !input.outgoing {
        return skip("dialogflow answers incoming and outgoing messages only");
    }
    if input.outgoing && !(updated && input.content_type == "input_select") {
        return skip("dialogflow answers outgoing messages only when a select is submitted");
    }
    if input.conversation_status.as_deref() != Some("pending") {
        return skip("the conversation is not pending (a bot handles pending conversations)");
    }
    // An update is a submitted select: what the customer chose is the text.
    let text = if updated {
        input.submitted_value.clone().unwrap_or_default()
    } else {
        input.content.clone()
    };
    if text.trim().is_empty() {
        return skip("the message has no text");
    }
    let credentials = input.settings.get("credentials").unwrap_or(&Value::Null);
    Ok(Plan::Call(Request::Dialogflow(DialogflowCall {
        account: ServiceAccount::from_setting(credentials)?,
        project: setting(&input.settings, "project_id")
            .unwrap_or_default()
            .to_string(),
        region: setting(&input.settings, "region").map(String::from),
        language: setting(&input.settings, "language_code")
            .unwrap_or(dialogflow::DEFAULT_LANGUAGE)
            .to_string(),
        session: input.session_id.clone(),
        text,
        api_url: input.base_url.clone(),
        token_url: input.token_url.clone(),
    })))
}

/// Performs a planned request on the engine and reads the answer.
pub async fn perform(engine: Arc<Engine>, request: Request, timeout: Duration) -> Result<Outcome> {
    match request {
        Request::Bearer(call) => perform_bearer(&engine, call, timeout).await,
        Request::Dialogflow(call) => dialogflow::perform(&engine, call).await,
        Request::Slack(post) => slack::outgoing::perform(&engine, post, timeout).await,
        Request::Webhook(call) => perform_webhook(engine, call, timeout).await,
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
        Err(failure) => return from_failure(call.app.id(), failure),
    };
    match call.app {
        App::OpenAi => openai::interpret(&reply),
        other => Err(Error::Internal(format!(
            "{} has no Bearer request",
            other.id()
        ))),
    }
}

/// The webhook's one result as an Outcome: delivered, retry later, or a DeliveryError.
async fn perform_webhook(
    engine: Arc<Engine>,
    call: WebhookCall,
    timeout: Duration,
) -> Result<Outcome> {
    let options = DispatchOptions {
        scheme: Scheme::Chatwoot,
        timeout: Some(timeout),
    };
    let results = dispatch_all(engine, vec![call.endpoint], Bytes::from(call.body), options).await;
    let Some(result) = results.into_iter().next() else {
        return Err(Error::Internal(
            "webhook: the dispatch gave no result".into(),
        ));
    };
    match result.error {
        None => Ok(Outcome::noop("delivered")),
        Some(error) if result.retryable => Ok(Outcome::retry(error, result.retry_after)),
        Some(error) if result.invalid => Err(Error::Configuration(format!("webhook: {error}"))),
        Some(error) => Err(Error::Delivery(format!("webhook: {error}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn slack_input() -> SendInput {
        SendInput {
            app_id: "slack".into(),
            active: true,
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
            plan(&first_post).unwrap(),
            Plan::Call(Request::Slack(_))
        ));
        assert!(matches!(plan(&slack_input()).unwrap(), Plan::Answer(_)));
        let no_token = plan(&SendInput {
            access_token: None,
            ..first_post.clone()
        })
        .unwrap_err();
        assert!(no_token.to_string().contains("access_token"));
        let no_channel = plan(&SendInput {
            reference_id: None,
            ..first_post.clone()
        })
        .unwrap_err();
        assert!(no_channel.to_string().contains("channel"));
        assert!(plan(&SendInput {
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
        assert!(plan(&openai)
            .unwrap_err()
            .to_string()
            .contains("API key is required"));
        let thread = SendInput {
            conversation_identifier: Some("1.5".into()),
            ..slack_input()
        };
        let Plan::Call(request) = plan(&thread).unwrap() else {
            panic!()
        };
        // The token never shows in Debug output.
        assert!(!format!("{request:?}").contains("xoxb-1"));
    }

    #[test]
    fn the_app_and_the_hook_decide_first() {
        assert_eq!(App::from_id("openai").unwrap(), App::OpenAi);
        assert!(App::from_id("dyte")
            .unwrap_err()
            .to_string()
            .contains("not handled by SendService"));
        let long = "x".repeat(100);
        assert_eq!(
            App::from_id(&long).unwrap_err().to_string(),
            "unknown app (an id of 100 bytes)"
        );
        // An inactive hook answers noop before its settings are read.
        let inactive = SendInput {
            active: false,
            access_token: None,
            ..slack_input()
        };
        assert!(
            matches!(plan(&inactive).unwrap(), Plan::Answer(o) if o.reason.as_deref() == Some("the hook is not active"))
        );
        let webhook = SendInput {
            app_id: "webhook".into(),
            settings: json!({"url": "ftp://x"}),
            ..slack_input()
        };
        assert!(plan(&webhook)
            .unwrap_err()
            .to_string()
            .contains("invalid webhook settings: url"));
    }
}
