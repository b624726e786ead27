//! The app registry. Field lists follow Chatwoot's apps.yml; validation answers field by field.

use serde_json::Value;

/// Where a hook of this app hangs: the account, or one inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookType {
    Account,
    Inbox,
}

impl HookType {
    pub fn as_str(self) -> &'static str {
        match self {
            HookType::Account => "account",
            HookType::Inbox => "inbox",
        }
    }
}

/// What a settings field must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Url,
    /// A Google service-account key, as JSON (a String holding JSON, or the object itself).
    ServiceAccountKey,
    /// One of a fixed list of values.
    OneOf(&'static [&'static str]),
    /// true or false (a form's checkbox).
    Boolean,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub required: bool,
    pub kind: FieldKind,
}

#[derive(Debug, Clone, Copy)]
pub struct App {
    pub id: &'static str,
    pub name: &'static str,
    pub hook_type: HookType,
    /// Connected through OAuth: the hook's access_token is the credential.
    pub oauth: bool,
    pub fields: &'static [Field],
    /// Chatwoot's schema forbids other properties (additionalProperties false).
    pub closed: bool,
    /// Sets of fields of which one must be complete (Dyte: RealtimeKit's, or the legacy pair);
    /// the first set is the one asked for.
    pub one_of: &'static [&'static [&'static str]],
}

impl App {
    /// The same app with Chatwoot's additionalProperties false.
    const fn closed(self) -> App {
        App {
            closed: true,
            ..self
        }
    }

    const fn one_of(self, sets: &'static [&'static [&'static str]]) -> App {
        App {
            one_of: sets,
            ..self
        }
    }
}

const fn field(name: &'static str, label: &'static str, required: bool, kind: FieldKind) -> Field {
    Field {
        name,
        label,
        required,
        kind,
    }
}

const fn app(
    id: &'static str,
    name: &'static str,
    hook_type: HookType,
    oauth: bool,
    fields: &'static [Field],
) -> App {
    App {
        id,
        name,
        hook_type,
        oauth,
        fields,
        closed: false,
        one_of: &[],
    }
}

use FieldKind::*;
use HookType::*;

pub static APPS: &[App] = &[
    app(
        "webhook",
        "Webhooks",
        Account,
        false,
        &[
            field("url", "Webhook URL", true, Url),
            field("secret", "Signing secret", false, Text),
        ],
    ),
    app(
        "slack",
        "Slack",
        Account,
        true,
        &[
            field("channel_id", "Channel", false, Text),
            field(
                "message_mode",
                "Message mode",
                false,
                OneOf(&["two_way", "alert"]),
            ),
        ],
    ),
    app(
        "dialogflow",
        "Dialogflow",
        Inbox,
        false,
        &[
            field("project_id", "Dialogflow Project ID", true, Text),
            field(
                "credentials",
                "Dialogflow Project Key File",
                true,
                ServiceAccountKey,
            ),
            field("region", "Dialogflow Region", false, Text),
            field("language_code", "Language code", false, Text),
        ],
    )
    .closed(),
    app(
        "openai",
        "OpenAI",
        Account,
        false,
        &[
            field("api_key", "API key", true, Text),
            field("label_suggestion", "Label suggestions", false, Boolean),
            // The gem's auto-reply (Chatwoot's form does not show these).
            field("model", "Model", false, Text),
            field("system_prompt", "System prompt", false, Text),
        ],
    ),
    app("linear", "Linear", Account, true, &[]),
    app(
        "google_translate",
        "Google Translate",
        Account,
        false,
        &[
            field("project_id", "Project ID", true, Text),
            field(
                "credentials",
                "Service account key",
                true,
                ServiceAccountKey,
            ),
        ],
    )
    .closed(),
    // RealtimeKit's settings, or Dyte's legacy pair that hooks saved before keep.
    app(
        "dyte",
        "Dyte",
        Account,
        false,
        &[
            field("account_id", "Cloudflare Account ID", false, Text),
            field("app_id", "RealtimeKit App ID", false, Text),
            field("api_token", "Cloudflare API Token", false, Text),
            field("organization_id", "Organization ID", false, Text),
            field("api_key", "API key", false, Text),
        ],
    )
    .one_of(&[
        &["account_id", "app_id", "api_token"],
        &["organization_id", "api_key"],
    ]),
    app("dashboard_apps", "Dashboard Apps", Account, false, &[]),
    app("shopify", "Shopify", Account, true, &[]),
    app("notion", "Notion", Account, true, &[]),
    app(
        "leadsquared",
        "LeadSquared",
        Account,
        false,
        &[
            field("access_key", "Access key", true, Text),
            field("secret_key", "Secret key", true, Text),
            field("endpoint_url", "API endpoint URL", true, Url),
        ],
    ),
    app("captain", "Captain", Account, false, &[]),
];

/// A hook's settings, as JSON.
pub type Settings = Value;

/// Parses settings JSON (the Ruby face serializes the hook's settings Hash).
pub fn parse_settings(json: &[u8]) -> crate::Result<Settings> {
    serde_json::from_slice(json)
        .map_err(|e| crate::Error::InvalidArgument(format!("settings are not valid JSON: {e}")))
}

pub fn find(id: &str) -> Option<&'static App> {
    APPS.iter().find(|app| app.id == id)
}

/// The app with this id, or the ConfigurationError that names it (quoted when short, by its
/// length when long: an id is the caller's text and may be anything). Bytes, so an id that is
/// not UTF-8 is simply an unknown app.
pub fn find_or_refuse(id: &[u8]) -> crate::Result<&'static App> {
    std::str::from_utf8(id)
        .ok()
        .and_then(find)
        .ok_or_else(|| crate::Error::Configuration(format!("unknown app {}", shown_id(id))))
}

