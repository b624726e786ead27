//! Dyte video calls (Chatwoot's `dyte` app): Cloudflare RealtimeKit with the newest settings
//! (account_id, app_id, api_token; Bearer), Dyte's v2 API with legacy settings (organization_id,
//! api_key; Basic). Meetings, participants (Chatwoot's preset, with its older spelling as the
//! retry), token refresh, and the credential check on save. Answers are `data` or
//! `{error, error_code}` as Chatwoot returns them.

use crate::providers::apps::setting;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use super::dialogflow::path_segment;
use crate::dispatch::{provider_request, Engine, ProviderReply};
use crate::secret::Secret;
use crate::{Error, Result};

pub const REALTIMEKIT_API_URL: &str = "https://api.cloudflare.com/client/v4";
pub const DYTE_API_URL: &str = "https://api.dyte.io/v2";
/// The participant preset Chatwoot asks for, then its older spelling when the app has no such preset.
const PRESET: &str = "group-call-host";
const PRESET_RETRY: &str = "group_call_host";
/// The credential check's limit per request.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
const APPS_PER_PAGE: u64 = 50;

/// The hook's credentials.
#[derive(Debug)]
pub enum Credentials {
    RealtimeKit {
        account_id: String,
        app_id: String,
        api_token: Secret,
    },
    Legacy {
        organization_id: String,
        api_key: Secret,
    },
}

impl Credentials {
    /// RealtimeKit's when the settings have them, else Dyte's legacy ones; ConfigurationError
    /// ("realtimekit credentials required") when neither is complete.
    pub fn from_settings(settings: &Value) -> Result<Self> {
        let rtk = (
            setting(settings, "account_id"),
            setting(settings, "app_id"),
            setting(settings, "api_token"),
        );
        if let (Some(account), Some(app), Some(token)) = rtk {
            return Ok(Credentials::RealtimeKit {
                account_id: account.to_string(),
                app_id: app.to_string(),
                api_token: Secret::new(token),
            });
        }
        match (
            setting(settings, "organization_id"),
            setting(settings, "api_key"),
        ) {
            (Some(org), Some(key)) => Ok(Credentials::Legacy {
                organization_id: org.to_string(),
                api_key: Secret::new(key),
            }),
            _ => Err(Error::Configuration(
                "dyte: realtimekit credentials required (account_id, app_id and api_token)".into(),
            )),
        }
    }

    fn authorization(&self) -> Secret {
        match self {
            Credentials::RealtimeKit { api_token, .. } => {
                Secret::new([b"Bearer ".as_slice(), api_token.expose()].concat())
            }
            Credentials::Legacy {
                organization_id,
                api_key,
            } => {
                let pair = [organization_id.as_bytes(), b":", api_key.expose()].concat();
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                Secret::new(format!("Basic {encoded}"))
            }
        }
    }
}

/// Credentials and the API root (the default for the credentials' kind, or a test server).
#[derive(Debug)]
pub struct Client {
    pub credentials: Credentials,
    pub api_url: String,
}

/// The agent joining a meeting.
#[derive(Debug, Clone, Default)]
pub struct Agent {
    pub user_id: String,
    pub name: String,
    pub picture: String,
}

/// What Chatwoot gets back: the answer's `data`, or the provider's body and status.
#[derive(Debug, Clone, PartialEq)]
pub enum DyteAnswer {
    Data(Value),
    Error {
        error: Value,
        error_code: Option<u16>,
    },
}

impl Client {
    /// The root the meeting paths hang from.
    fn root(&self) -> Result<String> {
        let base = self.api_url.trim_end_matches('/');
        Ok(match &self.credentials {
            Credentials::RealtimeKit {
                account_id, app_id, ..
            } => format!(
                "{base}/accounts/{}/realtime/kit/{}",
                path_segment("dyte: account_id", account_id)?,
                path_segment("dyte: app_id", app_id)?
            ),
            Credentials::Legacy { .. } => base.to_string(),
        })
    }

    async fn call(
        &self,
        engine: &Engine,
        path: &str,
        body: Option<Value>,
        timeout: Duration,
    ) -> Result<DyteAnswer> {
        let url = format!("{}/{path}", self.root()?);
        let authorization = self.credentials.authorization();
        let post = body.is_some();
        let body = body.map(|b| b.to_string().into_bytes());
        match provider_request(engine, post, &url, Some(&authorization), body, timeout).await {
            Ok(reply) => Ok(interpret(&reply)),
            Err(failure) => Err(Error::Delivery(format!("dyte: {}", failure.message()))),
        }
    }

    /// A meeting with this title: its `data` (with the meeting's `id`).
    pub async fn create_meeting(
        &self,
        engine: &Engine,
        title: &str,
        timeout: Duration,
    ) -> Result<DyteAnswer> {
        self.call(engine, "meetings", Some(json!({ "title": title })), timeout)
            .await
    }

