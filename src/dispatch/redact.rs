//! URLs as results, logs and `inspect` may show them: without user info (`user:password@`), with
//! every query value and the fragment replaced by `[REDACTED]`.
//!
//! The text is read by the same parser that sends (`urls::parse`), so whatever spelling the
//! sender accepts (leading blanks, tabs inside the scheme, `http:u:pw@h`, `http:\\u:pw@h`, a
//! password with an `@` in it) is taken apart the same way here, and its user info is what gets
//! removed. Text the parser refuses is redacted conservatively (see [`redact_unparsed`]).
//!
//! Every query value is redacted, not those of a list of names: receivers choose their own names
//! (`token`, `sig`, `X-Amz-Signature`, `hmac`, `k`, …) and a list always misses one. The names stay,
//! so a log still says which parameters were sent.

use url::Url;

use super::urls::{parse, MAX_URL_BYTES};

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Unparsable text is cut to this many bytes once redacted: it is shown only to say what was wrong.
const MAX_UNPARSED_SHOWN: usize = 256;

/// The URL `text` as it may be shown. Never fails: text the parser refuses is redacted
/// conservatively.
pub fn redact(text: &str) -> String {
    if text.len() <= MAX_URL_BYTES {
        if let Ok(url) = parse(text) {
            return redacted(&url);
        }
    }
    redact_unparsed(text)
}

/// A parsed URL as it may be shown: no user info, query values and fragment redacted.
pub fn redacted(url: &Url) -> String {
    let user_info = !url.username().is_empty() || url.password().is_some();
    // The common case (a delivery's result): nothing to hide, one copy.
    if !user_info && url.query().is_none() && url.fragment().is_none() && !url.cannot_be_a_base() {
        return url.as_str().to_owned();
    }
    // `mailto:u:pw@h` and the like have no authority for the parser, so no user info to remove,
    // but the text still reads as one: show them as unparsed text is shown.
    if url.cannot_be_a_base() {
        return redact_unparsed(url.as_str());
    }
    let mut shown = url.clone();
    if user_info && (shown.set_username("").is_err() || shown.set_password(None).is_err()) {
        // Only URLs without a host refuse these, and such a URL has no user info to refuse.
        return redact_unparsed(url.as_str());
    }
    if let Some(query) = url.query() {
        shown.set_query(Some(&redact_query(query)));
    }
    if url.fragment().is_some() {
        shown.set_fragment(Some(REDACTED));
    }
    shown.into()
}

/// `a=1&token=abc&flag` -> `a=[REDACTED]&token=[REDACTED]&[REDACTED]`: names kept, values hidden;
/// a bare parameter may itself be the token, so it is hidden whole. Empty values stay empty.
fn redact_query(query: &str) -> String {
    let mut shown = String::with_capacity(query.len().min(256));
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            shown.push('&');
        }
        match pair.split_once('=') {
            Some((name, "")) => {
                shown.push_str(name);
                shown.push('=');
            }
            Some((name, _)) => {
                shown.push_str(name);
                shown.push('=');
                shown.push_str(REDACTED);
            }
            None if pair.is_empty() => {}
            None => shown.push_str(REDACTED),
        }
    }
    shown
}

/// Text the parser refuses, redacted without knowing where its parts are: a scheme-like prefix
/// (`http://`, `ht\ttp:\\`) is kept; everything from there to the last `@` (wherever it is:
/// a password may hold `/`, `?` or `#` in text the parser refused) becomes `[REDACTED]@`; after
/// that, the rest from the first `?` or `#` is hidden. Control characters are escaped, so the
/// text cannot break a log line, and it is cut to a few hundred bytes.
pub fn redact_unparsed(text: &str) -> String {
    let prefix_len = scheme_prefix_len(text);
    let (prefix, rest) = text.split_at(prefix_len);
    let mut shown = String::with_capacity(text.len().min(MAX_UNPARSED_SHOWN) + 32);
    push_escaped(&mut shown, prefix);
    let rest = match rest.rfind('@') {
        Some(at) => {
            shown.push_str(REDACTED);
            shown.push('@');
            &rest[at + 1..]
        }
        None => rest,
    };
    match rest.find(['?', '#']) {
        Some(cut) => {
            push_escaped(&mut shown, &rest[..cut]);
            shown.push_str(&rest[cut..cut + 1]);
            shown.push_str(REDACTED);
        }
        None => push_escaped(&mut shown, rest),
    }
    truncate(shown, MAX_UNPARSED_SHOWN)
}

