//! Request headers: the caller's custom ones (validated once per endpoint) and the signing headers
//! of each scheme (made per attempt, since the timestamp is part of what is signed).

use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};

use crate::secret::Secret;
use crate::signature::{hmac_sha256_hex, sign_chatwoot, sign_standard};

/// How a delivery is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Chatwoot today: `X-Chatwoot-Timestamp`, `X-Chatwoot-Signature: sha256=<hex of "ts.body">`.
    Chatwoot,
    /// The seed's WebhookJob: `X-Chatwoot-Signature: <hex of the body>`.
    HexBody,
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`.
    Standard,
}

impl Scheme {
    /// Every scheme, in the order messages list them.
    pub const ALL: [Scheme; 3] = [Scheme::Chatwoot, Scheme::HexBody, Scheme::Standard];

    /// The name callers give (`scheme: :hex_body`): the one place these names are written.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Chatwoot => "chatwoot",
            Scheme::HexBody => "hex_body",
            Scheme::Standard => "standard",
        }
    }

    pub fn parse(name: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Secrets one endpoint may sign with at once (rotation: the newest and the ones still accepted).
/// Each costs an HMAC per request; rotation needs two or three.
pub const MAX_SECRETS: usize = 10;

/// Headers the transport owns; letting a caller set them would corrupt the request.
const RESERVED: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
];

/// Validates the caller's custom headers. A value with CR, LF or another control character, or an
/// invalid name, is refused with a message naming the header (never its value, which may be a token).
pub fn custom_headers(pairs: &[(String, String)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in pairs {
        let header = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("header name {name:?} is not a valid HTTP header name"))?;
        if RESERVED.contains(&header.as_str()) {
            return Err(format!(
                "header {name:?} is set by the transport and cannot be overridden"
            ));
        }
        let value = HeaderValue::from_str(value).map_err(|_| {
            format!("header {name:?} has a value with a newline or another control character")
        })?;
        map.insert(header, value);
    }
    Ok(map)
}

/// The signing headers for one attempt. A missing secret means an unsigned delivery, which still
/// carries its delivery id so the receiver can de-duplicate. `previous` (rotation, newest first)
/// adds one `v1,` entry each to a Standard Webhooks signature, space-separated after the newest's,
/// as the spec's libraries verify: any entry may match. The other schemes carry one signature.
pub fn signing_headers(
    scheme: Scheme,
    key: Option<&Secret>,
    previous: &[Secret],
    delivery_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let ts = timestamp.to_string();
    let mut headers = Vec::with_capacity(3);
    match scheme {
        Scheme::Chatwoot => {
            headers.push(("x-chatwoot-delivery", delivery_id.to_string()));
            if let Some(key) = key {
                headers.push((
                    "x-chatwoot-signature",
                    sign_chatwoot(key.expose(), ts.as_bytes(), body),
                ));
                headers.push(("x-chatwoot-timestamp", ts));
            }
        }
        Scheme::HexBody => {
            headers.push(("x-chatwoot-delivery", delivery_id.to_string()));
            if let Some(key) = key {
                headers.push((
                    "x-chatwoot-signature",
                    hmac_sha256_hex(key.expose(), &[body]),
                ));
            }
        }
        Scheme::Standard => {
            headers.push(("webhook-id", delivery_id.to_string()));
            if let Some(key) = key {
                let mut signature =
                    sign_standard(key.expose(), delivery_id.as_bytes(), ts.as_bytes(), body);
                for older in previous {
                    signature.push(' ');
                    signature.push_str(&sign_standard(
                        older.expose(),
                        delivery_id.as_bytes(),
                        ts.as_bytes(),
                        body,
                    ));
                }
                headers.push(("webhook-signature", signature));
            }
            headers.push(("webhook-timestamp", ts));
        }
    }
    headers
}

/// What signs a delivery's requests: every request of an attempt, a redirect hop's included, is
/// signed over its own body with the attempt's timestamp. No scheme signs the URL, so a hop to
/// another origin gets the signature the receiver there verifies with the same secret: the same as
/// the first request's when the body is repeated (307/308), the empty body's after a 301-303 GET.
pub struct Signing<'a> {
    pub scheme: Scheme,
    pub key: Option<&'a Secret>,
    pub delivery_id: &'a str,
    pub timestamp: i64,
    /// Standard Webhooks rotation: older keys that sign too (empty for the other schemes).
    pub previous_keys: &'a [Secret],
}

impl Signing<'_> {
    /// Sets the signing headers for a request with `body`, replacing any of the same name.
    pub fn apply(&self, headers: &mut HeaderMap, body: &[u8]) {
        let signed = signing_headers(
            self.scheme,
            self.key,
            self.previous_keys,
            self.delivery_id,
            self.timestamp,
            body,
        );
        for (name, value) in signed {
            // Our values are hex, base64, digits and validated delivery ids: always valid.
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_headers_are_validated() {
        let ok = custom_headers(&[
            ("X-Trace".into(), "abc".into()),
            ("content-type".into(), "text/plain".into()),
        ])
        .unwrap();
        assert_eq!(ok["x-trace"], "abc");
        assert_eq!(ok["content-type"], "text/plain");
        let bad = custom_headers(&[("X-Evil".into(), "a\r\nInjected: 1".into())]).unwrap_err();
        assert!(bad.contains("X-Evil") && !bad.contains("Injected"), "{bad}");
        assert!(custom_headers(&[("X-Evil".into(), "a\nb".into())]).is_err());
        assert!(custom_headers(&[("Bad Name".into(), "v".into())]).is_err());
        assert!(custom_headers(&[("Host".into(), "internal".into())])
            .unwrap_err()
            .contains("transport"));
    }

    #[test]
    fn chatwoot_headers() {
        let key = Secret::new("secret");
        let h = signing_headers(
            Scheme::Chatwoot,
            Some(&key),
            &[],
            "id-1",
            1_700_000_000,
            b"{}",
        );
        assert_eq!(h[0], ("x-chatwoot-delivery", "id-1".to_string()));
        assert_eq!(h[1].1, sign_chatwoot(b"secret", b"1700000000", b"{}"));
        assert_eq!(h[2], ("x-chatwoot-timestamp", "1700000000".to_string()));
        let unsigned = signing_headers(Scheme::Chatwoot, None, &[], "id-1", 1, b"{}");
        assert_eq!(unsigned, vec![("x-chatwoot-delivery", "id-1".to_string())]);
    }

    #[test]
    fn signing_replaces_headers_of_the_same_name() {
        let key = Secret::new("secret");
        let signing = Signing {
            scheme: Scheme::Chatwoot,
            key: Some(&key),
            delivery_id: "id-1",
            timestamp: 7,
            previous_keys: &[],
        };
        let mut headers =
            custom_headers(&[("X-Chatwoot-Signature".into(), "forged".into())]).unwrap();
        signing.apply(&mut headers, b"{}");
        assert_eq!(
            headers["x-chatwoot-signature"],
            sign_chatwoot(b"secret", b"7", b"{}")
        );
        assert_eq!(headers["x-chatwoot-timestamp"], "7");
        assert_eq!(headers["x-chatwoot-delivery"], "id-1");
        signing.apply(&mut headers, b"");
        assert_eq!(
            headers["x-chatwoot-signature"],
            sign_chatwoot(b"secret", b"7", b"")
        );
    }

    #[test]
    fn hex_body_and_standard_headers() {
        let key = Secret::new("secret");
        let h = signing_headers(Scheme::HexBody, Some(&key), &[], "d", 5, b"body");
        assert_eq!(h[1].1, hmac_sha256_hex(b"secret", &[b"body"]));
        let s = signing_headers(Scheme::Standard, Some(&key), &[], "msg_1", 5, b"body");
        assert_eq!(s[0], ("webhook-id", "msg_1".to_string()));
        assert_eq!(s[1].1, sign_standard(b"secret", b"msg_1", b"5", b"body"));
        assert_eq!(s[2], ("webhook-timestamp", "5".to_string()));
    }

    #[test]
    fn rotation_signs_standard_with_every_key_and_the_others_with_the_newest() {
        let (newest, older) = (Secret::new("newest"), Secret::new("older"));
        let previous = [older.clone()];
        let s = signing_headers(Scheme::Standard, Some(&newest), &previous, "m", 5, b"b");
        assert_eq!(
            s[1].1,
            format!(
                "{} {}",
                sign_standard(b"newest", b"m", b"5", b"b"),
                sign_standard(b"older", b"m", b"5", b"b")
            )
        );
        // Each entry verifies with its own key alone, as a receiver knowing one secret checks it.
        for key in [&newest, &older] {
            assert_eq!(
                crate::signature::verify_standard(
                    key.expose(),
                    b"m",
                    b"5",
                    b"b",
                    s[1].1.as_bytes(),
                    300,
                    5
                ),
                Ok(())
            );
        }
        let c = signing_headers(Scheme::Chatwoot, Some(&newest), &previous, "m", 5, b"b");
        assert_eq!(c[1].1, sign_chatwoot(b"newest", b"5", b"b"));
        let h = signing_headers(Scheme::HexBody, Some(&newest), &previous, "m", 5, b"b");
        assert_eq!(h[1].1, hmac_sha256_hex(b"newest", &[b"b"]));
    }
}
