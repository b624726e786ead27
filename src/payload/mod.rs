//! JSON output that is byte-identical to Ruby's: `JSON.generate` (json 2.x) and, in Rails mode,
//! ActiveSupport's `to_json`. The binding crate walks the Ruby object tree and calls these writers;
//! nothing here allocates per value beyond the output buffer.

mod escape;
mod float;
mod path;

pub use escape::write_string;
pub use float::{write_float, RubyFloat};
pub use path::{PathSegment, SerializeError};

/// `JSON.generate`'s default `max_nesting`.
pub const DEFAULT_MAX_NESTING: usize = 100;

/// Which Ruby serializer the output must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `JSON.generate(obj)`: escapes `"`, `\` and control characters only.
    Json,
    /// `obj.to_json` under ActiveSupport: also `<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`.
    Rails,
}

/// Appends a Ruby Integer that fits in 64 bits.
pub fn write_integer(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}
