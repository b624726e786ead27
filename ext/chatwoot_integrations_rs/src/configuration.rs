//! `Integrations::Native::Configuration`'s native half: the defaults of the numeric settings and
//! the checks of every delivery setting, both from the core's `dispatch::LIMITS` (the one place
//! they are written). The Ruby face (lib/integrations/native/configuration.rb) checks types only.

use chatwoot_integrations::dispatch::{self, DispatchConfig, Settings, Unit, LIMITS};
use magnus::{function, prelude::*, IntoValue, RHash, Ruby, Value};

use crate::errors::to_ruby;
use crate::helpers::{panic::guard, RbResult};

/// A setting's number as an operator writes it: an Integer where it is whole, a Float otherwise.
fn number(ruby: &Ruby, unit: Unit, value: f64) -> Value {
    if unit == Unit::Integer || value.fract() == 0.0 {
        (value as i64).into_value_with(ruby)
    } else {
        value.into_value_with(ruby)
    }
}

/// `_native_setting_defaults` → `{ timeout: 5, max_concurrency: 64, … }`.
fn setting_defaults(ruby: &Ruby) -> RbResult<RHash> {
    guard(ruby, || {
        let hash = ruby.hash_new();
        for limit in LIMITS {
            let value = number(ruby, limit.unit, limit.default);
            hash.aset(ruby.to_symbol(limit.name), value)?;
        }
        Ok(hash)
    })
}

/// `_native_setting_ranges` → `{ timeout: 0.001..600, max_concurrency: 1..10000, … }`, for the
/// settings that derive from these (Chatwoot's `webhook_timeout` is capped as `timeout` is).
fn setting_ranges(ruby: &Ruby) -> RbResult<RHash> {
    guard(ruby, || {
        let hash = ruby.hash_new();
        for limit in LIMITS {
            let range = ruby.range_new(
                number(ruby, limit.unit, limit.min),
                number(ruby, limit.unit, limit.max),
                false,
            )?;
            hash.aset(ruby.to_symbol(limit.name), range)?;
        }
        Ok(hash)
    })
}

/// `_native_configure({ timeout:, max_concurrency:, …, allowed_private_cidrs: })`: the settings by
/// name, numbers as Floats (their types checked by the Ruby face). Checks them all and applies the
/// delivery ones; any defect raises ConfigurationError (the core's `Error::Configuration`, mapped
/// once in `errors`).
fn configure(ruby: &Ruby, settings: RHash) -> RbResult<()> {
    guard(ruby, || {
        let get = |name: &str| settings.fetch::<_, Value>(ruby.to_symbol(name));
        let number = |name: &str| -> RbResult<f64> { f64::try_convert(get(name)?) };
        let settings = Settings {
            timeout: number("timeout")?,
            max_concurrency: number("max_concurrency")?,
            inline_retries: number("inline_retries")?,
            retry_after_cap: number("retry_after_cap")?,
            max_redirects: number("max_redirects")?,
            max_response_bytes: number("max_response_bytes")?,
            max_attempts: number("max_attempts")?,
            redirect_keeps_headers: bool::try_convert(get("redirect_keeps_headers")?)?,
            allow_private_addresses: bool::try_convert(get("allow_private_addresses")?)?,
            allowed_private_hosts: Vec::try_convert(get("allowed_private_hosts")?)?,
            allowed_private_cidrs: Vec::try_convert(get("allowed_private_cidrs")?)?,
        };
        let config = DispatchConfig::from_settings(&settings).map_err(|e| to_ruby(ruby, e))?;
        dispatch::configure(config).map_err(|e| to_ruby(ruby, e))
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let native = crate::namespace::native_module(ruby)?;
    native.define_singleton_method("_native_setting_defaults", function!(setting_defaults, 0))?;
    native.define_singleton_method("_native_setting_ranges", function!(setting_ranges, 0))?;
    native.define_singleton_method("_native_configure", function!(configure, 1))?;
    Ok(())
}
