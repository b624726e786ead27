//! Standard Webhooks (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.ts.body")>`,
//! a space-separated list for key rotation, where the key is the base64 part of a `whsec_…` secret.
//!
//! Secrets and timestamps are read as the official libraries (`standardwebhooks`, `svix`) read them,
//! as far as that is safe; `test/fixtures/interop/standard.jsonl` holds the cases both ways.

use base64::alphabet;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use super::mac::{check_base64, hmac_sha256};
use super::timestamp::{check_window, parse_canonical_seconds};
use super::{Failure, Part};
use crate::{Error, Result};

const SECRET_PREFIX: &[u8] = b"whsec_";

/// Secrets as the libraries decode them: padding optional (a 23-byte key is often written without
/// its `=`), stray low bits of the last digit ignored. Only the standard alphabet: the libraries
/// silently drop `-` and `_`, which would make a different key than the one meant.
const SECRET_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The HMAC key of a Standard Webhooks secret, decoded as the official libraries decode it:
/// surrounding white space (a newline from a secrets file) is dropped, then the base64 after an
/// optional `whsec_` is decoded, padded or not. A `whsec_` secret that is not base64 is the
/// operator's error. A secret without the prefix that is not base64 either (`my-secret`) is used
/// as raw bytes, as before: the libraries would refuse it or drop its odd characters, so no
/// library sender shares such a secret with us, and existing raw-secret pairs keep working.
pub fn standard_key(secret: &[u8]) -> Result<Vec<u8>> {
    let trimmed = secret.trim_ascii();
    let decoded = match trimmed.strip_prefix(SECRET_PREFIX) {
        Some(encoded) => match SECRET_BASE64.decode(encoded) {
            Ok(key) => key,
            Err(_) => {
                return Err(Error::InvalidArgument(
                    "a whsec_ secret must be followed by valid base64".into(),
                ))
            }
        },
        None => match SECRET_BASE64.decode(trimmed) {
            Ok(key) => key,
            Err(_) => return Ok(secret.to_vec()),
        },
    };
    if decoded.is_empty() {
        return Err(Error::InvalidArgument(
            "a Standard Webhooks secret must not decode to an empty key".into(),
        ));
    }
    Ok(decoded)
}

/// The `webhook-signature` value (`v1,<base64>`) for a message, given the decoded key.
pub fn sign_standard(key: &[u8], id: &[u8], timestamp: &[u8], body: &[u8]) -> String {
    let mac = hmac_sha256(key, &[id, b".", timestamp, b".", body]);
    format!("v1,{}", BASE64.encode(mac))
}

/// Verifies a `webhook-signature` header (given the decoded key): any `v1` entry may match;
/// entries of other versions are skipped.
///
/// Stricter than the libraries in two places, neither of which a library sender produces: the
/// timestamp must be canonical decimal digits (the libraries read it as a float and sign its
/// integer form, so `0<ts>`, `<ts>.0` and `" <ts>"` are signed as `<ts>`; we refuse them rather
/// than sign other text than we received), and every entry must be `<version>,<signature>` (the
/// libraries raise on an empty entry, e.g. a double space, unless a match came first).
pub fn verify_standard(
    key: &[u8],
    id: &[u8],
    timestamp: &[u8],
    body: &[u8],
    header: &[u8],
    tolerance: u64,
    now: i64,
) -> std::result::Result<(), Failure> {
    if header.trim_ascii().is_empty() {
        return Err(Failure::Missing(Part::Signature));
    }
    if id.is_empty() {
        return Err(Failure::Missing(Part::Id));
    }
    check_window(parse_canonical_seconds(timestamp)?, now, tolerance)?;
    let expected = hmac_sha256(key, &[id, b".", timestamp, b".", body]);
    let mut outcome = Err(Failure::Malformed(Part::Signature));
    for entry in header.trim_ascii().split(|b| *b == b' ') {
        let mut fields = entry.splitn(3, |b| *b == b',');
        let (Some(version), Some(signature), None) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(Failure::Malformed(Part::Signature));
        };
        if version != b"v1" {
            continue;
        }
        // Every v1 entry is checked (no early exit), so timing does not tell which one matched.
        match (check_base64(&expected, signature), outcome) {
            (Ok(()), _) => outcome = Ok(()),
            (Err(Failure::Mismatch), Err(Failure::Malformed(_))) => {
                outcome = Err(Failure::Mismatch)
            }
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
        assert_eq!(
            v("v2,abc v1a,zzz"),
            Err(Failure::Malformed(Part::Signature))
        );
        assert_eq!(v("v1,***"), Err(Failure::Malformed(Part::Signature)));
        assert_eq!(v("   "), Err(Failure::Missing(Part::Signature)));
        // An entry that is not `<version>,<signature>` refuses the list, as the libraries raise.
        assert_eq!(
            v(&format!("v1,AAAA  {SIG}")),
            Err(Failure::Malformed(Part::Signature))
        );
        assert_eq!(
            v(&format!("v1 {SIG}")),
            Err(Failure::Malformed(Part::Signature))
        );
        assert_eq!(
            v(&format!("{SIG},x")),
            Err(Failure::Malformed(Part::Signature))
        );
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
    fn only_canonical_timestamps() {
        for ts in [
            &b"01614265330"[..],
            b"1614265330.0",
            b" 1614265330",
            b"+1614265330",
        ] {
            assert_eq!(
                verify_standard(&key(), ID, ts, BODY, SIG.as_bytes(), 300, 1_614_265_330),
                Err(Failure::Malformed(Part::Timestamp)),
                "{ts:?}"
            );
        }
    }

    #[test]
    fn raw_and_bad_secrets() {
        assert_eq!(standard_key(b"my-secret").unwrap(), b"my-secret");
        assert!(standard_key(b"whsec_***").is_err());
        assert!(standard_key(b"whsec_").is_err());
        // Unpadded, padded, prefix-less and with a trailing newline: the same key, as the libraries read it.
        let key = BASE64.decode("Efbdpr4W/twE+p7ljsI3wuXncJw=").unwrap();
        for secret in [
            &b"whsec_Efbdpr4W/twE+p7ljsI3wuXncJw"[..],
            b"whsec_Efbdpr4W/twE+p7ljsI3wuXncJw=",
            b"Efbdpr4W/twE+p7ljsI3wuXncJw",
            b"whsec_Efbdpr4W/twE+p7ljsI3wuXncJw=\n",
            b" whsec_Efbdpr4W/twE+p7ljsI3wuXncJw \r\n",
        ] {
            assert_eq!(standard_key(secret).unwrap(), key, "{secret:?}");
        }
    }
}
