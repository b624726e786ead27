//! Linear's GraphQL API (Chatwoot's Linear integration): one call, errors read off the answer.
//! GraphQL reports most errors as HTTP 200 with an `errors` array.

use std::time::Duration;

use serde_json::{json, Value};

use crate::dispatch::{provider_post, Engine, ProviderReply};
use crate::secret::Secret;
use crate::{Error, Result};

pub fn graphql_body(query: &str, variables: &Value) -> Vec<u8> {
    json!({ "query": query, "variables": variables })
        .to_string()
        .into_bytes()
}

/// The `data` of a GraphQL answer, or a DeliveryError with the provider's messages.
pub fn interpret(reply: &ProviderReply) -> Result<Value> {
    let body: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let messages: Vec<String> = body
        .as_ref()
        .and_then(|b| b.get("errors"))
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e.get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown error")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default();
    if !messages.is_empty() {
        return Err(Error::Delivery(format!("linear: {}", messages.join("; "))));
    }
    match reply.status {
        200..=299 => {}
        401 | 403 => {
            return Err(Error::Delivery(format!(
                "linear: not authorized (HTTP {}); reconnect the integration",
                reply.status
            )))
        }
        429 => return Err(Error::Delivery("linear: rate limited (HTTP 429)".into())),
        status => return Err(Error::Delivery(format!("linear: HTTP {status}"))),
    }
    body.and_then(|mut b| b.get_mut("data").map(Value::take))
        .filter(|data| !data.is_null())
        .ok_or_else(|| Error::Delivery("linear: an answer without data".into()))
}

/// Performs one GraphQL request with the integration's OAuth token.
pub async fn graphql(
    engine: &Engine,
    url: &str,
    token: &Secret,
    query: &str,
    variables: &Value,
    timeout: Duration,
) -> Result<Value> {
    let reply = provider_post(
        engine,
        url,
        Some(token),
        "application/json; charset=utf-8",
        graphql_body(query, variables),
        timeout,
    )
    .await
    .map_err(|f| Error::Delivery(format!("linear: {}", f.message())))?;
    interpret(&reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_reply as reply;

    #[test]
    fn answers() {
        assert_eq!(
            interpret(&reply(200, json!({"data": {"teams": {"nodes": []}}}))).unwrap(),
            json!({"teams": {"nodes": []}})
        );
        let errors = json!({"errors": [{"message": "Entity not found", "extensions": {"code": "INVALID_INPUT"}}, {"message": "second"}], "data": null});
        assert_eq!(
            interpret(&reply(200, errors)).unwrap_err().to_string(),
            "linear: Entity not found; second"
        );
        assert!(interpret(&reply(401, json!({})))
            .unwrap_err()
            .to_string()
            .contains("not authorized"));
        assert!(interpret(&reply(200, json!({"data": null}))).is_err());
        assert!(interpret(&ProviderReply {
            status: 502,
            retry_after: None,
            body: b"<html>".to_vec()
        })
        .unwrap_err()
        .to_string()
        .contains("502"));
    }

    #[test]
    fn body() {
        let body: Value = serde_json::from_slice(&graphql_body(
            "query { teams { nodes { id } } }",
            &json!({"a": 1}),
        ))
        .unwrap();
        assert_eq!(
            body,
            json!({"query": "query { teams { nodes { id } } }", "variables": {"a": 1}})
        );
    }
}
