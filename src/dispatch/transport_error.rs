//! Why a request got no HTTP answer: one error type for webhook deliveries and provider calls
//! alike, with a kind and predicates (as reqwest's `Error` has), so each caller decides what a
//! failure means from the kind instead of from flags set in several places.

use std::fmt;

use super::guard::Refusal;

/// What went wrong, coarsely: enough to decide whether and when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The address guard refused the host (see [`TransportError::attempted`]).
    Guard,
    /// The request could not be made from what was given (a URL that is no request target, a
    /// token that is no header value): trying again cannot help.
    Invalid,
    /// A redirect the transport does not follow (no http(s) Location, too many hops).
    Redirect,
    /// No connection could be made (refused, unreachable, TLS handshake failed).
    Connect,
    /// The connection broke during the request or before the answer's head.
    Request,
    /// The answer's head did not arrive within the timeout.
    Timeout,
    /// The engine is being rebuilt or dropped; the same request on the next one may work.
    ShuttingDown,
}

/// A request that got no HTTP answer. The message says what happened and never holds the URL
/// (it may carry a token) or a header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    kind: ErrorKind,
    message: String,
    attempted: bool,
}

impl TransportError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
            attempted: true,
        }
    }

    /// The guard's refusal. `before_first_request`: the guard refused the first request's host
    /// (an address literal) before any connection was tried, so there was no attempt to count.
    pub(crate) fn refused(refusal: &Refusal, before_first_request: bool) -> Self {
        TransportError {
            attempted: !before_first_request,
            ..TransportError::new(ErrorKind::Guard, refusal.to_string())
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What happened, for a result's `error` or a log line.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn is_refused_by_guard(&self) -> bool {
        self.kind == ErrorKind::Guard
    }

    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    pub fn is_connect(&self) -> bool {
        self.kind == ErrorKind::Connect
    }

    pub fn is_redirect(&self) -> bool {
        self.kind == ErrorKind::Redirect
    }

    pub fn is_invalid(&self) -> bool {
        self.kind == ErrorKind::Invalid
    }

    /// A later try may work: the network or the receiver failed, not the request itself.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connect | ErrorKind::Request | ErrorKind::Timeout | ErrorKind::ShuttingDown
        )
    }

    /// Worth one more try at once: the connection was never made (a restarting receiver, a
    /// pooled connection the server had just closed).
    pub fn is_quick_retry(&self) -> bool {
        self.kind == ErrorKind::Connect
    }

    /// Whether the request got as far as trying a connection; `false` only when the guard refused
    /// the first request's address literal before any, which no attempt count should include.
    pub fn attempted(&self) -> bool {
        self.attempted
    }

    /// [`Self::is_retryable`], under the name provider code reads.
    pub fn retryable(&self) -> bool {
        self.is_retryable()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_decide_retrying() {
        let retryable = [
            ErrorKind::Connect,
            ErrorKind::Request,
            ErrorKind::Timeout,
            ErrorKind::ShuttingDown,
        ];
        for kind in retryable {
            assert!(TransportError::new(kind, "x").is_retryable(), "{kind:?}");
        }
        for kind in [ErrorKind::Guard, ErrorKind::Invalid, ErrorKind::Redirect] {
            let error = TransportError::new(kind, "x");
            assert!(!error.is_retryable() && !error.retryable(), "{kind:?}");
        }
        let connect = TransportError::new(ErrorKind::Connect, "connection failed: refused");
        assert!(connect.is_connect() && connect.is_quick_retry() && connect.attempted());
        assert!(!TransportError::new(ErrorKind::Timeout, "t").is_quick_retry());
        assert_eq!(connect.message(), "connection failed: refused");
        assert_eq!(connect.to_string(), "connection failed: refused");
    }
}
