use std::fmt;

/// Why a signature did not verify. The Ruby face exposes it as a Symbol on `SignatureError#reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// Well-formed, but not the signature of this content under this secret.
    Mismatch,
    /// The timestamp lies outside the tolerance window (too old or too far in the future).
    Expired,
    /// The signature or timestamp is not in the scheme's format.
    Malformed,
    /// A required part (signature, timestamp) is empty.
    Missing,
}

impl Failure {
    /// The reason as the Ruby face names it (`:mismatch`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Mismatch => "mismatch",
            Failure::Expired => "expired",
            Failure::Malformed => "malformed",
            Failure::Missing => "missing",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
