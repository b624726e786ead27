//! Endpoint URLs: what is accepted, and how a URL is read (the address guard judges its host: see
//! `guard`).

use url::Url;

/// Longer URLs are refused: no real endpoint needs one, and browsers and servers stop far sooner.
pub const MAX_URL_BYTES: usize = 8 * 1024;

/// How every URL text is read, for sending and for redacting alike (see `redact`): surrounding
/// whitespace trimmed, then the WHATWG parser.
pub fn parse(text: &str) -> Result<Url, url::ParseError> {
    Url::parse(text.trim())
}

/// Parses an endpoint URL: http or https, with a host. Errors say what is wrong, without echoing
/// the URL (it may carry a token).
pub fn parse_endpoint_url(text: &str) -> Result<Url, String> {
    if text.len() > MAX_URL_BYTES {
        return Err(format!("url is longer than {MAX_URL_BYTES} bytes"));
    }
    let url = parse(text).map_err(|e| format!("url is not a valid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("url must be http or https, got {}:", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("url has no host".into());
    }
    Ok(url)
}

/// The URL without its user info (`user:password@`).
pub fn without_user_info(url: &Url) -> Url {
    let mut bare = url.clone();
    // Only URLs that cannot have user info (no host) refuse these, and ours always have a host.
    let _ = bare.set_username("");
    let _ = bare.set_password(None);
    bare
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_and_refused_urls() {
        assert!(parse_endpoint_url("https://example.com/hook").is_ok());
        assert!(parse_endpoint_url("http://127.0.0.1:8080/").is_ok());
        assert!(parse_endpoint_url("ftp://example.com/")
            .unwrap_err()
            .contains("http or https"));
        assert!(parse_endpoint_url("file:///etc/passwd")
            .unwrap_err()
            .contains("http or https"));
        assert!(parse_endpoint_url("javascript:alert(1)").is_err());
        assert!(parse_endpoint_url("not a url")
            .unwrap_err()
            .contains("not a valid URL"));
        assert!(parse_endpoint_url("").is_err());
        assert!(parse_endpoint_url("http://").is_err());
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES));
        assert!(parse_endpoint_url(&long)
            .unwrap_err()
            .contains("longer than"));
    }
}
