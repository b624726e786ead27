//! Provider answers (Slack, OpenAI, Dialogflow, Linear) with arbitrary statuses and bodies.
#![no_main]
use chatwoot_integrations::dispatch::ProviderReply;
use chatwoot_integrations::providers::{dialogflow, linear, openai, slack};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let status = data.first().map_or(200, |b| 100 + u16::from(*b) * 2);
    let reply = ProviderReply {
        status,
        retry_after: None,
        body: data.get(1..).unwrap_or_default().to_vec(),
    };
    let _ = slack::interpret(&reply, data.len() % 2 == 0);
    let _ = openai::interpret(&reply);
    let _ = dialogflow::interpret(&reply);
    let _ = linear::interpret(&reply);
});
