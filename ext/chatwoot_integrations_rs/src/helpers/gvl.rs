//! Waiting on the delivery engine without the GVL, interruptibly.
//!
//! While a Ruby thread waits for a dispatch, other Ruby threads must run, and `Thread#kill`,
//! `Timeout.timeout`, `Thread#raise` and Sidekiq's shutdown must be able to stop it. Ruby calls our
//! unblocking function when it wants the thread back; it cancels the wait, Ruby then raises (or
//! kills) as it meant to, and the in-flight work is aborted before the exception goes on.

use std::ffi::c_void;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;

use chatwoot_integrations::dispatch::{Engine, ThisThread};
use magnus::{rb_sys::AsRawValue, Error, Ruby};
use tokio_util::sync::CancellationToken;

use super::panic::panic_error;
use super::RbResult;
use crate::errors;

/// Runs `future` on one of the engine's lanes and waits for its output with the GVL released. If
/// Ruby interrupts the wait with an exception (or a kill), the task is aborted and the exception
/// propagates.
pub fn block_on<T, F>(ruby: &Ruby, engine: &Engine, future: F) -> RbResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut task = engine.spawn(future);
    loop {
        let cancel = CancellationToken::new();
        let waited = without_gvl(ruby, &cancel, || {
            engine.block_on(async {
                tokio::select! {
                    joined = &mut task => Some(joined),
                    _ = cancel.cancelled() => None,
                }
            })
        });
        match waited {
            Err(interrupt) => {
                task.abort();
                return Err(interrupt);
            }
            Ok(Some(Ok(value))) => return Ok(value),
            Ok(Some(Err(join_error))) => {
                return Err(match join_error.try_into_panic() {
                    Ok(payload) => panic_error(ruby, payload.as_ref()),
                    Err(_) => Error::new(
                        errors::internal_error(ruby),
                        "the native task was cancelled",
                    ),
                });
            }
            // Woken with no exception to raise (a trapped signal, Thread#wakeup): keep waiting.
            Ok(None) => continue,
        }
    }
}

/// `block_on` for work that needs this Ruby thread while it runs (a file read by Ruby's IO#read,
/// streamed to an upload): each request arriving on `requests` is handed to `serve`, which runs
/// with the GVL held and may itself wait with [`wait`]. An exception from `serve` (or an
/// interrupt) aborts the task and propagates.
pub fn block_on_serving<T, F, R, S>(
    ruby: &Ruby,
    engine: &Engine,
    future: F,
    requests: &mut tokio::sync::mpsc::UnboundedReceiver<R>,
    mut serve: S,
) -> RbResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
    R: Send,
    S: FnMut(R) -> RbResult<()>,
{
    enum Woken<J, R> {
        Joined(J),
        Asked(R),
        Interrupted,
    }
    let mut task = engine.spawn(future);
    loop {
        let cancel = CancellationToken::new();
        let waited = without_gvl(ruby, &cancel, || {
            engine.block_on(async {
                tokio::select! {
                    joined = &mut task => Woken::Joined(joined),
                    Some(request) = requests.recv() => Woken::Asked(request),
                    _ = cancel.cancelled() => Woken::Interrupted,
                }
            })
        });
        let joined = match waited {
            Err(interrupt) => {
                task.abort();
                return Err(interrupt);
            }
            Ok(Woken::Asked(request)) => {
                if let Err(error) = serve(request) {
                    task.abort();
                    return Err(error);
                }
                continue;
            }
            // Woken with no exception to raise (a trapped signal, Thread#wakeup): keep waiting.
            Ok(Woken::Interrupted) => continue,
            Ok(Woken::Joined(joined)) => joined,
        };
        return match joined {
            Ok(value) => Ok(value),
            Err(join_error) => Err(match join_error.try_into_panic() {
                Ok(payload) => panic_error(ruby, payload.as_ref()),
                Err(_) => Error::new(
                    errors::internal_error(ruby),
                    "the native task was cancelled",
                ),
            }),
        };
    }
}

