//! Posting a Chatwoot message to Slack (Chatwoot's SendOnSlackService): whether to post, the text
//! as Chatwoot writes it, the `chat.postMessage` body, and what the answer means for the models.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::upload::{self, UploadFile};
use super::web_api::{self, DISABLING_ERRORS};
use crate::dispatch::Engine;
use crate::providers::send_service::{Plan, Request, SendInput};
use crate::providers::Outcome;
use crate::secret::Secret;
use crate::{Error, Result};

/// What Slack needs from Chatwoot's message, conversation and inbox beyond the common fields.
#[derive(Debug, Clone, Default)]
pub struct SlackFields {
    /// Chatwoot's message_type: incoming, outgoing, activity or template.
    pub message_type: String,
    pub private: bool,
    /// The message already carries a Slack external id: it came from Slack (or was posted).
    pub has_slack_id: bool,
    /// Chatwoot's processed_message_content, preferred to the raw content when present.
    pub processed_content: Option<String>,
    /// The sender's polymorphic type (Contact, User, AgentBot); None without a sender.
    pub sender_type: Option<String>,
    /// The sender's avatar blob key, for the icon URL.
    pub avatar_blob_key: Option<String>,
    pub inbox_name: String,
    /// Chatwoot's inbox.inbox_type, shown in the first post's header (e.g. "Email", "Website").
    pub inbox_type: String,
    /// The inbox's channel class (Channel::Email, Channel::TwitterProfile, …).
    pub channel_type: String,
    /// The conversation's additional_attributes["type"] ("tweet" for tweet conversations).
    pub conversation_type: Option<String>,
    /// The email subject (content_attributes.email.subject) for email inboxes.
    pub email_subject: Option<String>,
    pub account_id: String,
    pub display_id: String,
    /// Chatwoot's FRONTEND_URL (the configuration's frontend_url).
    pub frontend_url: String,
    /// The message's attachments, shared in the thread after the post.
    pub files: Vec<UploadFile>,
}

/// A ready `chat.postMessage` call (none when the message is only files) and the files to share.
#[derive(Debug)]
pub struct Post {
    base_url: String,
    token: Secret,
    channel: String,
    body: Option<Vec<u8>>,
    /// The conversation's thread before this post.
    thread_ts: Option<String>,
    files: Vec<UploadFile>,
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|s| !s.is_empty())
}

/// Everything decided before the network, in Chatwoot's order: the loop guard, tweets, replies
/// that have no thread to go to; then the hook's token and channel.
pub fn plan(input: &SendInput) -> Result<Plan> {
    let fields = &input.slack;
    let skip = |reason: &str| Ok(Plan::Answer(Outcome::noop(reason)));
    if fields.has_slack_id {
        return skip("the message already has a Slack id (it came from Slack or was posted)");
    }
    if fields.channel_type == "Channel::TwitterProfile"
        && fields.conversation_type.as_deref() == Some("tweet")
    {
        return skip("tweet conversations are not posted to Slack");
    }
    let message_type = message_type(input);
    let thread_ts = present(input.conversation_identifier.as_deref());
    if matches!(message_type, "outgoing" | "template") && thread_ts.is_none() {
        return skip("replies are posted only once the conversation has a Slack thread");
    }
    let text = text(input, message_type, thread_ts.is_some());
    if text.trim().is_empty() && fields.files.is_empty() {
        return skip("the message has no text");
    }
    let token = input
        .access_token
        .clone()
        .ok_or_else(|| Error::Configuration("the slack hook has no access_token".into()))?;
    let channel = present(input.reference_id.as_deref())
        .or_else(|| {
            input
                .settings
                .get("channel_id")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        })
        .ok_or_else(|| {
            Error::Configuration(
                "the slack hook has no channel (reference_id or settings channel_id)".into(),
            )
        })?;
    let sender = sender_type(input, message_type);
    let mut body = Map::new();
    body.insert("channel".into(), json!(channel));
    body.insert("text".into(), json!(text));
    body.insert("username".into(), json!(username(input, sender)));
    body.insert("icon_url".into(), json!(icon_url(fields, sender)));
    if let Some(ts) = thread_ts {
        body.insert("thread_ts".into(), json!(ts));
    }
    // Links unfurl only in a thread: the first post's own "Click here" link stays a link.
    body.insert("unfurl_links".into(), json!(thread_ts.is_some()));
    Ok(Plan::Call(Request::Slack(Post {
        base_url: input.base_url.clone(),
        token,
        channel: channel.to_string(),
        body: (!text.trim().is_empty()).then(|| Value::Object(body).to_string().into_bytes()),
        thread_ts: thread_ts.map(String::from),
        files: fields.files.clone(),
    })))
}

