//! Google Translate (Chatwoot's `google_translate` app), Cloud Translation v3 under
//! `projects/{project_id}`: the language of a conversation from its first incoming message, and
//! an agent's translation of one message. Tokens come from google_auth (shared with Dialogflow).

use std::time::Duration;

use serde_json::{json, Value};

use super::dialogflow::{check_project, path_segment};
use super::google_auth::{self, ServiceAccount, TokenFailure};
use crate::dispatch::{provider_post, Engine, ProviderReply};
use crate::secret::Secret;
use crate::{Error, Result};

/// How much of a message language detection reads.
pub const DETECT_CHARS: usize = 1_500;
/// The longest text sent for translation; longer content is cut.
pub const MAX_CHARS: usize = 30_000;

/// The hook's credentials and project, and where to call.
#[derive(Debug)]
pub struct Translator {
    pub account: ServiceAccount,
    pub project: String,
    pub api_url: String,
    pub token_url: String,
}

impl Translator {
    /// From the hook's settings (checked by the registry first): ConfigurationError otherwise.
    pub fn from_settings(settings: &Value, api_url: &str, token_url: &str) -> Result<Self> {
        let app = crate::providers::apps::find("google_translate")
            .ok_or_else(|| Error::Internal("google_translate is not in the registry".into()))?;
        let problems = crate::providers::apps::validate(app, settings);
        if let Some((field, message)) = problems.into_iter().next() {
            return Err(Error::Configuration(format!(
                "invalid google_translate settings: {field}: {message}"
            )));
        }
        let project = settings
            .get("project_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string();
        check_project(&project)?;
        Ok(Translator {
            account: ServiceAccount::from_setting(
                settings.get("credentials").unwrap_or(&Value::Null),
            )?,
            project,
            api_url: api_url.trim_end_matches('/').to_string(),
            token_url: token_url.to_string(),
        })
    }

    fn url(&self, method: &str) -> Result<String> {
        Ok(format!(
            "{}/v3/projects/{}:{method}",
            self.api_url,
            path_segment("google_translate: project_id", &self.project)?
        ))
    }
}

/// The first `limit` characters of `text`.
fn prefix(text: &str, limit: usize) -> &str {
    match text.char_indices().nth(limit) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// What language detection looks at: Chatwoot detects on incoming messages with content, in
/// conversations whose language is not known yet. None when there is nothing to detect.
pub fn detection_text<'a>(
    incoming: bool,
    known_language: Option<&str>,
    content: &'a str,
) -> Option<&'a str> {
    let known = known_language.is_some_and(|l| !l.trim().is_empty());
    (incoming && !known && !content.trim().is_empty()).then(|| prefix(content, DETECT_CHARS))
}

/// A translation to make: the text, whether it is HTML, and the plain text to retry with when
/// Google refuses the HTML.
#[derive(Debug, PartialEq, Eq)]
pub struct Translation {
    pub target: String,
    pub text: String,
    pub html: bool,
    pub fallback: Option<String>,
}

/// Chatwoot's choice of text: an email's full HTML body when it has one, else its full text body,
/// else the message content; cut to [`MAX_CHARS`]. None when the message has a translation to
/// that language already, or no text. `_` in the language becomes `-` (pt_BR → pt-BR).
pub fn plan_translation(
    target: &str,
    translations: &Value,
    content: &str,
    email_html: Option<&str>,
    email_text: Option<&str>,
) -> Option<Translation> {
    let target = target.trim().replace('_', "-");
    if target.is_empty() || translations.get(&target).is_some_and(|t| !t.is_null()) {
        return None;
    }
    let present = |t: Option<&str>| t.filter(|t| !t.trim().is_empty()).map(str::to_string);
    let plain = present(Some(content)).map(|c| prefix(&c, MAX_CHARS).to_string());
    if let Some(html) = present(email_html) {
        return Some(Translation {
            target,
            text: prefix(&html, MAX_CHARS).to_string(),
            html: true,
            fallback: plain,
        });
    }
    let text = present(email_text)
        .map(|t| prefix(&t, MAX_CHARS).to_string())
        .or(plain)?;
    Some(Translation {
        target,
        text,
        html: false,
        fallback: None,
    })
}

async fn token(engine: &Engine, translator: &Translator, timeout: Duration) -> Result<Secret> {
    google_auth::access_token(engine, &translator.account, &translator.token_url, timeout)
        .await
        .map_err(|failure| match failure {
            TokenFailure::Refused => {
                Error::Configuration("google_translate: Google refused the credentials".into())
            }
            TokenFailure::Unavailable { reason, .. } => {
                Error::Delivery(format!("google_translate {reason}"))
            }
            TokenFailure::Error(error) => error,
        })
}

