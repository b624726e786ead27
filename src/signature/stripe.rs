//! Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>[,v1=…]`.
//! Any `v1` may match (secret rotation); `v0` and unknown keys are ignored.
//!
//! The header is read as Stripe's own verifier reads it: items split on `,` and taken as they are
//! (so `t=…, v1=…`, with a space, has no `v1`), the first `t=` counts, and the timestamp is signed
//! as the number it is (`t=0170…` signs `170…`). Unlike Stripe's past-only check, the window is
//! two-sided: a timestamp far in the future would let a captured request be replayed until then,
//! and Stripe never sends one (clock skew stays within the tolerance).

use super::mac::{matched, verify_hex};
use super::timestamp::{check_window, parse_unix_seconds};
use super::{Failure, Part};

pub fn verify_stripe(
    secret: &[u8],
    body: &[u8],
    header: &[u8],
    tolerance: u64,
    now: i64,
) -> Result<(), Failure> {
    if header.trim_ascii().is_empty() {
        return Err(Failure::Missing(Part::Header));
    }
    let mut timestamp: Option<&[u8]> = None;
    let mut signatures = Vec::new();
    for item in header.split(|b| *b == b',') {
        let (key, value) = match item.iter().position(|b| *b == b'=') {
            Some(at) => (&item[..at], Some(&item[at + 1..])),
            None => (item, None),
        };
        match (key, value) {
            // Stripe's verifier fails on a `t` item without a value.
            (b"t", None) if timestamp.is_none() => return Err(Failure::Malformed(Part::Timestamp)),
            (b"t", Some(t)) if timestamp.is_none() => timestamp = Some(t),
            (b"v1", Some(v1)) => signatures.push(v1),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(Failure::Malformed(Part::Timestamp))?;
    if signatures.is_empty() {
        return Err(Failure::Malformed(Part::Signature));
    }
    let seconds = parse_unix_seconds(timestamp)?;
    check_window(seconds, now, tolerance)?;
    let mut digits = itoa::Buffer::new();
    let signed = digits.format(seconds).as_bytes();
    // Every candidate is checked, so timing does not tell which one matched.
    let any = signatures.iter().fold(false, |any, sig| {
        verify_hex(secret, &[signed, b".", body], sig) | any
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
        // As Stripe's verifier: a space after the comma hides the v1; leading zeros sign the
        // number; the first t= counts.
        assert_eq!(
            v(format!("t=1700000000, v1={sig}"), 1_700_000_000),
            Err(Failure::Malformed(Part::Signature))
        );
        assert_eq!(v(format!("t=01700000000,v1={sig}"), 1_700_000_000), Ok(()));
        assert_eq!(
            v(format!("t=1700000000,t=1700000001,v1={sig}"), 1_700_000_000),
            Ok(())
        );
        assert_eq!(
            v(format!("t=1700000001,t=1700000000,v1={sig}"), 1_700_000_000),
            Err(Failure::Mismatch)
        );
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
            Err(Failure::Malformed(Part::Timestamp))
        );
        assert_eq!(
            v("t=1700000000,v0=abc".into(), 1_700_000_000),
            Err(Failure::Malformed(Part::Signature))
        );
        assert_eq!(
            v(format!("t=soon,v1={sig}"), 1_700_000_000),
            Err(Failure::Malformed(Part::Timestamp))
        );
        assert_eq!(
            v(String::new(), 1_700_000_000),
            Err(Failure::Missing(Part::Header))
        );
    }
}
