//! Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1(auth token, url + each POST parameter's name and
//! value, sorted by name)>`. For JSON bodies Twilio signs the URL alone and puts the body's SHA-256
//! in the `bodySHA256` query parameter. Like Twilio's own validators, the URL is tried with the
//! port removed and with the scheme's standard port added, since proxies differ in what they pass on.

use sha2::{Digest, Sha256};

use super::mac::{check_base64, ct_eq, hmac_sha1};
use super::Failure;

/// What Twilio signed besides the URL.
pub enum TwilioContent<'a> {
    /// Form parameters: (name, values); a name with several values contributes each in order.
    Params(&'a [(Vec<u8>, Vec<Vec<u8>>)]),
    /// A raw (JSON) body, whose SHA-256 the URL's `bodySHA256` must carry.
    Body(&'a [u8]),
}

pub fn verify_twilio(
    auth_token: &[u8],
    url: &str,
    content: TwilioContent<'_>,
    signature: &[u8],
) -> Result<(), Failure> {
    if signature.trim_ascii().is_empty() {
        return Err(Failure::Missing);
    }
    let mut signed_params = Vec::new();
    match content {
        TwilioContent::Params(params) => {
            let mut sorted: Vec<&(Vec<u8>, Vec<Vec<u8>>)> = params.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
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
    for candidate in url_variants(url) {
        let expected = hmac_sha1(auth_token, &[candidate.as_bytes(), &signed_params]);
        match check_base64(&expected, signature) {
            Ok(()) => outcome = Ok(()),
            Err(Failure::Malformed) => return Err(Failure::Malformed),
            Err(_) => {}
        }
    }
    outcome
}

fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// The URL with its port removed, and with the scheme's standard port where it has none.
fn url_variants(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return vec![url.to_string()];
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => authority.split_at(at + 1),
        None => ("", authority),
    };
    // A port follows the last ':' unless that ':' is inside an IPv6 literal.
    let port_at = hostport
        .rfind(':')
        .filter(|&i| !hostport[i..].contains(']'));
    let host = port_at.map_or(hostport, |i| &hostport[..i]);
    let standard = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return vec![url.to_string()],
    };
    let without_port = format!("{scheme}://{userinfo}{host}{tail}");
    let with_port = match port_at {
        Some(_) => url.to_string(),
        None => format!("{scheme}://{userinfo}{host}:{standard}{tail}"),
    };
    vec![without_port, with_port]
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
        assert_eq!(check(URL, "fake_signature"), Err(Failure::Malformed));
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
    fn url_variants_keep_everything_but_the_port() {
        assert_eq!(
            url_variants("https://a.com/x?y=1"),
            vec!["https://a.com/x?y=1", "https://a.com:443/x?y=1"]
        );
        assert_eq!(
            url_variants("http://u:p@a.com:8080"),
            vec!["http://u:p@a.com", "http://u:p@a.com:8080"]
        );
        assert_eq!(
            url_variants("https://[::1]/x"),
            vec!["https://[::1]/x", "https://[::1]:443/x"]
        );
        assert_eq!(url_variants("not a url"), vec!["not a url"]);
    }
}
