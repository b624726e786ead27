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

/// Whether a numeric setting takes whole numbers or seconds (a fraction allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Integer,
    Seconds,
}

/// A numeric setting of `Integrations::Native.configure`: its name, default and accepted range.
/// The one place these are written; the Ruby face reads the defaults from here (through the
/// extension) and leaves every range check to [`Limit::check`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub name: &'static str,
    pub unit: Unit,
    pub default: f64,
    pub min: f64,
    pub max: f64,
}

impl Limit {
    /// `value` when it is within range (and whole, for an integer setting); otherwise a
    /// `Configuration` error naming the setting. NaN is out of every range.
    pub fn check(&self, value: f64) -> Result<f64> {
        let whole = value.fract() == 0.0;
        if value >= self.min && value <= self.max && (self.unit == Unit::Seconds || whole) {
            return Ok(value);
        }
        // 2**53 and beyond only arrive as an Integer far out of range: named by size, not digits.
        let got = if whole && value.abs() < 9.0e15 {
            format!("{}", value as i64)
        } else if whole {
            "an Integer beyond 2**53".to_owned()
        } else {
            format!("{value}")
        };
        Err(Error::Configuration(match self.unit {
            Unit::Integer => format!(
                "{} must be an Integer from {} to {}, got {got}",
                self.name, self.min, self.max
            ),
            Unit::Seconds => format!(
                "{} must be a number from {} to {} (seconds), got {got}",
                self.name, self.min, self.max
            ),
        }))
    }
}

const fn limit(name: &'static str, unit: Unit, default: f64, min: f64, max: f64) -> Limit {
    Limit {
        name,
        unit,
        default,
        min,
        max,
    }
}

/// Per-request timeout: Chatwoot's WEBHOOK_TIMEOUT default is 5 s.
pub const TIMEOUT: Limit = limit("timeout", Unit::Seconds, 5.0, 0.001, 600.0);
pub const MAX_CONCURRENCY: Limit = limit("max_concurrency", Unit::Integer, 64.0, 1.0, 10_000.0);
pub const INLINE_RETRIES: Limit = limit("inline_retries", Unit::Integer, 1.0, 0.0, 5.0);
pub const RETRY_AFTER_CAP: Limit = limit("retry_after_cap", Unit::Seconds, 5.0, 0.0, 3600.0);
pub const MAX_REDIRECTS: Limit = limit("max_redirects", Unit::Integer, 0.0, 0.0, 20.0);
pub const MAX_RESPONSE_BYTES: Limit = limit(
    "max_response_bytes",
    Unit::Integer,
    64.0 * 1024.0,
    0.0,
    64.0 * 1024.0 * 1024.0,
);
/// Attempts of a durable delivery (WebhookJob, DeliveryJob): the jobs run in Ruby, the range is
/// kept here with the others.
pub const MAX_ATTEMPTS: Limit = limit("max_attempts", Unit::Integer, 5.0, 1.0, 100.0);

/// A timeout given for one call (`dispatch(timeout:)`): above zero and within [`TIMEOUT`]'s range.
/// An `InvalidArgument` (the caller's argument, not a setting) otherwise.
pub fn call_timeout(seconds: f64) -> Result<Duration> {
    if seconds > 0.0 && seconds <= TIMEOUT.max {
        return Ok(Duration::from_secs_f64(seconds));
    }
    Err(Error::InvalidArgument(format!(
        "timeout must be a number above 0 and at most {} (seconds), got {seconds}",
        TIMEOUT.max
    )))
}

/// Every numeric setting, in the order `configure` documents them.
pub const LIMITS: [Limit; 7] = [
    TIMEOUT,
    MAX_CONCURRENCY,
    INLINE_RETRIES,
    RETRY_AFTER_CAP,
    MAX_REDIRECTS,
    MAX_RESPONSE_BYTES,
    MAX_ATTEMPTS,
];

/// The longest `allowed_private_hosts` / `allowed_private_cidrs` entry, in bytes.
pub const MAX_ENTRY_BYTES: usize = 1024;

