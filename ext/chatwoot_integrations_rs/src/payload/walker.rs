//! The walk over a Ruby object tree, writing JSON bytes as it goes.
//!
//! Most payloads are plain Hashes, Arrays, Strings and numbers: writing them needs no call into
//! Ruby, so a Hash is first iterated without `rb_protect` (see `helpers::hash`). Only when the
//! walk meets something that needs Ruby (`to_s`, `as_json`, a Bignum, a transcoding) does the
//! outermost such Hash go on from that entry with magnus' protected iteration.
//!
//! What a callback raises is sorted as `JSON.generate` would leave it: a StandardError is the value's
//! failure (SerializationError, with it as the cause); anything else is Ruby's own control flow
//! (Interrupt, SignalException, SystemExit, Thread#kill, `throw`, Timeout.timeout's throw) and goes
//! back to Ruby exactly as it was caught, with no Ruby call in between.

use chatwoot_integrations::payload::{
    write_float, write_integer, write_string, Mode, PathSegment, RubyFloat, SerializeError,
};
use magnus::error::ErrorType;
use magnus::r_hash::ForEach;
use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::{prelude::*, Error, Fixnum, Float, RArray, RHash, RString, Ruby, Symbol, Value};
use rb_sys::ruby_value_type as T;

use super::stack::StackCheck;
use super::strings::{string_meta, Encodings, CR_7BIT, CR_VALID};
use crate::helpers::hash::each_entry_without_ruby;

/// How many times Rails mode follows `as_json` returning yet another custom object.
const MAX_AS_JSON_HOPS: usize = 8;

pub struct Walker<'r> {
    pub ruby: &'r Ruby,
    pub out: Vec<u8>,
    pub mode: Mode,
    pub max_nesting: usize,
    /// The Hashes and Arrays being written, outermost first (for telling a cycle from deep nesting).
    pub open: Vec<rb_sys::VALUE>,
    /// What a `to_s` / `as_json` raised: the StandardError kept as the cause of the
    /// SerializationError, or the interrupt that goes on (a Ruby value, so it lives here on the
    /// stack, where the GC sees it, rather than boxed in a `Stop`).
    pub raised: Option<Error>,
    pub encodings: Encodings,
    /// How many Hashes are being iterated without `rb_protect` around this point: while any is,
    /// nothing may call Ruby.
    pub unprotected: usize,
    pub stack: StackCheck,
}

/// Why a step stopped. (Two variants, one boxed: a step's result fits in registers and takes the
/// fewest instructions to test, and the walk returns one per value.)
enum Stop {
    Failed(Box<Failure>),
    /// The value needs a call into Ruby, which must not happen inside an unprotected iteration:
    /// the outermost one goes on from the current entry with a protected one.
    NeedsRuby,
}

enum Failure {
    Invalid(SerializeError),
    /// A callback was interrupted by something that is not a StandardError (kept in
    /// `Walker::raised`): the walk stops at once and hands it back to Ruby unchanged.
    Interrupted,
}

/// Why a walk failed.
pub enum WalkError {
    /// The payload cannot be written; `Walker::raised` holds the StandardError behind it, if any.
    Invalid(SerializeError),
    /// Ruby's control flow interrupted a callback: this error goes on to Ruby as it was caught
    /// (an exception re-raised as the same object, a throw or Thread#kill resumed by its tag).
    Interrupted(Error),
}

impl From<SerializeError> for Stop {
    fn from(e: SerializeError) -> Self {
        Stop::Failed(Box::new(Failure::Invalid(e)))
    }
}

impl Stop {
    fn within(mut self, segment: impl FnOnce() -> PathSegment) -> Stop {
        if let Stop::Failed(failure) = &mut self {
            if let Failure::Invalid(e) = failure.as_mut() {
                *e = std::mem::replace(e, SerializeError::new("")).within(segment());
            }
        }
        self
    }
}

type Step = Result<(), Stop>;

