//! Endpoint URLs and the address guard: parsing, literal-host checks and address classification.
//! Loopback, private and metadata addresses must never pass the default policy.
#![no_main]
use chatwoot_integrations::dispatch::{classify_address, parse_endpoint_url, Guard, GuardPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let guard = Guard::new(GuardPolicy::default());
    if let Ok(url) = parse_endpoint_url(text) {
        let verdict = guard.admit(&url);
        if let Some(url::Host::Ipv4(ip)) = url.host() {
            if ip.is_loopback() || ip.is_private() || ip.is_link_local() {
                assert!(verdict.is_err(), "{ip} passed the default guard");
            }
        }
    }
    if data.len() >= 16 {
        let v6 = std::net::Ipv6Addr::from(<[u8; 16]>::try_from(&data[..16]).unwrap());
        let _ = classify_address(v6.into());
        if let Some(v4) = v6.to_ipv4_mapped() {
            if v4.is_loopback() {
                assert!(classify_address(v6.into()).is_some());
            }
        }
    }
});
