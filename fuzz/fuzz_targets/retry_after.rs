//! Retry-After values (delay-seconds and the three HTTP date forms): never a panic, never over a day.
#![no_main]
use chatwoot_integrations::dispatch::parse_retry_after;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(delay) = parse_retry_after(text, std::time::SystemTime::now()) {
            assert!(delay <= std::time::Duration::from_secs(86_400));
        }
    }
});
