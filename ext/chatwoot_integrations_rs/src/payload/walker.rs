//! `Integrations::Native::Payload`: walks a Ruby object tree straight into JSON bytes, without
//! intermediate Ruby strings, byte-identical to `JSON.generate` (or ActiveSupport's `to_json` in
//! Rails mode). The writers live in the core crate (`payload`); this is the Ruby side of the walk.

use chatwoot_integrations::payload::{
    write_float, write_integer, write_string, Mode, PathSegment, RubyFloat, SerializeError,
};
use magnus::r_hash::ForEach;
use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::{
    function, prelude::*, Error, Float, Integer, RArray, RHash, RModule, RString, Ruby, Symbol,
    TryConvert, Value,
};
use rb_sys::ruby_value_type as T;

use crate::errors;
use crate::helpers::{panic::guard, RbResult};

/// How many times Rails mode follows `as_json` returning yet another custom object.
const MAX_AS_JSON_HOPS: usize = 8;

struct Walker<'r> {
    ruby: &'r Ruby,
    out: Vec<u8>,
    mode: Mode,
    max_nesting: usize,
    /// The Hashes and Arrays being written, outermost first (for telling a cycle from deep nesting).
    open: Vec<rb_sys::VALUE>,
    /// An exception raised by `to_s` / `as_json`, kept as the cause of the SerializationError.
    raised: Option<Error>,
    encodings: Encodings,
}

type Step = Result<(), SerializeError>;

impl<'r> Walker<'r> {
    fn value(&mut self, v: Value) -> Step {
        // SAFETY: `v` is a live Ruby value handed to us by Ruby (an argument or a container's element).
        match unsafe { rb_sys::RB_TYPE(v.as_raw()) } {
            T::RUBY_T_NIL => self.out.extend_from_slice(b"null"),
            T::RUBY_T_TRUE => self.out.extend_from_slice(b"true"),
            T::RUBY_T_FALSE => self.out.extend_from_slice(b"false"),
            T::RUBY_T_FIXNUM | T::RUBY_T_BIGNUM => self.integer(v)?,
            T::RUBY_T_FLOAT => self.float(v)?,
            T::RUBY_T_STRING => self.string(
                RString::from_value(v).ok_or_else(|| SerializeError::new("not a String"))?,
            )?,
            T::RUBY_T_SYMBOL => self.symbol(v)?,
            T::RUBY_T_HASH => {
                self.hash(RHash::from_value(v).ok_or_else(|| SerializeError::new("not a Hash"))?)?
            }
            T::RUBY_T_ARRAY => self
                .array(RArray::from_value(v).ok_or_else(|| SerializeError::new("not an Array"))?)?,
            _ => self.other(v)?,
        }
        Ok(())
    }

    fn integer(&mut self, v: Value) -> Step {
        match Integer::from_value(v).map(|i| i.to_i64()) {
            Some(Ok(n)) => write_integer(&mut self.out, n),
            // A Bignum: Ruby prints it (JSON.generate does the same).
            _ => {
                let text: RString = self.call(v, "to_s")?;
                self.raw_ascii(text)?;
            }
        }
        Ok(())
    }

    fn float(&mut self, v: Value) -> Step {
        let f = Float::from_value(v).map(|f| f.to_f64()).unwrap_or(f64::NAN);
        match (RubyFloat::of(f), self.mode) {
            (RubyFloat::Finite(f), _) => write_float(&mut self.out, f),
            // ActiveSupport's Float#as_json turns NaN and Infinity into nil.
            (_, Mode::Rails) => self.out.extend_from_slice(b"null"),
            (RubyFloat::NaN, Mode::Json) => {
                return Err(SerializeError::new("NaN is not valid JSON"))
            }
            (_, Mode::Json) => return Err(SerializeError::new("Infinity is not valid JSON")),
        }
        Ok(())
    }

    /// A Symbol by its name (through the name String: a name may contain NUL bytes).
    fn symbol(&mut self, v: Value) -> Step {
        // SAFETY: `v` is a live Symbol; rb_sym2str returns its (frozen, shared) name String, a valid VALUE.
        let name = unsafe { Value::from_raw(rb_sys::rb_sym2str(v.as_raw())) };
        match RString::from_value(name) {
            Some(s) => self.string(s),
            None => Err(SerializeError::new("a Symbol without a name")),
        }
    }