/// The delivery settings as an operator gives them to `Integrations::Native.configure`, before
/// any check: numbers as numbers (the Ruby face has checked their types), lists as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub timeout: f64,
    pub max_concurrency: f64,
    pub inline_retries: f64,
    pub retry_after_cap: f64,
    pub max_redirects: f64,
    pub max_response_bytes: f64,
    pub max_attempts: f64,
    pub redirect_keeps_headers: bool,
    pub allow_private_addresses: bool,
    pub allowed_private_hosts: Vec<String>,
    pub allowed_private_cidrs: Vec<String>,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            timeout: Duration::from_secs_f64(TIMEOUT.default),
            max_concurrency: MAX_CONCURRENCY.default as usize,
            inline_retries: INLINE_RETRIES.default as u32,
            retry_after_cap: Duration::from_secs_f64(RETRY_AFTER_CAP.default),
            max_redirects: MAX_REDIRECTS.default as usize,
            redirect_keeps_headers: false,
            max_response_bytes: MAX_RESPONSE_BYTES.default as usize,
            guard: GuardPolicy::default(),
            user_agent: format!("chatwoot_integrations_rs/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl DispatchConfig {
    /// The configuration `settings` describe, every value checked against its [`Limit`]: any
    /// defect is a `Configuration` error naming the setting (and the entry, for the lists).
    pub fn from_settings(settings: &Settings) -> Result<DispatchConfig> {
        for (name, entries) in [
            ("allowed_private_hosts", &settings.allowed_private_hosts),
            ("allowed_private_cidrs", &settings.allowed_private_cidrs),
        ] {
            if entries.iter().any(|e| e.len() > MAX_ENTRY_BYTES) {
                return Err(Error::Configuration(format!(
                    "{name} entries must be at most {MAX_ENTRY_BYTES} bytes"
                )));
            }
        }
        MAX_ATTEMPTS.check(settings.max_attempts)?;
        let guard = GuardPolicy::from_settings(
            settings.allow_private_addresses,
            &settings.allowed_private_hosts,
            &settings.allowed_private_cidrs,
        )
        // The guard names the entry it cannot parse; here, that is a setting that cannot work.
        .map_err(|e| match e {
            Error::InvalidArgument(message) => Error::Configuration(message),
            other => other,
        })?;
        let config = DispatchConfig {
            timeout: Duration::from_secs_f64(TIMEOUT.check(settings.timeout)?),
            max_concurrency: MAX_CONCURRENCY.check(settings.max_concurrency)? as usize,
            inline_retries: INLINE_RETRIES.check(settings.inline_retries)? as u32,
            retry_after_cap: Duration::from_secs_f64(
                RETRY_AFTER_CAP.check(settings.retry_after_cap)?,
            ),
            max_redirects: MAX_REDIRECTS.check(settings.max_redirects)? as usize,
            redirect_keeps_headers: settings.redirect_keeps_headers,
            max_response_bytes: MAX_RESPONSE_BYTES.check(settings.max_response_bytes)? as usize,
            guard,
            ..DispatchConfig::default()
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks the values against their [`Limit`]s, naming the one that is wrong (for a config
    /// built in Rust rather than from [`Settings`]).
    pub fn validate(&self) -> Result<()> {
        TIMEOUT.check(self.timeout.as_secs_f64())?;
        MAX_CONCURRENCY.check(self.max_concurrency as f64)?;
        INLINE_RETRIES.check(f64::from(self.inline_retries))?;
        RETRY_AFTER_CAP.check(self.retry_after_cap.as_secs_f64())?;
        MAX_REDIRECTS.check(self.max_redirects as f64)?;
        MAX_RESPONSE_BYTES.check(self.max_response_bytes as f64)?;
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

    fn settings() -> Settings {
        Settings {
            timeout: TIMEOUT.default,
            max_concurrency: MAX_CONCURRENCY.default,
            inline_retries: INLINE_RETRIES.default,
            retry_after_cap: RETRY_AFTER_CAP.default,
            max_redirects: MAX_REDIRECTS.default,
            max_response_bytes: MAX_RESPONSE_BYTES.default,
            max_attempts: MAX_ATTEMPTS.default,
            redirect_keeps_headers: false,
            allow_private_addresses: false,
            allowed_private_hosts: vec![],
            allowed_private_cidrs: vec![],
        }
    }

    #[test]
    fn a_call_timeout_is_above_zero_and_within_the_setting_range() {
        assert_eq!(call_timeout(0.5).unwrap(), Duration::from_millis(500));
        assert_eq!(call_timeout(600.0).unwrap(), Duration::from_secs(600));
        for bad in [0.0, -1.0, 600.001, f64::NAN, f64::INFINITY] {
            match call_timeout(bad) {
                Err(Error::InvalidArgument(message)) => {
                    assert!(message.starts_with("timeout must be"))
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_defaults_of_the_limits_are_the_default_config() {
        assert_eq!(
            DispatchConfig::from_settings(&settings()).unwrap(),
            DispatchConfig::default()
        );
        for limit in LIMITS {
            assert!(limit.check(limit.default).is_ok(), "{}", limit.name);
        }
    }

    #[test]
    fn every_defect_is_a_configuration_error_naming_the_setting() {
        let cases: Vec<(Settings, &str)> = vec![
            (
                Settings {
                    timeout: 0.0,
                    ..settings()
                },
                "timeout",
            ),
            (
                Settings {
                    timeout: f64::NAN,
                    ..settings()
                },
                "timeout",
            ),
            (
                Settings {
                    timeout: 600.5,
                    ..settings()
                },
                "timeout",
            ),
            (
                Settings {
                    max_concurrency: 10_001.0,
                    ..settings()
                },
                "max_concurrency",
            ),
            (
                Settings {
                    max_concurrency: 2f64.powi(70),
                    ..settings()
                },
                "max_concurrency",
            ),
            (
                Settings {
                    inline_retries: 1.5,
                    ..settings()
                },
                "inline_retries",
            ),
            (
                Settings {
                    retry_after_cap: -1.0,
                    ..settings()
                },
                "retry_after_cap",
            ),
            (
                Settings {
                    max_redirects: 21.0,
                    ..settings()
                },
                "max_redirects",
            ),
            (
                Settings {
                    max_response_bytes: 1e9,
                    ..settings()
                },
                "max_response_bytes",
            ),
            (
                Settings {
                    max_attempts: 0.0,
                    ..settings()
                },
                "max_attempts",
            ),
            (
                Settings {
                    allowed_private_cidrs: vec!["10.0.0.0/99".into()],
                    ..settings()
                },
                "CIDR",
            ),
            (
                Settings {
                    allowed_private_hosts: vec!["a b".into()],
                    ..settings()
                },
                "allowed_private_hosts",
            ),
            (
                Settings {
                    allowed_private_hosts: vec!["h".repeat(1025)],
                    ..settings()
                },
                "1024 bytes",
            ),
        ];
        for (s, named) in cases {
            match DispatchConfig::from_settings(&s) {
                Err(Error::Configuration(message)) => assert!(message.contains(named), "{message}"),
                other => panic!("{named}: {other:?}"),
            }
        }
        let e = MAX_CONCURRENCY
            .check(2f64.powi(70))
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("got an Integer beyond 2**53"), "{e}");
    }
}
