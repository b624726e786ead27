//! Chatwoot's own outgoing-webhook signature, as Chatwoot's receivers verify it: headers
//! `X-Chatwoot-Timestamp: <unix seconds>` and
//! `X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret, "#{timestamp}.#{body}")>`.

use super::mac::hmac_sha256_hex;
use super::timestamp::verify_timestamped_hex;
use super::Failure;

const PREFIX: &[u8] = b"sha256=";

/// The parts whose concatenation Chatwoot signs: `"#{timestamp}.#{body}"`.
pub fn signed_content<'a>(timestamp: &'a [u8], body: &'a [u8]) -> [&'a [u8]; 3] {
    [timestamp, b".", body]
}

/// The `X-Chatwoot-Signature` value for this timestamp and body.
pub fn sign_chatwoot(secret: &[u8], timestamp: &[u8], body: &[u8]) -> String {
    [
        "sha256=",
        &hmac_sha256_hex(secret, &signed_content(timestamp, body)),
    ]
    .concat()
}

/// Verifies an `X-Chatwoot-Signature` header: the timestamp must be digits within `tolerance`
/// seconds of `now`, and the signature `sha256=` followed by the lower-case hex HMAC.
pub fn verify_chatwoot(
    secret: &[u8],
    timestamp: &[u8],
    body: &[u8],
    signature: &[u8],
    tolerance: u64,
    now: i64,
) -> Result<(), Failure> {
    verify_timestamped_hex(
        secret,
        PREFIX,
        timestamp,
        signature,
        &signed_content(timestamp, body),
        tolerance,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Part;

    #[test]
    fn round_trip() {
        let sig = sign_chatwoot(b"secret", b"1700000000", b"{\"a\":1}");
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert_eq!(
            verify_chatwoot(
                b"secret",
                b"1700000000",
                b"{\"a\":1}",
                sig.as_bytes(),
                300,
                1_700_000_100
            ),
            Ok(())
        );
    }

    #[test]
    fn reasons() {
        let sig = sign_chatwoot(b"secret", b"1700000000", b"body");
        let v = |secret: &[u8], ts: &[u8], body: &[u8], sig: &[u8], now| {
            verify_chatwoot(secret, ts, body, sig, 300, now)
        };
        assert_eq!(
            v(
                b"secret",
                b"1700000000",
                b"body",
                sig.as_bytes(),
                1_700_000_301
            ),
            Err(Failure::Expired)
        );
        assert_eq!(
            v(
                b"secret",
                b"1700000000",
                b"body",
                sig.as_bytes(),
                1_699_999_699
            ),
            Err(Failure::Expired)
        );
        assert_eq!(
            v(
                b"secret",
                b"1700000000",
                b"tampered",
                sig.as_bytes(),
                1_700_000_000
            ),
            Err(Failure::Mismatch)
        );
        assert_eq!(
            v(
                b"wrong",
                b"1700000000",
                b"body",
                sig.as_bytes(),
                1_700_000_000
            ),
            Err(Failure::Mismatch)
        );
        assert_eq!(
            v(
                b"secret",
                b"1700000000",
                b"body",
                &sig.as_bytes()[7..],
                1_700_000_000
            ),
            Err(Failure::Malformed(Part::Signature))
        );
        assert_eq!(
            v(b"secret", b"1700000000", b"body", b"", 1_700_000_000),
            Err(Failure::Missing(Part::Signature))
        );
        assert_eq!(
            v(b"secret", b"", b"body", sig.as_bytes(), 1_700_000_000),
            Err(Failure::Missing(Part::Timestamp))
        );
        assert_eq!(
            v(b"secret", b"17e8", b"body", sig.as_bytes(), 1_700_000_000),
            Err(Failure::Malformed(Part::Timestamp))
        );
        assert_eq!(
            v(b"secret", b"1700000000", b"body", b"sha256=", 1_700_000_000),
            Err(Failure::Mismatch)
        );
    }

    #[test]
    fn the_timestamp_is_signed_not_just_the_body() {
        // The most common receiver bug: hashing the body alone. That signature must not verify.
        let body_only = format!("sha256={}", hmac_sha256_hex(b"secret", &[b"body"]));
        assert_eq!(
            verify_chatwoot(
                b"secret",
                b"1700000000",
                b"body",
                body_only.as_bytes(),
                300,
                1_700_000_000
            ),
            Err(Failure::Mismatch)
        );
    }
}
