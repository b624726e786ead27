//! Endpoints as `N.dispatch` takes them, converted one by one into the core's `EndpointInput`.
//!
//! This is where an endpoint's Ruby types are checked (a Hash with `url`, `secret` (or an Array of
//! secrets, for rotation), `headers`, `delivery_id` as Symbol or String keys; Strings; text that is
//! UTF-8 or converts to it), once,
//! for a fan-out and a single dispatch alike; the core then checks the values (URL, header names
//! and values, delivery id). A defect becomes that endpoint's `Unusable` entry, and so its invalid
//! result, never an exception that would cost the other endpoints their delivery. A single dispatch
//! (`url:`) raises instead (in `dispatch`), with the class recorded here (TypeError for a wrong type).
//!
//! Only exceptions Ruby itself raises here (an interrupt while an Exception entry's `message` runs)
//! propagate.

use chatwoot_integrations::dispatch::{EndpointInput, EndpointSpec, Unusable};
use chatwoot_integrations::secret::Secret;
use magnus::encoding::{Coderange, EncodingCapable, RbEncoding};
use magnus::r_hash::ForEach;
use magnus::value::{LazyId, ReprValue};
use magnus::{Error, Exception, Integer, RArray, RHash, RString, Ruby, Symbol, Value};

use crate::helpers::bytes::owned;
use crate::helpers::hash::each_entry_without_ruby;
use crate::helpers::symbol;
use crate::helpers::RbResult;

static URL: LazyId = LazyId::new("url");
static SECRET: LazyId = LazyId::new("secret");
static HEADERS: LazyId = LazyId::new("headers");
static DELIVERY_ID: LazyId = LazyId::new("delivery_id");

/// Interns the key names at load time, so reading a Hash never has to.
pub fn init(ruby: &Ruby) {
    for id in [&URL, &SECRET, &HEADERS, &DELIVERY_ID] {
        LazyId::force(id, ruby);
    }
}

/// Which Ruby exception a single dispatch raises for a defect.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value of the wrong type: TypeError.
    Type,
    /// A value of the right type that cannot be used: ArgumentError.
    Argument,
}

/// Why a value cannot be converted: a defect of the endpoint, or an exception Ruby raised.
pub enum Refusal {
    Defect(Kind, String),
    Raised(Error),
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Refusal::Raised(e)
    }
}

impl Refusal {
    /// As the exception a call-level argument raises.
    pub fn into_error(self, ruby: &Ruby) -> Error {
        match self {
            Refusal::Defect(Kind::Type, message) => {
                Error::new(ruby.exception_type_error(), message)
            }
            Refusal::Defect(Kind::Argument, message) => {
                Error::new(ruby.exception_arg_error(), message)
            }
            Refusal::Raised(e) => e,
        }
    }
}

fn type_error(message: String) -> Refusal {
    Refusal::Defect(Kind::Type, message)
}

fn argument_error(message: String) -> Refusal {
    Refusal::Defect(Kind::Argument, message)
}

fn class_of(value: Value) -> String {
    // SAFETY: the name is copied at once, before anything can run Ruby code.
    unsafe { value.classname() }.into_owned()
}

/// `value` as a String, or a TypeError naming `name`. Only real Strings: an object's `to_str` is
/// never called, so no Ruby code runs on the way.
fn string(name: &str, value: Value) -> Result<RString, Refusal> {
    RString::from_value(value)
        .ok_or_else(|| type_error(format!("{name} must be a String, got {}", class_of(value))))
}

/// The text of a Ruby String as UTF-8: as it is when it is UTF-8 or ASCII, converted when it is
/// valid text in another encoding. A binary String must be ASCII (its bytes have no stated
/// meaning), and bytes invalid in the String's own encoding are refused.
pub fn text(ruby: &Ruby, name: &str, s: RString) -> Result<String, Refusal> {
    // SAFETY: the bytes are copied before anything else can run.
    if let Some(text) = unsafe { s.test_as_str() } {
        return Ok(text.to_owned());
    }
    let encoding = s.enc_get();
    if encoding == ruby.ascii8bit_encindex() {
        return Err(argument_error(format!(
            "{name} is binary with bytes above 0x7F, not UTF-8 text"
        )));
    }
    let encoding_name = RbEncoding::from(encoding).name().to_owned();
    if s.enc_coderange_scan() == Coderange::Broken {
        return Err(argument_error(format!(
            "{name} is not valid {encoding_name}"
        )));
    }
    let converted = s.conv_enc(ruby.utf8_encoding())?;
    // SAFETY: as above; `converted` is a new String nothing else holds.
    match unsafe { converted.test_as_str() } {
        Some(text) => Ok(text.to_owned()),
        None => Err(argument_error(format!(
            "{name} is {encoding_name} text that cannot be converted to UTF-8"
        ))),
    }
}

