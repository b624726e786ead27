//! A Symbol's name as the String Ruby keeps for it, without making a new Symbol or String.

use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::{RString, Symbol, Value};

/// The Symbol's own frozen name String (any bytes, any encoding: compare or copy it, never
/// assume UTF-8). Runs no Ruby code. (`None` only if Ruby broke its contract.)
pub fn name(symbol: Symbol) -> Option<RString> {
    // SAFETY: `symbol` is a live Symbol; rb_sym2str returns its frozen, shared name String (a
    // valid VALUE) and runs no Ruby code.
    RString::from_value(unsafe { Value::from_raw(rb_sys::rb_sym2str(symbol.as_raw())) })
}
