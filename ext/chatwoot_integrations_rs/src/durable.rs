//! The native half of the durable jobs (lib/integrations/native/durable_delivery.rb): delivery ids
//! derived from a job's id, the retry schedule and the health thresholds, all computed by the core
//! (`dispatch::retry_schedule`, `dispatch::derived_delivery_id`) so Ruby holds no copy of a rule.

use std::time::Duration;

use chatwoot_integrations::dispatch::derived_delivery_id;
use chatwoot_integrations::dispatch::retry_schedule::{
    self, RetrySchedule, DEFAULT_DISABLE_AFTER, DEFAULT_FAILING_AFTER, DEFAULT_RETRY_AFTER_MAX,
};
use magnus::{function, prelude::*, Error, RHash, Ruby};

use crate::errors::to_ruby;
use crate::helpers::{panic::guard, RbResult};

/// `_native_delivery_id(job_id, index)`: the delivery id of a job's `index`th endpoint.
fn delivery_id(ruby: &Ruby, job_id: String, index: u64) -> RbResult<String> {
    guard(ruby, || Ok(derived_delivery_id(&job_id, index)))
}

/// `_native_durable_defaults`: `{ retry_schedule:, retry_after_max:, endpoint_failing_after:,
/// endpoint_disable_after: }`, in seconds, for Configuration's initial values.
fn defaults(ruby: &Ruby) -> RbResult<RHash> {
    guard(ruby, || {
        let hash = ruby.hash_new();
        let steps: Vec<f64> = RetrySchedule::default()
            .steps()
            .iter()
            .map(Duration::as_secs_f64)
            .collect();
        hash.aset(ruby.to_symbol("retry_schedule"), steps)?;
        hash.aset(
            ruby.to_symbol("retry_after_max"),
            DEFAULT_RETRY_AFTER_MAX.as_secs_f64(),
        )?;
        hash.aset(
            ruby.to_symbol("endpoint_failing_after"),
            DEFAULT_FAILING_AFTER,
        )?;
        hash.aset(
            ruby.to_symbol("endpoint_disable_after"),
            DEFAULT_DISABLE_AFTER.as_secs_f64(),
        )?;
        Ok(hash)
    })
}

/// `_native_check_durable(retry_schedule_or_nil, retry_after_max, failing_after, disable_after)`:
/// raises ConfigurationError naming the setting that cannot work.
fn check(
    ruby: &Ruby,
    steps: Option<Vec<f64>>,
    retry_after_max: f64,
    failing_after: i64,
    disable_after: f64,
) -> RbResult<()> {
    guard(ruby, || {
        if let Some(steps) = steps {
            RetrySchedule::new(&steps).map_err(|e| to_ruby(ruby, e))?;
        }
        retry_schedule::check_retry_after_max(retry_after_max).map_err(|e| to_ruby(ruby, e))?;
        retry_schedule::check_health(failing_after, disable_after).map_err(|e| to_ruby(ruby, e))?;
        Ok(())
    })
}

/// `_native_retry_delay(schedule_or_nil, own_step_or_nil, attempt, retry_after_or_nil,
/// retry_after_max, scale)`: seconds to wait before the attempt after `attempt`, or nil when the
/// schedule has no more steps. With a schedule, its step (jittered); without one, `own_step` (the
/// app's retry_delay, as given). `scale` compresses the result (1.0 outside tests).
fn retry_delay(
    ruby: &Ruby,
    steps: Option<Vec<f64>>,
    own_step: Option<f64>,
    attempt: u32,
    retry_after: Option<f64>,
    retry_after_max: f64,
    scale: f64,
) -> RbResult<Option<f64>> {
    guard(ruby, || {
        let seconds = |name: &str, value: f64| {
            Duration::try_from_secs_f64(value).map_err(|_| {
                Error::new(
                    ruby.exception_arg_error(),
                    format!("{name} must be a non-negative number of seconds"),
                )
            })
        };
        let step = match (steps, own_step) {
            (Some(steps), _) => {
                let schedule = RetrySchedule::new(&steps).map_err(|e| to_ruby(ruby, e))?;
                match schedule.step(attempt) {
                    Some(step) => retry_schedule::jittered(step, retry_schedule::unit_random()),
                    None => return Ok(None),
                }
            }
            (None, Some(own)) => seconds("retry_delay", own)?,
            (None, None) => return Ok(None),
        };
        let retry_after = retry_after.map(|r| seconds("retry_after", r)).transpose()?;
        let max =
            retry_schedule::check_retry_after_max(retry_after_max).map_err(|e| to_ruby(ruby, e))?;
        let delay = retry_schedule::next_delay(step, retry_after, max);
        if !(scale.is_finite() && scale > 0.0 && scale <= 1.0) {
            return Err(Error::new(
                ruby.exception_arg_error(),
                "the time scale must be above 0 and at most 1",
            ));
        }
        Ok(Some(delay.as_secs_f64() * scale))
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let native = crate::errors::native_module(ruby)?;
    native.define_singleton_method("_native_delivery_id", function!(delivery_id, 2))?;
    native.define_singleton_method("_native_durable_defaults", function!(defaults, 0))?;
    native.define_singleton_method("_native_check_durable", function!(check, 4))?;
    native.define_singleton_method("_native_retry_delay", function!(retry_delay, 6))?;
    Ok(())
}