/// A text setting as the apps read it: trimmed, and absent when blank (Chatwoot's forms store an
/// emptied field as "").
pub fn setting<'a>(settings: &'a Value, name: &str) -> Option<&'a str> {
    settings
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An app id as an error message may show it.
pub fn shown_id(id: &[u8]) -> String {
    match std::str::from_utf8(id) {
        Ok(text) if id.len() <= 40 => format!("{text:?}"),
        _ => format!("(an id of {} bytes)", id.len()),
    }
}

/// Validates a hook's settings (a JSON object) for `app`: one (field, message) per problem, empty
/// when the settings are usable. Unknown fields are allowed (Chatwoot stores extra state there).
pub fn validate(app: &App, settings: &Value) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let Some(object) = settings.as_object() else {
        errors.push(("settings".to_string(), "must be a JSON object".to_string()));
        return errors;
    };
    for field in app.fields {
        let value = object
            .get(field.name)
            .filter(|v| !v.is_null() && v.as_str() != Some(""));
        let Some(value) = value else {
            if field.required {
                errors.push((
                    field.name.to_string(),
                    format!("{} is required", field.label),
                ));
            }
            continue;
        };
        if let Some(problem) = check(field.kind, value) {
            errors.push((field.name.to_string(), format!("{} {problem}", field.label)));
        }
    }
    if app.closed {
        for name in object.keys() {
            if !app.fields.iter().any(|f| f.name == name) {
                errors.push((name.clone(), "is not a setting of this app".to_string()));
            }
        }
    }
    let given = |name: &&str| {
        object
            .get(*name)
            .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
    };
    if !app.one_of.is_empty() && !app.one_of.iter().any(|set| set.iter().all(given)) {
        for name in app.one_of[0].iter().filter(|n| !given(n)) {
            let label = app
                .fields
                .iter()
                .find(|f| f.name == *name)
                .map_or(*name, |f| f.label);
            errors.push((name.to_string(), format!("{label} is required")));
        }
    }
    errors
}

fn check(kind: FieldKind, value: &Value) -> Option<String> {
    match kind {
        Text => (!value.is_string()).then(|| "must be text".to_string()),
        Url => match value.as_str().map(url::Url::parse) {
            Some(Ok(url)) if matches!(url.scheme(), "http" | "https") && url.has_host() => None,
            _ => Some("must be an http(s) URL".to_string()),
        },
        OneOf(allowed) => match value.as_str() {
            Some(v) if allowed.contains(&v) => None,
            _ => Some(format!("must be one of {}", allowed.join(", "))),
        },
        ServiceAccountKey => service_account_problem(value),
        Boolean => (!value.is_boolean()).then(|| "must be true or false".to_string()),
    }
}

