//! Generic machinery shared by every Ruby-facing module.

pub mod bytes;
pub mod gvl;
pub mod hash;
pub mod panic;
pub mod symbol;

pub type RbResult<T> = Result<T, magnus::Error>;
