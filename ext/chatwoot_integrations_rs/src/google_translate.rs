//! `Integrations::Native::GoogleTranslateNative`: the native half of GoogleTranslate. The core
//! decides what to detect or translate and calls Google with the GVL released.

use chatwoot_integrations::dispatch;
use chatwoot_integrations::providers::google_translate::{self, Translator};
use magnus::{function, prelude::*, RHash, RModule, Ruby, Value};

use crate::errors::{self, to_ruby};
use crate::helpers::{gvl, panic::guard, RbResult};
use crate::payload::value::to_value;

fn translator(ruby: &Ruby, input: RHash) -> RbResult<Translator> {
    let settings: Value = input.fetch("settings")?;
    let settings = to_value(ruby, settings, "settings")?;
    let api_url: String = input.fetch("api_url")?;
    let token_url: String = input.fetch("token_url")?;
    Translator::from_settings(&settings, &api_url, &token_url).map_err(|e| to_ruby(ruby, e))
}

/// `_native_detect(input)` → the language code, or nil (nothing to detect, or none found).
fn detect(ruby: &Ruby, input: RHash) -> RbResult<Option<String>> {
    guard(ruby, || {
        let content: String = input
            .lookup::<_, Option<String>>("content")?
            .unwrap_or_default();
        let known: Option<String> = input.lookup("conversation_language")?;
        let incoming = input
            .lookup::<_, Option<bool>>("incoming")?
            .unwrap_or(false);
        let Some(text) = google_translate::detection_text(incoming, known.as_deref(), &content)
        else {
            return Ok(None);
        };
        let text = text.to_string();
        let translator = translator(ruby, input)?;
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let timeout = engine.config.timeout;
        let call_engine = engine.clone();
        let work = async move {
            google_translate::detect_language(&call_engine, &translator, &text, timeout).await
        };
        gvl::block_on(ruby, &engine, work)?.map_err(|e| to_ruby(ruby, e))
    })
}

/// `_native_translate(input)` → `[target, text]`, or nil (translated already, no text, or the
/// HTML and its plain-text retry both refused).
fn translate(ruby: &Ruby, input: RHash) -> RbResult<Option<(String, String)>> {
    guard(ruby, || {
        let target: String = input.fetch("target")?;
        let translations: Value = input.fetch("translations")?;
        let translations = to_value(ruby, translations, "translations")?;
        let content: String = input
            .lookup::<_, Option<String>>("content")?
            .unwrap_or_default();
        let html: Option<String> = input.lookup("email_html")?;
        let text: Option<String> = input.lookup("email_text")?;
        let Some(plan) = google_translate::plan_translation(
            &target,
            &translations,
            &content,
            html.as_deref(),
            text.as_deref(),
        ) else {
            return Ok(None);
        };
        let translator = translator(ruby, input)?;
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let timeout = engine.config.timeout;
        let call_engine = engine.clone();
        let target = plan.target.clone();
        let work = async move {
            google_translate::translate(&call_engine, &translator, plan, timeout).await
        };
        let text = gvl::block_on(ruby, &engine, work)?.map_err(|e| to_ruby(ruby, e))?;
        Ok(text.map(|text| (target, text)))
    })
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let module: RModule = errors::native_module(ruby)?.define_module("GoogleTranslateNative")?;
    module.define_singleton_method("_native_detect", function!(detect, 1))?;
    module.define_singleton_method("_native_translate", function!(translate, 1))?;
    Ok(())
}