/// A runtime a Ruby thread can drive a future on: the engine (a lane's runtime entered from this
/// thread) or this thread's own runtime.
pub trait Runtime: Sync {
    fn block_on<F: Future>(&self, future: F) -> F::Output;
}

impl Runtime for Engine {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        Engine::block_on(self, future)
    }
}

impl Runtime for ThisThread {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        ThisThread::block_on(self, future)
    }
}

/// Drives `future` on `runtime`, on this thread, with the GVL released; an interrupt comes back as
/// `Err` and drops the future (an in-flight request with it). Used for work that only waits (a
/// channel, a timer) on the engine, and for a single delivery on this thread's own runtime (see the
/// core's `calling_thread`): no thread hop, nothing wakes another thread, and the answer wakes this
/// one directly.
pub fn wait<T, F>(ruby: &Ruby, runtime: &impl Runtime, future: F) -> RbResult<T>
where
    F: Future<Output = T> + Send,
    T: Send,
{
    let mut future = std::pin::pin!(future);
    loop {
        let cancel = CancellationToken::new();
        let waited = without_gvl(ruby, &cancel, || {
            runtime.block_on(async {
                tokio::select! {
                    value = &mut future => Some(value),
                    _ = cancel.cancelled() => None,
                }
            })
        });
        match waited? {
            Some(value) => return Ok(value),
            // Woken with no exception to raise (a trapped signal, Thread#wakeup): keep waiting.
            None => continue,
        }
    }
}

struct Call<F, R> {
    work: Option<F>,
    result: Option<std::thread::Result<R>>,
}

unsafe extern "C" fn call<F: FnOnce() -> R, R>(data: *mut c_void) -> *mut c_void {
    // SAFETY: `data` is the `Call` that `without_gvl` passed in and keeps alive until
    // rb_thread_call_without_gvl returns; only this function touches it meanwhile.
    let call = unsafe { &mut *(data as *mut Call<F, R>) };
    if let Some(work) = call.work.take() {
        // A panic must not unwind into Ruby's C frames.
        call.result = Some(catch_unwind(AssertUnwindSafe(work)));
    }
    null_mut()
}

unsafe extern "C" fn unblock(data: *mut c_void) {
    // SAFETY: `data` is the token `without_gvl` borrows for the whole blocking region; Ruby only calls
    // this inside that region. Cancelling is thread-safe and idempotent (Ruby may call it repeatedly).
    let token = unsafe { &*(data as *const CancellationToken) };
    token.cancel();
}

/// Runs `work` with the GVL released; `cancel` is cancelled when Ruby interrupts the thread.
/// The `Send` bound keeps Ruby objects out of `work`: they must not be touched without the GVL.
/// An exception Ruby raises on the way in or out (an interrupt) comes back as `Err`.
fn without_gvl<F, R>(ruby: &Ruby, cancel: &CancellationToken, work: F) -> RbResult<R>
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    let mut data = Call {
        work: Some(work),
        result: None,
    };
    // rb_thread_call_without_gvl checks for pending interrupts before and after the call, and
    // raising means a longjmp: protect turns that into an Err instead of jumping over Rust frames.
    magnus::rb_sys::protect(|| {
        // SAFETY: both pointers outlive the call (they are borrowed from this frame), `call` and
        // `unblock` match the C signatures, and `work` runs without the GVL touching no Ruby object.
        unsafe {
            rb_sys::rb_thread_call_without_gvl(
                Some(call::<F, R>),
                &mut data as *mut Call<F, R> as *mut c_void,
                Some(unblock),
                cancel as *const CancellationToken as *mut c_void,
            );
        }
        ruby.qnil().as_raw()
    })?;
    match data.result {
        Some(Ok(value)) => Ok(value),
        Some(Err(payload)) => Err(panic_error(ruby, payload.as_ref())),
        None => Err(Error::new(
            errors::internal_error(ruby),
            "interrupted before the native call started",
        )),
    }
}
