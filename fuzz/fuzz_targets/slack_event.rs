//! Slack Events API bodies: never a panic, always a classified event.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = chatwoot_integrations::providers::slack::incoming::parse(data);
});
