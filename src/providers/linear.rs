//! Linear's GraphQL API (Chatwoot's Linear integration): the operations Chatwoot uses, each a
//! fixed document with GraphQL variables (no value is ever spliced into a query), and the answer:
//! success is a 2xx with non-null `data`. GraphQL reports most errors as HTTP 200 with an
//! `errors` array.

use std::time::Duration;

use serde_json::{json, Value};

use crate::dispatch::{provider_post, Engine, ProviderReply};
use crate::secret::Secret;
use crate::{Error, Result};

/// The operations, by the name the Ruby face calls them.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("teams", "query Teams { teams { nodes { id name } } }"),
    ("team_entities", "query TeamEntities($teamId: ID!) { users { nodes { id name } } projects { nodes { id name } } \
workflowStates(filter: { team: { id: { eq: $teamId } } }) { nodes { id name } } \
issueLabels(filter: { team: { id: { eq: $teamId } } }) { nodes { id name } } }"),
    ("search_issues", "query SearchIssues($term: String!) { searchIssues(term: $term) { nodes { id title description identifier url state { name color } } } }"),
    ("linked_issues", "query AttachmentsForURL($url: String!) { attachmentsForURL(url: $url) { nodes { id title url issue { id identifier title \
description priority createdAt url assignee { name avatarUrl } state { name color } labels { nodes { id name color description } } } } } }"),
    ("create_issue", "mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id title identifier url } } }"),
    ("link_issue", "mutation AttachmentLinkURL($url: String!, $issueId: String!, $title: String, $createAsUser: String, $displayIconUrl: String) { \
attachmentLinkURL(url: $url, issueId: $issueId, title: $title, createAsUser: $createAsUser, displayIconUrl: $displayIconUrl) { success attachment { id title url } } }"),
    ("unlink_issue", "mutation AttachmentDelete($id: String!) { attachmentDelete(id: $id) { success } }"),
];

/// The document for `operation` and its variables, checked: Chatwoot's rules for an issue (team
/// and title required, priority 0 to 4, labels an array of strings), null fields dropped.
/// ArgumentError naming the field otherwise.
pub fn operation(operation: &str, variables: Value) -> Result<(&'static str, Value)> {
    let Some((_, query)) = OPERATIONS.iter().find(|(name, _)| *name == operation) else {
        return Err(Error::InvalidArgument(format!(
            "linear: no operation {operation:?}"
        )));
    };
    let Value::Object(mut variables) = variables else {
        return Err(Error::InvalidArgument(
            "linear: variables must be a Hash".into(),
        ));
    };
    variables.retain(|_, v| !v.is_null());
    if operation == "create_issue" {
        let input = check_issue(variables.remove("input").unwrap_or(Value::Null))?;
        variables.insert("input".into(), input);
    }
    Ok((query, Value::Object(variables)))
}

fn check_issue(input: Value) -> Result<Value> {
    let Value::Object(mut input) = input else {
        return Err(Error::InvalidArgument(
            "linear: the issue must be a Hash".into(),
        ));
    };
    input.retain(|_, v| !v.is_null());
    for required in ["teamId", "title"] {
        let present = input
            .get(required)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.trim().is_empty());
        if !present {
            return Err(Error::InvalidArgument(format!(
                "linear: {required} is required"
            )));
        }
    }
    if let Some(priority) = input.get("priority") {
        if priority.as_u64().is_none_or(|p| p > 4) {
            return Err(Error::InvalidArgument(
                "linear: priority must be an Integer from 0 (none) to 4 (low)".into(),
            ));
        }
    }
    if let Some(labels) = input.get("labelIds") {
        let strings = labels
            .as_array()
            .is_some_and(|ids| ids.iter().all(Value::is_string));
        if !strings {
            return Err(Error::InvalidArgument(
                "linear: labelIds must be an Array of Strings".into(),
            ));
        }
    }
    Ok(Value::Object(input))
}

pub fn graphql_body(query: &str, variables: &Value) -> Vec<u8> {
    json!({ "query": query, "variables": variables })
        .to_string()
        .into_bytes()
}

/// The `data` of a GraphQL answer: a 2xx with non-null `data` (as Chatwoot reads it, even beside
/// partial `errors`); otherwise a DeliveryError with the provider's messages, or the status.
pub fn interpret(reply: &ProviderReply) -> Result<Value> {
    let body: Option<Value> = serde_json::from_slice(&reply.body).ok();
    if (200..=299).contains(&reply.status) {
        if let Some(data) = body
            .as_ref()
            .and_then(|b| b.get("data"))
            .filter(|d| !d.is_null())
        {
            return Ok(data.clone());
        }
    }
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
    Err(Error::Delivery(match reply.status {
        200..=299 => "linear: an answer without data".into(),
        401 | 403 => format!(
            "linear: not authorized (HTTP {}); reconnect the integration",
            reply.status
        ),
        429 => "linear: rate limited (HTTP 429)".into(),
        status => format!("linear: HTTP {status}"),
    }))
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
        // Data beside partial errors is success, as Chatwoot reads it; data on a 500 is not.
        let partial =
            json!({"data": {"teams": {"nodes": []}}, "errors": [{"message": "one field failed"}]});
        assert!(interpret(&reply(200, &partial)).is_ok());
        assert!(interpret(&reply(500, &partial)).is_err());
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
    fn operations_check_their_variables() {
        let (query, variables) = operation(
            "create_issue",
            json!({"input": {"teamId": "t", "title": "Refund", "priority": 2, "labelIds": ["l"], "projectId": null}}),
        )
        .unwrap();
        assert!(query.starts_with("mutation IssueCreate($input: IssueCreateInput!)"));
        assert_eq!(
            variables,
            json!({"input": {"teamId": "t", "title": "Refund", "priority": 2, "labelIds": ["l"]}})
        );
        for (input, field) in [
            (json!({"teamId": "t"}), "title"),
            (json!({"title": "x"}), "teamId"),
            (
                json!({"teamId": "t", "title": "x", "priority": 5}),
                "priority",
            ),
            (
                json!({"teamId": "t", "title": "x", "priority": -1}),
                "priority",
            ),
            (
                json!({"teamId": "t", "title": "x", "priority": "1"}),
                "priority",
            ),
            (
                json!({"teamId": "t", "title": "x", "labelIds": "l"}),
                "labelIds",
            ),
            (
                json!({"teamId": "t", "title": "x", "labelIds": [1]}),
                "labelIds",
            ),
        ] {
            let error = operation("create_issue", json!({ "input": input })).unwrap_err();
            assert!(
                matches!(&error, Error::InvalidArgument(m) if m.contains(field)),
                "{error:?}"
            );
        }
        assert!(operation("drop_tables", json!({})).is_err());
        // Every document takes its values as variables: nothing to splice into.
        for (_, query) in OPERATIONS {
            assert!(!query.contains('"'), "{query}");
        }
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
