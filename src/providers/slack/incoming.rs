//! Slack Events API bodies, decided as Chatwoot's IncomingMessageBuilder decides them: the
//! `url_verification` handshake, a person's reply in a conversation's thread (text or files), and
//! `link_shared` (a Chatwoot link to unfurl). Everything else is ignored, with the reason.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::web_api::{self, Failure};
use crate::dispatch::Engine;
use crate::secret::Secret;

/// Slack bodies larger than this are not events we handle (Slack's own limit is far below).
const MAX_BODY: usize = 1024 * 1024;

/// The comment Chatwoot puts on the files it uploads: their echo in the thread is not a reply.
pub const UPLOAD_COMMENT: &str = "Attached File!";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackEvent {
    /// Answer with the challenge to finish the Events API handshake.
    UrlVerification { challenge: String },
    /// A person's message in a thread: `thread_ts` is the Chatwoot conversation's identifier.
    ThreadReply(ThreadReply),
    /// Links to unfurl with conversation cards.
    LinkShared(LinkShared),
    /// Anything else; `reason` says why it is not acted on.
    Ignored { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadReply {
    /// The conversation lookup key (its identifier).
    pub thread_ts: String,
    /// The message's own ts: the duplicate key and the new message's external_source_id_slack.
    pub ts: String,
    pub user: String,
    pub channel: Option<String>,
    /// The text as Slack sent it.
    pub text: String,
    /// The text with Slack's escaping undone: the new message's content.
    pub content: String,
    /// `note:` or `private:` (trimmed, any case) starts the text: a private note.
    pub private: bool,
    pub files: Vec<SharedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFile {
    pub url_private: String,
    pub name: Option<String>,
    pub mimetype: Option<String>,
    /// The size Slack reports: a download of any other length was cut off.
    pub size: Option<u64>,
    /// Chatwoot's attachment file_type: "image", "file", or None (the model's default).
    pub file_type: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkShared {
    pub channel: String,
    pub unfurl_id: Option<String>,
    pub source: Option<String>,
    pub message_ts: Option<String>,
    pub links: Vec<Link>,
}

/// A shared link, with the ids a Chatwoot conversation URL carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    /// From `/accounts/<id>`.
    pub account_id: Option<String>,
    /// From `/conversations/<id>` (the conversation's display id).
    pub display_id: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: Option<String>,
    challenge: Option<String>,
    event: Option<Inner>,
}

#[derive(Deserialize)]
struct Inner {
    #[serde(rename = "type")]
    kind: Option<String>,
    subtype: Option<String>,
    thread_ts: Option<String>,
    text: Option<String>,
    user: Option<String>,
    channel: Option<String>,
    ts: Option<String>,
    bot_id: Option<String>,
    blocks: Option<Vec<Value>>,
    files: Option<Vec<FileJson>>,
    unfurl_id: Option<String>,
    source: Option<String>,
    message_ts: Option<String>,
    links: Option<Vec<LinkJson>>,
}

#[derive(Deserialize)]
struct FileJson {
    url_private: Option<String>,
    name: Option<String>,
    mimetype: Option<String>,
    filetype: Option<String>,
    size: Option<u64>,
}

#[derive(Deserialize)]
struct LinkJson {
    url: Option<String>,
}

fn ignored(reason: impl Into<String>) -> SlackEvent {
    SlackEvent::Ignored {
        reason: reason.into(),
    }
}

fn present(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}

/// Parses a raw Events API body. Never fails: junk is `Ignored` with the reason.
pub fn parse(body: &[u8]) -> SlackEvent {
    if body.len() > MAX_BODY {
        return ignored("body is larger than 1 MiB");
    }
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(envelope) => envelope,
        Err(e) => return ignored(format!("body is not a JSON object: {e}")),
    };
    match envelope.kind.as_deref() {
        Some("url_verification") => match envelope.challenge {
            Some(challenge) => SlackEvent::UrlVerification { challenge },
            None => ignored("url_verification without a challenge"),
        },
        Some("event_callback") => match envelope.event {
            Some(event) => decide(event),
            None => ignored("event_callback without an event"),
        },
        Some(other) => ignored(format!("payload type {other} is not handled")),
        None => ignored("payload without a type"),
    }
}

fn decide(event: Inner) -> SlackEvent {
    match event.kind.as_deref() {
        Some("message" | "link_shared") => {}
        Some(other) => return ignored(format!("event type {other} is not handled")),
        None => return ignored("event without a type"),
    }
    let Some(user) = present(event.user.clone()) else {
        return ignored("event without a user (a bot's or the system's post)");
    };
    if let Some(subtype) = event.subtype.as_deref().filter(|s| !s.is_empty()) {
        if subtype != "file_share" {
            return ignored(format!("message subtype {subtype} is not handled"));
        }
    }
    if event.kind.as_deref() == Some("link_shared") {
        return link_shared(event);
    }
    // Our own posts carry a bot id (and, with a custom username, the bot_message subtype).
    if event.bot_id.is_some() {
        return ignored("message from a bot (possibly our own post)");
    }
    let Some(thread_ts) = present(event.thread_ts) else {
        return ignored("message is not in a thread");
    };
    let blocks = event.blocks.unwrap_or_default();
    let files = event.files.unwrap_or_default();
    let rich_text = blocks
        .first()
        .and_then(|b| b.get("type"))
        .and_then(Value::as_str)
        == Some("rich_text");
    let files_only = blocks.is_empty() && !files.is_empty();
    if !(rich_text || files_only) {
        return ignored("message has no rich_text block and no files");
    }
    let text = event.text.unwrap_or_default();
    if text == UPLOAD_COMMENT {
        return ignored("the echo of a file Chatwoot uploaded");
    }
    let Some(ts) = present(event.ts) else {
        return ignored("message without a ts");
    };
    let lowered = text.trim().to_lowercase();
    SlackEvent::ThreadReply(ThreadReply {
        thread_ts,
        ts,
        user,
        channel: event.channel,
        content: unescape(&text),
        private: lowered.starts_with("note:") || lowered.starts_with("private:"),
        text,
        files: files.into_iter().filter_map(shared_file).collect(),
    })
}

fn shared_file(file: FileJson) -> Option<SharedFile> {
    let url_private = present(file.url_private)?;
    let file_type = file_type(file.filetype.as_deref(), file.mimetype.as_deref());
    Some(SharedFile {
        url_private,
        name: file.name,
        mimetype: file.mimetype,
        size: file.size,
        file_type,
    })
}

/// Chatwoot's mapping: common image types are images, PDFs are files; text/plain and anything
/// else get no type (the attachment model's default).
fn file_type(filetype: Option<&str>, mimetype: Option<&str>) -> Option<&'static str> {
    if mimetype == Some("text/plain") {
        return None;
    }
    let kind = filetype
        .or_else(|| mimetype.and_then(|m| m.split('/').nth(1)))
        .unwrap_or("");
    match kind {
        "png" | "jpeg" | "jpg" | "gif" | "bmp" | "tiff" => Some("image"),
        "pdf" => Some("file"),
        _ => None,
    }
}

fn link_shared(event: Inner) -> SlackEvent {
    let Some(channel) = present(event.channel) else {
        return ignored("link_shared without a channel");
    };
    let links: Vec<Link> = event
        .links
        .unwrap_or_default()
        .into_iter()
        .filter_map(|l| present(l.url))
        .map(|url| Link {
            account_id: number_after(&url, "/accounts/"),
            display_id: number_after(&url, "/conversations/"),
            url,
        })
        .collect();
    if links.is_empty() {
        return ignored("link_shared without links");
    }
    SlackEvent::LinkShared(LinkShared {
        channel,
        unfurl_id: event.unfurl_id,
        source: event.source,
        message_ts: event.message_ts,
        links,
    })
}

/// The digits right after the first `marker` in `url` (none when no digit follows).
fn number_after(url: &str, marker: &str) -> Option<String> {
    let rest = &url[url.find(marker)? + marker.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

/// Slack's message formatting undone: curly quotes straightened, `<@U1>` → `@U1`, `<#C1|general>`
/// → `#general`, `<!here>` → `@here`, `<https://x|label>` → `label`, then `&amp;`, `&lt;` and
/// `&gt;` (and the other basic entities) decoded.
pub fn unescape(text: &str) -> String {
    let straight: String = text
        .chars()
        .map(|c| match c {
            '\u{201c}' | '\u{201d}' => '"',
            '\u{2018}' | '\u{2019}' => '\'',
            c => c,
        })
        .collect();
    let mut out = String::with_capacity(straight.len());
    let mut rest = straight.as_str();
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            out.push('<');
            rest = after;
            continue;
        };
        let inside = &after[..close];
        let (sign, target) = match inside.chars().next() {
            Some(c @ ('@' | '#' | '!' | '?')) => (Some(c), &inside[1..]),
            _ => (None, inside),
        };
        let shown = target.rsplit_once('|').map_or(target, |(_, label)| label);
        match sign {
            Some('@' | '!') => out.push('@'),
            Some('#') => out.push('#'),
            _ => {}
        }
        out.push_str(shown);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    super::outgoing::decode_entities(&out)
}

/// `users.info` for the reply's author: the profile email, None when the profile has none.
pub async fn user_email(
    engine: &Engine,
    base_url: &str,
    token: &Secret,
    user: &str,
    timeout: Duration,
) -> Result<Option<String>, Failure> {
    let answer = web_api::call_form(
        engine,
        base_url,
        "users.info",
        token,
        &[("user", user)],
        timeout,
    )
    .await?;
    Ok(answer
        .pointer("/user/profile/email")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
        .map(String::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(fields: &str) -> Vec<u8> {
        format!(r#"{{"type":"event_callback","team_id":"T1","event":{{"type":"message","channel":"C1","user":"U2","ts":"2.0",{fields}}}}}"#).into_bytes()
    }

    const RICH: &str = r#""blocks":[{"type":"rich_text","elements":[]}]"#;

    #[test]
    fn url_verification() {
        let body = br#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
        assert_eq!(
            parse(body),
            SlackEvent::UrlVerification {
                challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".into()
            }
        );
    }

    #[test]
    fn thread_reply() {
        let body = message(&format!(
            r#""thread_ts":"1.0","text":"  Note: it&amp;s <@U9> in <#C7|general> see <https://x.example/a|the doc> “ok”",{RICH}"#
        ));
        let SlackEvent::ThreadReply(reply) = parse(&body) else {
            panic!()
        };
        assert_eq!(
            (
                reply.thread_ts.as_str(),
                reply.ts.as_str(),
                reply.user.as_str()
            ),
            ("1.0", "2.0", "U2")
        );
        assert_eq!(
            reply.content,
            "  Note: it&s @U9 in #general see the doc \"ok\""
        );
        assert!(reply.private);
        assert!(reply.files.is_empty());
    }

    #[test]
    fn files_only() {
        let body = message(
            r#""subtype":"file_share","thread_ts":"1.0","text":"","files":[
            {"url_private":"https://files.slack.com/a.png","name":"a.png","mimetype":"image/png","filetype":"png"},
            {"url_private":"https://files.slack.com/b.pdf","name":"b.pdf","mimetype":"application/pdf","filetype":"pdf"},
            {"url_private":"https://files.slack.com/c.txt","name":"c.txt","mimetype":"text/plain","filetype":"text"},
            {"name":"no url"}]"#,
        );
        let SlackEvent::ThreadReply(reply) = parse(&body) else {
            panic!()
        };
        let types: Vec<_> = reply.files.iter().map(|f| f.file_type).collect();
        assert_eq!(types, [Some("image"), Some("file"), None]);
        assert!(!reply.private);
    }

    #[test]
    fn link_shared() {
        let body = br#"{"type":"event_callback","event":{"type":"link_shared","channel":"C1","user":"U2","message_ts":"3.0","unfurl_id":"UF1","source":"conversations_history","links":[{"domain":"app.example","url":"https://app.example/app/accounts/3/conversations/42"},{"url":"https://app.example/other"}]}}"#;
        let SlackEvent::LinkShared(shared) = parse(body) else {
            panic!()
        };
        assert_eq!(shared.unfurl_id.as_deref(), Some("UF1"));
        assert_eq!(shared.links[0].account_id.as_deref(), Some("3"));
        assert_eq!(shared.links[0].display_id.as_deref(), Some("42"));
        assert_eq!(shared.links[1].display_id, None);
    }

    #[test]
    fn everything_else_is_ignored_with_a_reason() {
        let rich_no_thread = message(RICH);
        let bot = message(&format!(r#""bot_id":"B1","thread_ts":"1",{RICH}"#));
        let edited = message(&format!(
            r#""subtype":"message_changed","thread_ts":"1",{RICH}"#
        ));
        let plain = message(r#""thread_ts":"1","text":"hi""#);
        let section = message(
            r#""thread_ts":"1","blocks":[{"type":"section"}],"files":[{"url_private":"u"}]"#,
        );
        let echo =
            message(r#""thread_ts":"1","text":"Attached File!","files":[{"url_private":"u"}]"#);
        let cases: &[(&[u8], &str)] = &[
            (&rich_no_thread, "not in a thread"),
            (&bot, "bot"),
            (&edited, "message_changed"),
            (&plain, "no rich_text block"),
            (&section, "no rich_text block"),
            (&echo, "echo"),
            (br#"{"type":"event_callback","event":{"type":"message","text":"x","thread_ts":"1"}}"#, "without a user"),
            (br#"{"type":"event_callback","event":{"type":"reaction_added","user":"U"}}"#, "reaction_added"),
            (br#"{"type":"event_callback","event":{"type":"link_shared","user":"U","channel":"C","links":[]}}"#, "without links"),
            (br#"{"type":"app_rate_limited"}"#, "app_rate_limited"),
            (br#"{"type":"url_verification"}"#, "without a challenge"),
            (b"[]", "not a JSON object"),
            (b"not json", "not a JSON object"),
            (b"", "not a JSON object"),
            (br#"{"type":5}"#, "not a JSON object"),
        ];
        for (body, reason) in cases {
            match parse(body) {
                SlackEvent::Ignored { reason: r } => assert!(r.contains(reason), "{r} / {reason}"),
                other => panic!("{other:?} for {:?}", String::from_utf8_lossy(body)),
            }
        }
    }
}
