//! HMAC (SHA-256, and SHA-1 for the schemes that still use it) and the constant-time comparisons
//! every verifier builds on.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{Failure, Part};

/// HMAC-SHA256 of the concatenation of `parts` (no copy of the parts is made).
pub fn hmac_sha256(secret: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length (long ones are hashed first), so this cannot fail.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA1 of the concatenation of `parts`.
pub fn hmac_sha1(secret: &[u8], parts: &[&[u8]]) -> [u8; 20] {
    let mut mac =
        <Hmac<Sha1> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Lower-case hex HMAC-SHA256, equal to Ruby's `OpenSSL::HMAC.hexdigest("SHA256", secret, body)`.
pub fn hmac_sha256_hex(secret: &[u8], parts: &[&[u8]]) -> String {
    // Into a buffer: hex::encode collects the String a char at a time, which showed in profiles of
    // the delivery engine (every delivery is signed).
    let mut hex = [0u8; 64];
    hex::encode_to_slice(hmac_sha256(secret, parts), &mut hex).expect("32 bytes are 64 digits");
    String::from_utf8(hex.to_vec()).expect("hex digits are ASCII")
}

/// Whether `candidate` is exactly the lower-case hex HMAC-SHA256 of `parts`.
///
/// The comparison is constant-time in the content; only the length, which is public, ends it early.
/// Upper-case hex is refused on purpose: every scheme we meet sends lower case, and accepting
/// other spellings would let a mangled header pass.
pub fn verify_hex(secret: &[u8], parts: &[&[u8]], candidate: &[u8]) -> bool {
    ct_eq(hmac_sha256_hex(secret, parts).as_bytes(), candidate)
}

/// `Ok` when the signature matched, else a mismatch.
pub fn matched(ok: bool) -> Result<(), Failure> {
    if ok {
        Ok(())
    } else {
        Err(Failure::Mismatch)
    }
}

/// Constant-time equality (lengths are public).
pub fn ct_eq(expected: &[u8], candidate: &[u8]) -> bool {
    expected.ct_eq(candidate).into()
}

/// Checks a base64 MAC (standard alphabet, padded) against `expected`: `Malformed` when it is not
/// base64, `Mismatch` when it decodes to anything else.
pub fn check_base64(expected: &[u8], candidate: &[u8]) -> Result<(), Failure> {
    let candidate = candidate.trim_ascii();
    if candidate.is_empty() {
        return Err(Failure::Missing(Part::Signature));
    }
    let decoded = BASE64
        .decode(candidate)
        .map_err(|_| Failure::Malformed(Part::Signature))?;
    matched(ct_eq(expected, &decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    // RFC 4231, section 4: the HMAC-SHA256 test vectors (case 5, truncated output, is left out).
    fn rfc4231() -> Vec<(String, String, &'static str)> {
        let large_key_text = hex::encode("Test Using Larger Than Block-Size Key - Hash Key First");
        let large_key_and_data_text = hex::encode(
            "This is a test using a larger than block-size key and a larger than block-size data. \
             The key needs to be hashed before being used by the HMAC algorithm.",
        );
        vec![
            (
                "0b".repeat(20),
                hex::encode("Hi There"),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                hex::encode("Jefe"),
                hex::encode("what do ya want for nothing?"),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                "aa".repeat(20),
                "dd".repeat(50),
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                "0102030405060708090a0b0c0d0e0f10111213141516171819".into(),
                "cd".repeat(50),
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                "aa".repeat(131),
                large_key_text,
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                "aa".repeat(131),
                large_key_and_data_text,
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ]
    }

    #[test]
    fn rfc4231_vectors() {
        for (key, data, mac) in rfc4231() {
            assert_eq!(hmac_sha256_hex(&unhex(&key), &[&unhex(&data)]), mac);
            assert!(verify_hex(&unhex(&key), &[&unhex(&data)], mac.as_bytes()));
        }
    }

    #[test]
    fn rfc2202_hmac_sha1() {
        // RFC 2202, test cases 1 and 2.
        assert_eq!(
            hex::encode(hmac_sha1(&[0x0b; 20], &[b"Hi There"])),
            "b617318655057264e28bc0b6fb378c8ef146be00"
        );
        assert_eq!(
            hex::encode(hmac_sha1(b"Jefe", &[b"what do ya want for nothing?"])),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn parts_are_concatenated() {
        let whole = hmac_sha256_hex(b"k", &[b"123.body"]);
        assert_eq!(hmac_sha256_hex(b"k", &[b"123", b".", b"body"]), whole);
    }

    #[test]
    fn empty_key_and_body() {
        // Known value: HMAC-SHA256 with an empty key over an empty message.
        assert_eq!(
            hmac_sha256_hex(b"", &[]),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"
        );
    }

    #[test]
    fn verify_refuses_near_misses() {
        let good = hmac_sha256_hex(b"secret", &[b"body"]);
        assert!(verify_hex(b"secret", &[b"body"], good.as_bytes()));
        assert!(!verify_hex(
            b"secret",
            &[b"body"],
            good.to_uppercase().as_bytes()
        ));
        assert!(!verify_hex(b"secret", &[b"body"], &good.as_bytes()[..63]));
        assert!(!verify_hex(b"secret", &[b"body"], b""));
        assert!(!verify_hex(
            b"secret",
            &[b"body"],
            format!("{good}0").as_bytes()
        ));
        assert!(!verify_hex(b"secret", &[b"body"], &[0xff; 64]));
        assert!(!verify_hex(b"other", &[b"body"], good.as_bytes()));
        assert!(!verify_hex(b"secret", &[b"body!"], good.as_bytes()));
        let mut flipped = good.into_bytes();
        flipped[10] = if flipped[10] == b'0' { b'1' } else { b'0' };
        assert!(!verify_hex(b"secret", &[b"body"], &flipped));
    }
}
