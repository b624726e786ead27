//! The `base64` scheme, Shopify (`X-Shopify-Hmac-Sha256`) and LINE (`X-Line-Signature`): a base64
//! HMAC-SHA256 of the raw body.

use super::mac::{check_base64, hmac_sha256};
use super::Failure;

pub fn verify_base64(secret: &[u8], body: &[u8], signature: &[u8]) -> Result<(), Failure> {
    check_base64(&hmac_sha256(secret, &[body]), signature)
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD as BASE64;
    use base64::Engine;

    use super::*;
    use crate::signature::Part;

    #[test]
    fn base64_signatures() {
        let sig = BASE64.encode(hmac_sha256(b"shpss_secret", &[b"{\"id\":1}"]));
        assert_eq!(
            verify_base64(b"shpss_secret", b"{\"id\":1}", sig.as_bytes()),
            Ok(())
        );
        assert_eq!(
            verify_base64(b"shpss_secret", b"{\"id\":2}", sig.as_bytes()),
            Err(Failure::Mismatch)
        );
        assert_eq!(
            verify_base64(b"shpss_secret", b"{}", b"not base64!"),
            Err(Failure::Malformed(Part::Signature))
        );
        assert_eq!(
            verify_base64(b"shpss_secret", b"{}", b""),
            Err(Failure::Missing(Part::Signature))
        );
        assert_eq!(
            verify_base64(b"shpss_secret", b"{}", b"AAAA"),
            Err(Failure::Mismatch)
        );
    }
}
