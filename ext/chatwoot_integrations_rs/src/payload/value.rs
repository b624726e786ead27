//! Ruby data to a `serde_json::Value` (hook settings, GraphQL variables), read by the same walker
//! and rules as a payload, so a setting is JSON exactly when it would be in a webhook body. The
//! walker writes JSON bytes; they are parsed here, inside Rust, so no Ruby String is made and the
//! Ruby face calls nothing between (a walker writing Values directly would save the parse; for
//! settings-sized data it is not measurable).

use chatwoot_integrations::payload::{Mode, DEFAULT_MAX_NESTING};
use magnus::{prelude::*, Error, ExceptionClass, Ruby, Value};

use super::stack::StackCheck;
use super::strings::Encodings;
use super::walker::{WalkError, Walker};
use crate::errors;
use crate::helpers::RbResult;

/// `obj` as a JSON value; SerializationError naming the place under `root` (e.g. `settings`)
/// when it cannot be JSON. A non-StandardError met in a callback goes on unchanged.
pub fn to_value(ruby: &Ruby, obj: Value, root: &str) -> RbResult<serde_json::Value> {
    let mut walker = Walker {
        ruby,
        out: Vec::with_capacity(256),
        mode: Mode::Json,
        max_nesting: DEFAULT_MAX_NESTING,
        open: Vec::with_capacity(8),
        raised: None,
        encodings: Encodings::lookup(),
        unprotected: 0,
        stack: StackCheck::default(),
    };
    match walker.walk(obj) {
        Ok(()) => serde_json::from_slice(&walker.out).map_err(|e| {
            Error::new(
                errors::internal_error(ruby),
                format!("{root}: the walker wrote JSON that does not parse: {e}"),
            )
        }),
        Err(WalkError::Interrupted(e)) => Err(e),
        Err(WalkError::Invalid(e)) => {
            let class = errors::native_module(ruby)?
                .const_get::<_, ExceptionClass>("SerializationError")?;
            Err(Error::new(class, e.describe(root)))
        }
    }
}
