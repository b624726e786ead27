//! URL redaction: whatever the text, what is shown has no control characters; when the sending
//! parser accepts the URL, the shown text, read by that parser again, has no user info, no query
//! value and no fragment, and its username and password appear only where the parser put the
//! same characters elsewhere (in the host or path); when the parser refuses it, at most one `@`
//! is left (the one after `[REDACTED]`), so nothing before it can pass for user info.
#![no_main]
use chatwoot_integrations::dispatch::{parse_url, redact, REDACTED};
use libfuzzer_sys::fuzz_target;
use url::Position;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let shown = redact(text);
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    let parsed = if text.len() <= chatwoot_integrations::dispatch::MAX_URL_BYTES {
        parse_url(text).ok()
    } else {
        None
    };
    let Some(url) = parsed.filter(|url| !url.cannot_be_a_base()) else {
        assert!(shown.matches('@').count() <= 1, "{text:?} -> {shown:?}");
        return;
    };
    let again = match parse_url(&shown) {
        Ok(again) => again,
        // Special schemes (http, https, ws, wss, ftp, file) always read back.
        Err(e) => {
            assert!(!url.is_special(), "{text:?} -> {shown:?}: {e}");
            return;
        }
    };
    assert!(again.username().is_empty(), "{text:?} -> {shown:?}");
    assert!(again.password().is_none(), "{text:?} -> {shown:?}");
    if let Some(query) = again.query() {
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            assert!(value.is_empty() || value == REDACTED, "{text:?} -> {shown:?}: {name}");
        }
    }
    assert!(again.fragment().is_none_or(|f| f == REDACTED), "{text:?} -> {shown:?}");
    for secret in [url.username(), url.password().unwrap_or_default()] {
        if secret.len() >= 4 && shown.contains(secret) {
            let visible = &again[..Position::AfterPath];
            assert!(
                visible.contains(secret) || again.query().is_some_and(|q| q.contains(secret)),
                "{text:?} -> {shown:?} shows {secret:?}"
            );
        }
    }
});
