//! Ruby exception classes, defined in lib/integrations/native/errors.rb and looked up once.
//! Core errors reach Ruby through one mapping here, never through ad-hoc strings at call sites.

use chatwoot_integrations::Error as CoreError;
use magnus::{prelude::*, value::Lazy, Error, ExceptionClass, Ruby};

// The module lives in `namespace`; this path is kept for the modules that still name it here.
pub use crate::namespace::native_module;

fn lookup(ruby: &Ruby, name: &str) -> Result<ExceptionClass, Error> {
    native_module(ruby)?.const_get::<_, ExceptionClass>(name)
}

macro_rules! exception_classes {
    ($($static_name:ident => $ruby_name:literal),* $(,)?) => {
        $(
            // Falls back to StandardError only if the constant vanished after load; `init` has
            // already proved it exists, so in practice this is the Ruby class of that name.
            static $static_name: Lazy<ExceptionClass> = Lazy::new(|ruby| {
                lookup(ruby, $ruby_name).unwrap_or_else(|_| ruby.exception_standard_error())
            });
        )*

        /// Proves at load time that every class exists, then warms the lazy statics.
        pub fn init(ruby: &Ruby) -> Result<(), Error> {
            $(
                lookup(ruby, $ruby_name)?;
                let _ = ruby.get_inner(&$static_name);
            )*
            Ok(())
        }
    };
}

exception_classes! {
    SIGNATURE_ERROR => "SignatureError",
    SERIALIZATION_ERROR => "SerializationError",
    DELIVERY_ERROR => "DeliveryError",
    CONFIGURATION_ERROR => "ConfigurationError",
    INTERNAL_ERROR => "InternalError",
}

/// `Integrations::Native::InternalError`: a bug on our side (a Rust panic), never an abort.
pub fn internal_error(ruby: &Ruby) -> ExceptionClass {
    ruby.get_inner(&INTERNAL_ERROR)
}

/// The one mapping from core errors to Ruby exceptions.
pub fn to_ruby(ruby: &Ruby, err: CoreError) -> Error {
    let message = err.to_string();
    let class = match err {
        CoreError::InvalidArgument(_) => ruby.exception_arg_error(),
        CoreError::Signature(_) => ruby.get_inner(&SIGNATURE_ERROR),
        CoreError::Configuration(_) => ruby.get_inner(&CONFIGURATION_ERROR),
        CoreError::Delivery(_) => ruby.get_inner(&DELIVERY_ERROR),
        CoreError::Internal(_) => ruby.get_inner(&INTERNAL_ERROR),
    };
    Error::new(class, message)
}
