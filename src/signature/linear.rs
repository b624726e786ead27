//! Linear: `Linear-Signature: <hex HMAC-SHA256(secret, raw body)>`, and the body's
//! `webhookTimestamp` (milliseconds) must be within the tolerance (60 s by default).

use super::mac::{matched, verify_hex};
use super::timestamp::check_window;
use super::{Failure, Part};

pub fn verify_linear(
    secret: &[u8],
    body: &[u8],
    signature: &[u8],
    tolerance: u64,
    now: i64,
) -> Result<(), Failure> {
    let signature = signature.trim_ascii();
    if signature.is_empty() {
        return Err(Failure::Missing(Part::Signature));
    }
    matched(verify_hex(secret, &[body], signature))?;
    #[derive(serde::Deserialize)]
    struct Stamp {
        #[serde(rename = "webhookTimestamp")]
        webhook_timestamp: Option<serde_json::Number>,
    }
    let stamp: Stamp = serde_json::from_slice(body).map_err(|_| Failure::Malformed(Part::Body))?;
    let millis = stamp
        .webhook_timestamp
        .and_then(|n| n.as_i64())
        .ok_or(Failure::Malformed(Part::Timestamp))?;
    check_window(millis.div_euclid(1000), now, tolerance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::hmac_sha256_hex;

    #[test]
    fn signature_then_timestamp() {
        let body = br#"{"action":"create","type":"Issue","webhookTimestamp":1700000000123}"#;
        let sig = hmac_sha256_hex(b"lin_wh_secret", &[body]);
        let v = |b: &[u8], s: &[u8], now| verify_linear(b"lin_wh_secret", b, s, 60, now);
        assert_eq!(v(body, sig.as_bytes(), 1_700_000_030), Ok(()));
        assert_eq!(
            v(body, sig.as_bytes(), 1_700_000_061),
            Err(Failure::Expired)
        );
        assert_eq!(v(body, b"00", 1_700_000_000), Err(Failure::Mismatch));
        assert_eq!(
            v(body, b"", 1_700_000_000),
            Err(Failure::Missing(Part::Signature))
        );
        let no_stamp = br#"{"action":"create"}"#;
        assert_eq!(
            v(
                no_stamp,
                hmac_sha256_hex(b"lin_wh_secret", &[no_stamp]).as_bytes(),
                0
            ),
            Err(Failure::Malformed(Part::Timestamp))
        );
        let not_json = b"nope";
        assert_eq!(
            v(
                not_json,
                hmac_sha256_hex(b"lin_wh_secret", &[not_json]).as_bytes(),
                0
            ),
            Err(Failure::Malformed(Part::Body))
        );
    }
}
