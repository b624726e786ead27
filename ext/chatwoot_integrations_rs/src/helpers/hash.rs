//! Iterating a Ruby Hash without an `rb_protect` per Hash.
//!
//! magnus' `RHash::foreach` wraps every iteration in `rb_protect`, because the callback may call
//! Ruby and Ruby may raise. For a callback that never calls Ruby that is pure cost (about a tenth
//! of serializing a typical webhook body), so the payload walker iterates with this first and
//! falls back to magnus' protected form only where it must call Ruby (see `payload::walker`).

use std::any::Any;
use std::os::raw::c_int;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::{RHash, Value};
use rb_sys::st_retval::{ST_CONTINUE, ST_STOP};

/// Calls `f(key, value)` for each entry of `h` in order, until it returns `false`.
///
/// # Safety
/// `f` must not call into Ruby in any way: no method calls, no Ruby allocations, nothing that can
/// raise or run arbitrary Ruby code. `rb_hash_foreach` raises only when the Hash is modified while
/// it iterates; with a callback that cannot run Ruby code nothing can modify it, so nothing can
/// raise (a raise here would longjmp over Rust frames). A panic in `f` is caught at the C
/// boundary and resumed after the iteration has returned normally.
pub unsafe fn each_entry_without_ruby<F: FnMut(Value, Value) -> bool>(h: RHash, f: F) {
    struct State<F> {
        f: F,
        panic: Option<Box<dyn Any + Send>>,
    }

    unsafe extern "C" fn entry<F: FnMut(Value, Value) -> bool>(
        key: rb_sys::VALUE,
        value: rb_sys::VALUE,
        arg: rb_sys::VALUE,
    ) -> c_int {
        // SAFETY: `arg` is the `State` below, alive for the whole iteration; key and value are
        // live entries of the Hash being iterated.
        let state = unsafe { &mut *(arg as *mut State<F>) };
        let call = catch_unwind(AssertUnwindSafe(|| unsafe {
            (state.f)(Value::from_raw(key), Value::from_raw(value))
        }));
        match call {
            Ok(true) => ST_CONTINUE as c_int,
            Ok(false) => ST_STOP as c_int,
            Err(payload) => {
                state.panic = Some(payload);
                ST_STOP as c_int
            }
        }
    }

    let mut state = State { f, panic: None };
    // SAFETY: `h` is a live Hash; `state` outlives the call; see the contract above for raising.
    unsafe {
        rb_sys::rb_hash_foreach(
            h.as_raw(),
            Some(entry::<F>),
            &mut state as *mut State<F> as rb_sys::VALUE,
        );
    }
    if let Some(payload) = state.panic {
        resume_unwind(payload);
    }
}