/// A header name: a String or Symbol.
fn header_name(ruby: &Ruby, name: Value) -> Result<String, Refusal> {
    let name = match Symbol::from_value(name) {
        Some(symbol) => symbol::name(symbol),
        None => RString::from_value(name),
    }
    .ok_or_else(|| {
        type_error(format!(
            "header names must be Strings or Symbols, got {}",
            class_of(name)
        ))
    })?;
    text(ruby, "header name", name)
}

/// Appends the pairs of a headers Hash to `pairs`. Their values are checked by the core.
pub fn header_pairs(
    ruby: &Ruby,
    headers: Value,
    pairs: &mut Vec<(String, String)>,
) -> Result<(), Refusal> {
    let Some(hash) = RHash::from_value(headers) else {
        return Err(type_error(format!(
            "headers must be a Hash, got {}",
            class_of(headers)
        )));
    };
    // The closure keeps its own refusal and stops: an Err from `foreach` is then only ever an
    // exception Ruby raised, which must propagate as it is.
    let mut refusal = None;
    hash.foreach(|name: Value, value: Value| {
        let pair = header_name(ruby, name).and_then(|name| {
            let value = RString::from_value(value).ok_or_else(|| {
                type_error(format!(
                    "header {name} must have a String value, got {}",
                    class_of(value)
                ))
            })?;
            let value = text(ruby, &format!("header {name}"), value)?;
            Ok((name, value))
        });
        match pair {
            Ok(pair) => {
                pairs.push(pair);
                Ok(ForEach::Continue)
            }
            Err(e) => {
                refusal = Some(e);
                Ok(ForEach::Stop)
            }
        }
    })?;
    refusal.map_or(Ok(()), Err)
}

/// The shared `headers:` of a call, checked once: a defect there is the caller's for the whole
/// call, so it raises.
pub fn shared_headers(ruby: &Ruby, headers: Value) -> RbResult<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    header_pairs(ruby, headers, &mut pairs).map_err(|r| r.into_error(ruby))?;
    chatwoot_integrations::dispatch::custom_headers(&pairs)
        .map_err(|message| Error::new(ruby.exception_arg_error(), message))?;
    Ok(pairs)
}

/// The endpoint keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Url,
    Secret,
    Headers,
    DeliveryId,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Url => "url",
            Field::Secret => "secret",
            Field::Headers => "headers",
            Field::DeliveryId => "delivery_id",
        }
    }

    /// The field a key names: a Symbol or a String. Runs no Ruby code.
    fn of(key: Value) -> Option<Field> {
        if let Some(symbol) = Symbol::from_value(key).and_then(Symbol::as_static) {
            return [
                (&URL, Field::Url),
                (&SECRET, Field::Secret),
                (&HEADERS, Field::Headers),
                (&DELIVERY_ID, Field::DeliveryId),
            ]
            .into_iter()
            .find(|(id, _)| symbol == **id)
            .map(|(_, field)| field);
        }
        let key = RString::from_value(key)?;
        // SAFETY: compared at once; nothing runs Ruby code meanwhile.
        match unsafe { key.as_slice() } {
            b"url" => Some(Field::Url),
            b"secret" => Some(Field::Secret),
            b"headers" => Some(Field::Headers),
            b"delivery_id" => Some(Field::DeliveryId),
            _ => None,
        }
    }
}

/// Unknown keys named in a message; more are counted.
const UNKNOWN_SHOWN: usize = 4;

/// An endpoint Hash's entries, read without running Ruby code. This lives on the stack, where
/// Ruby's conservative GC sees (and pins) the values it holds while they are converted.
#[derive(Default)]
struct Fields {
    url: Option<Value>,
    secret: Option<Value>,
    headers: Option<Value>,
    delivery_id: Option<Value>,
    twice: Option<Field>,
    unknown: [Option<Value>; UNKNOWN_SHOWN],
    unknown_count: usize,
}

