//! The JSON writers: an escaped string parses back (with serde_json) to exactly the text it came
//! from, and Ruby's float format round-trips.
#![no_main]
use chatwoot_integrations::payload::{write_float, write_string, Mode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for mode in [Mode::Json, Mode::Rails] {
            let mut out = Vec::new();
            write_string(&mut out, text.as_bytes(), mode);
            let back: String = serde_json::from_slice(&out).expect("escaped output is a JSON string");
            assert_eq!(back, text, "{mode:?}");
        }
    }
    if data.len() >= 8 {
        let f = f64::from_le_bytes(data[..8].try_into().unwrap());
        if f.is_finite() {
            let mut out = Vec::new();
            write_float(&mut out, f);
            let text = std::str::from_utf8(&out).unwrap();
            let back: f64 = text.parse().expect("Ruby's float format parses back");
            assert!(
                back == f || (back == 0.0 && f == 0.0),
                "{f:e} printed as {text}"
            );
        }
    }
});
