//! Chatwoot's integration apps (config/integration/apps.yml): which apps exist, their settings
//! fields, and settings validation like Chatwoot's settings_json_schema.

pub mod apps;
