//! `X-Hub-Signature-256: sha256=<hex>` (Meta: WhatsApp, Instagram, Messenger; GitHub) and the
//! legacy `X-Hub-Signature: sha1=<hex>`: HMAC of the raw body.

use super::mac::{ct_eq, hmac_sha1, hmac_sha256, matched};
use super::{Failure, Part};

pub fn verify_hub(secret: &[u8], body: &[u8], header: &[u8]) -> Result<(), Failure> {
    let header = header.trim_ascii();
    if header.is_empty() {
        return Err(Failure::Missing(Part::Signature));
    }
    let split = header
        .iter()
        .position(|b| *b == b'=')
        .ok_or(Failure::Malformed(Part::Signature))?;
    let (algorithm, hex) = (&header[..split], &header[split + 1..]);
    let expected = match algorithm {
        b"sha256" => hex::encode(hmac_sha256(secret, &[body])),
        b"sha1" => hex::encode(hmac_sha1(secret, &[body])),
        // An algorithm we do not accept is not a format error: the header is simply not valid.
        _ => return Err(Failure::Mismatch),
    };
    matched(ct_eq(expected.as_bytes(), hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_documented_example() {
        // From GitHub's "Validating webhook deliveries".
        let header = b"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(
            verify_hub(b"It's a Secret to Everybody", b"Hello, World!", header),
            Ok(())
        );
        assert_eq!(
            verify_hub(b"It's a Secret to Everybody", b"Hello, World?", header),
            Err(Failure::Mismatch)
        );
    }

    #[test]
    fn sha1_unknown_and_junk() {
        let sha1 = format!("sha1={}", hex::encode(hmac_sha1(b"k", &[b"body"])));
        assert_eq!(verify_hub(b"k", b"body", sha1.as_bytes()), Ok(()));
        assert_eq!(
            verify_hub(b"k", b"body", b"md5=abc"),
            Err(Failure::Mismatch)
        );
        assert_eq!(
            verify_hub(b"k", b"body", b"sha256"),
            Err(Failure::Malformed(Part::Signature))
        );
        assert_eq!(
            verify_hub(b"k", b"body", b""),
            Err(Failure::Missing(Part::Signature))
        );
        assert_eq!(
            verify_hub(b"k", b"body", b"sha256="),
            Err(Failure::Mismatch)
        );
    }
}
