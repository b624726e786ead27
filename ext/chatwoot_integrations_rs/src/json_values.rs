//! A provider's JSON answer (a `serde_json::Value`) as Ruby objects: Hashes with String keys,
//! Arrays, Strings, Integers, Floats, true/false/nil, like `JSON.parse` would give, without
//! making JSON text for Ruby to parse again.

use magnus::{IntoValue, RHash, Ruby, Value};
use serde_json::Value as Json;

use crate::helpers::RbResult;

/// `value` as Ruby objects. Recursion is bounded: serde_json refuses input nested deeper than 128
/// levels, and every Value here comes from parsing a provider's answer.
pub fn to_ruby(ruby: &Ruby, value: &Json) -> RbResult<Value> {
    Ok(match value {
        Json::Null => ruby.qnil().into_value_with(ruby),
        Json::Bool(b) => b.into_value_with(ruby),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_value_with(ruby),
            (None, Some(u)) => u.into_value_with(ruby),
            _ => n.as_f64().unwrap_or(f64::NAN).into_value_with(ruby),
        },
        Json::String(s) => ruby.str_new(s).into_value_with(ruby),
        Json::Array(items) => {
            let array = ruby.ary_new_capa(items.len());
            for item in items {
                array.push(to_ruby(ruby, item)?)?;
            }
            array.into_value_with(ruby)
        }
        Json::Object(map) => {
            let hash: RHash = ruby.hash_new();
            for (key, item) in map {
                hash.aset(ruby.str_new(key), to_ruby(ruby, item)?)?;
            }
            hash.into_value_with(ruby)
        }
    })
}
