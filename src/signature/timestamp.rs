//! Timestamp windows: a signed request is only good within `tolerance` seconds of now, in both
//! directions, so a captured request cannot be replayed later (or pre-dated).

use super::mac::{matched, verify_hex};
use super::{Failure, Part};

/// Parses a Unix timestamp in seconds as the headers carry it: ASCII digits only, no sign,
/// no spaces, at most 12 digits (year 33658) so no arithmetic below can overflow.
pub fn parse_unix_seconds(text: &[u8]) -> Result<i64, Failure> {
    if text.is_empty() {
        return Err(Failure::Missing(Part::Timestamp));
    }
    if text.len() > 12 || !text.iter().all(u8::is_ascii_digit) {
        return Err(Failure::Malformed(Part::Timestamp));
    }
    Ok(text.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
}

/// A timestamp in its one canonical spelling: digits without a leading zero. For schemes whose
/// libraries sign the number rather than the text (Standard Webhooks), so any other spelling would
/// have us sign other bytes than the sender did.
pub fn parse_canonical_seconds(text: &[u8]) -> Result<i64, Failure> {
    let seconds = parse_unix_seconds(text)?;
    if text.len() > 1 && text[0] == b'0' {
        return Err(Failure::Malformed(Part::Timestamp));
    }
    Ok(seconds)
}

/// `Ok` when `timestamp` lies within `tolerance` seconds of `now`, before or after.
pub fn check_window(timestamp: i64, now: i64, tolerance: u64) -> Result<(), Failure> {
    let distance = timestamp.abs_diff(now);
    if distance > tolerance {
        Err(Failure::Expired)
    } else {
        Ok(())
    }
}

/// The shape Chatwoot's and Slack's headers share: a signature `<prefix><lower-case hex HMAC-SHA256
/// of parts>` and a Unix timestamp that must lie within `tolerance` seconds of `now`.
pub fn verify_timestamped_hex(
    secret: &[u8],
    prefix: &[u8],
    timestamp: &[u8],
    signature: &[u8],
    parts: &[&[u8]],
    tolerance: u64,
    now: i64,
) -> Result<(), Failure> {
    if signature.is_empty() {
        return Err(Failure::Missing(Part::Signature));
    }
    let hex = signature
        .strip_prefix(prefix)
        .ok_or(Failure::Malformed(Part::Signature))?;
    check_window(parse_unix_seconds(timestamp)?, now, tolerance)?;
    matched(verify_hex(secret, parts, hex))
}

/// Seconds since the Unix epoch on this machine's clock.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_digits_only() {
        assert_eq!(parse_unix_seconds(b"1700000000"), Ok(1_700_000_000));
        assert_eq!(parse_unix_seconds(b"0"), Ok(0));
        assert_eq!(
            parse_unix_seconds(b""),
            Err(Failure::Missing(Part::Timestamp))
        );
        for junk in [
            &b"-1"[..],
            b"+1",
            b" 1",
            b"1 ",
            b"1.5",
            b"abc",
            b"1e9",
            b"9999999999999",
            "١٢".as_bytes(),
        ] {
            assert_eq!(
                parse_unix_seconds(junk),
                Err(Failure::Malformed(Part::Timestamp)),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn canonical_refuses_leading_zeros() {
        assert_eq!(parse_canonical_seconds(b"0"), Ok(0));
        assert_eq!(parse_canonical_seconds(b"10"), Ok(10));
        assert_eq!(
            parse_canonical_seconds(b"010"),
            Err(Failure::Malformed(Part::Timestamp))
        );
        assert_eq!(
            parse_canonical_seconds(b""),
            Err(Failure::Missing(Part::Timestamp))
        );
    }

    #[test]
    fn window_is_symmetric_and_inclusive() {
        assert_eq!(check_window(1000, 1300, 300), Ok(()));
        assert_eq!(check_window(1300, 1000, 300), Ok(()));
        assert_eq!(check_window(1000, 1301, 300), Err(Failure::Expired));
        assert_eq!(check_window(1301, 1000, 300), Err(Failure::Expired));
        assert_eq!(check_window(0, i64::MAX, 300), Err(Failure::Expired));
        assert_eq!(check_window(i64::MIN, i64::MAX, u64::MAX), Ok(()));
    }
}
