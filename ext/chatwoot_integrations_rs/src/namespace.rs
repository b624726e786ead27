//! The `Integrations::Native` module, where the Ruby face defines every class and each binding
//! module adds its native methods.

use magnus::{prelude::*, Error, RModule, Ruby};

/// `Integrations::Native` (defined by lib/ before the extension loads).
pub fn native_module(ruby: &Ruby) -> Result<RModule, Error> {
    ruby.class_object()
        .const_get::<_, RModule>("Integrations")?
        .const_get::<_, RModule>("Native")
}
