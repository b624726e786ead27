//! Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1(auth token, url + each POST parameter's name and
//! value, sorted by name)>`. For JSON bodies Twilio signs the URL alone and puts the body's SHA-256
//! in the `bodySHA256` query parameter. Webhooks signed with a SharedKey say
//! `X-Twilio-Webhooks-Signature-Settings: key=…,algorithm=HMAC_SHA256` and use HMAC-SHA256 instead.
//!
//! What is signed follows twilio-python's `RequestValidator` (9.x): names sorted, and a repeated
//! name's values sorted and deduplicated (`sorted(set(values))`); the URL as `urlparse(…).geturl()`
//! gives it back (lower-case scheme, no empty `?` or `#`), tried with the port removed and with the
//! scheme's standard port added, since proxies differ in what they pass on. Where twilio-python's
//! port removal mangles the URL (a password in the user info, an IPv6 host) only the URL as given
//! is tried, so we never accept a signature that library would refuse.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::mac::{check_base64, ct_eq, hmac_sha1, hmac_sha256};
use super::{Failure, Part};

/// What Twilio signed besides the URL.
pub enum TwilioContent<'a> {
    /// Form parameters: (name, values); a name may come more than once.
    Params(&'a [(Vec<u8>, Vec<Vec<u8>>)]),
    /// A raw (JSON) body, whose SHA-256 the URL's `bodySHA256` must carry.
    Body(&'a [u8]),
}

/// The MAC: HMAC-SHA1 under the account's Auth Token (the default), or HMAC-SHA256 under a
/// SharedKey secret when the request's signature-settings header names `HMAC_SHA256`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwilioAlgorithm {
    Sha1,
    Sha256,
}

impl TwilioAlgorithm {
    /// The algorithm an `X-Twilio-Webhooks-Signature-Settings` value names (`None` for one we do
    /// not know, which fails verification as in twilio-python); no header or no `algorithm=` is SHA-1.
    pub fn from_settings(header: &[u8]) -> Option<TwilioAlgorithm> {
        let named = header.split(|b| *b == b',').find_map(|part| {
            let at = part.iter().position(|b| *b == b'=')?;
            let (name, value) = (part[..at].trim_ascii(), part[at + 1..].trim_ascii());
            (name == b"algorithm" && !value.is_empty()).then_some(value)
        });
        match named {
            None => Some(TwilioAlgorithm::Sha1),
            Some(name) if name.eq_ignore_ascii_case(b"HMAC_SHA1") => Some(TwilioAlgorithm::Sha1),
            Some(name) if name.eq_ignore_ascii_case(b"HMAC_SHA256") => {
                Some(TwilioAlgorithm::Sha256)
            }
            Some(_) => None,
        }
    }
}

/// HMAC-SHA1 verification (the Auth Token signature); see [`verify_twilio_with`].
pub fn verify_twilio(
    auth_token: &[u8],
    url: &str,
    content: TwilioContent<'_>,
    signature: &[u8],
) -> Result<(), Failure> {
    verify_twilio_with(TwilioAlgorithm::Sha1, auth_token, url, content, signature)
}