fn message_type(input: &SendInput) -> &str {
    match input.slack.message_type.as_str() {
        "" if input.incoming => "incoming",
        "" if input.outgoing => "outgoing",
        other => other,
    }
}

/// Contact, Bot (a template without a sender), System (an activity without a sender) or Agent.
fn sender_type(input: &SendInput, message_type: &str) -> &'static str {
    let fields = &input.slack;
    let no_sender = fields.sender_type.is_none() && present(input.sender_name.as_deref()).is_none();
    match (fields.sender_type.as_deref(), message_type) {
        (Some("Contact"), _) => "Contact",
        (_, "template") if no_sender => "Bot",
        (_, "activity") if no_sender => "System",
        _ => "Agent",
    }
}

fn username(input: &SendInput, sender: &str) -> String {
    match present(input.sender_name.as_deref()) {
        Some(name) => format!("{name} ({sender})"),
        None => sender.to_string(),
    }
}

/// Chatwoot's avatar proxy: `{frontend_url}/slack_uploads?blob_key=…&sender_type=…`.
fn icon_url(fields: &SlackFields, sender: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("blob_key", fields.avatar_blob_key.as_deref().unwrap_or(""))
        .append_pair("sender_type", &sender.to_ascii_lowercase())
        .finish();
    format!(
        "{}/slack_uploads?{query}",
        fields.frontend_url.trim_end_matches('/')
    )
}

/// The text as Chatwoot posts it. The first post of a conversation (no thread yet) opens with the
/// inbox, a link to the conversation and, for email, the subject; later posts mark private notes.
pub fn text(input: &SendInput, message_type: &str, in_thread: bool) -> String {
    let fields = &input.slack;
    let raw = present(fields.processed_content.as_deref()).unwrap_or(&input.content);
    let simplified = simplify_mentions(raw);
    let formatted = if message_type == "activity" {
        format!("_{simplified}_")
    } else {
        simplified
    };
    let content = strip_html(&formatted);
    if in_thread {
        let private = if fields.private { "private: " } else { "" };
        return format!("{private}{content}");
    }
    let mut text = format!(
        "\n*Inbox:* {} ({})\n<{}/app/accounts/{}/conversations/{}|Click here> to view the conversation.\n",
        fields.inbox_name,
        fields.inbox_type,
        fields.frontend_url.trim_end_matches('/'),
        fields.account_id,
        fields.display_id
    );
    if fields.channel_type == "Channel::Email" {
        if let Some(subject) = present(fields.email_subject.as_deref()) {
            text.push_str(&format!("*Subject:* {subject}\n\n"));
        }
    }
    text.push('\n');
    text.push_str(&content);
    text
}

