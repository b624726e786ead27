//! The address guard (SSRF protection).

mod policy;
mod resolve;

pub use policy::*;
pub use resolve::GuardedConnector;
