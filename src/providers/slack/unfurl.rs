//! Unfurling a shared Chatwoot conversation link (Chatwoot's SlackLinkUnfurlService): the app
//! looks up the conversation for each link; this builds the card (a section with six contact and
//! inbox fields, and a button to the conversation) and sends it with `chat.unfurl`, after
//! `conversations.members` shows the bot can see the channel.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::web_api::{self, Failure};
use crate::dispatch::Engine;
use crate::providers::Outcome;
use crate::secret::Secret;
use crate::Result;

/// Shown for a field the conversation does not have.
pub const MISSING: &str = "---";

/// The button's label (Chatwoot's English text).
pub const BUTTON_LABEL: &str = "Open conversation";

/// What the card shows for one conversation, in the card's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Card {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub company_name: Option<String>,
    pub inbox_name: Option<String>,
    pub inbox_type: Option<String>,
}

/// The section and actions blocks for one link.
pub fn blocks(url: &str, card: &Card) -> Value {
    let labelled = [
        ("Name", &card.name),
        ("Email", &card.email),
        ("Phone number", &card.phone_number),
        ("Company name", &card.company_name),
        ("Inbox name", &card.inbox_name),
        ("Inbox type", &card.inbox_type),
    ];
    let fields: Vec<Value> = labelled
        .iter()
        .map(|(label, value)| {
            let value = value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .unwrap_or(MISSING);
            json!({ "type": "mrkdwn", "text": format!("*{label}:*\n{value}") })
        })
        .collect();
    json!([
        { "type": "section", "fields": fields },
        {
            "type": "actions",
            "elements": [{
                "type": "button",
                "text": { "type": "plain_text", "text": BUTTON_LABEL, "emoji": true },
                "url": url,
                "action_id": "button-action"
            }]
        }
    ])
}

/// chat.unfurl's `unfurls` argument: `{ "<url>": { "blocks": [...] } }` as JSON text.
pub fn unfurls(cards: &[(String, Card)]) -> String {
    let mut map = Map::new();
    for (url, card) in cards {
        map.insert(url.clone(), json!({ "blocks": blocks(url, card) }));
    }
    Value::Object(map).to_string()
}

/// What to unfurl and where.
#[derive(Debug)]
pub struct Unfurl {
    pub base_url: String,
    pub token: Secret,
    pub channel: String,
    pub unfurl_id: Option<String>,
    pub source: Option<String>,
    pub cards: Vec<(String, Card)>,
}

/// conversations.members (the bot must see the channel), then chat.unfurl. Missing scope (the
/// Slack app as Chatwoot installs it has no links:write) and a channel the bot cannot see end
/// the unfurl with a `:noop` saying why; the hook stays enabled.
pub async fn perform(engine: &Engine, unfurl: Unfurl, timeout: Duration) -> Result<Outcome> {
    if unfurl.cards.is_empty() {
        return Ok(Outcome::noop("no conversation to unfurl"));
    }
    let members = web_api::call_form(
        engine,
        &unfurl.base_url,
        "conversations.members",
        &unfurl.token,
        &[("channel", &unfurl.channel)],
        timeout,
    )
    .await;
    if let Err(failure) = members {
        return quiet(failure, "conversations.members");
    }
    let unfurls = unfurls(&unfurl.cards);
    let mut fields = vec![("unfurls", unfurls.as_str())];
    if let Some(id) = &unfurl.unfurl_id {
        fields.push(("unfurl_id", id));
    }
    if let Some(source) = &unfurl.source {
        fields.push(("source", source));
    }
    match web_api::call_form(
        engine,
        &unfurl.base_url,
        "chat.unfurl",
        &unfurl.token,
        &fields,
        timeout,
    )
    .await
    {
        Ok(_) => Ok(Outcome::noop("unfurled")),
        Err(failure) => quiet(failure, "chat.unfurl"),
    }
}

/// Slack refusing the unfurl is not the hook's fault: a warning (the reason), never a disable.
fn quiet(failure: Failure, method: &str) -> Result<Outcome> {
    match failure {
        Failure::Slack(code) => Ok(Outcome::noop(format!("slack {method}: {code}"))),
        other => other.into_outcome(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card() {
        let card = Card {
            name: Some("Ann".into()),
            email: Some("ann@example.com".into()),
            phone_number: None,
            company_name: Some(" ".into()),
            inbox_name: Some("Support".into()),
            inbox_type: Some("Website".into()),
        };
        let url = "https://app.example/app/accounts/3/conversations/42";
        let parsed: Value = serde_json::from_str(&unfurls(&[(url.into(), card.clone())])).unwrap();
        assert_eq!(
            parsed,
            json!({ url: { "blocks": [
                { "type": "section", "fields": [
                    { "type": "mrkdwn", "text": "*Name:*\nAnn" },
                    { "type": "mrkdwn", "text": "*Email:*\nann@example.com" },
                    { "type": "mrkdwn", "text": "*Phone number:*\n---" },
                    { "type": "mrkdwn", "text": "*Company name:*\n---" },
                    { "type": "mrkdwn", "text": "*Inbox name:*\nSupport" },
                    { "type": "mrkdwn", "text": "*Inbox type:*\nWebsite" }
                ]},
                { "type": "actions", "elements": [{
                    "type": "button",
                    "text": { "type": "plain_text", "text": "Open conversation", "emoji": true },
                    "url": url, "action_id": "button-action"
                }]}
            ]}})
        );
    }

    #[test]
    fn refusals_are_warnings() {
        let outcome = quiet(Failure::Slack("missing_scope".into()), "chat.unfurl").unwrap();
        assert_eq!(
            outcome.reason.as_deref(),
            Some("slack chat.unfurl: missing_scope")
        );
        let retry = Failure::Retry {
            reason: "slack: HTTP 503".into(),
            retry_after: None,
        };
        assert!(quiet(retry, "chat.unfurl")
            .unwrap()
            .reason
            .unwrap()
            .contains("503"));
    }
}