/// Chatwoot writes a mention as `[@Name](mention://user/1/Name)`; Slack gets `@Name`.
fn simplify_mentions(text: &str) -> String {
    const TARGET: &str = "](mention://";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let mention = after.find(TARGET).and_then(|close| {
            let label = &after[..close];
            let tail = &after[close + TARGET.len()..];
            (!label.contains(['[', ']'])).then_some(())?;
            tail.find(')').map(|end| (label, &tail[end + 1..]))
        });
        match mention {
            Some((label, tail)) => {
                out.push_str(&rest[..open]);
                out.push_str(label);
                rest = tail;
            }
            None => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Tags removed and entities decoded (as Rails' full sanitizer reads the HTML), then `&`, `<` and
/// `>` escaped as Slack's message format requires.
pub fn strip_html(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        text.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let is_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match (is_tag, after.find('>')) {
            (true, Some(end)) => rest = &after[end + 1..],
            _ => {
                text.push('<');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    let decoded = decode_entities(&text);
    let mut escaped = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The HTML entities messages carry: the named basics and numeric references.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let entity = after
            .find(';')
            .filter(|&end| end <= 10)
            .and_then(|end| entity_char(&after[..end]).map(|c| (c, end)));
        match entity {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity_char(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" | "#39" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code).filter(|&c| c != '\0')
        }
    }
}

/// Posts, reads the answer, then shares the files. The posted message's ts becomes the message's
/// Slack id (`cw-origin-<ts>`); it also becomes the conversation's identifier when the conversation
/// had no thread, or Slack did not put the post in one. Files go to the thread the post is in.
pub async fn perform(engine: &Engine, post: Post, timeout: Duration) -> Result<Outcome> {
    let Post {
        base_url,
        token,
        channel,
        body,
        thread_ts,
        files,
    } = post;
    let url = web_api::method_url(&base_url, "chat.postMessage");
    let outcome = match body {
        Some(body) => match web_api::call_json(engine, &url, &token, body, timeout).await {
            Ok(answer) => posted(&answer, thread_ts.is_some())?,
            Err(failure) => return failure.into_outcome(DISABLING_ERRORS),
        },
        None => Outcome::noop("files only"),
    };
    if files.is_empty() {
        return Ok(outcome);
    }
    let posted_text = outcome.external_source_id.is_some();
    let thread = outcome.identifier.clone().or(thread_ts);
    let count = files.len();
    let shared = upload::upload(
        engine,
        &base_url,
        &token,
        &channel,
        thread.as_deref(),
        files,
        timeout,
    )
    .await;
    match shared {
        Ok(()) if posted_text => Ok(outcome),
        Ok(()) => Ok(Outcome::noop(format!("shared {count} file(s)"))),
        // The text is in Slack: retrying would post it twice. As Chatwoot, the files are given up
        // on, and the reason says so.
        Err(failure) if posted_text => Ok(Outcome {
            reason: Some(format!("files not shared: {}", describe(&failure))),
            ..outcome
        }),
        Err(failure) => failure.into_outcome(DISABLING_ERRORS),
    }
}

fn describe(failure: &web_api::Failure) -> String {
    match failure {
        web_api::Failure::Retry { reason, .. } => reason.clone(),
        web_api::Failure::Slack(code) => format!("slack: {code}"),
        web_api::Failure::Other(error) => error.to_string(),
    }
}

/// What an `ok` answer to chat.postMessage means for Chatwoot's models.
pub fn posted(answer: &Value, in_thread: bool) -> Result<Outcome> {
    let ts = answer
        .get("ts")
        .and_then(Value::as_str)
        .filter(|ts| !ts.is_empty())
        .ok_or_else(|| Error::Delivery("slack: ok without a ts".into()))?;
    let threaded_reply = answer
        .pointer("/message/thread_ts")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.is_empty());
    let mut outcome = if in_thread && threaded_reply {
        Outcome::noop("posted in the conversation's thread")
    } else {
        Outcome::identifier(ts.to_string())
    };
    outcome.external_source_id = Some(format!("cw-origin-{ts}"));
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::OutcomeKind;

    fn input(message_type: &str, identifier: Option<&str>) -> SendInput {
        SendInput {
            app_id: "slack".into(),
            settings: json!({}),
            access_token: Some(Secret::new("xoxb-1")),
            reference_id: Some("C123".into()),
            content: "Hello <b>there</b> & [@Ann](mention://user/1/Ann)".into(),
            incoming: message_type == "incoming",
            outgoing: message_type == "outgoing",
            sender_name: Some("Sam".into()),
            conversation_identifier: identifier.map(String::from),
            base_url: "https://slack.com/api/".into(),
            slack: SlackFields {
                message_type: message_type.into(),
                sender_type: Some("User".into()),
                inbox_name: "Support".into(),
                inbox_type: "Email".into(),
                channel_type: "Channel::Email".into(),
                email_subject: Some("Refund".into()),
                account_id: "3".into(),
                display_id: "42".into(),
                frontend_url: "https://app.example/".into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn body(input: &SendInput) -> Value {
        let Plan::Call(Request::Slack(post)) = plan(input).unwrap() else {
            panic!("expected a post")
        };
        assert_eq!(post.base_url, "https://slack.com/api/");
        assert!(!format!("{post:?}").contains("xoxb-1"));
        serde_json::from_slice(post.body.as_deref().unwrap()).unwrap()
    }

    fn skipped(input: &SendInput) -> String {
        match plan(input).unwrap() {
            Plan::Answer(outcome) => outcome.reason.unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn first_post_and_later_posts() {
        let first = body(&input("incoming", None));
        assert_eq!(
            first["text"],
            "\n*Inbox:* Support (Email)\n<https://app.example/app/accounts/3/conversations/42|Click here> to view the conversation.\n*Subject:* Refund\n\n\nHello there &amp; @Ann"
        );
        assert_eq!(first["unfurl_links"], false);
        assert!(first.get("thread_ts").is_none());
        assert_eq!(first["username"], "Sam (Agent)");
        assert_eq!(
            first["icon_url"],
            "https://app.example/slack_uploads?blob_key=&sender_type=agent"
        );
        let mut private = input("outgoing", Some("1.5"));
        private.slack.private = true;
        let later = body(&private);
        assert_eq!(later["text"], "private: Hello there &amp; @Ann");
        assert_eq!(
            (&later["thread_ts"], &later["unfurl_links"]),
            (&json!("1.5"), &json!(true))
        );
    }

    #[test]
    fn skips_in_chatwoots_order() {
        let mut from_slack = input("incoming", None);
        from_slack.slack.has_slack_id = true;
        assert!(skipped(&from_slack).contains("Slack id"));
        let mut tweet = input("incoming", None);
        tweet.slack.channel_type = "Channel::TwitterProfile".into();
        tweet.slack.conversation_type = Some("tweet".into());
        assert!(skipped(&tweet).contains("tweet"));
        assert!(skipped(&input("outgoing", None)).contains("thread"));
        assert!(skipped(&input("template", Some(" "))).contains("thread"));
        let mut empty = input("incoming", Some("1.5"));
        empty.content = "<p></p>".into();
        assert!(skipped(&empty).contains("no text"));
        // Files alone are shared without a post.
        empty.slack.files = vec![UploadFile::default()];
        let Plan::Call(Request::Slack(post)) = plan(&empty).unwrap() else {
            panic!()
        };
        assert!(post.body.is_none());
    }

    #[test]
    fn senders_and_activity() {
        let mut activity = input("activity", Some("1.5"));
        activity.sender_name = None;
        activity.slack.sender_type = None;
        activity.content = "Conversation was resolved".into();
        let posted = body(&activity);
        assert_eq!(posted["text"], "_Conversation was resolved_");
        assert_eq!(posted["username"], "System");
        let mut template = input("template", Some("1.5"));
        template.sender_name = None;
        template.slack.sender_type = None;
        assert_eq!(body(&template)["username"], "Bot");
        let mut contact = input("incoming", Some("1.5"));
        contact.slack.sender_type = Some("Contact".into());
        contact.slack.avatar_blob_key = Some("ab c".into());
        let posted = body(&contact);
        assert_eq!(posted["username"], "Sam (Contact)");
        assert!(posted["icon_url"]
            .as_str()
            .unwrap()
            .ends_with("blob_key=ab+c&sender_type=contact"));
        let mut processed = input("incoming", Some("1.5"));
        processed.slack.processed_content = Some("processed".into());
        assert_eq!(body(&processed)["text"], "processed");
    }

    #[test]
    fn channel_and_token() {
        let mut fallback = input("incoming", None);
        fallback.reference_id = None;
        fallback.settings = json!({"channel_id": "C9"});
        assert_eq!(body(&fallback)["channel"], "C9");
        fallback.settings = json!({});
        assert!(plan(&fallback).unwrap_err().to_string().contains("channel"));
        let mut no_token = input("incoming", None);
        no_token.access_token = None;
        assert!(plan(&no_token)
            .unwrap_err()
            .to_string()
            .contains("access_token"));
    }

    #[test]
    fn html_and_mentions() {
        assert_eq!(
            strip_html("<p>a &lt;3 b</p><br/>c &amp;amp; <3"),
            "a &lt;3 bc &amp;amp; &lt;3"
        );
        assert_eq!(
            strip_html("x &#233; &#x41; &bogus; &"),
            "x é A &amp;bogus; &amp;"
        );
        assert_eq!(
            simplify_mentions("[@A B](mention://user/1/A%20B) and [x](y)"),
            "@A B and [x](y)"
        );
        assert_eq!(simplify_mentions("[[@A](mention://team/2/A)"), "[@A");
    }

    #[test]
    fn answers() {
        let new = posted(&json!({"ok": true, "ts": "2.0", "message": {}}), false).unwrap();
        assert_eq!(new.kind, OutcomeKind::Identifier);
        assert_eq!(new.identifier.as_deref(), Some("2.0"));
        assert_eq!(new.external_source_id.as_deref(), Some("cw-origin-2.0"));
        let reply = posted(
            &json!({"ok": true, "ts": "3.0", "message": {"thread_ts": "1.5"}}),
            true,
        )
        .unwrap();
        assert_eq!(
            (reply.kind, reply.external_source_id.as_deref()),
            (OutcomeKind::Noop, Some("cw-origin-3.0"))
        );
        // Slack did not thread it (the thread was deleted): the post starts the new thread.
        let unthreaded = posted(&json!({"ok": true, "ts": "4.0", "message": {}}), true).unwrap();
        assert_eq!(unthreaded.identifier.as_deref(), Some("4.0"));
        assert!(posted(&json!({"ok": true}), true).is_err());
    }
}
