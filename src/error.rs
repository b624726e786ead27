//! The core's error type. Every variant maps to one Ruby exception class in the binding crate,
//! and no variant ever carries a secret: messages name what was wrong, never the key material.

use std::fmt;

use crate::signature::Failure;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An argument the caller controls is unusable (Ruby `ArgumentError`).
    InvalidArgument(String),
    /// A signature did not verify; the reason says why (Ruby `SignatureError`).
    Signature(Failure),
    /// Settings that cannot work (Ruby `ConfigurationError`).
    Configuration(String),
    /// A provider answered with an error the caller must handle (Ruby `DeliveryError`).
    Delivery(String),
    /// Something on our side failed that the caller could not have prevented (Ruby `InternalError`).
    Internal(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(msg) => f.write_str(msg),
            Error::Signature(failure) => write!(f, "signature verification failed: {failure}"),
            Error::Configuration(msg) | Error::Delivery(msg) | Error::Internal(msg) => {
                f.write_str(msg)
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Self {
        Error::Signature(failure)
    }
}
