//! The JSON writers: escaping keeps valid UTF-8 valid JSON, and Ruby's float format round-trips.
#![no_main]
use chatwoot_integrations::payload::{write_float, write_string, Mode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for mode in [Mode::Json, Mode::Rails] {
            let mut out = Vec::new();
            write_string(&mut out, text.as_bytes(), mode);
            let json = std::str::from_utf8(&out).expect("escaped output is UTF-8");
            assert!(json.starts_with('"') && json.ends_with('"'));
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