pub fn verify_twilio_with(
    algorithm: TwilioAlgorithm,
    auth_token: &[u8],
    url: &str,
    content: TwilioContent<'_>,
    signature: &[u8],
) -> Result<(), Failure> {
    if signature.trim_ascii().is_empty() {
        return Err(Failure::Missing(Part::Signature));
    }
    let mut signed_params = Vec::new();
    match content {
        TwilioContent::Params(params) => {
            let mut sorted: BTreeMap<&[u8], BTreeSet<&[u8]>> = BTreeMap::new();
            for (name, values) in params {
                let set = sorted.entry(name.as_slice()).or_default();
                set.extend(values.iter().map(Vec::as_slice));
            }
            for (name, values) in sorted {
                for value in values {
                    signed_params.extend_from_slice(name);
                    signed_params.extend_from_slice(value);
                }
            }
        }
        TwilioContent::Body(body) => {
            let declared = query_param(url, "bodySHA256").ok_or(Failure::Mismatch)?;
            let actual = hex::encode(Sha256::digest(body));
            if !ct_eq(actual.as_bytes(), declared.as_bytes()) {
                return Err(Failure::Mismatch);
            }
        }
    }
    let mut outcome = Err(Failure::Mismatch);
    for candidate in url_variants(url)? {
        let parts: [&[u8]; 2] = [candidate.as_bytes(), &signed_params];
        let checked = match algorithm {
            TwilioAlgorithm::Sha1 => check_base64(&hmac_sha1(auth_token, &parts), signature),
            TwilioAlgorithm::Sha256 => check_base64(&hmac_sha256(auth_token, &parts), signature),
        };
        match checked {
            Ok(()) => outcome = Ok(()),
            Err(failure @ Failure::Malformed(_)) => return Err(failure),
            Err(_) => {}
        }
    }
    outcome
}

/// An `application/x-www-form-urlencoded` body as (name, values), names in order of first
/// appearance: pairs split on `&` only, `+` is a space, percent escapes decoded (a broken escape
/// stays as it is), a pair without `=` has an empty value. Parsed here rather than by the web
/// framework, which may keep only the last of a repeated name (Rack's `request.POST`), split on
/// `;` as well, or read `a[b]` as nesting, none of which Twilio signs.
pub fn parse_form(body: &[u8]) -> Vec<(Vec<u8>, Vec<Vec<u8>>)> {
    let mut params: Vec<(Vec<u8>, Vec<Vec<u8>>)> = Vec::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &b""[..]),
        };
        let (name, value) = (form_decode(name), form_decode(value));
        match params.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value),
            None => params.push((name, vec![value])),
        }
    }
    params
}

fn form_decode(text: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = text
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&spaced).collect()
}

fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// The URLs twilio-python signs for `url`: `geturl()` of it with the port removed and with the
/// scheme's standard port added (one of them is the URL itself). `Malformed` for a port that is not
/// a number up to 65535, which twilio-python raises on.
fn url_variants(url: &str) -> Result<Vec<String>, Failure> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Ok(vec![url.to_string()]);
    };
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return Ok(vec![url.to_string()]);
    }
    let scheme = scheme.to_ascii_lowercase();
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (netloc, tail) = rest.split_at(authority_end);
    let (before_fragment, fragment) = tail.split_once('#').unwrap_or((tail, ""));
    let (path, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let mut tail = path.to_string();
    if !query.is_empty() {
        tail = format!("{tail}?{query}");
    }
    if !fragment.is_empty() {
        tail = format!("{tail}#{fragment}");
    }
    let hostinfo = netloc.rsplit_once('@').map_or(netloc, |(_, host)| host);
    // As urllib's `port`: after the IPv6 literal's `]`, else after the host's first `:`.
    let port_text = match hostinfo.split_once(']') {
        Some((_, after)) if hostinfo.starts_with('[') => after.split_once(':').map(|(_, p)| p),
        _ => hostinfo.split_once(':').map(|(_, p)| p),
    };
    let port = match port_text {
        None | Some("") => 0,
        Some(text) if text.bytes().all(|b| b.is_ascii_digit()) && text.len() <= 5 => {
            match text.parse::<u32>() {
                Ok(port) if port <= 65535 => port,
                _ => return Err(Failure::Malformed(Part::Url)),
            }
        }
        Some(_) => return Err(Failure::Malformed(Part::Url)),
    };
    let given = format!("{scheme}://{netloc}{tail}");
    if port == 0 {
        if port_text.is_some() {
            // `:0` or a bare `:`: twilio-python would add a second port; only the URL as given.
            return Ok(vec![given]);
        }
        let standard = if scheme == "https" { 443 } else { 80 };
        return Ok(vec![
            given.clone(),
            format!("{scheme}://{netloc}:{standard}{tail}"),
        ]);
    }
    // twilio-python cuts the netloc at its first `:`; that is the host without its port only when
    // the first `:` is the port's.
    let cut = netloc.split(':').next().unwrap_or(netloc);
    let host_end = netloc.len() - port_text.map_or(0, |p| p.len() + 1);
    if cut.len() == host_end {
        Ok(vec![format!("{scheme}://{cut}{tail}"), given])
    } else {
        Ok(vec![given])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vectors of twilio-ruby's request validator spec.
    const TOKEN: &[u8] = b"12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const BODY: &[u8] = br#"{"property": "value", "boolean": true}"#;
    const BODY_HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    fn params() -> Vec<(Vec<u8>, Vec<Vec<u8>>)> {
        [
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
        ]
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), vec![v.as_bytes().to_vec()]))
        .collect()
    }

    fn check(url: &str, signature: &str) -> Result<(), Failure> {
        verify_twilio(
            TOKEN,
            url,
            TwilioContent::Params(&params()),
            signature.as_bytes(),
        )
    }

    #[test]
    fn form_parameters() {
        assert_eq!(check(URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8="), Ok(()));
        assert_eq!(
            check(URL, "fake_signature"),
            Err(Failure::Malformed(Part::Signature))
        );
        assert_eq!(
            check(URL, "XSOYDt4T1cUTdK1PDd93/VVr8B8="),
            Err(Failure::Mismatch)
        );
        assert_eq!(
            check(
                &URL.replace("foo=1", "foo=2"),
                "RSOYDt4T1cUTdK1PDd93/VVr8B8="
            ),
            Err(Failure::Mismatch)
        );
    }

    #[test]
    fn ports_and_credentials() {
        assert_eq!(
            check(
                &URL.replace(".com", ".com:1234"),
                "RSOYDt4T1cUTdK1PDd93/VVr8B8="
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &URL.replace(".com", ".com:1234").replace("https", "http"),
                "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
            ),
            Ok(())
        );
        assert_eq!(check(URL, "kvajT1Ptam85bY51eRf/AJRuM3w="), Ok(()));
        assert_eq!(
            check(
                &URL.replace("https", "http"),
                "0ZXoZLH/DfblKGATFgpif+LLRf4="
            ),
            Ok(())
        );
        assert_eq!(
            check(
                "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
                "CukzLTc1tT5dXEDIHm/tKBanW10="
            ),
            Ok(())
        );
        assert_eq!(
            check(
                "https://user@mycompany.com/myapp.php?foo=1&bar=2",
                "2YRLlVAflCqxaNicjMpJcSTgzSs="
            ),
            Ok(())
        );
        assert_eq!(
            check(
                "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
                "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="
            ),
            Ok(())
        );
    }

    #[test]
    fn json_bodies() {
        let url = format!("{URL}&bodySHA256={BODY_HASH}");
        assert_eq!(
            verify_twilio(
                TOKEN,
                &url,
                TwilioContent::Body(BODY),
                b"a9nBmqA0ju/hNViExpshrM61xv4="
            ),
            Ok(())
        );
        let only = format!("https://mycompany.com/myapp.php?bodySHA256={BODY_HASH}");
        assert_eq!(
            verify_twilio(
                TOKEN,
                &only,
                TwilioContent::Body(BODY),
                b"y77kIzt2vzLz71DgmJGsen2scGs="
            ),
            Ok(())
        );
        // A body without bodySHA256 in the URL, or a body that does not hash to it, fails.
        assert_eq!(
            verify_twilio(
                TOKEN,
                URL,
                TwilioContent::Body(BODY),
                b"RSOYDt4T1cUTdK1PDd93/VVr8B8="
            ),
            Err(Failure::Mismatch)
        );
        assert_eq!(
            verify_twilio(
                TOKEN,
                &url,
                TwilioContent::Body(b"{}"),
                b"a9nBmqA0ju/hNViExpshrM61xv4="
            ),
            Err(Failure::Mismatch)
        );
    }

    #[test]
    fn repeated_values_sorted_and_deduplicated() {
        // twilio-python signs sorted(set(values)): "MediaUrl" + "a" + "MediaUrl" + "b".
        let given = vec![(
            b"MediaUrl".to_vec(),
            vec![b"b".to_vec(), b"a".to_vec(), b"b".to_vec()],
        )];
        let mac = hmac_sha1(TOKEN, &[b"https://a.com/xMediaUrlaMediaUrlb"]);
        let sig = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac);
        assert_eq!(
            verify_twilio(
                TOKEN,
                "https://a.com/x",
                TwilioContent::Params(&given),
                sig.as_bytes()
            ),
            Ok(())
        );
    }

    #[test]
    fn sha256_settings() {
        assert_eq!(
            TwilioAlgorithm::from_settings(b""),
            Some(TwilioAlgorithm::Sha1)
        );
        assert_eq!(
            TwilioAlgorithm::from_settings(b"key=webhooks_sharedkey_1, algorithm=HMAC_SHA256"),
            Some(TwilioAlgorithm::Sha256)
        );
        assert_eq!(TwilioAlgorithm::from_settings(b"algorithm=MD5"), None);
        let mac = hmac_sha256(TOKEN, &[b"https://a.com/xTo+1"]);
        let sig = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac);
        let params = vec![(b"To".to_vec(), vec![b"+1".to_vec()])];
        let check = |algorithm| {
            verify_twilio_with(
                algorithm,
                TOKEN,
                "https://a.com/x",
                TwilioContent::Params(&params),
                sig.as_bytes(),
            )
        };
        assert_eq!(check(TwilioAlgorithm::Sha256), Ok(()));
        assert_eq!(check(TwilioAlgorithm::Sha1), Err(Failure::Mismatch));
    }

    #[test]
    fn form_bodies() {
        assert_eq!(
            parse_form(b"a=1&b=x+y%21&a=2&&c&a%5Bb%5D=%zz;d=1"),
            vec![
                (b"a".to_vec(), vec![b"1".to_vec(), b"2".to_vec()]),
                (b"b".to_vec(), vec![b"x y!".to_vec()]),
                (b"c".to_vec(), vec![b"".to_vec()]),
                (b"a[b]".to_vec(), vec![b"%zz;d=1".to_vec()]),
            ]
        );
    }

    #[test]
    fn url_variants_keep_everything_but_the_port() {
        let v = |url: &str| url_variants(url).unwrap();
        assert_eq!(
            v("https://a.com/x?y=1"),
            vec!["https://a.com/x?y=1", "https://a.com:443/x?y=1"]
        );
        assert_eq!(
            v("http://u@a.com:8080"),
            vec!["http://u@a.com", "http://u@a.com:8080"]
        );
        assert_eq!(
            v("https://[::1]/x"),
            vec!["https://[::1]/x", "https://[::1]:443/x"]
        );
        assert_eq!(v("not a url"), vec!["not a url"]);
        // As urlparse(…).geturl(): scheme lower-cased, an empty `?` or `#` dropped.
        assert_eq!(
            v("HTTPS://a.com/x?#"),
            vec!["https://a.com/x", "https://a.com:443/x"]
        );
        // Where twilio-python's port removal mangles the URL, only the URL as given.
        assert_eq!(
            v("http://u:p@a.com:8080/x"),
            vec!["http://u:p@a.com:8080/x"]
        );
        assert_eq!(v("https://[::1]:8443/x"), vec!["https://[::1]:8443/x"]);
        assert_eq!(
            url_variants("https://a.com:99999/x"),
            Err(Failure::Malformed(Part::Url))
        );
        assert_eq!(
            url_variants("https://a.com:x/x"),
            Err(Failure::Malformed(Part::Url))
        );
    }
}
