//! Every signature verifier over arbitrary headers, bodies and timestamps: never a panic.
#![no_main]
use chatwoot_integrations::signature::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Split the input into a few fields on 0xFF bytes (which never occur in UTF-8 text).
    let mut parts = data.split(|b| *b == 0xFF);
    let a = parts.next().unwrap_or_default();
    let b = parts.next().unwrap_or_default();
    let c = parts.next().unwrap_or_default();
    let now = 1_700_000_000;
    let _ = verify_chatwoot(b"secret", a, b, c, 300, now);
    let _ = verify_slack(b"secret", a, b, c, 300, now);
    let _ = verify_standard(b"key", a, b, c, data, 300, now);
    let _ = verify_stripe(b"secret", b, a, 300, now);
    let _ = verify_hub(b"secret", b, a);
    let _ = verify_base64(b"secret", b, a);
    let _ = verify_linear(b"secret", b, a, 60, now);
    let _ = standard_key(a);
    let _ = parse_unix_seconds(a);
    if let Ok(url) = std::str::from_utf8(a) {
        let params = vec![(b.to_vec(), vec![c.to_vec()])];
        let _ = verify_twilio(b"token", url, TwilioContent::Params(&params), c);
        let _ = verify_twilio(b"token", url, TwilioContent::Body(b), c);
    }
});
