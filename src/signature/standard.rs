//! Standard Webhooks (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.ts.body")>`,
//! a space-separated list for key rotation, where the key is the base64 part of a `whsec_…` secret
//! (a raw secret is used as it is).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::mac::{check_base64, hmac_sha256};
use super::timestamp::{check_window, parse_unix_seconds};
use super::Failure;
use crate::{Error, Result};

const SECRET_PREFIX: &[u8] = b"whsec_";

/// The HMAC key of a Standard Webhooks secret: base64-decoded after `whsec_`, else the raw bytes.
pub fn standard_key(secret: &[u8]) -> Result<Vec<u8>> {
    match secret.strip_prefix(SECRET_PREFIX) {
        Some(encoded) => BASE64.decode(encoded).map_err(|_| {
            Error::InvalidArgument("a whsec_ secret must be followed by valid base64".into())
        }),
        None => Ok(secret.to_vec()),
    }
}

/// The `webhook-signature` value (`v1,<base64>`) for a message, given the decoded key.
pub fn sign_standard(key: &[u8], id: &[u8], timestamp: &[u8], body: &[u8]) -> String {
    let mac = hmac_sha256(key, &[id, b".", timestamp, b".", body]);
    format!("v1,{}", BASE64.encode(mac))
}

/// Verifies a `webhook-signature` header (given the decoded key): any `v1` entry may match;
/// entries of other versions are skipped.
pub fn verify_standard(
    key: &[u8],
    id: &[u8],
    timestamp: &[u8],
    body: &[u8],
    header: &[u8],
    tolerance: u64,
    now: i64,
) -> std::result::Result<(), Failure> {
    if header.trim_ascii().is_empty() || id.is_empty() {
        return Err(Failure::Missing);
    }
    check_window(parse_unix_seconds(timestamp)?, now, tolerance)?;
    let expected = hmac_sha256(key, &[id, b".", timestamp, b".", body]);
    let mut outcome = Err(Failure::Malformed);
    for entry in header.split(|b| *b == b' ').filter(|e| !e.is_empty()) {
        let Some(signature) = entry.strip_prefix(b"v1,") else {
            continue;
        };
        // Every v1 entry is checked (no early exit), so timing does not tell which one matched.
        match (check_base64(&expected, signature), outcome) {
            (Ok(()), _) => outcome = Ok(()),
            (Err(Failure::Mismatch), Err(Failure::Malformed)) => outcome = Err(Failure::Mismatch),
            _ => {}
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &[u8] = b"msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: &[u8] = b"1614265330";
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn key() -> Vec<u8> {
        standard_key(b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()
    }

    #[test]
    fn spec_example() {
        // The example in the Standard Webhooks specification and its reference libraries' tests.
        assert_eq!(sign_standard(&key(), ID, TS, BODY), SIG);
        assert_eq!(
            verify_standard(&key(), ID, TS, BODY, SIG.as_bytes(), 300, 1_614_265_330),
            Ok(())
        );
    }

    #[test]
    fn rotation_lists_and_versions() {
        let v = |header: &str| {
            verify_standard(&key(), ID, TS, BODY, header.as_bytes(), 300, 1_614_265_330)
        };
        assert_eq!(v(&format!("v1,AAAA {SIG}")), Ok(()));
        assert_eq!(v(&format!("v2,whatever {SIG} v1a,zzz")), Ok(()));
        assert_eq!(v("v1,AAAA v1,bm9wZQ=="), Err(Failure::Mismatch));
        assert_eq!(v("v2,abc v1a,zzz"), Err(Failure::Malformed));
        assert_eq!(v("v1,***"), Err(Failure::Malformed));
        assert_eq!(v("   "), Err(Failure::Missing));
        assert_eq!(
            verify_standard(&key(), ID, TS, BODY, SIG.as_bytes(), 300, 1_614_265_631),
            Err(Failure::Expired)
        );
        assert_eq!(
            verify_standard(
                &key(),
                b"msg_other",
                TS,
                BODY,
                SIG.as_bytes(),
                300,
                1_614_265_330
            ),
            Err(Failure::Mismatch)
        );
    }

    #[test]
    fn raw_and_bad_secrets() {
        assert_eq!(standard_key(b"plain").unwrap(), b"plain");
        assert!(standard_key(b"whsec_***").is_err());
    }
}