    /// Appends a String as a JSON string: UTF-8 (or ASCII-only binary/US-ASCII) as it is, other
    /// encodings transcoded to UTF-8 first as JSON.generate does; invalid bytes are an error.
    fn string(&mut self, s: RString) -> Step {
        let (encoding, coderange) = string_meta(s.as_raw());
        let known = self.encodings;
        if coderange == CR_7BIT
            && (encoding == known.utf8 || encoding == known.ascii || encoding == known.binary)
            || (coderange == CR_VALID && encoding == known.utf8)
        {
            // SAFETY: the slice is copied into `out` before any other Ruby call.
            write_string(&mut self.out, unsafe { s.as_slice() }, self.mode);
            return Ok(());
        }
        if encoding == known.utf8 || encoding == known.ascii {
            return Err(SerializeError::new("String is not valid UTF-8"));
        }
        if encoding == known.binary {
            return Err(SerializeError::new(
                "binary (ASCII-8BIT) String with non-ASCII bytes is not valid UTF-8",
            ));
        }
        let converted: RString = self.call_with(s.as_value(), "encode", ("UTF-8",))?;
        // SAFETY: a fresh String from `encode`; checked, then copied at once.
        let bytes = unsafe { converted.as_slice() };
        if std::str::from_utf8(bytes).is_err() {
            return Err(SerializeError::new("String cannot be converted to UTF-8"));
        }
        write_string(&mut self.out, bytes, self.mode);
        Ok(())
    }