impl Fields {
    /// Reads `hash` natively: a Hash subclass's overridden methods are not called.
    fn read(hash: RHash) -> Fields {
        let mut fields = Fields::default();
        // SAFETY: the callback runs no Ruby code: type checks, Symbol id comparisons and byte
        // comparisons only (see `Field::of`).
        unsafe {
            each_entry_without_ruby(hash, |key, value| {
                match Field::of(key) {
                    Some(field) => {
                        let slot = match field {
                            Field::Url => &mut fields.url,
                            Field::Secret => &mut fields.secret,
                            Field::Headers => &mut fields.headers,
                            Field::DeliveryId => &mut fields.delivery_id,
                        };
                        if slot.replace(value).is_some() {
                            fields.twice = Some(field);
                        }
                    }
                    None => {
                        if let Some(shown) = fields.unknown.get_mut(fields.unknown_count) {
                            *shown = Some(key);
                        }
                        fields.unknown_count += 1;
                    }
                }
                true
            });
        }
        fields
    }

    /// `url`, `secret`, … that are present and not nil.
    fn given(value: Option<Value>) -> Option<Value> {
        value.filter(|v| !v.is_nil())
    }
}

/// A key as an error message names it: never a long text, never a control character.
fn describe_key(key: Value) -> String {
    let text = if let Some(symbol) = Symbol::from_value(key) {
        symbol::name(symbol).map(lossy)
    } else if let Some(string) = RString::from_value(key) {
        Some(lossy(string))
    } else {
        Integer::from_value(key).map(|integer| integer.to_string())
    };
    match text {
        Some(text) => {
            let mut shown: String = text.chars().take(40).flat_map(char::escape_debug).collect();
            if text.chars().count() > 40 {
                shown.push('…');
            }
            shown
        }
        None => format!("a key of class {}", class_of(key)),
    }
}

/// A String's bytes as text, invalid sequences replaced: for showing, never for sending.
fn lossy(s: RString) -> String {
    // SAFETY: copied at once.
    unsafe { s.to_string_lossy() }.into_owned()
}

/// The endpoint a Hash describes.
fn spec_from(
    ruby: &Ruby,
    f: &Fields,
    shared: &[(String, String)],
) -> Result<EndpointSpec, Refusal> {
    if f.unknown_count > 0 {
        let mut names: Vec<String> = f
            .unknown
            .iter()
            .flatten()
            .map(|k| describe_key(*k))
            .collect();
        if f.unknown_count > UNKNOWN_SHOWN {
            names.push(format!("and {} more", f.unknown_count - UNKNOWN_SHOWN));
        }
        return Err(argument_error(format!(
            "unknown endpoint key(s): {}",
            names.join(", ")
        )));
    }
    if let Some(field) = f.twice {
        return Err(argument_error(format!(
            "{} given twice (as a Symbol and as a String key)",
            field.name()
        )));
    }
    let url = match Fields::given(f.url) {
        Some(url) => text(ruby, "url", string("url", url)?)?,
        None => return Err(type_error("url must be a String, got NilClass".into())),
    };
    let (secret, previous_secrets) = match Fields::given(f.secret) {
        // Secret rotation (durable delivery): newest first; the core decides what each scheme
        // does with the older ones and how many it takes.
        Some(list) if RArray::from_value(list).is_some() => secrets(list)?,
        Some(secret) => {
            let secret = string("secret", secret)?;
            // An empty secret means an unsigned delivery, as nil does.
            (
                (!secret.is_empty()).then(|| Secret::new(owned(secret))),
                Vec::new(),
            )
        }
        None => (None, Vec::new()),
    };
    let headers = match Fields::given(f.headers) {
        Some(own) => {
            let mut pairs = shared.to_vec();
            // The endpoint's own come after the shared ones, and so override them.
            header_pairs(ruby, own, &mut pairs)?;
            pairs
        }
        None => shared.to_vec(),
    };
    let delivery_id = match Fields::given(f.delivery_id) {
        Some(id) => Some(text(ruby, "delivery_id", string("delivery_id", id)?)?),
        None => None,
    };
    Ok(EndpointSpec {
        url,
        secret,
        headers,
        delivery_id,
        previous_secrets,
    })
}

