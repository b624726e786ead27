//! Process-wide delivery settings (`Integrations::Native.configure`).

use std::time::Duration;

use super::guard::GuardPolicy;
use crate::{Error, Result};

/// Settings shared by every delivery in the process. Changing them builds a new HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchConfig {
    /// Per-request timeout, connect to last body byte (Chatwoot's WEBHOOK_TIMEOUT default is 5 s).
    pub timeout: Duration,
    /// Requests in flight at once in this process, across all dispatches.
    pub max_concurrency: usize,
    /// Quick in-process retries for connection failures (and Retry-After up to `retry_after_cap`).
    pub inline_retries: u32,
    /// The longest Retry-After honoured in process; anything longer is left to Sidekiq.
    pub retry_after_cap: Duration,
    /// Redirects are a final failure unless this is above zero; every hop passes the guard.
    pub max_redirects: usize,
    /// Whether a redirect to another origin (scheme, host or port) keeps the caller's own headers
    /// (`X-Api-Key`, `Authorization`, `Cookie`, …). Off: such a hop carries only the headers the
    /// gem sets (Content-Type, User-Agent, Accept and the scheme's signing headers).
    pub redirect_keeps_headers: bool,
    /// Bytes of a response kept in `response_excerpt`; the rest is never buffered.
    pub max_response_bytes: usize,
    /// The address guard (SSRF protection).
    pub guard: GuardPolicy,
    pub user_agent: String,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            timeout: Duration::from_secs(5),
            max_concurrency: 64,
            inline_retries: 1,
            retry_after_cap: Duration::from_secs(5),
            max_redirects: 0,
            redirect_keeps_headers: false,
            max_response_bytes: 64 * 1024,
            guard: GuardPolicy::default(),
            user_agent: format!("chatwoot_integrations_rs/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl DispatchConfig {
    /// Checks the values an operator sets, naming the one that is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.timeout.is_zero() || self.timeout > Duration::from_secs(600) {
            return Err(Error::InvalidArgument(
                "timeout must be above 0 and at most 600 seconds".into(),
            ));
        }
        if self.max_concurrency == 0 || self.max_concurrency > 10_000 {
            return Err(Error::InvalidArgument(
                "max_concurrency must be between 1 and 10000".into(),
            ));
        }
        if self.inline_retries > 5 {
            return Err(Error::InvalidArgument(
                "inline_retries must be between 0 and 5".into(),
            ));
        }
        if self.max_redirects > 20 {
            return Err(Error::InvalidArgument(
                "max_redirects must be between 0 and 20".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_chatwoot() {
        let c = DispatchConfig::default();
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(c.max_concurrency, 64);
        assert!(!c.guard.allow_private);
        assert!(!c.redirect_keeps_headers);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn validation_names_the_setting() {
        let c = DispatchConfig {
            max_concurrency: 0,
            ..Default::default()
        };
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("max_concurrency"));
        let c = DispatchConfig {
            timeout: Duration::ZERO,
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("timeout"));
    }
}
