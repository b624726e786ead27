//! Panics become `Integrations::Native::InternalError`, never a process abort.
//!
//! magnus already catches unwinding at the FFI edge, but turns it into Ruby's `fatal`, which
//! ends the process. Every exported function runs its body through [`guard`] instead.

use std::panic::{catch_unwind, AssertUnwindSafe};

use magnus::{function, prelude::*, Error, RString, Ruby};

use super::RbResult;
use crate::errors;

/// Runs `body`, turning a Rust panic into a Ruby `InternalError` that names the panic's message.
pub fn guard<T>(ruby: &Ruby, body: impl FnOnce() -> RbResult<T>) -> RbResult<T> {
    catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(panic_error(ruby, payload.as_ref())))
}

/// The Ruby exception for a caught panic payload.
pub fn panic_error(ruby: &Ruby, payload: &(dyn std::any::Any + Send)) -> Error {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    Error::new(
        errors::internal_error(ruby),
        format!("internal error in chatwoot_integrations_rs (please report it): {detail}"),
    )
}

/// Test hook: panics inside Rust so the suite can prove a panic surfaces as an exception.
fn panic_for_tests(ruby: &Ruby, message: RString) -> RbResult<()> {
    guard(ruby, || {
        let message = message.to_string()?;
        panic!("{message}")
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let native = errors::native_module(ruby)?;
    native.define_singleton_method("__panic_for_tests__", function!(panic_for_tests, 1))?;
    Ok(())
}
