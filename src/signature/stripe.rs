//! Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>[,v1=…]`.
//! Any `v1` may match (secret rotation); `v0` and unknown keys are ignored.

use super::mac::{matched, verify_hex};
use super::timestamp::{check_window, parse_unix_seconds};
use super::Failure;

pub fn verify_stripe(
    secret: &[u8],
    body: &[u8],
    header: &[u8],
    tolerance: u64,
    now: i64,
) -> Result<(), Failure> {
    let header = header.trim_ascii();
    if header.is_empty() {
        return Err(Failure::Missing);
    }
    let mut timestamp: Option<&[u8]> = None;
    let mut signatures = Vec::new();
    for item in header.split(|b| *b == b',') {
        let item = item.trim_ascii();
        if let Some(t) = item.strip_prefix(b"t=") {
            timestamp = Some(t);
        } else if let Some(v1) = item.strip_prefix(b"v1=") {
            signatures.push(v1);
        }
    }
    let timestamp = timestamp.ok_or(Failure::Malformed)?;
    if signatures.is_empty() {
        return Err(Failure::Malformed);
    }
    check_window(parse_unix_seconds(timestamp)?, now, tolerance)?;
    // Every candidate is checked, so timing does not tell which one matched.
    let any = signatures.iter().fold(false, |any, sig| {
        verify_hex(secret, &[timestamp, b".", body], sig) | any
    });
    matched(any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::hmac_sha256_hex;

    #[test]
    fn header_forms() {
        let sig = hmac_sha256_hex(b"whsec_test", &[b"1700000000.{\"id\":\"evt_1\"}"]);
        let body = b"{\"id\":\"evt_1\"}";
        let v = |h: String, now| verify_stripe(b"whsec_test", body, h.as_bytes(), 300, now);
        assert_eq!(v(format!("t=1700000000,v1={sig}"), 1_700_000_000), Ok(()));
        assert_eq!(
            v(
                format!("t=1700000000,v1=deadbeef,v1={sig},v0=abc"),
                1_700_000_000
            ),
            Ok(())
        );
        assert_eq!(v(format!("t=1700000000, v1={sig}"), 1_700_000_000), Ok(()));
        assert_eq!(
            v("t=1700000000,v1=deadbeef".into(), 1_700_000_000),
            Err(Failure::Mismatch)
        );
        assert_eq!(
            v(format!("t=1700000000,v1={sig}"), 1_700_000_301),
            Err(Failure::Expired)
        );
        assert_eq!(
            v(format!("v1={sig}"), 1_700_000_000),
            Err(Failure::Malformed)
        );
        assert_eq!(
            v("t=1700000000,v0=abc".into(), 1_700_000_000),
            Err(Failure::Malformed)
        );
        assert_eq!(
            v(format!("t=soon,v1={sig}"), 1_700_000_000),
            Err(Failure::Malformed)
        );
        assert_eq!(v(String::new(), 1_700_000_000), Err(Failure::Missing));
    }
}
