//! Standard Webhooks (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.ts.body")>`,
//! where the key is the base64 part of a `whsec_…` secret (a raw secret is used as it is).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::mac::hmac_sha256;
use crate::{Error, Result};

const SECRET_PREFIX: &[u8] = b"whsec_";

/// The HMAC key of a Standard Webhooks secret: base64-decoded after `whsec_`, else the raw bytes.
pub fn standard_key(secret: &[u8]) -> Result<Vec<u8>> {
    match secret.strip_prefix(SECRET_PREFIX) {
        Some(encoded) => BASE64.decode(encoded).map_err(|_| {
            Error::InvalidArgument("a whsec_ secret must be followed by valid base64".into())
        }),
        None => Ok(secret.to_vec()),
    }
}

/// The `webhook-signature` value (`v1,<base64>`) for a message, given the decoded key.
pub fn sign_standard(key: &[u8], id: &[u8], timestamp: &[u8], body: &[u8]) -> String {
    let mac = hmac_sha256(key, &[id, b".", timestamp, b".", body]);
    format!("v1,{}", BASE64.encode(mac))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example() {
        // The example in the Standard Webhooks specification and its reference libraries' tests.
        let key = standard_key(b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = sign_standard(
            &key,
            b"msg_p5jXN8AQM9LWM0D4loKWxJek",
            b"1614265330",
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn raw_and_bad_secrets() {
        assert_eq!(standard_key(b"plain").unwrap(), b"plain");
        assert!(standard_key(b"whsec_***").is_err());
    }
}
