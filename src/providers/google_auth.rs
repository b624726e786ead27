//! Google service-account credentials to an OAuth access token, shared by every Google app
//! (Dialogflow, Google Translate): an RS256 JWT assertion posted to Google's token endpoint, the
//! token cached per credentials and scope until shortly before it expires, so many calls with one
//! key cost one token request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::dispatch::{provider_post, Engine};
use crate::secret::Secret;
use crate::sync::lock;
use crate::{Error, Result};

/// The scope both apps ask for (Dialogflow's and Translation's APIs accept it).
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// A cached token is renewed this long before Google says it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(120);

/// The parts of a service-account key file we use.
#[derive(Deserialize)]
pub struct ServiceAccount {
    pub client_email: String,
    private_key: String,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("private_key", &"[REDACTED]")
            .finish()
    }
}

impl ServiceAccount {
    /// From the hook's `credentials` setting: the key file's JSON, as a String or an object.
    pub fn from_setting(credentials: &Value) -> Result<Self> {
        let parsed;
        let key = match credentials {
            Value::String(text) => {
                parsed = serde_json::from_str::<Value>(text).map_err(|_| {
                    Error::Configuration("google: the credentials are not JSON".into())
                })?;
                &parsed
            }
            other => other,
        };
        serde_json::from_value(key.clone()).map_err(|_| {
            Error::Configuration("google: the credentials lack client_email or private_key".into())
        })
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

/// The signed JWT assertion for Google's token endpoint (valid for one hour).
pub fn assertion(account: &ServiceAccount, token_url: &str, now: i64) -> Result<String> {
    let key =
        jsonwebtoken::EncodingKey::from_rsa_pem(account.private_key.as_bytes()).map_err(|_| {
            Error::Configuration(
                "google: the credentials' private_key is not a valid RSA key".into(),
            )
        })?;
    let claims = Claims {
        iss: &account.client_email,
        scope: SCOPE,
        aud: token_url,
        iat: now,
        exp: now + 3600,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .map_err(|e| Error::Internal(format!("google: cannot sign the token request: {e}")))
}

/// (service account email, SHA-256 of its private key, token URL, scope): a rotated key is new
/// credentials.
type TokenKey = (String, [u8; 32], String, &'static str);

/// Access tokens and when to renew them, by TokenKey, shared by every call in the process.
static TOKENS: Mutex<Option<HashMap<TokenKey, (Secret, Instant)>>> = Mutex::new(None);

fn cached(key: &TokenKey) -> Option<Secret> {
    let tokens = lock(&TOKENS);
    tokens
        .as_ref()?
        .get(key)
        .filter(|(_, until)| Instant::now() < *until)
        .map(|(token, _)| token.clone())
}

fn remember(key: TokenKey, token: Secret, expires_in: Duration) {
    let mut tokens = lock(&TOKENS);
    let until = Instant::now() + expires_in.saturating_sub(RENEW_BEFORE);
    tokens
        .get_or_insert_with(HashMap::new)
        .insert(key, (token, until));
}

/// Why no token came back.
#[derive(Debug)]
pub enum TokenFailure {
    /// Google refused the credentials (HTTP 400, 401 or 403): they will not work as they are.
    Refused,
    /// No lasting answer (no HTTP answer that may come later, 429, 5xx): try again later.
    Unavailable {
        reason: String,
        retry_after: Option<Duration>,
    },
    Error(Error),
}

impl From<Error> for TokenFailure {
    fn from(e: Error) -> Self {
        TokenFailure::Error(e)
    }
}

/// A token for `account`, from the cache or fresh from `token_url`.
pub async fn access_token(
    engine: &Engine,
    account: &ServiceAccount,
    token_url: &str,
    timeout: Duration,
) -> std::result::Result<Secret, TokenFailure> {
    let key = (
        account.client_email.clone(),
        Sha256::digest(account.private_key.as_bytes()).into(),
        token_url.to_string(),
        SCOPE,
    );
    if let Some(token) = cached(&key) {
        return Ok(token);
    }
    let jwt = assertion(account, token_url, crate::signature::now_unix())?;
    let form =
        format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}");
    let reply = provider_post(
        engine,
        token_url,
        None,
        "application/x-www-form-urlencoded",
        form.into_bytes(),
        timeout,
    )
    .await
    .map_err(|f| match f.retryable() {
        true => TokenFailure::Unavailable {
            reason: format!("token: {}", f.message()),
            retry_after: None,
        },
        false => TokenFailure::Error(Error::Configuration(format!(
            "google token: {}",
            f.message()
        ))),
    })?;
    #[derive(Deserialize)]
    struct TokenAnswer {
        access_token: String,
        expires_in: Option<u64>,
    }
    match reply.status {
        200..=299 => {}
        400 | 401 | 403 => return Err(TokenFailure::Refused),
        429 | 500..=599 => {
            return Err(TokenFailure::Unavailable {
                reason: format!("token: HTTP {}", reply.status),
                retry_after: reply.retry_after,
            })
        }
        status => {
            return Err(TokenFailure::Error(Error::Delivery(format!(
                "google token: HTTP {status}"
            ))))
        }
    }
    let answer: TokenAnswer = serde_json::from_slice(&reply.body)
        .map_err(|_| Error::Delivery("google token: an answer without access_token".into()))?;
    let token = Secret::new(answer.access_token);
    remember(
        key,
        token.clone(),
        Duration::from_secs(answer.expires_in.unwrap_or(3600)),
    );
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn service_account_parsing_hides_the_key() {
        let account = ServiceAccount::from_setting(
            &json!({"client_email": "a@b", "private_key": "KEY"})
                .to_string()
                .into(),
        )
        .unwrap();
        assert!(!format!("{account:?}").contains("KEY"));
        assert!(ServiceAccount::from_setting(&json!("{bad")).is_err());
        assert!(
            assertion(&account, "https://oauth2.googleapis.com/token", 0)
                .unwrap_err()
                .to_string()
                .contains("not a valid RSA key")
        );
    }
}