    /// Adds an agent (custom participant id `user:{id}`) as a host; `data` holds the join token.
    pub async fn add_participant(
        &self,
        engine: &Engine,
        meeting_id: &str,
        agent: &Agent,
        timeout: Duration,
    ) -> Result<DyteAnswer> {
        let Agent {
            user_id,
            name,
            picture,
        } = agent;
        let path = format!(
            "meetings/{}/participants",
            path_segment("dyte: meeting_id", meeting_id)?
        );
        let body = |preset: &str| json!({ "custom_participant_id": format!("user:{user_id}"), "name": name, "picture": picture, "preset_name": preset });
        let answer = self
            .call(engine, &path, Some(body(PRESET)), timeout)
            .await?;
        match &answer {
            DyteAnswer::Error { error, .. } if error.to_string().contains("No preset found") => {
                self.call(engine, &path, Some(body(PRESET_RETRY)), timeout)
                    .await
            }
            _ => Ok(answer),
        }
    }

    /// A new join token for a participant added before.
    pub async fn refresh_token(
        &self,
        engine: &Engine,
        meeting_id: &str,
        participant_id: &str,
        timeout: Duration,
    ) -> Result<DyteAnswer> {
        let path = format!(
            "meetings/{}/participants/{}/token",
            path_segment("dyte: meeting_id", meeting_id)?,
            path_segment("dyte: participant_id", participant_id)?
        );
        self.call(engine, &path, Some(json!({})), timeout).await
    }
}

/// How an agent joined a meeting: the answer (with the join token) and the participant id to
/// store under the meeting message's `data.participants["user:ID"]` when it is new.
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    pub answer: DyteAnswer,
    pub participant_id: Option<String>,
}

impl Client {
    /// Chatwoot's newest participant flow: a stored participant's token is refreshed; otherwise
    /// the agent is added; when adding fails (the participant exists already), the meeting's
    /// participants are listed and the one with this custom id gets a fresh token. Without such a
    /// participant, the add error is the answer.
    pub async fn join(
        &self,
        engine: &Engine,
        meeting_id: &str,
        stored_participant: Option<&str>,
        agent: &Agent,
        timeout: Duration,
    ) -> Result<Joined> {
        if let Some(participant) = stored_participant.filter(|p| !p.is_empty()) {
            let refreshed = self
                .refresh_token(engine, meeting_id, participant, timeout)
                .await?;
            if matches!(refreshed, DyteAnswer::Data(_)) {
                return Ok(Joined {
                    answer: refreshed,
                    participant_id: None,
                });
            }
        }
        let added = self
            .add_participant(engine, meeting_id, agent, timeout)
            .await?;
        if let DyteAnswer::Data(data) = &added {
            let id = data.get("id").and_then(Value::as_str).map(String::from);
            return Ok(Joined {
                answer: added,
                participant_id: id,
            });
        }
        let path = format!(
            "meetings/{}/participants",
            path_segment("dyte: meeting_id", meeting_id)?
        );
        let custom = format!("user:{}", agent.user_id);
        let listed = self.call(engine, &path, None, timeout).await?;
        let found = match &listed {
            DyteAnswer::Data(Value::Array(participants)) => participants
                .iter()
                .find(|p| p.get("custom_participant_id").and_then(Value::as_str) == Some(&custom))
                .and_then(|p| p.get("id").and_then(Value::as_str))
                .map(String::from),
            _ => None,
        };
        let Some(participant) = found else {
            return Ok(Joined {
                answer: added,
                participant_id: None,
            });
        };
        let refreshed = self
            .refresh_token(engine, meeting_id, &participant, timeout)
            .await?;
        let stored = matches!(refreshed, DyteAnswer::Data(_)).then_some(participant);
        Ok(Joined {
            answer: refreshed,
            participant_id: stored,
        })
    }
}

/// What Chatwoot stores on the meeting's message (content_attributes), from the meeting's data.
pub fn meeting_attributes(meeting: &Value) -> Value {
    json!({ "type": "dyte", "data": { "meeting_id": meeting.get("id").cloned().unwrap_or(Value::Null) } })
}

/// A 2xx answer's `data`; any other answer's body and status.
pub fn interpret(reply: &ProviderReply) -> DyteAnswer {
    let body: Value = serde_json::from_slice(&reply.body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&reply.body).into_owned()));
    if (200..=299).contains(&reply.status) {
        match body.get("data") {
            Some(data @ (Value::Object(_) | Value::Array(_))) => DyteAnswer::Data(data.clone()),
            _ => DyteAnswer::Error {
                error: Value::String("unexpected_response".into()),
                error_code: None,
            },
        }
    } else {
        DyteAnswer::Error {
            error: body,
            error_code: Some(reply.status),
        }
    }
}

