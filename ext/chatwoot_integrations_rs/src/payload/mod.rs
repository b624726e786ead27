//! `Integrations::Native::Payload`: walks a Ruby object tree straight into JSON bytes, without
//! intermediate Ruby strings, byte-identical to `JSON.generate` (or ActiveSupport's `to_json` in
//! Rails mode). The writers live in the core crate (`payload`); this is the Ruby side of the walk.

mod stack;
mod strings;
mod walker;
// Ruby data to serde values (hook settings, GraphQL variables) by the walker's rules.
pub mod value;

use chatwoot_integrations::payload::{
    max_nesting_accepted, Mode, DEFAULT_MAX_NESTING, MAX_NESTING_LIMIT,
};
use magnus::{function, prelude::*, Error, Fixnum, RModule, RString, Ruby, Value};

use crate::helpers::{panic::guard, RbResult};
use stack::StackCheck;
use strings::Encodings;
use walker::{WalkError, Walker};

/// Room for a typical webhook body from the start (Chatwoot's message_created is 2-4 KB).
const INITIAL_CAPACITY: usize = 4096;

/// `_native_dump(obj, rails, max_nesting, root)` → the JSON String, or `[message, cause]` on failure
/// (the Ruby face raises SerializationError with that cause). `rails` is taken by truthiness. What
/// is not a StandardError (an interrupt, a throw, Thread#kill) is not a failure: it is raised (or
/// resumed) from here exactly as a callback met it.
fn dump(
    ruby: &Ruby,
    obj: Value,
    rails: Value,
    max_nesting: Value,
    root: RString,
) -> RbResult<Value> {
    guard(ruby, || {
        let accepted = Fixnum::from_value(max_nesting)
            .and_then(|n| usize::try_from(n.to_i64()).ok())
            .filter(|&n| max_nesting_accepted(n));
        let Some(max_nesting) = accepted else {
            return Err(Error::new(
                ruby.exception_arg_error(),
                format!(
                    "max_nesting must be an Integer from 1 to {MAX_NESTING_LIMIT}, got {}",
                    described(max_nesting)
                ),
            ));
        };
        let rails = rails.to_bool();
        let mut walker = Walker {
            ruby,
            out: Vec::with_capacity(INITIAL_CAPACITY),
            mode: if rails { Mode::Rails } else { Mode::Json },
            max_nesting,
            open: Vec::with_capacity(16),
            raised: None,
            encodings: Encodings::lookup(),
            unprotected: 0,
            stack: StackCheck::default(),
        };
        match walker.walk(obj) {
            Ok(()) => {
                // SAFETY: every byte written is ASCII or was copied from a String verified to be UTF-8.
                let json = unsafe { std::str::from_utf8_unchecked(&walker.out) };
                Ok(ruby.str_new(json).as_value())
            }
            // Before any other call into Ruby: a pending throw or Thread#kill lives in Ruby's
            // error info until it is resumed.
            Err(WalkError::Interrupted(e)) => Err(e),
            Err(WalkError::Invalid(e)) => {
                let cause = walker
                    .raised
                    .take()
                    .and_then(|e| e.value())
                    .map(|v| v.as_value());
                Ok(ruby
                    .ary_new_from_values(&[
                        ruby.str_new(&e.describe(&root.to_string()?)).as_value(),
                        cause.unwrap_or(ruby.qnil().as_value()),
                    ])
                    .as_value())
            }
        }
    })
}

/// A refused argument in a message, without running Ruby code for it (no `inspect`).
fn described(v: Value) -> String {
    match Fixnum::from_value(v) {
        Some(n) => n.to_i64().to_string(),
        None if v.is_nil() => "nil".to_string(),
        // SAFETY: a live object; rb_obj_classname runs no Ruby code.
        None => format!("a {}", unsafe { v.classname() }),
    }
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let module: RModule = crate::namespace::native_module(ruby)?.define_module("Payload")?;
    module.define_singleton_method("_native_dump", function!(dump, 4))?;
    // The limits live in the core crate; the Ruby face reads them from here.
    module.const_set("DEFAULT_MAX_NESTING", DEFAULT_MAX_NESTING)?;
    module.const_set("MAX_NESTING_LIMIT", MAX_NESTING_LIMIT)?;
    Ok(())
}