/// A Google service-account key needs type "service_account", client_email, private_key (PEM) and token_uri.
fn service_account_problem(value: &Value) -> Option<String> {
    let parsed;
    let key = match value {
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(_) => return Some("is not JSON (paste the service account key file)".to_string()),
        },
        other => other,
    };
    let text = |name: &str| {
        key.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if text("type") != Some("service_account") {
        return Some("is not a service account key (type must be service_account)".to_string());
    }
    let missing: Vec<&str> = ["client_email", "private_key", "token_uri"]
        .into_iter()
        .filter(|f| text(f).is_none())
        .collect();
    if !missing.is_empty() {
        return Some(format!("is missing {}", missing.join(", ")));
    }
    if !text("private_key").is_some_and(|k| k.contains("BEGIN PRIVATE KEY")) {
        return Some("has a private_key that is not a PEM private key".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn registry() {
        assert_eq!(find("dialogflow").unwrap().hook_type, Inbox);
        assert!(find("slack").unwrap().oauth);
        assert!(find("nope").is_none());
        let mut ids: Vec<_> = APPS.iter().map(|a| a.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), APPS.len());
    }

    #[test]
    fn dialogflow_settings() {
        let app = find("dialogflow").unwrap();
        let errors = validate(app, &json!({}));
        assert_eq!(
            errors.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
            ["project_id", "credentials"]
        );
        let bad = validate(app, &json!({"project_id": "p", "credentials": "{not json"}));
        assert!(bad[0].1.contains("not JSON"), "{bad:?}");
        let wrong_type = validate(
            app,
            &json!({"project_id": "p", "credentials": {"type": "authorized_user"}}),
        );
        assert!(wrong_type[0].1.contains("service_account"));
        let partial = validate(
            app,
            &json!({"project_id": "p", "credentials": {"type": "service_account", "client_email": "a@b"}}),
        );
        assert!(
            partial[0].1.contains("private_key, token_uri"),
            "{partial:?}"
        );
        let good = json!({"type": "service_account", "client_email": "bot@p.iam.gserviceaccount.com",
            "private_key": "-----BEGIN PRIVATE KEY-----\nMII...\n-----END PRIVATE KEY-----\n", "token_uri": "https://oauth2.googleapis.com/token"});
        assert!(validate(
            app,
            &json!({"project_id": "p", "credentials": good.to_string()})
        )
        .is_empty());
        assert!(validate(app, &json!({"project_id": "p", "credentials": good})).is_empty());
    }

    #[test]
    fn chatwoot_schemas() {
        let dialogflow = find("dialogflow").unwrap();
        let key = json!({"type": "service_account", "client_email": "a@b", "token_uri": "t",
            "private_key": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n"});
        let extra = validate(
            dialogflow,
            &json!({"project_id": "p", "credentials": key, "url": "x"}),
        );
        assert_eq!(
            extra,
            [(
                "url".to_string(),
                "is not a setting of this app".to_string()
            )]
        );
        let openai = find("openai").unwrap();
        assert!(validate(
            openai,
            &json!({"api_key": "sk", "label_suggestion": true, "anything": 1})
        )
        .is_empty());
        assert_eq!(
            validate(openai, &json!({"api_key": "sk", "label_suggestion": "yes"}))[0].1,
            "Label suggestions must be true or false"
        );
        let dyte = find("dyte").unwrap();
        assert!(validate(
            dyte,
            &json!({"account_id": "a", "app_id": "b", "api_token": "t"})
        )
        .is_empty());
        assert!(validate(dyte, &json!({"organization_id": "o", "api_key": "k"})).is_empty());
        let missing: Vec<String> = validate(dyte, &json!({"account_id": "a", "api_key": "k"}))
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(missing, ["app_id", "api_token"]);
    }

    #[test]
    fn kinds() {
        let webhook = find("webhook").unwrap();
        assert_eq!(validate(webhook, &json!({"url": "ftp://x"}))[0].0, "url");
        assert!(validate(webhook, &json!({"url": "https://example.com/hook"})).is_empty());
        let slack = find("slack").unwrap();
        assert!(validate(slack, &json!({"message_mode": "loud"}))[0]
            .1
            .contains("two_way, alert"));
        assert!(validate(slack, &json!({})).is_empty());
        assert_eq!(
            validate(find("openai").unwrap(), &json!({"api_key": 5}))[0].1,
            "API key must be text"
        );
        assert_eq!(validate(webhook, &json!([1]))[0].0, "settings");
    }
}