/// The credential check on save, for RealtimeKit settings (legacy settings are not checked): the
/// token must be active, and the account must list the app. A 5xx or no answer counts as valid
/// (fail open). `Err(code)`: invalid_api_token, invalid_account_or_permissions, app_not_found.
pub async fn check_credentials(
    engine: &Engine,
    client: &Client,
) -> std::result::Result<(), &'static str> {
    let Credentials::RealtimeKit {
        account_id, app_id, ..
    } = &client.credentials
    else {
        return Ok(());
    };
    let base = client.api_url.trim_end_matches('/');
    let authorization = client.credentials.authorization();
    let get = |url: String| {
        let authorization = authorization.clone();
        async move {
            provider_request(
                engine,
                false,
                &url,
                Some(&authorization),
                None,
                CHECK_TIMEOUT,
            )
            .await
        }
    };
    let body =
        |reply: &ProviderReply| serde_json::from_slice::<Value>(&reply.body).unwrap_or(Value::Null);
    match get(format!("{base}/user/tokens/verify")).await {
        Ok(reply) if reply.status >= 500 => return Ok(()),
        Ok(reply) => {
            let answer = body(&reply);
            let active = reply.status == 200
                && answer.get("success") == Some(&Value::Bool(true))
                && answer.pointer("/result/status").and_then(Value::as_str) == Some("active");
            if !active {
                return Err("invalid_api_token");
            }
        }
        Err(_) => return Ok(()),
    }
    let Ok(account) = path_segment("dyte: account_id", account_id) else {
        return Err("invalid_account_or_permissions");
    };
    for page in 1..=100u64 {
        let url = format!(
            "{base}/accounts/{account}/realtime/kit/apps?page_no={page}&per_page={APPS_PER_PAGE}"
        );
        let reply = match get(url).await {
            Ok(reply) if reply.status >= 500 => return Ok(()),
            Ok(reply) if reply.status != 200 => return Err("invalid_account_or_permissions"),
            Ok(reply) => reply,
            Err(_) => return Ok(()),
        };
        let answer = body(&reply);
        let apps = answer
            .get("data")
            .or_else(|| answer.get("result"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if apps
            .iter()
            .any(|app| app.get("id").and_then(Value::as_str) == Some(app_id.as_str()))
        {
            return Ok(());
        }
        let total = answer
            .pointer("/paging/total_count")
            .or_else(|| answer.pointer("/result_info/total_count"))
            .and_then(Value::as_u64);
        let more = match total {
            Some(total) => page * APPS_PER_PAGE < total,
            None => apps.len() as u64 >= APPS_PER_PAGE,
        };
        if !more {
            break;
        }
    }
    Err("app_not_found")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_reply as reply;

    #[test]
    fn credentials() {
        let rtk = Credentials::from_settings(
            &json!({"account_id": "a", "app_id": "b", "api_token": "t"}),
        )
        .unwrap();
        assert_eq!(rtk.authorization().expose(), b"Bearer t");
        let legacy =
            Credentials::from_settings(&json!({"organization_id": "org", "api_key": "key"}))
                .unwrap();
        assert_eq!(legacy.authorization().expose(), b"Basic b3JnOmtleQ==");
        assert!(Credentials::from_settings(&json!({"account_id": "a"}))
            .unwrap_err()
            .to_string()
            .contains("realtimekit credentials required"));
        assert!(!format!("{rtk:?}{legacy:?}").contains("key\""));
        let client = Client {
            credentials: rtk,
            api_url: "https://api.cloudflare.com/client/v4/".into(),
        };
        assert_eq!(
            client.root().unwrap(),
            "https://api.cloudflare.com/client/v4/accounts/a/realtime/kit/b"
        );
    }

    #[test]
    fn answers() {
        assert_eq!(
            meeting_attributes(&json!({"id": "m1", "title": "t"})),
            json!({"type": "dyte", "data": {"meeting_id": "m1"}})
        );
        assert_eq!(
            interpret(&reply(201, json!({"success": true, "data": {"id": "m1"}}))),
            DyteAnswer::Data(json!({"id": "m1"}))
        );
        assert_eq!(
            interpret(&reply(200, json!({"success": true}))),
            DyteAnswer::Error {
                error: json!("unexpected_response"),
                error_code: None
            }
        );
        assert_eq!(
            interpret(&reply(
                422,
                json!({"success": false, "error": {"message": "bad"}})
            )),
            DyteAnswer::Error {
                error: json!({"success": false, "error": {"message": "bad"}}),
                error_code: Some(422)
            }
        );
    }
}
