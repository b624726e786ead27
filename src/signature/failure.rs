use std::fmt;

/// Why a signature did not verify. The Ruby face exposes [`Failure::reason`] as a Symbol on
/// `SignatureError#reason`, [`Failure::part`] as `#part`, and [`Failure::message`] as its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// Well-formed, but not the signature of this content under this secret.
    Mismatch,
    /// The timestamp lies outside the tolerance window (too old or too far in the future).
    Expired,
    /// This part is not in the scheme's format.
    Malformed(Part),
    /// This required part is absent or empty.
    Missing(Part),
}

/// Which part of a signed request was missing or malformed, so the bang forms can say which
/// (the non-bang forms only answer false, as the official libraries' callers expect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The signature value (or list of them) as the scheme's header carries it.
    Signature,
    /// The timestamp: its own header, Stripe's `t=`, or Linear's `webhookTimestamp` field.
    Timestamp,
    /// The message id Standard Webhooks signs (`webhook-id` / `svix-id`).
    Id,
    /// A header that carries several parts at once (Stripe's `Stripe-Signature`).
    Header,
    /// The URL a Twilio signature covers (a port that is not a number, …).
    Url,
    /// The signed body, where the scheme reads a field out of it (Linear's JSON).
    Body,
    /// Form parameters a scheme cannot have signed (a nested value Rack built from `a[b]`).
    Params,
}

impl Part {
    pub const ALL: [Part; 7] = [
        Part::Signature,
        Part::Timestamp,
        Part::Id,
        Part::Header,
        Part::Url,
        Part::Body,
        Part::Params,
    ];

    /// The part as the Ruby face names it (`:signature`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Signature => "signature",
            Part::Timestamp => "timestamp",
            Part::Id => "id",
            Part::Header => "header",
            Part::Url => "url",
            Part::Body => "body",
            Part::Params => "params",
        }
    }

    /// The part in a sentence.
    fn noun(self) -> &'static str {
        match self {
            Part::Signature => "the signature",
            Part::Timestamp => "the timestamp",
            Part::Id => "the message id",
            Part::Header => "the signature header",
            Part::Url => "the signed URL",
            Part::Body => "the body",
            Part::Params => "the form parameters",
        }
    }
}

impl Failure {
    /// Every failure there is, for the binding's table of codes (tests check it is complete).
    pub fn all() -> impl Iterator<Item = Failure> {
        [Failure::Mismatch, Failure::Expired]
            .into_iter()
            .chain(Part::ALL.into_iter().map(Failure::Malformed))
            .chain(Part::ALL.into_iter().map(Failure::Missing))
    }

    /// The reason as the Ruby face names it (`:mismatch`, `:expired`, `:malformed`, `:missing`):
    /// the documented, stable classification, without the part.
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Mismatch => "mismatch",
            Failure::Expired => "expired",
            Failure::Malformed(_) => "malformed",
            Failure::Missing(_) => "missing",
        }
    }

    /// The part that was missing or malformed, if the failure is about one.
    pub fn part(self) -> Option<Part> {
        match self {
            Failure::Malformed(part) | Failure::Missing(part) => Some(part),
            Failure::Mismatch | Failure::Expired => None,
        }
    }

    /// The reason and the part in one name (`malformed_timestamp`), the form the binding hands to
    /// Ruby so one Symbol carries both.
    pub fn code(self) -> String {
        match self.part() {
            Some(part) => format!("{}_{}", self.as_str(), part.as_str()),
            None => self.as_str().to_owned(),
        }
    }

    /// A sentence for the exception message. Never quotes the request's values (a signature or a
    /// body may be sensitive).
    pub fn message(self) -> String {
        match self {
            Failure::Mismatch => "the signature does not match the content".into(),
            Failure::Expired => "the timestamp is outside the tolerance window".into(),
            Failure::Malformed(part) => format!("{} is not in the expected format", part.noun()),
            Failure::Missing(part) => format!("{} is missing", part.noun()),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_name_reason_and_part() {
        let codes: HashSet<String> = Failure::all().map(Failure::code).collect();
        assert_eq!(codes.len(), 2 + 2 * Part::ALL.len());
        assert_eq!(
            Failure::Malformed(Part::Timestamp).code(),
            "malformed_timestamp"
        );
        assert_eq!(Failure::Missing(Part::Id).code(), "missing_id");
        assert_eq!(Failure::Mismatch.code(), "mismatch");
        assert_eq!(
            Failure::Malformed(Part::Header).message(),
            "the signature header is not in the expected format"
        );
    }
}
