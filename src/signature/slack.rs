//! Slack request signing: `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:ts:body")>`
//! with `X-Slack-Request-Timestamp`, within a 5 minute window.

use super::timestamp::verify_timestamped_hex;
use super::Failure;

pub fn verify_slack(
    secret: &[u8],
    timestamp: &[u8],
    body: &[u8],
    signature: &[u8],
    tolerance: u64,
    now: i64,
) -> Result<(), Failure> {
    verify_timestamped_hex(
        secret,
        b"v0=",
        timestamp,
        signature,
        &[b"v0:", timestamp, b":", body],
        tolerance,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Part;

    // Slack's own example, from "Verifying requests from Slack".
    const SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";
    const TS: &[u8] = b"1531420618";
    const BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIG: &[u8] = b"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn slacks_documented_example() {
        assert_eq!(
            verify_slack(SECRET, TS, BODY, SIG, 300, 1_531_420_618),
            Ok(())
        );
        assert_eq!(
            verify_slack(SECRET, TS, BODY, SIG, 300, 1_531_420_918),
            Ok(())
        );
        assert_eq!(
            verify_slack(SECRET, TS, BODY, SIG, 300, 1_531_420_919),
            Err(Failure::Expired)
        );
        assert_eq!(
            verify_slack(SECRET, TS, BODY, SIG, 300, 1_531_420_317),
            Err(Failure::Expired)
        );
        assert_eq!(
            verify_slack(SECRET, TS, &BODY[1..], SIG, 300, 1_531_420_618),
            Err(Failure::Mismatch)
        );
        assert_eq!(
            verify_slack(SECRET, TS, BODY, &SIG[3..], 300, 1_531_420_618),
            Err(Failure::Malformed(Part::Signature))
        );
        assert_eq!(
            verify_slack(SECRET, b"", BODY, SIG, 300, 1_531_420_618),
            Err(Failure::Missing(Part::Timestamp))
        );
    }
}
