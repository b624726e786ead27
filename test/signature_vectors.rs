//! Chatwoot signature vectors computed independently by Ruby's OpenSSL
//! (test/fixtures/chatwoot_signatures.json, shared with the RSpec suite).

use chatwoot_integrations::signature::{hmac_sha256_hex, sign_chatwoot, verify_chatwoot, Failure};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/test/fixtures/chatwoot_signatures.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let doc: Value = serde_json::from_str(&text).expect("fixture is JSON");
    doc["vectors"].as_array().expect("vectors array").clone()
}

#[test]
fn chatwoot_vectors_from_ruby_openssl() {
    let vectors = vectors();
    assert!(vectors.len() >= 4);
    for v in vectors {
        let secret = v["secret"].as_str().unwrap().as_bytes();
        let ts = v["timestamp"].as_i64().unwrap();
        let ts_text = ts.to_string();
        let body = v["body"].as_str().unwrap().as_bytes();
        let signature = v["signature"].as_str().unwrap();

        assert_eq!(sign_chatwoot(secret, ts_text.as_bytes(), body), signature);
        assert_eq!(
            hmac_sha256_hex(secret, &[body]),
            v["body_only_hex"].as_str().unwrap()
        );
        assert_eq!(
            verify_chatwoot(
                secret,
                ts_text.as_bytes(),
                body,
                signature.as_bytes(),
                300,
                ts + 10
            ),
            Ok(())
        );
        // Hashing the body alone (the receivers' favourite mistake) must not verify.
        let body_only = format!("sha256={}", v["body_only_hex"].as_str().unwrap());
        assert_eq!(
            verify_chatwoot(
                secret,
                ts_text.as_bytes(),
                body,
                body_only.as_bytes(),
                300,
                ts
            ),
            Err(Failure::Mismatch)
        );
    }
}
