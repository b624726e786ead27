//! Replays the cases `rake interop` generated with the schemes' official Python libraries
//! (test/fixtures/interop/*.jsonl, see test/interop/generate.py): every signature the gem makes
//! equals the library's, and every verdict agrees with the library's, valid and tampered, except
//! where a case names the deviation (the gem stricter on purpose).

use std::path::Path;

use chatwoot_integrations::signature::{
    parse_form, sign_standard, standard_key, verify_slack, verify_standard, verify_stripe,
    verify_twilio_with, TwilioAlgorithm, TwilioContent,
};
use serde_json::Value;

fn cases(scheme: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test/fixtures/interop")
        .join(format!("{scheme}.jsonl"));
    let text = std::fs::read_to_string(&path).expect("fixture file (run `rake interop`)");
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"));
    let meta = lines.next().expect("meta line");
    assert!(
        meta["meta"]["libraries"]
            .as_object()
            .is_some_and(|l| !l.is_empty()),
        "{scheme}: the first line records the library versions"
    );
    let cases: Vec<Value> = lines.collect();
    assert!(cases.len() >= 500, "{scheme}: {} cases", cases.len());
    cases
}

fn text<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {case}"))
}

fn body(case: &Value) -> Vec<u8> {
    match &case["body"] {
        Value::String(s) => s.as_bytes().to_vec(),
        b => text(b, "repeat")
            .repeat(b["times"].as_u64().unwrap() as usize)
            .into_bytes(),
    }
}

/// The gem's verdict must be the expected one, and that the library's unless a deviation is named.
fn check(case: &Value, ours: bool, failures: &mut Vec<String>) {
    let expect = case["expect"].as_bool().unwrap();
    let library = case["library"].as_bool().unwrap();
    if ours != expect {
        let mut shown = case.to_string();
        shown.truncate(400);
        failures.push(format!("gem {ours}, expected {expect}: {shown}"));
    }
    if expect != library && case["deviation"].as_str().is_none() {
        failures.push(format!(
            "expected {expect} but library {library} without a deviation"
        ));
    }
}

fn done(scheme: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{scheme}: {} disagreement(s):\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

#[test]
fn standard_webhooks_and_svix() {
    let mut failures = Vec::new();
    for case in cases("standard") {
        let key = standard_key(text(&case, "secret").as_bytes());
        if text(&case, "kind") == "sign" {
            match (key, case["error"].as_str()) {
                (Err(_), Some(_)) => {}
                (Ok(key), None) => {
                    let ours = sign_standard(
                        &key,
                        text(&case, "id").as_bytes(),
                        text(&case, "timestamp").as_bytes(),
                        &body(&case),
                    );
                    if ours != text(&case, "signature") {
                        failures.push(format!("signed {ours} for {case}"));
                    }
                }
                (key, error) => failures.push(format!("key {:?} vs {error:?}", key.is_ok())),
            }
            continue;
        }
        let headers = &case["headers"];
        // As the svix library: svix-* first, header by header, then webhook-*.
        let header = |part: &str| {
            headers[format!("svix-{part}")]
                .as_str()
                .or(headers[format!("webhook-{part}")].as_str())
                .unwrap_or("")
                .as_bytes()
        };
        let key = key.expect("verify cases have usable secrets");
        let ours = verify_standard(
            &key,
            header("id"),
            header("timestamp"),
            &body(&case),
            header("signature"),
            300,
            case["now"].as_i64().unwrap(),
        )
        .is_ok();
        check(&case, ours, &mut failures);
    }
    done("standard", failures);
}

#[test]
fn stripe() {
    let mut failures = Vec::new();
    for case in cases("stripe") {
        let ours = verify_stripe(
            text(&case, "secret").as_bytes(),
            &body(&case),
            text(&case, "header").as_bytes(),
            300,
            case["now"].as_i64().unwrap(),
        )
        .is_ok();
        check(&case, ours, &mut failures);
    }
    done("stripe", failures);
}

#[test]
fn slack() {
    let mut failures = Vec::new();
    for case in cases("slack") {
        let ours = verify_slack(
            text(&case, "secret").as_bytes(),
            text(&case, "timestamp").as_bytes(),
            &body(&case),
            text(&case, "signature").as_bytes(),
            300,
            case["now"].as_i64().unwrap(),
        )
        .is_ok();
        check(&case, ours, &mut failures);
    }
    done("slack", failures);
}

#[test]
fn twilio() {
    let mut failures = Vec::new();
    for case in cases("twilio") {
        let settings = case["signature_settings"].as_str().unwrap_or("");
        let algorithm =
            TwilioAlgorithm::from_settings(settings.as_bytes()).expect("known algorithm");
        let raw = body(&case);
        let params = parse_form(&raw);
        let content = if text(&case, "content_type") == "application/json" {
            TwilioContent::Body(&raw)
        } else {
            TwilioContent::Params(&params)
        };
        let ours = verify_twilio_with(
            algorithm,
            text(&case, "auth_token").as_bytes(),
            text(&case, "url"),
            content,
            text(&case, "signature").as_bytes(),
        )
        .is_ok();
        check(&case, ours, &mut failures);
    }
    done("twilio", failures);
}
