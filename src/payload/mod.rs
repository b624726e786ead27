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

/// The highest `max_nesting` a caller may ask for. A payload deeper than the stack it is walked on
/// holds ends in a SerializationError below this all the same (the binding checks the stack as it
/// walks); the cap bounds the work a reference cycle costs before it is reported.
pub const MAX_NESTING_LIMIT: usize = 10_000;

/// Whether `max_nesting` is one a caller may ask for: 1 to [`MAX_NESTING_LIMIT`].
pub fn max_nesting_accepted(max_nesting: usize) -> bool {
    (1..=MAX_NESTING_LIMIT).contains(&max_nesting)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_nesting_range() {
        assert!(!max_nesting_accepted(0));
        assert!(max_nesting_accepted(1));
        assert!(max_nesting_accepted(DEFAULT_MAX_NESTING));
        assert!(max_nesting_accepted(MAX_NESTING_LIMIT));
        assert!(!max_nesting_accepted(MAX_NESTING_LIMIT + 1));
    }
}
