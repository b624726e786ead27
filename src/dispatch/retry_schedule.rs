//! When a durable job tries a failed endpoint again, and what counts as an endpoint in trouble.
//!
//! The durable jobs (lib/integrations/native/durable_delivery.rb) re-enqueue a retryable failure for
//! that endpoint alone; the delay comes from here, so the rule is written once:
//!
//! - the schedule is a list of steps, one per retry: step `n` is the wait after attempt `n` failed,
//!   and the job gives up after `steps + 1` attempts. The default is Svix's, about 28 hours in all,
//!   so a receiver down for most of a day still gets every event;
//! - each step is spread by ±20% ([`JITTER`]), so endpoints that failed together (a receiver's
//!   outage) do not all come back in one synchronized wave;
//! - a receiver's `Retry-After` is honoured, but never shorter than the (jittered) step, so a
//!   receiver cannot pull retries forward, and never longer than `retry_after_max`, so it cannot
//!   park them for ever.
//!
//! The health thresholds (when an endpoint is "failing", when it is "disabled") are defaults for
//! the Redis bookkeeping the jobs do; they live here with the schedule they are measured against.

use std::time::Duration;

use crate::{Error, Result};

/// The default steps, in seconds: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (Svix's schedule).
pub const DEFAULT_STEPS: [u64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// Each step is multiplied by a factor drawn uniformly from `1 ± JITTER`.
pub const JITTER: f64 = 0.2;

/// The default longest wait a receiver's `Retry-After` can ask for: a day.
pub const DEFAULT_RETRY_AFTER_MAX: Duration = Duration::from_secs(86_400);

/// Consecutive failures after which an endpoint is reported failing (Svix's "attempt exhausted"
/// notice comes after 4).
pub const DEFAULT_FAILING_AFTER: u32 = 4;

/// How long an endpoint may fail with no success before it is reported disabled (Svix: 5 days).
pub const DEFAULT_DISABLE_AFTER: Duration = Duration::from_secs(5 * 86_400);

/// Limits on what an operator can configure: a schedule is a list of retries, not a loop.
pub const MAX_STEPS: usize = 100;
pub const MAX_STEP: Duration = Duration::from_secs(7 * 86_400);

/// A validated retry schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySchedule {
    steps: Vec<Duration>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule {
            steps: DEFAULT_STEPS
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect(),
        }
    }
}