async fn call(
    engine: &Engine,
    url: &str,
    token: &Secret,
    body: Value,
    timeout: Duration,
) -> Result<ProviderReply> {
    provider_post(
        engine,
        url,
        Some(token),
        "application/json; charset=utf-8",
        body.to_string().into_bytes(),
        timeout,
    )
    .await
    .map_err(|f| Error::Delivery(format!("google_translate: {}", f.message())))
}

/// Google's error, as its message says it (the body's error.message), or the status.
fn failure(reply: &ProviderReply) -> Error {
    let body: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let message = body
        .as_ref()
        .and_then(|b| b.pointer("/error/message"))
        .and_then(Value::as_str);
    Error::Delivery(match message {
        Some(message) => format!("google_translate: HTTP {}: {message}", reply.status),
        None => format!("google_translate: HTTP {}", reply.status),
    })
}

/// detectLanguage: the most likely language code, or None when Google names none.
pub async fn detect_language(
    engine: &Engine,
    translator: &Translator,
    text: &str,
    timeout: Duration,
) -> Result<Option<String>> {
    let url = translator.url("detectLanguage")?;
    let token = token(engine, translator, timeout).await?;
    let reply = call(
        engine,
        &url,
        &token,
        json!({ "content": text, "mimeType": "text/plain" }),
        timeout,
    )
    .await?;
    if !(200..=299).contains(&reply.status) {
        return Err(failure(&reply));
    }
    let body: Value = serde_json::from_slice(&reply.body)
        .map_err(|_| Error::Delivery("google_translate: the answer is not JSON".into()))?;
    Ok(body
        .pointer("/languages/0/languageCode")
        .and_then(Value::as_str)
        .map(String::from))
}

/// translateText: the translated text. An HTML request Google refuses as invalid is tried once
/// more as plain text; when that fails too there is no translation (None), as in Chatwoot.
pub async fn translate(
    engine: &Engine,
    translator: &Translator,
    translation: Translation,
    timeout: Duration,
) -> Result<Option<String>> {
    let url = translator.url("translateText")?;
    let token = token(engine, translator, timeout).await?;
    let request = |text: &str, html: bool| {
        json!({
            "contents": [text],
            "targetLanguageCode": translation.target,
            "mimeType": if html { "text/html" } else { "text/plain" },
        })
    };
    let mut reply = call(
        engine,
        &url,
        &token,
        request(&translation.text, translation.html),
        timeout,
    )
    .await?;
    if translation.html && reply.status == 400 {
        let Some(plain) = translation.fallback.as_deref() else {
            return Ok(None);
        };
        reply = call(engine, &url, &token, request(plain, false), timeout).await?;
        if !(200..=299).contains(&reply.status) {
            return Ok(None);
        }
    }
    if !(200..=299).contains(&reply.status) {
        return Err(failure(&reply));
    }
    let body: Value = serde_json::from_slice(&reply.body)
        .map_err(|_| Error::Delivery("google_translate: the answer is not JSON".into()))?;
    Ok(body
        .pointer("/translations/0/translatedText")
        .and_then(Value::as_str)
        .map(String::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_detected() {
        assert_eq!(detection_text(true, None, "hola"), Some("hola"));
        assert_eq!(detection_text(false, None, "hola"), None);
        assert_eq!(detection_text(true, Some("es"), "hola"), None);
        assert_eq!(detection_text(true, Some(" "), "hola"), Some("hola"));
        assert_eq!(detection_text(true, None, "  "), None);
        let long = "é".repeat(2_000);
        assert_eq!(
            detection_text(true, None, &long).unwrap().chars().count(),
            DETECT_CHARS
        );
    }

    #[test]
    fn what_is_translated() {
        let none = json!({});
        let plain = plan_translation("pt_BR", &none, "Hello", None, None).unwrap();
        assert_eq!(
            (plain.target.as_str(), plain.text.as_str(), plain.html),
            ("pt-BR", "Hello", false)
        );
        assert!(plan_translation("es", &json!({"es": "Hola"}), "Hello", None, None).is_none());
        let email = plan_translation(
            "es",
            &none,
            "Hello",
            Some("<p>Hello</p>"),
            Some("Hello text"),
        )
        .unwrap();
        assert_eq!(
            (email.text.as_str(), email.html, email.fallback.as_deref()),
            ("<p>Hello</p>", true, Some("Hello"))
        );
        let text_email = plan_translation("es", &none, "Hello", None, Some("Hello text")).unwrap();
        assert_eq!(
            (text_email.text.as_str(), text_email.html),
            ("Hello text", false)
        );
        let long = "a".repeat(MAX_CHARS + 10);
        assert_eq!(
            plan_translation("es", &none, &long, None, None)
                .unwrap()
                .text
                .len(),
            MAX_CHARS
        );
        assert!(plan_translation("es", &none, " ", None, None).is_none());
    }
}
