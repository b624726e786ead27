//! `Integrations::Native::DeliveryResult`: defined here (the extension loads before
//! lib/integrations/native/delivery_result.rb, which reopens the class for its methods), and built
//! here from the core's `DeliveryResult`, field by name into the instance variables the Ruby
//! readers return. One allocation per result and no intermediate Array or Hash: a fan-out builds
//! a thousand of these while the delivery engine waits for the next call.

use chatwoot_integrations::dispatch::DeliveryResult;
use magnus::value::{Lazy, LazyId, ReprValue};
use magnus::{prelude::*, Error, IntoValue, RClass, RObject, Ruby, Value};

use crate::helpers::RbResult;

/// The class (defined in `init`, so the fallback to Object never runs).
static CLASS: Lazy<RClass> = Lazy::new(|ruby| define(ruby).unwrap_or_else(|_| ruby.class_object()));

static URL: LazyId = LazyId::new("@url");
static STATUS: LazyId = LazyId::new("@status");
static ATTEMPTS: LazyId = LazyId::new("@attempts");
static DURATION: LazyId = LazyId::new("@duration");
static ERROR: LazyId = LazyId::new("@error");
static RETRYABLE: LazyId = LazyId::new("@retryable");
static RESPONSE_EXCERPT: LazyId = LazyId::new("@response_excerpt");
static DELIVERY_ID: LazyId = LazyId::new("@delivery_id");
static RETRY_AFTER: LazyId = LazyId::new("@retry_after");
static INVALID: LazyId = LazyId::new("@invalid");

fn define(ruby: &Ruby) -> RbResult<RClass> {
    crate::namespace::native_module(ruby)?.define_class("DeliveryResult", ruby.class_object())
}

/// A frozen `DeliveryResult` with every field of `r` (its url is redacted already).
pub fn build(ruby: &Ruby, r: &DeliveryResult) -> RbResult<Value> {
    let object = RObject::try_convert(ruby.get_inner(&CLASS).obj_alloc()?)?;
    // `object` is a local of this frame, so Ruby's conservative stack scan keeps it (and the
    // values set on it) alive while the next values are allocated.
    let fields: [(&LazyId, Value); 10] = [
        (&URL, ruby.str_new(&r.url).as_value()),
        (&STATUS, r.status.into_value_with(ruby)),
        (&ATTEMPTS, r.attempts.into_value_with(ruby)),
        (&DURATION, r.duration.as_secs_f64().into_value_with(ruby)),
        (
            &ERROR,
            r.error
                .as_deref()
                .map(|e| ruby.str_new(e))
                .into_value_with(ruby),
        ),
        (&RETRYABLE, r.retryable.into_value_with(ruby)),
        (
            &RESPONSE_EXCERPT,
            ruby.str_new(&String::from_utf8_lossy(&r.response_excerpt))
                .as_value(),
        ),
        (&DELIVERY_ID, ruby.str_new(&r.delivery_id).as_value()),
        (
            &RETRY_AFTER,
            r.retry_after.map(|d| d.as_secs_f64()).into_value_with(ruby),
        ),
        (&INVALID, r.invalid.into_value_with(ruby)),
    ];
    for (name, value) in fields {
        object.ivar_set(**name, value)?;
    }
    object.freeze();
    Ok(object.as_value())
}

pub fn init(ruby: &Ruby) -> Result<(), Error> {
    define(ruby)?;
    let _ = ruby.get_inner(&CLASS);
    for id in [
        &URL,
        &STATUS,
        &ATTEMPTS,
        &DURATION,
        &ERROR,
        &RETRYABLE,
        &RESPONSE_EXCERPT,
        &DELIVERY_ID,
        &RETRY_AFTER,
        &INVALID,
    ] {
        LazyId::force(id, ruby);
    }
    Ok(())
}