impl<'r> Walker<'r> {
    /// Writes `v` (the root of a payload) to `out`.
    pub fn walk(&mut self, v: Value) -> Result<(), WalkError> {
        match self.value(v) {
            Ok(()) => Ok(()),
            Err(Stop::Failed(failure)) => match *failure {
                Failure::Invalid(e) => Err(WalkError::Invalid(e)),
                // `interrupted` is the only way to Failure::Interrupted, and it sets `raised`.
                Failure::Interrupted => Err(self.raised.take().map_or_else(
                    || WalkError::Invalid(SerializeError::new("interrupted")),
                    WalkError::Interrupted,
                )),
            },
            // Only raised inside an unprotected Hash iteration, and handled by the outermost one.
            Err(Stop::NeedsRuby) => unreachable!("a call into Ruby was refused outside a Hash"),
        }
    }

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
        match Fixnum::from_value(v) {
            Some(n) => write_integer(&mut self.out, n.to_i64()),
            // A Bignum: Ruby prints it (JSON.generate does the same).
            None => {
                let text: RString = self.call(v, "to_s", ())?;
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
                return Err(SerializeError::new("NaN is not valid JSON").into())
            }
            (_, Mode::Json) => return Err(SerializeError::new("Infinity is not valid JSON").into()),
        }
        Ok(())
    }

    /// A Symbol by its name (through the name String: a name may contain NUL bytes).
    fn symbol(&mut self, v: Value) -> Step {
        // SAFETY: `v` is a live Symbol; rb_sym2str returns its (frozen, shared) name String, a valid VALUE.
        let name = unsafe { Value::from_raw(rb_sys::rb_sym2str(v.as_raw())) };
        match RString::from_value(name) {
            Some(s) => self.string(s),
            None => Err(SerializeError::new("a Symbol without a name").into()),
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
            return Err(SerializeError::new("String is not valid UTF-8").into());
        }
        if encoding == known.binary {
            return Err(SerializeError::new(
                "binary (ASCII-8BIT) String with non-ASCII bytes is not valid UTF-8",
            )
            .into());
        }
        let converted: RString = self.call(s.as_value(), "encode", ("UTF-8",))?;
        // SAFETY: a fresh String from `encode`; checked, then copied at once.
        let bytes = unsafe { converted.as_slice() };
        if std::str::from_utf8(bytes).is_err() {
            return Err(SerializeError::new("String cannot be converted to UTF-8").into());
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
            )
            .into());
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    fn enter(&mut self, container: rb_sys::VALUE) -> Step {
        let too_deep = if self.open.len() >= self.max_nesting {
            format!("nesting deeper than max_nesting ({})", self.max_nesting)
        } else if self.stack.exhausted() {
            format!(
                "nesting deeper than the stack of this thread or Fiber allows ({} levels)",
                self.open.len()
            )
        } else {
            self.open.push(container);
            return Ok(());
        };
        // Only now is the path searched for a repeat: a cycle always ends up this deep, and
        // checking here costs nothing on the way.
        Err(match self.first_repeat(container) {
            // Reported up to the first container met a second time: where the cycle closes.
            Some(j) => {
                SerializeError::new("reference cycle (a Hash or Array that contains itself)")
                    .keep_outermost(j)
            }
            None => SerializeError::new(too_deep),
        }
        .into())
    }

    /// The depth at which the open containers, then `next`, first repeat one (a reference cycle).
    fn first_repeat(&self, next: rb_sys::VALUE) -> Option<usize> {
        let mut seen = std::collections::HashSet::with_capacity(self.open.len() + 1);
        self.open
            .iter()
            .chain(std::iter::once(&next))
            .position(|container| !seen.insert(*container))
    }

    fn hash(&mut self, h: RHash) -> Step {
        self.enter(h.as_raw())?;
        // ActiveSupport's Hash#as_json turns every key into a String first, so keys that print the
        // same ("id" and :id) collapse into one: the later value at the first key's place. A Ruby
        // Hash built the same way gives exactly that (and keeps its values visible to the GC).
        let h = if self.mode == Mode::Rails && !all_string_keys(h) {
            self.may_call_ruby()?;
            self.stringify_keys(h)?
        } else {
            h
        };
        self.out.push(b'{');
        let mut written = 0;
        let mut stopped = None;
        self.unprotected += 1;
        // SAFETY: while `unprotected` is above zero every path that would call Ruby stops with
        // NeedsRuby instead (`may_call_ruby`), so the callback never calls Ruby.
        unsafe {
            each_entry_without_ruby(h, |key, value| match self.entry(written, key, value) {
                Ok(()) => {
                    written += 1;
                    true
                }
                Err(stop) => {
                    stopped = Some(stop);
                    false
                }
            });
        }
        self.unprotected -= 1;
        match stopped {
            None => {}
            // The outermost unprotected Hash: go on from the entry that needs Ruby.
            Some(Stop::NeedsRuby) if self.unprotected == 0 => {
                self.entries_calling_ruby(h, written)?
            }
            Some(stop) => return Err(stop),
        }
        self.out.push(b'}');
        self.open.pop();
        Ok(())
    }

    /// Writes the entries of `h` from index `from` on, iterating with magnus' protected form, so
    /// that `to_s` / `as_json` may run (and raise, or even modify the Hash).
    fn entries_calling_ruby(&mut self, h: RHash, from: usize) -> Step {
        let mut index = 0;
        let mut stopped = None;
        let iteration = h.foreach(|key: Value, value: Value| {
            index += 1;
            if index <= from {
                return Ok(ForEach::Continue);
            }
            match self.entry(index - 1, key, value) {
                Ok(()) => Ok(ForEach::Continue),
                Err(stop) => {
                    stopped = Some(stop);
                    Ok(ForEach::Stop)
                }
            }
        });
        if let Err(e) = iteration {
            // Ruby raised while iterating (the Hash was modified by a to_s/as_json callback).
            if !self.is_standard_error(&e) {
                return Err(self.interrupted(e));
            }
            self.raised = Some(e);
            return Err(
                SerializeError::new("the Hash changed while it was being serialized").into(),
            );
        }
        stopped.map_or(Ok(()), Err)
    }

    /// One `"key":value` pair of a Hash (after a comma unless it is the first). On NeedsRuby the
    /// output and the open containers are put back as they were before the entry, so it can be
    /// written again where Ruby may be called.
    fn entry(&mut self, index: usize, key: Value, value: Value) -> Step {
        let (written, open) = (self.out.len(), self.open.len());
        if index > 0 {
            self.out.push(b',');
        }
        let step = self.key(key).and_then(|()| {
            self.out.push(b':');
            self.value(value)
        });
        match step {
            Ok(()) => Ok(()),
            Err(Stop::NeedsRuby) => {
                self.out.truncate(written);
                self.open.truncate(open);
                Err(Stop::NeedsRuby)
            }
            Err(stop) => Err(stop.within(|| PathSegment::Key(key_text(key)))),
        }
    }

    /// Refuses a call into Ruby while a Hash is iterated without protection (see `Stop::NeedsRuby`).
    fn may_call_ruby(&self) -> Step {
        if self.unprotected > 0 {
            Err(Stop::NeedsRuby)
        } else {
            Ok(())
        }
    }

    fn stringify_keys(&mut self, h: RHash) -> Result<RHash, Stop> {
        let copy = self.ruby.hash_new();
        let mut failure = None;
        let iteration = h.foreach(|key: Value, value: Value| {
            let text = match RString::from_value(key) {
                Some(s) => Ok(s.as_value()),
                None => key.funcall::<_, _, Value>("to_s", ()),
            };
            // (aset raises only for a Hash that is frozen or iterated: never this new one.)
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
        let text: RString = self.call(key, "to_s", ())?;
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
                .map_err(|e| e.within(|| PathSegment::Index(i)))?;
            i += 1;
        }
        self.out.push(b']');
        self.open.pop();
        Ok(())
    }

    /// Any other object: `to_s` as JSON.generate does, or in Rails mode `as_json` (Time, Date,
    /// BigDecimal, models and serializers), followed until it gives a plain value.
    fn other(&mut self, v: Value) -> Step {
        self.may_call_ruby()?;
        if self.mode == Mode::Rails {
            let mut current = v;
            for _ in 0..MAX_AS_JSON_HOPS {
                let Some(result) = current.check_funcall::<_, _, Value>("as_json", ()) else {
                    break;
                };
                let result = match result {
                    Ok(result) => result,
                    Err(e) => return Err(self.fail_with(e, "as_json raised")),
                };
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
        let text: Value = self.call(v, "to_s", ())?;
        match RString::from_value(text) {
            Some(s) => self.string(s),
            None => Err(SerializeError::new("to_s did not return a String").into()),
        }
    }

    fn call<T: magnus::TryConvert, A: magnus::ArgList>(
        &mut self,
        v: Value,
        method: &str,
        args: A,
    ) -> Result<T, Stop> {
        self.may_call_ruby()?;
        v.funcall(method, args)
            .map_err(|e| self.fail_with(e, &format!("{method} raised")))
    }

    /// What a callback raised, sorted: a StandardError is the value's failure, kept as the cause and
    /// described; anything else stops the walk and goes on as it was.
    fn fail_with(&mut self, e: Error, what: &str) -> Stop {
        if !self.is_standard_error(&e) {
            return self.interrupted(e);
        }
        let detail = match self.exception_text(&e) {
            Ok(detail) => detail,
            Err(stop) => return stop,
        };
        self.raised = Some(e);
        SerializeError::new(format!("{what}: {detail}")).into()
    }

    fn is_standard_error(&self, e: &Error) -> bool {
        e.is_kind_of(self.ruby.exception_standard_error())
    }

    /// Stops the walk for Ruby's control flow (`e` is not a StandardError, or is a jump such as
    /// `throw` or Thread#kill): nothing calls Ruby again before `e` is handed back to it.
    fn interrupted(&mut self, e: Error) -> Stop {
        self.raised = Some(e);
        Stop::Failed(Box::new(Failure::Interrupted))
    }

    /// A StandardError's message, from its `to_s` (as magnus' Display would, but a `to_s` that is
    /// interrupted in turn stops the walk instead of being swallowed).
    fn exception_text(&mut self, e: &Error) -> Result<String, Stop> {
        let ErrorType::Exception(exception) = e.error_type() else {
            // Made in Rust (a conversion's TypeError): no Ruby code to run.
            return Ok(e.to_string());
        };
        match exception.funcall::<_, _, RString>("to_s", ()) {
            // SAFETY: copied at once.
            Ok(text) => Ok(String::from_utf8_lossy(unsafe { text.as_slice() }).into_owned()),
            Err(inner) if !self.is_standard_error(&inner) => Err(self.interrupted(inner)),
            // SAFETY: `exception` is a live object; rb_obj_classname runs no Ruby code.
            Err(_) => Ok(format!("{} (its to_s raised)", unsafe {
                exception.classname()
            })),
        }
    }
}

/// Whether every key of `h` is a String (the common case, which needs no key conversion).
fn all_string_keys(h: RHash) -> bool {
    let mut all = true;
    // SAFETY: the callback only reads the key's type.
    unsafe {
        each_entry_without_ruby(h, |key, _| {
            all = RString::from_value(key).is_some();
            all
        });
    }
    all
}

/// A Hash key as it appears in an error path: Strings, Symbols, Integers and Floats as their text,
/// any other key by its class. No Ruby code runs here: this is on the way out of a failure (and a
/// key's `to_s` is user code, which has had its one call).
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
    if let Some(n) = Fixnum::from_value(key) {
        return n.to_i64().to_string();
    }
    if let Some(f) = Float::from_value(key) {
        return match RubyFloat::of(f.to_f64()) {
            RubyFloat::Finite(f) => {
                let mut text = Vec::new();
                write_float(&mut text, f);
                String::from_utf8_lossy(&text).into_owned()
            }
            RubyFloat::NaN => "NaN".to_string(),
            RubyFloat::Infinite if f.to_f64() < 0.0 => "-Infinity".to_string(),
            RubyFloat::Infinite => "Infinity".to_string(),
        };
    }
    // SAFETY: `key` is a live object; rb_obj_classname runs no Ruby code.
    format!("#<{}>", unsafe { key.classname() })
}