impl RetrySchedule {
    /// A schedule of `steps` (seconds): 1 to [`MAX_STEPS`] finite numbers, each above 0 and at
    /// most [`MAX_STEP`].
    pub fn new(steps: &[f64]) -> Result<RetrySchedule> {
        if steps.is_empty() || steps.len() > MAX_STEPS {
            return Err(Error::Configuration(format!(
                "retry_schedule must have 1 to {MAX_STEPS} steps, got {}",
                steps.len()
            )));
        }
        let steps = steps
            .iter()
            .enumerate()
            .map(|(index, step)| match Duration::try_from_secs_f64(*step) {
                Ok(step) if !step.is_zero() && step <= MAX_STEP => Ok(step),
                _ => Err(Error::Configuration(format!(
                    "retry_schedule step {} must be above 0 and at most {} seconds",
                    index + 1,
                    MAX_STEP.as_secs()
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RetrySchedule { steps })
    }

    pub fn steps(&self) -> &[Duration] {
        &self.steps
    }

    /// Attempts in all: the first and one per step.
    pub fn max_attempts(&self) -> u32 {
        self.steps.len() as u32 + 1
    }

    /// The un-jittered wait after attempt `attempt` (1-based) failed; `None` after the last.
    pub fn step(&self, attempt: u32) -> Option<Duration> {
        let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
        self.steps.get(index).copied()
    }
}

/// Checks `retry_after_max` (seconds): above 0, at most [`MAX_STEP`].
pub fn check_retry_after_max(seconds: f64) -> Result<Duration> {
    match Duration::try_from_secs_f64(seconds) {
        Ok(max) if !max.is_zero() && max <= MAX_STEP => Ok(max),
        _ => Err(Error::Configuration(format!(
            "retry_after_max must be above 0 and at most {} seconds",
            MAX_STEP.as_secs()
        ))),
    }
}

/// Checks the health thresholds: `failing_after` 1 to 1000 consecutive failures, `disable_after`
/// above 0 and at most a year (seconds).
pub fn check_health(failing_after: i64, disable_after: f64) -> Result<(u32, Duration)> {
    let failing = u32::try_from(failing_after)
        .ok()
        .filter(|n| (1..=1_000).contains(n))
        .ok_or_else(|| {
            Error::Configuration("endpoint_failing_after must be between 1 and 1000".into())
        })?;
    match Duration::try_from_secs_f64(disable_after) {
        Ok(window) if !window.is_zero() && window <= Duration::from_secs(365 * 86_400) => {
            Ok((failing, window))
        }
        _ => Err(Error::Configuration(
            "endpoint_disable_after must be above 0 and at most 31536000 seconds (a year)".into(),
        )),
    }
}

/// A uniform number in `[0, 1)` from the OS, for jitter. Jitter needs no secrecy, but the OS's
/// generator needs no seeding either, so a forked Sidekiq worker never repeats its parent's draws.
pub fn unit_random() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5; // no jitter rather than no retry
    }
    // The top 53 bits: every value exactly representable, and below 1.
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// `step` spread by ±[`JITTER`]: `unit` (in `[0, 1)`) picks where in the band.
pub fn jittered(step: Duration, unit: f64) -> Duration {
    let factor = 1.0 - JITTER + 2.0 * JITTER * unit.clamp(0.0, 1.0);
    step.mul_f64(factor)
}

/// The wait before the next attempt: `step` (already jittered, or a caller's own delay), raised to
/// the receiver's `Retry-After` when that is longer, but never beyond `retry_after_max` (nor below
/// the step, whatever the cap).
pub fn next_delay(
    step: Duration,
    retry_after: Option<Duration>,
    retry_after_max: Duration,
) -> Duration {
    match retry_after {
        Some(asked) => asked.clamp(step, retry_after_max.max(step)),
        None => step,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn default_schedule_spans_about_a_day_in_eight_attempts() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.max_attempts(), 8);
        let total: Duration = schedule.steps().iter().sum();
        assert_eq!(total.as_secs(), 99_305); // 27 h 35 min 5 s
        assert_eq!(schedule.step(1), Some(secs(5)));
        assert_eq!(schedule.step(7), Some(secs(36_000)));
        assert_eq!(schedule.step(8), None);
        assert_eq!(schedule.step(0), None);
    }

    #[test]
    fn schedules_are_checked() {
        assert_eq!(
            RetrySchedule::new(&[1.0, 2.5]).unwrap().steps(),
            &[secs(1), Duration::from_millis(2_500)]
        );
        for bad in [
            &[][..],
            &[0.0],
            &[-1.0],
            &[f64::NAN],
            &[f64::INFINITY],
            &[8.0 * 86_400.0],
        ] {
            let err = RetrySchedule::new(bad).unwrap_err();
            assert!(
                matches!(&err, Error::Configuration(m) if m.contains("retry_schedule")),
                "{bad:?}: {err:?}"
            );
        }
        assert!(RetrySchedule::new(&[1.0; MAX_STEPS + 1]).is_err());
        assert!(check_retry_after_max(0.0).is_err());
        assert_eq!(check_retry_after_max(60.0).unwrap(), secs(60));
        assert_eq!(check_health(4, 10.0).unwrap(), (4, secs(10)));
        assert!(check_health(0, 10.0).is_err());
        assert!(check_health(4, 0.0).is_err());
        assert!(check_health(4, f64::NAN).is_err());
    }

    #[test]
    fn jitter_stays_within_twenty_percent_and_spreads() {
        assert_eq!(jittered(secs(100), 0.0), secs(80));
        assert_eq!(jittered(secs(100), 0.5), secs(100));
        assert!(jittered(secs(100), 0.999_999) < secs(120));
        let draws: Vec<Duration> = (0..200)
            .map(|_| jittered(secs(300), unit_random()))
            .collect();
        assert!(draws.iter().all(|d| *d >= secs(240) && *d < secs(360)));
        let low = draws.iter().filter(|d| **d < secs(300)).count();
        assert!((40..160).contains(&low), "{low} of 200 below the step");
    }

    #[test]
    fn retry_after_is_clamped_between_the_step_and_the_cap() {
        let cap = secs(3_600);
        assert_eq!(next_delay(secs(300), None, cap), secs(300));
        // Shorter than the step: the step.
        assert_eq!(next_delay(secs(300), Some(secs(1)), cap), secs(300));
        // Between: as asked.
        assert_eq!(next_delay(secs(300), Some(secs(900)), cap), secs(900));
        // Beyond the cap: the cap.
        assert_eq!(next_delay(secs(300), Some(secs(86_400)), cap), cap);
        // A step beyond the cap: the step, never less.
        assert_eq!(
            next_delay(secs(36_000), Some(secs(86_400)), cap),
            secs(36_000)
        );
    }
}
