//! Panics become `Integrations::Native::InternalError`, never a process abort.
//!
//! magnus already catches unwinding at the FFI edge, but turns it into Ruby's `fatal`, which
//! ends the process. Every exported function runs its body through [`guard`] instead.

use std::panic::{catch_unwind, AssertUnwindSafe};
#[cfg(feature = "test-hooks")]
use std::sync::Once;

#[cfg(feature = "test-hooks")]
use magnus::{function, prelude::*, RString};
use magnus::{Error, Ruby};

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
        .or_else(|| test_panic_message(payload))
        .unwrap_or_else(|| "unknown panic".to_string());
    Error::new(
        errors::internal_error(ruby),
        format!("internal error in chatwoot_integrations_rs (please report it): {detail}"),
    )
}

/// The message of the test hook's deliberate panic (never one without the `test-hooks` feature).
fn test_panic_message(_payload: &(dyn std::any::Any + Send)) -> Option<String> {
    #[cfg(feature = "test-hooks")]
    return _payload.downcast_ref::<TestPanic>().map(|p| p.0.clone());
    #[cfg(not(feature = "test-hooks"))]
    None
}

/// The payload of the test hook's deliberate panic.
#[cfg(feature = "test-hooks")]
struct TestPanic(String);

// The test hook below is compiled only with the `test-hooks` Cargo feature: the checkout's
// `rake compile` (what the specs and bin/test run against) turns it on; `gem install` does not.

/// Test hook: panics inside Rust so the suite can prove a panic surfaces as an exception.
///
/// Rust's default panic hook prints the message and a backtrace hint to stderr, which in a test run
/// reads like a real crash. The first call chains a hook that stays quiet for this deliberate panic
/// only; every other panic still reaches the previous hook (and stderr) as before.
#[cfg(feature = "test-hooks")]
fn panic_for_tests(ruby: &Ruby, message: RString) -> RbResult<()> {
    static QUIET_FOR_TEST_PANICS: Once = Once::new();
    QUIET_FOR_TEST_PANICS.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<TestPanic>().is_none() {
                previous(info);
            }
        }));
    });
    guard(ruby, || {
        let message = message.to_string()?;
        std::panic::panic_any(TestPanic(message))
    })
}

#[cfg(not(feature = "test-hooks"))]
pub fn init(_ruby: &Ruby) -> RbResult<()> {
    Ok(())
}

#[cfg(feature = "test-hooks")]
pub fn init(ruby: &Ruby) -> RbResult<()> {
    let native = crate::namespace::native_module(ruby)?;
    native.define_singleton_method("__panic_for_tests__", function!(panic_for_tests, 1))?;
    Ok(())
}
