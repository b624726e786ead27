//! `Integrations::Native::Apps`: the app registry and settings validation (the rules are the
//! core's `providers::apps`); the face adds keyword arguments and type checks.

use chatwoot_integrations::providers::apps;
use magnus::{function, prelude::*, RArray, RModule, RString, Ruby, Value};

use crate::errors::{self, to_ruby};
use crate::helpers::{bytes::with_bytes, panic::guard, RbResult};
use crate::payload::value::to_value;

/// `_native_validate(app_id, settings)` → `[[field, message], …]` (empty when valid);
/// ConfigurationError naming an unknown app (an id in another encoding is just unknown).
fn validate(ruby: &Ruby, app_id: RString, settings: Value) -> RbResult<RArray> {
    guard(ruby, || {
        let app =
            with_bytes([app_id], |[id]| apps::find_or_refuse(id)).map_err(|e| to_ruby(ruby, e))?;
        let settings = to_value(ruby, settings, "settings")?;
        let errors = apps::validate(app, &settings);
        let array = ruby.ary_new_capa(errors.len());
        for (field, message) in errors {
            array.push((field, message))?;
        }
        Ok(array)
    })
}

/// `_native_apps` → `[[id, name, hook_type, oauth, [[field, label, required], …]], …]`
fn list(ruby: &Ruby) -> RbResult<RArray> {
    guard(ruby, || {
        let array = ruby.ary_new_capa(apps::APPS.len());
        for app in apps::APPS {
            let fields = ruby.ary_new_capa(app.fields.len());
            for f in app.fields {
                fields.push((f.name, f.label, f.required))?;
            }
            array.push((app.id, app.name, app.hook_type.as_str(), app.oauth, fields))?;
        }
        Ok(array)
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let module: RModule = errors::native_module(ruby)?.define_module("Apps")?;
    module.define_singleton_method("_native_validate", function!(validate, 2))?;
    module.define_singleton_method("_native_apps", function!(list, 0))?;
    Ok(())
}