    /// A String of ASCII digits from Ruby (Bignum#to_s), appended without quotes.
    fn raw_ascii(&mut self, s: RString) -> Step {
        // SAFETY: copied at once.
        let bytes = unsafe { s.as_slice() };
        if !bytes.iter().all(|b| b.is_ascii_digit() || *b == b'-') {
            return Err(SerializeError::new(
                "Integer#to_s returned something that is not a number",
            ));
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    fn enter(&mut self, container: rb_sys::VALUE) -> Step {
        if self.open.len() >= self.max_nesting {
            // Only now is the path searched for a repeat: a cycle always ends up this deep, and
            // checking here costs nothing on the way.
            // The path is reported up to the first container met a second time: where the cycle closes.
            let mut path = self.open.clone();
            path.push(container);
            let repeat = (1..path.len()).find(|&j| path[..j].contains(&path[j]));
            return Err(match repeat {
                Some(j) => {
                    SerializeError::new("reference cycle (a Hash or Array that contains itself)")
                        .keep_outermost(j)
                }
                None => SerializeError::new(format!(
                    "nesting deeper than max_nesting ({})",
                    self.max_nesting
                )),
            });
        }
        self.open.push(container);
        Ok(())
    }

    fn hash(&mut self, h: RHash) -> Step {
        self.enter(h.as_raw())?;
        // ActiveSupport's Hash#as_json turns every key into a String first, so keys that print the
        // same ("id" and :id) collapse into one: the later value at the first key's place. A Ruby
        // Hash built the same way gives exactly that (and keeps its values visible to the GC).
        let h = if self.mode == Mode::Rails && !all_string_keys(h) {
            self.stringify_keys(h)?
        } else {
            h
        };
        self.out.push(b'{');
        let mut first = true;
        let mut failure: Option<SerializeError> = None;
        let iteration = h.foreach(|key: Value, value: Value| {
            if !first {
                self.out.push(b',');
            }
            first = false;
            let step = self.key(key).and_then(|()| {
                self.out.push(b':');
                self.value(value)
            });
            match step {
                Ok(()) => Ok(ForEach::Continue),
                Err(e) => {
                    failure = Some(e.within(PathSegment::Key(key_text(key))));
                    Ok(ForEach::Stop)
                }
            }
        });
        if let Err(e) = iteration {
            // Ruby raised while iterating (the Hash was modified by a to_s/as_json callback).
            self.raised = Some(e);
            return Err(SerializeError::new(
                "the Hash changed while it was being serialized",
            ));
        }
        if let Some(e) = failure {
            return Err(e);
        }
        self.out.push(b'}');
        self.open.pop();
        Ok(())
    }

    fn stringify_keys(&mut self, h: RHash) -> Result<RHash, SerializeError> {
        let copy = self.ruby.hash_new();
        let mut failure = None;
        let iteration = h.foreach(|key: Value, value: Value| {
            let text = match RString::from_value(key) {
                Some(s) => Ok(s.as_value()),
                None => key.funcall::<_, _, Value>("to_s", ()),
            };
            match text.and_then(|text| copy.aset(text, value)) {
                Ok(()) => Ok(ForEach::Continue),
                Err(e) => {
                    failure = Some(e);
                    Ok(ForEach::Stop)
                }
            }
        });
        match iteration.err().or(failure) {
            Some(e) => Err(self.fail_with(e, "a Hash key's to_s raised")),
            None => Ok(copy),
        }
    }

    /// Hash keys become strings: Strings as they are, Symbols by name, anything else by `to_s`.
    fn key(&mut self, key: Value) -> Step {
        if let Some(s) = RString::from_value(key) {
            return self.string(s);
        }
        if Symbol::from_value(key).is_some() {
            return self.symbol(key);
        }
        let text: RString = self.call(key, "to_s")?;
        self.string(text)
    }

    fn array(&mut self, a: RArray) -> Step {
        self.enter(a.as_raw())?;
        self.out.push(b'[');
        let raw = a.as_raw();
        let mut i = 0;
        // SAFETY (both reads): `raw` is a live Array. Its length and element pointer are read again
        // for every element, since a to_s/as_json callback may have changed (or moved) its storage.
        while i < unsafe { rb_sys::RARRAY_LEN(raw) } as usize {
            if i > 0 {
                self.out.push(b',');
            }
            let element = unsafe { Value::from_raw(*rb_sys::RARRAY_CONST_PTR(raw).add(i)) };
            self.value(element)
                .map_err(|e| e.within(PathSegment::Index(i)))?;
            i += 1;
        }
        self.out.push(b']');
        self.open.pop();
        Ok(())
    }

    /// Any other object: `to_s` as JSON.generate does, or in Rails mode `as_json` (Time, Date,
    /// BigDecimal, models and serializers), followed until it gives a plain value.
    fn other(&mut self, v: Value) -> Step {
        if self.mode == Mode::Rails {
            let mut current = v;
            for _ in 0..MAX_AS_JSON_HOPS {
                let Some(result) = current.check_funcall::<_, _, Value>("as_json", ()) else {
                    break;
                };
                let result = result.map_err(|e| self.fail_with(e, "as_json raised"))?;
                // SAFETY: a live value just returned by Ruby.
                let plain = !matches!(
                    unsafe { rb_sys::RB_TYPE(result.as_raw()) },
                    T::RUBY_T_OBJECT | T::RUBY_T_DATA | T::RUBY_T_STRUCT
                );
                if plain || result.as_raw() == current.as_raw() {
                    return if plain {
                        self.value(result)
                    } else {
                        self.printed(result)
                    };
                }
                current = result;
            }
            return self.printed(current);
        }
        self.printed(v)
    }

    fn printed(&mut self, v: Value) -> Step {
        let text: Value = self.call(v, "to_s")?;
        match RString::from_value(text) {
            Some(s) => self.string(s),
            None => Err(SerializeError::new("to_s did not return a String")),
        }
    }

    fn call<T: magnus::TryConvert>(&mut self, v: Value, method: &str) -> Result<T, SerializeError> {
        self.call_with(v, method, ())
    }

    fn call_with<T: magnus::TryConvert, A: magnus::ArgList>(
        &mut self,
        v: Value,
        method: &str,
        args: A,
    ) -> Result<T, SerializeError> {
        v.funcall(method, args)
            .map_err(|e| self.fail_with(e, &format!("{method} raised")))
    }

    /// Keeps a Ruby exception as the cause and describes it.
    fn fail_with(&mut self, e: Error, what: &str) -> SerializeError {
        let detail = e.to_string();
        self.raised = Some(e);
        SerializeError::new(format!("{what}: {detail}"))
    }
}

const CR_7BIT: u32 = rb_sys::ruby_coderange_type::RUBY_ENC_CODERANGE_7BIT as u32;
const CR_VALID: u32 = rb_sys::ruby_coderange_type::RUBY_ENC_CODERANGE_VALID as u32;
const CR_MASK: u32 = rb_sys::ruby_coderange_type::RUBY_ENC_CODERANGE_BROKEN as u32;

/// The encoding indexes the serializer accepts as they are, looked up once per dump.
#[derive(Clone, Copy)]
struct Encodings {
    utf8: i32,
    ascii: i32,
    binary: i32,
}

impl Encodings {
    fn lookup() -> Self {
        // SAFETY: these return fixed indexes of Ruby's built-in encodings.
        unsafe {
            Encodings {
                utf8: rb_sys::rb_utf8_encindex(),
                ascii: rb_sys::rb_usascii_encindex(),
                binary: rb_sys::rb_ascii8bit_encindex(),
            }
        }
    }
}

/// A String's encoding index and coderange (7-bit, valid or broken), read from its flags where Ruby
/// keeps both, so the common case makes no call into Ruby. Ruby scans (and caches) the coderange
/// only when it is not known yet.
fn string_meta(raw: rb_sys::VALUE) -> (i32, u32) {
    use rb_sys::ruby_encoding_consts::{RUBY_ENCODING_INLINE_MAX, RUBY_ENCODING_SHIFT};
    // SAFETY: `raw` is a live String; every heap object starts with RBasic, whose `flags` field is
    // where MRI keeps the inline encoding index and the coderange bits (RB_ENCODING_GET_INLINED,
    // RB_ENC_CODERANGE), laid out by the constants of the Ruby this was built against.
    let flags = unsafe { (*(raw as *const rb_sys::RBasic)).flags };
    let mut encoding =
        ((flags >> RUBY_ENCODING_SHIFT as u32) & RUBY_ENCODING_INLINE_MAX as rb_sys::VALUE) as i32;
    if encoding == RUBY_ENCODING_INLINE_MAX as i32 {
        // SAFETY: as above; the index does not fit in the flags, so Ruby keeps it elsewhere.
        encoding = unsafe { rb_sys::rb_enc_get_index(raw) };
    }
    let mut coderange = (flags as u32) & CR_MASK;
    if coderange == 0 {
        // SAFETY: as above; scans the String once and caches the result in its flags.
        coderange = unsafe { rb_sys::rb_enc_str_coderange(raw) } as u32;
    }
    (encoding, coderange)
}

/// Whether every key of `h` is a String (the common case, which needs no key conversion).
fn all_string_keys(h: RHash) -> bool {
    let mut all = true;
    let _ = h.foreach(|key: Value, _: Value| {
        all = RString::from_value(key).is_some();
        Ok(if all {
            ForEach::Continue
        } else {
            ForEach::Stop
        })
    });
    all
}

/// A Hash key as it appears in an error path.
fn key_text(key: Value) -> String {
    if let Some(s) = RString::from_value(key) {
        // SAFETY: copied at once.
        return String::from_utf8_lossy(unsafe { s.as_slice() }).into_owned();
    }
    if let Some(sym) = Symbol::from_value(key) {
        if let Ok(name) = sym.name() {
            return name.into_owned();
        }
    }
    key.inspect()
}

/// `_native_dump(obj, rails, max_nesting, root)` → the JSON String, or `[message, cause]` on failure
/// (the Ruby face raises SerializationError with that cause). `rails` is taken by truthiness.
fn dump(
    ruby: &Ruby,
    obj: Value,
    rails: Value,
    max_nesting: Value,
    root: String,
) -> RbResult<Value> {
    guard(ruby, || {
        let max_nesting = match usize::try_convert(max_nesting) {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => {
                return Err(Error::new(
                    ruby.exception_arg_error(),
                    format!(
                        "max_nesting must be an Integer from 1 to 10000, got {}",
                        max_nesting.inspect()
                    ),
                ))
            }
        };
        let rails = rails.to_bool();
        let mut walker = Walker {
            ruby,
            out: Vec::with_capacity(1024),
            mode: if rails { Mode::Rails } else { Mode::Json },
            max_nesting,
            open: Vec::new(),
            raised: None,
            encodings: Encodings::lookup(),
        };
        match walker.value(obj) {
            Ok(()) => {
                // SAFETY: every byte written is ASCII or was copied from a String verified to be UTF-8.
                let json = unsafe { std::str::from_utf8_unchecked(&walker.out) };
                Ok(walker.ruby.str_new(json).as_value())
            }
            Err(e) => {
                let cause = walker
                    .raised
                    .take()
                    .and_then(|e| e.value())
                    .map(|v| v.as_value());
                Ok(ruby
                    .ary_new_from_values(&[
                        ruby.str_new(&e.describe(&root)).as_value(),
                        cause.unwrap_or(ruby.qnil().as_value()),
                    ])
                    .as_value())
            }
        }
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let module: RModule = errors::native_module(ruby)?.define_module("Payload")?;
    module.define_singleton_method("_native_dump", function!(dump, 4))?;
    Ok(())
}
