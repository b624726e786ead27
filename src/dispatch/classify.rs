//! What an HTTP answer means for a delivery: success, worth retrying, or final.

use std::time::{Duration, SystemTime};

/// The verdict on one attempt's HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Success,
    /// Worth another attempt later: 408, 425, 429 and 5xx.
    Retryable,
    /// Another attempt would get the same answer: other 3xx/4xx (410 means "stop sending").
    Final,
}

pub fn classify_status(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Success,
        408 | 425 | 429 | 500..=599 => Verdict::Retryable,
        _ => Verdict::Final,
    }
}

/// The error text for a non-success status (no response body: that is in the excerpt).
pub fn status_error(status: u16) -> String {
    match status {
        300..=399 => format!(
            "HTTP {status}: redirect not followed (redirects are off unless max_redirects is set)"
        ),
        410 => "HTTP 410 Gone: the receiver asks for no more deliveries".to_string(),
        429 => "HTTP 429 Too Many Requests".to_string(),
        _ => format!("HTTP {status}"),
    }
}

/// Parses a Retry-After value: delay-seconds, or an HTTP date (relative to `now`; a past date is 0).
/// Junk is `None`, and the delay is capped at a day so nothing downstream overflows.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    const MAX: Duration = Duration::from_secs(86_400);
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO).min(MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(classify_status(200), Verdict::Success);
        assert_eq!(classify_status(204), Verdict::Success);
        for s in [408, 425, 429, 500, 502, 503, 504, 599] {
            assert_eq!(classify_status(s), Verdict::Retryable, "{s}");
        }
        for s in [
            100, 301, 302, 304, 307, 400, 401, 403, 404, 409, 410, 413, 422, 451, 600,
        ] {
            assert_eq!(classify_status(s), Verdict::Final, "{s}");
        }
        assert!(status_error(410).contains("no more deliveries"));
        assert!(status_error(302).contains("redirect"));
    }

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:57 1994", now),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(86_400))
        );
        for junk in [
            "",
            "-1",
            "1.5",
            "soon",
            "12 s",
            "\u{0}",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
        }
    }
}