/// The length of a leading `scheme:` and the slashes after it, as the parser would skip them:
/// blanks and control characters before it, tabs and newlines inside it. Zero when the text does
/// not start like a URL with an authority (`scheme:` then at least one slash or backslash).
fn scheme_prefix_len(text: &str) -> usize {
    // Without a slash after the colon, `user:password@host` would pass for `scheme:rest`.
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && (bytes[i] <= b' ') {
        i += 1;
    }
    let scheme_start = i;
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric()
            || matches!(bytes[i], b'+' | b'-' | b'.' | b'\t' | b'\n' | b'\r'))
    {
        i += 1;
    }
    if i == scheme_start || i >= bytes.len() || bytes[i] != b':' {
        return 0;
    }
    i += 1;
    let after_colon = i;
    while i < bytes.len() && matches!(bytes[i], b'/' | b'\\' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    if !bytes[after_colon..i]
        .iter()
        .any(|&b| b == b'/' || b == b'\\')
    {
        return 0;
    }
    i
}

/// Appends `text` with control characters escaped (`\n`, `\u{0}`).
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
}

/// At most `max` bytes (at a character boundary), with `…` when cut.
fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_query_values_and_fragment_are_hidden() {
        assert_eq!(
            redact("https://user:pw@hooks.example.com/services/T1?token=abc&page=2&flag#frag"),
            "https://hooks.example.com/services/T1?token=[REDACTED]&page=[REDACTED]&[REDACTED]#[REDACTED]"
        );
        assert_eq!(
            redact("http://127.0.0.1:8080/hook"),
            "http://127.0.0.1:8080/hook"
        );
        assert_eq!(redact("http://h/?a=&&b=1"), "http://h/?a=&&b=[REDACTED]");
    }

    /// Hostile URL spellings: each is accepted by the parser that sends, with a password.
    #[test]
    fn spellings_the_parser_accepts() {
        for text in [
            " http://u:pw-SECRET@h/x",
            "\thttp://u:pw-SECRET@h/x",
            "\nhttp://u:pw-SECRET@h/x",
            "\u{0}http://u:pw-SECRET@h/x",
            "ht\ttp://u:pw-SECRET@h/x",
            "http:u:pw-SECRET@h/x",
            "http:/u:pw-SECRET@h/x",
            "http:\\\\u:pw-SECRET@h/x",
            "http:\\/u:pw-SECRET@h/x",
            "http:///u:pw-SECRET@h/x",
            "HTTP://u:pw-SECRET@h/x",
            "http://u:pw-SEC\tRET@h/x",
            "http://u:pw-SECRET@h/x\u{3000}",
            "\u{3000}http://u:pw-SECRET@h/x",
        ] {
            let url = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert!(url.password().is_some(), "{text:?}");
            let shown = redact(text);
            assert_eq!(shown, "http://h/x", "{text:?}");
        }
        // The parser takes the last @ as the end of the user info: all of the password goes.
        let shown = redact("http://u:PASS@WORD@h/x");
        assert_eq!(shown, "http://h/x");
        let shown = redact("http://PASSWORD@h/x");
        assert_eq!(shown, "http://h/x");
    }

    #[test]
    fn unparsed_text_is_redacted_conservatively() {
        for (text, shown) in [
            (
                "http://u:pw@exa mple.com/",
                "http://[REDACTED]@exa mple.com/",
            ),
            ("http://u:p/w?x#y@h:bad/", "http://[REDACTED]@h:bad/"),
            (
                "http://u:pw@h:99999/?token=abc",
                "http://[REDACTED]@h:99999/?[REDACTED]",
            ),
            ("http://h:99999/#token=abc?x", "http://h:99999/#[REDACTED]"),
            ("u:pw@h", "[REDACTED]@h"),
            ("not a url\r\nInjected: 1", "not a url\\r\\nInjected: 1"),
            ("", ""),
        ] {
            assert_eq!(redact(text), shown, "{text:?}");
        }
        let long = format!("http://h:0x/{}", "é".repeat(1000));
        let shown = redact(&long);
        assert!(
            shown.len() <= MAX_UNPARSED_SHOWN + '…'.len_utf8(),
            "{}",
            shown.len()
        );
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn urls_without_an_authority_are_shown_as_text() {
        assert_eq!(redact("mailto:u:pw@h"), "[REDACTED]@h");
        assert_eq!(redact("javascript:alert(1)"), "javascript:alert(1)");
        // A URL the sender refuses (not http) still loses its user info the parser's way.
        assert_eq!(redact("ftp://u:pw@h/f?k=v"), "ftp://h/f?k=[REDACTED]");
    }

    /// A tiny deterministic generator (xorshift64*): the property test needs no crate and every
    /// run checks the same cases.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }

        /// A marker no fixed fragment contains: uppercase letters and digits, 8 to 12 of them.
        fn marker(&mut self) -> String {
            const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
            (0..8 + self.below(5))
                .map(|_| ALPHABET[self.below(ALPHABET.len())] as char)
                .collect()
        }

        /// A secret: a marker with odd characters mixed in, as a password may have; and the marker.
        fn secret(&mut self) -> (String, String) {
            const ODD: &[&str] = &[
                "", "", "", "@", ":", "%40", "%", "/", "?", "#", "\\", " ", "\t", "\n", "é", "[",
                "]", "%2F", "&", "=", ";", "'", "\"", "<", "\u{0}", "\u{3000}", "%zz", "%00",
            ];
            let marker = self.marker();
            let cut = self.below(marker.len() + 1);
            let secret = format!(
                "{}{}{}{}",
                self.pick(ODD),
                &marker[..cut],
                self.pick(ODD),
                &marker[cut..]
            );
            (secret, marker)
        }
    }

    /// The parts of a parsed URL's user info, as the parser holds them (percent-encoded) and
    /// decoded, when they hold a generated marker (8 or more letters and digits in a row; shorter
    /// ones, like `%E3%80%80`, may occur elsewhere in a URL by chance): none may appear in what is
    /// shown, whatever the spelling.
    fn hidden_parts(url: &Url) -> Vec<String> {
        let has_marker = |s: &str| {
            s.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|run| run.len() >= 8)
        };
        let mut parts = Vec::new();
        for part in [url.username(), url.password().unwrap_or_default()] {
            if has_marker(part) {
                parts.push(part.to_string());
                let decoded = percent_encoding::percent_decode_str(part)
                    .decode_utf8_lossy()
                    .into_owned();
                parts.push(decoded);
            }
        }
        parts
    }

    /// Property: for random URL-ish text built from spelling fragments and random secrets,
    /// whenever the sending parser accepts it, its username and password (encoded or not) and its
    /// query values never appear in the redacted text; when it refuses text with an `@` after the
    /// secret, the secret's marker does not appear either.
    #[test]
    fn redaction_never_shows_user_info_or_query_values() {
        const LEAD: &[&str] = &[
            "", "", "", " ", "\t", "\n", "\r\n", "\u{0}", "\u{1f}", "\u{3000}", "\u{a0}",
        ];
        const SCHEME: &[&str] = &[
            "http", "https", "HTTP", "hTtPs", "ht\ttp", "h\nttp", "htt\rp", "ftp", "foo", "ws",
            "mailto", "", "1http", "http+x",
        ];
        const SEPARATOR: &[&str] = &[
            "://", "://", ":", ":/", ":\\\\", ":\\", ":///", ":\\/", ":/\\", "://\t", ":////",
            ": //", "//",
        ];
        const AT: &[&str] = &["@", "@", "@", "@@", "%40", "", "@\t", "\t@"];
        const HOST: &[&str] = &[
            "127.0.0.1",
            "h",
            "example.com",
            "[::1]",
            "h:8080",
            "127.0.0.1:9",
            "",
            "ex ample",
            "h:99999",
            "xn--nxasmq6b",
            "h.",
            "0x7f.1",
        ];
        const PATH: &[&str] = &[
            "", "/", "/hook", "/a@b", "/a/../b", "/%2e%2e/", "\\x", "/é", "/ a",
        ];
        const TRAIL: &[&str] = &["", "", " ", "\t", "\n", "\u{3000}"];

        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let (mut parsed_with_secret, mut refused_with_at) = (0, 0);
        for case in 0..100_000 {
            let user = match rng.below(3) {
                0 => None,
                _ => Some(rng.secret()),
            };
            let password = match rng.below(4) {
                0 => None,
                _ => Some(rng.secret()),
            };
            let mut text = String::new();
            text.push_str(rng.pick(LEAD));
            text.push_str(rng.pick(SCHEME));
            text.push_str(rng.pick(SEPARATOR));
            if let Some((user, _)) = &user {
                text.push_str(user);
            }
            if let Some((password, _)) = &password {
                text.push(':');
                text.push_str(password);
            }
            let at = rng.pick(AT);
            text.push_str(at);
            text.push_str(rng.pick(HOST));
            text.push_str(rng.pick(PATH));
            let query_value = rng.marker();
            if rng.below(2) == 0 {
                text.push_str(&format!("?a=1&token={query_value}&{}", rng.marker()));
            }
            let fragment = rng.marker();
            if rng.below(4) == 0 {
                text.push('#');
                text.push_str(&fragment);
            }
            text.push_str(rng.pick(TRAIL));
            let markers: Vec<&str> = [&user, &password]
                .into_iter()
                .flatten()
                .map(|(_, marker)| marker.as_str())
                .collect();

            let shown = redact(&text);
            match parse(&text) {
                Ok(url) => {
                    for part in hidden_parts(&url) {
                        parsed_with_secret += 1;
                        assert!(
                            !shown.contains(&part),
                            "case {case}: {text:?} shows {part:?} in {shown:?}"
                        );
                    }
                    // A marker the parser took (whole) as user info is gone too.
                    for marker in &markers {
                        if url.username().contains(marker)
                            || url.password().is_some_and(|p| p.contains(marker))
                        {
                            assert!(
                                !shown.contains(marker),
                                "case {case}: {text:?} -> {shown:?}"
                            );
                        }
                    }
                    if let Some(query) = url.query() {
                        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
                            assert!(
                                value.len() < 8
                                    || value == REDACTED
                                    || !shown.contains(value.as_ref()),
                                "case {case}: {text:?} shows the value of {name} in {shown:?}"
                            );
                        }
                    }
                    assert!(
                        !shown.contains(&fragment),
                        "case {case}: {text:?} -> {shown:?}"
                    );
                }
                Err(_) if at.contains('@') => {
                    // Refused text: every secret came before an @, so none of it may show.
                    refused_with_at += 1;
                    for marker in &markers {
                        assert!(
                            !shown.contains(marker),
                            "case {case}: refused {text:?} -> {shown:?}"
                        );
                    }
                    assert!(
                        !shown.contains(&query_value),
                        "case {case}: {text:?} -> {shown:?}"
                    );
                    assert!(
                        !shown.contains(&fragment),
                        "case {case}: {text:?} -> {shown:?}"
                    );
                }
                Err(_) => {}
            }
            assert!(
                !shown.chars().any(char::is_control),
                "case {case}: {shown:?}"
            );
        }
        // The generator must reach both branches often, or the property proves little.
        assert!(parsed_with_secret > 10_000, "{parsed_with_secret}");
        assert!(refused_with_at > 10_000, "{refused_with_at}");
    }
}