/// A `secret:` Array (rotation, newest first): Strings, none empty. An empty Array is unsigned,
/// as nil is. Each is copied as it is read, before the next entry is looked at.
fn secrets(list: Value) -> Result<(Option<Secret>, Vec<Secret>), Refusal> {
    let Some(list) = RArray::from_value(list) else {
        return Ok((None, Vec::new()));
    };
    let mut all = Vec::with_capacity(list.len());
    for index in 0..list.len() {
        let entry: Value = list.entry(index as isize)?;
        let secret = RString::from_value(entry).ok_or_else(|| {
            type_error(format!(
                "secret entries must be Strings, got {}",
                class_of(entry)
            ))
        })?;
        if secret.is_empty() {
            return Err(argument_error("secret entries must not be empty".into()));
        }
        all.push(Secret::new(owned(secret)));
    }
    let mut all = all.into_iter();
    Ok((all.next(), all.collect()))
}

/// What can be read of an unusable endpoint for its result: its URL and delivery id, leniently.
fn unusable(ruby: &Ruby, f: &Fields, error: String) -> Unusable {
    let read = |value: Option<Value>| Fields::given(value).and_then(RString::from_value);
    Unusable {
        url: read(f.url).map(lossy).unwrap_or_default(),
        delivery_id: read(f.delivery_id).and_then(|id| text(ruby, "delivery_id", id).ok()),
        error,
    }
}

/// An Exception given in place of an endpoint (a caller's lookup that failed): its result is
/// invalid, with the exception's message as the error, and its `delivery_id` if it has one.
fn from_exception(ruby: &Ruby, exception: Exception) -> RbResult<Unusable> {
    let standard = ruby.exception_standard_error();
    let message = match exception.funcall::<_, _, Value>("message", ()) {
        Ok(message) => RString::from_value(message).map(lossy),
        Err(e) if e.is_kind_of(standard) => None,
        Err(e) => return Err(e),
    };
    let delivery_id = match exception.respond_to("delivery_id", false)? {
        true => match exception.funcall::<_, _, Value>("delivery_id", ()) {
            Ok(id) => RString::from_value(id).and_then(|id| text(ruby, "delivery_id", id).ok()),
            Err(e) if e.is_kind_of(standard) => None,
            Err(e) => return Err(e),
        },
        false => None,
    };
    Ok(Unusable {
        url: String::new(),
        delivery_id,
        error: message.unwrap_or_else(|| {
            format!(
                "{} (its message could not be read)",
                class_of(exception.as_value())
            )
        }),
    })
}

/// A fan-out's endpoints, in order, and which of them are unusable for a wrong type.
pub struct Endpoints {
    pub inputs: Vec<EndpointInput>,
    pub type_errors: TypeErrors,
}

/// The indexes of endpoints unusable for a wrong type, ascending (usually none).
#[derive(Default)]
pub struct TypeErrors(Vec<usize>);

impl TypeErrors {
    /// Whether the endpoint at `index` is unusable for a wrong type (TypeError for a single dispatch).
    pub fn contains(&self, index: usize) -> bool {
        self.0.binary_search(&index).is_ok()
    }
}

/// Converts every entry of `endpoints`; `shared` (already checked) goes to each endpoint.
pub fn convert(ruby: &Ruby, endpoints: RArray, shared: &[(String, String)]) -> RbResult<Endpoints> {
    let mut converted = Endpoints {
        inputs: Vec::with_capacity(endpoints.len()),
        type_errors: TypeErrors::default(),
    };
    // Entry by entry, by index: a Ruby String (a secret) may not be kept in heap memory the GC
    // cannot see, so each endpoint is copied into owned data before the next is read.
    for index in 0..endpoints.len() {
        let entry: Value = endpoints.entry(index as isize)?;
        let input = if let Some(hash) = RHash::from_value(entry) {
            let fields = Fields::read(hash);
            match spec_from(ruby, &fields, shared) {
                Ok(spec) => EndpointInput::Spec(spec),
                Err(Refusal::Raised(e)) => return Err(e),
                Err(Refusal::Defect(kind, error)) => {
                    if kind == Kind::Type {
                        converted.type_errors.0.push(index);
                    }
                    EndpointInput::Unusable(unusable(ruby, &fields, error))
                }
            }
        } else if let Some(exception) = Exception::from_value(entry) {
            EndpointInput::Unusable(from_exception(ruby, exception)?)
        } else {
            converted.type_errors.0.push(index);
            EndpointInput::Unusable(Unusable {
                error: format!("each endpoint must be a Hash, got {}", class_of(entry)),
                ..Unusable::default()
            })
        };
        converted.inputs.push(input);
    }
    Ok(converted)
}
