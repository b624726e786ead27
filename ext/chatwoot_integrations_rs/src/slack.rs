//! `Integrations::Native::Slack`: the native halves of `Slack::Event.parse` and of the Slack calls
//! the gem makes for incoming events (users.info, the unfurl), each with the GVL released; and the
//! reading of SendService's Slack fields.

use bytes::Bytes;
use chatwoot_integrations::dispatch;
use chatwoot_integrations::dispatch::{Chunk, Engine};
use chatwoot_integrations::providers::slack::incoming::{self, SlackEvent};
use chatwoot_integrations::providers::slack::outgoing::SlackFields;
use chatwoot_integrations::providers::slack::unfurl::{self, Card, Unfurl};
use chatwoot_integrations::providers::slack::upload::{Feed, Streamed, UploadFile, MAX_FILE_BYTES};
use chatwoot_integrations::providers::slack::web_api::{self, Failure};
use chatwoot_integrations::providers::Outcome;
use chatwoot_integrations::secret::Secret;
use magnus::{
    function, prelude::*, Error, IntoValue, RArray, RHash, RModule, RString, Ruby, Value,
};

use crate::errors::{self, to_ruby};
use crate::helpers::{
    bytes::{owned, with_bytes},
    gvl,
    panic::guard,
    RbResult,
};
use crate::send_service::outcome_hash;

/// SendService's `"slack"` Hash (String keys, built by Slack::OutgoingFields in Ruby). IO
/// attachments of known size are registered in `streams`, read only when their upload starts.
pub(crate) fn outgoing_fields(hash: Option<RHash>, streams: &mut Streams) -> RbResult<SlackFields> {
    let Some(hash) = hash else {
        return Ok(SlackFields::default());
    };
    let text = |key: &str| -> RbResult<String> {
        Ok(hash.lookup::<_, Option<String>>(key)?.unwrap_or_default())
    };
    Ok(SlackFields {
        message_type: text("message_type")?,
        private: hash.lookup::<_, Option<bool>>("private")?.unwrap_or(false),
        has_slack_id: hash
            .lookup::<_, Option<bool>>("has_slack_id")?
            .unwrap_or(false),
        processed_content: hash.lookup("processed_content")?,
        sender_type: hash.lookup("sender_type")?,
        avatar_blob_key: hash.lookup("avatar_blob_key")?,
        inbox_name: text("inbox_name")?,
        inbox_type: text("inbox_type")?,
        channel_type: text("channel_type")?,
        conversation_type: hash.lookup("conversation_type")?,
        email_subject: hash.lookup("email_subject")?,
        account_id: text("account_id")?,
        display_id: text("display_id")?,
        frontend_url: text("frontend_url")?,
        files: match hash.lookup::<_, Option<RArray>>("files")? {
            Some(files) => upload_files(files, streams)?,
            None => Vec::new(),
        },
    })
}

/// Bytes read from an IO per `read` call: the file is read into Rust in these steps, never as one
/// Ruby String.
const CHUNK: usize = 256 * 1024;

/// The IO attachments streamed to Slack. Their upload runs on the engine; when it starts, it asks
/// this (Ruby) thread for the file's chunks, which are read here with the GVL held (IO#read is
/// Ruby) and handed over without it: a few chunks are in memory at a time, never the file.
#[derive(Default)]
pub(crate) struct Streams {
    /// The IOs by index, in an Array of our own held by this frame, so the GC keeps them.
    sources: Option<RArray>,
    /// Each IO's name (for errors) and declared length.
    files: Vec<(String, u64)>,
    channel: Option<(
        tokio::sync::mpsc::UnboundedSender<Feed>,
        tokio::sync::mpsc::UnboundedReceiver<Feed>,
    )>,
}

impl Streams {
    fn register(
        &mut self,
        ruby: &Ruby,
        name: &str,
        source: Value,
        length: u64,
    ) -> RbResult<Streamed> {
        let sources = *self.sources.get_or_insert_with(|| ruby.ary_new());
        sources.push(source)?;
        let (feeds, _) = self
            .channel
            .get_or_insert_with(tokio::sync::mpsc::unbounded_channel);
        let streamed = Streamed {
            length,
            index: self.files.len(),
            feeds: feeds.clone(),
        };
        self.files.push((name.to_owned(), length));
        Ok(streamed)
    }

    /// Runs `work` on the engine and waits for it (GVL released, interruptibly), feeding the
    /// uploads it starts from their IOs.
    pub(crate) fn block_on<T, F>(mut self, ruby: &Ruby, engine: &Engine, work: F) -> RbResult<T>
    where
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let Some((feeds, mut requests)) = self.channel.take() else {
            return gvl::block_on(ruby, engine, work);
        };
        // Only the uploads hold senders now: the channel closes when they are done.
        drop(feeds);
        let result = gvl::block_on_serving(ruby, engine, work, &mut requests, |feed| {
            self.feed(ruby, engine, feed)
        });
        // Keeps the IOs' Array (and so the IOs) on this frame until the uploads are over.
        std::hint::black_box(self.sources);
        result
    }

    /// Sends file `feed.index`, read in chunks, to its upload: exactly its declared length, or an
    /// error that fails the upload (a file shorter or longer than declared is never sent as if
    /// complete). Stops quietly when the upload is gone (it failed or timed out: its own error
    /// tells why); an exception from IO#read, or an interrupt while waiting, propagates.
    fn feed(&self, ruby: &Ruby, engine: &Engine, feed: Feed) -> RbResult<()> {
        let (Some(sources), Some((name, length))) = (self.sources, self.files.get(feed.index))
        else {
            return Ok(());
        };
        let length = *length;
        let source: Value = sources.entry(feed.index as isize)?;
        let buffer = ruby.str_buf_new(CHUNK);
        let mut sent: u64 = 0;
        loop {
            let read: Option<RString> = source.funcall("read", (CHUNK, buffer))?;
            let chunk: Chunk = match read {
                None if sent == length => return Ok(()),
                None => Err(format!(
                    "attachment {name:?} ended after {sent} of its declared {length} bytes"
                )),
                Some(read) => {
                    let bytes = with_bytes([read], |[read]| Bytes::copy_from_slice(read));
                    sent += bytes.len() as u64;
                    if sent > length {
                        Err(format!(
                            "attachment {name:?} is longer than its declared {length} bytes"
                        ))
                    } else {
                        Ok(bytes)
                    }
                }
            };
            let failed = chunk.is_err();
            let taken = gvl::wait(ruby, engine, feed.chunks.send(chunk))?;
            if taken.is_err() || failed {
                return Ok(());
            }
        }
    }
}

/// `[[name, content_type, source, size or nil], …]`: source is a String (its bytes) or an IO-like
/// object answering `read(length, buffer)`. An IO whose size is known (the attachment's byte_size,
/// else IO#size) is streamed (see [`Streams`]); one of unknown size is read now, in chunks through
/// one buffer String.
fn upload_files(files: RArray, streams: &mut Streams) -> RbResult<Vec<UploadFile>> {
    let ruby = Ruby::get_with(files);
    let mut out = Vec::with_capacity(files.len());
    for entry in files.into_iter() {
        let (name, content_type, source, size_hint): (String, String, Value, Option<u64>) =
            magnus::TryConvert::try_convert(entry)?;
        let too_large = || {
            Error::new(
                ruby.exception_arg_error(),
                format!("attachment {name:?} is larger than {MAX_FILE_BYTES} bytes"),
            )
        };
        let bytes = if let Some(string) = RString::from_value(source) {
            if string.len() > MAX_FILE_BYTES {
                return Err(too_large());
            }
            owned(string)
        } else if let Some(length) = declared_size(source, size_hint)? {
            if length > MAX_FILE_BYTES as u64 {
                return Err(too_large());
            }
            let stream = streams.register(&ruby, &name, source, length)?;
            out.push(UploadFile {
                name,
                content_type,
                bytes: Bytes::new(),
                stream: Some(stream),
            });
            continue;
        } else {
            let buffer = ruby.str_buf_new(CHUNK);
            let mut bytes = Vec::with_capacity(CHUNK);
            loop {
                let read: Option<RString> = source.funcall("read", (CHUNK, buffer))?;
                let Some(chunk) = read else { break };
                with_bytes([chunk], |[chunk]| bytes.extend_from_slice(chunk));
                if bytes.len() > MAX_FILE_BYTES {
                    return Err(too_large());
                }
            }
            bytes
        };
        out.push(UploadFile {
            name,
            content_type,
            bytes: bytes.into(),
            stream: None,
        });
    }
    Ok(out)
}

/// The size an IO attachment declares: the attachment's byte_size, else the IO's own #size (an
/// exception from it propagates; a size that is no Integer is no size).
fn declared_size(source: Value, size_hint: Option<u64>) -> RbResult<Option<u64>> {
    if size_hint.is_some() {
        return Ok(size_hint);
    }
    if !source.respond_to("size", false)? {
        return Ok(None);
    }
    let size: Value = source.funcall("size", ())?;
    Ok(u64::try_convert(size).ok())
}

/// `_native_parse_event(body)` → `{ kind: :url_verification | :thread_reply | :link_shared | :ignored, … }`.
fn parse_event(ruby: &Ruby, body: RString) -> RbResult<RHash> {
    guard(ruby, || {
        let event = with_bytes([body], |[body]| incoming::parse(body));
        let hash = ruby.hash_new();
        let sym = |s: &str| ruby.to_symbol(s);
        match event {
            SlackEvent::UrlVerification { challenge } => {
                hash.aset(sym("kind"), sym("url_verification"))?;
                hash.aset(sym("challenge"), challenge)?;
            }
            SlackEvent::ThreadReply(reply) => {
                hash.aset(sym("kind"), sym("thread_reply"))?;
                hash.aset(sym("thread_ts"), reply.thread_ts)?;
                hash.aset(sym("ts"), reply.ts)?;
                hash.aset(sym("user"), reply.user)?;
                hash.aset(sym("channel"), reply.channel)?;
                hash.aset(sym("text"), reply.text)?;
                hash.aset(sym("content"), reply.content)?;
                hash.aset(sym("private"), reply.private)?;
                let files = ruby.ary_new_capa(reply.files.len());
                for file in reply.files {
                    let file_type = file.file_type.map(&sym);
                    files.push((
                        file.url_private,
                        file.name,
                        file.mimetype,
                        file_type,
                        file.size,
                    ))?;
                }
                hash.aset(sym("files"), files)?;
            }
            SlackEvent::LinkShared(shared) => {
                hash.aset(sym("kind"), sym("link_shared"))?;
                hash.aset(sym("channel"), shared.channel)?;
                hash.aset(sym("unfurl_id"), shared.unfurl_id)?;
                hash.aset(sym("source"), shared.source)?;
                hash.aset(sym("ts"), shared.message_ts)?;
                let links = ruby.ary_new_capa(shared.links.len());
                for link in shared.links {
                    links.push((link.url, link.account_id, link.display_id))?;
                }
                hash.aset(sym("links"), links)?;
            }
            SlackEvent::Ignored { reason } => {
                hash.aset(sym("kind"), sym("ignored"))?;
                hash.aset(sym("reason"), reason)?;
            }
        }
        Ok(hash)
    })
}

fn outcome_or_nil(ruby: &Ruby, outcome: Option<Outcome>) -> RbResult<Value> {
    match outcome {
        Some(o) => Ok(outcome_hash(ruby, o)?.as_value()),
        None => Ok(ruby.qnil().as_value()),
    }
}

/// `_native_user_email(base_url, token, user)` → `[email or nil, outcome Hash or nil]`: the
/// outcome is `:disable_hook` for missing_scope (Chatwoot disables the hook then) or `:retry`;
/// other Slack errors raise DeliveryError.
fn user_email(ruby: &Ruby, base_url: String, token: RString, user: String) -> RbResult<RArray> {
    guard(ruby, || {
        let token = Secret::new(owned(token));
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let timeout = engine.config.timeout;
        let call_engine = engine.clone();
        let call = async move {
            incoming::user_email(&call_engine, &base_url, &token, &user, timeout).await
        };
        let (email, outcome) = match gvl::block_on(ruby, &engine, call)? {
            Ok(email) => (email, None),
            Err(Failure::Slack(code)) if code == "user_not_found" => (None, None),
            Err(failure) => (None, Some(read_failure_outcome(ruby, failure)?)),
        };
        let outcome = outcome_or_nil(ruby, outcome)?;
        Ok(ruby.ary_new_from_values(&[email.into_value_with(ruby), outcome]))
    })
}

/// A failed read call (users.info, a file download) as its Outcome: `missing_scope` disables
/// the hook (Chatwoot asks to reauthorize), the rest retry or raise as the Web API mapping says.
fn read_failure_outcome(ruby: &Ruby, failure: Failure) -> RbResult<Outcome> {
    failure
        .into_outcome(&["missing_scope"])
        .map_err(|e| to_ruby(ruby, e))
}

/// `_native_download(url, token, size)` → `[bytes or nil, outcome Hash or nil]`: a file a
/// thread reply shares, fetched with the bot token (`size`, when Slack gave it, must match). The
/// outcome is `:disable_hook` for missing_scope or `:retry`; other failures raise DeliveryError.
fn download(ruby: &Ruby, url: String, token: RString, size: Option<u64>) -> RbResult<RArray> {
    guard(ruby, || {
        let token = Secret::new(owned(token));
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let timeout = engine.config.timeout;
        let call_engine = engine.clone();
        let expected = size.and_then(|s| usize::try_from(s).ok());
        let call = async move {
            web_api::download(
                &call_engine,
                &url,
                &token,
                expected,
                MAX_FILE_BYTES,
                timeout,
            )
            .await
        };
        let (bytes, outcome) = match gvl::block_on(ruby, &engine, call)? {
            Ok(bytes) => (Some(ruby.str_from_slice(&bytes)), None),
            Err(failure) => (None, Some(read_failure_outcome(ruby, failure)?)),
        };
        let outcome = outcome_or_nil(ruby, outcome)?;
        Ok(ruby.ary_new_from_values(&[bytes.into_value_with(ruby), outcome]))
    })
}

/// `_native_unfurl(base_url, token, channel, unfurl_id, source, cards)` with cards
/// `[[url, name, email, phone_number, company_name, inbox_name, inbox_type], …]` → an outcome Hash.
fn unfurl_links(
    ruby: &Ruby,
    args: (
        String,
        RString,
        String,
        Option<String>,
        Option<String>,
        RArray,
    ),
) -> RbResult<RHash> {
    let (base_url, token, channel, unfurl_id, source, cards) = args;
    guard(ruby, || {
        let mut parsed = Vec::with_capacity(cards.len());
        for row in cards.into_iter() {
            let row: Vec<Option<String>> = Vec::try_convert(row)?;
            let [Some(url), name, email, phone_number, company_name, inbox_name, inbox_type] =
                <[Option<String>; 7]>::try_from(row).map_err(|_| {
                    Error::new(
                        ruby.exception_arg_error(),
                        "each card is [url, name, email, phone_number, company_name, inbox_name, inbox_type]",
                    )
                })?
            else {
                return Err(Error::new(ruby.exception_arg_error(), "a card has no url"));
            };
            parsed.push((
                url,
                Card {
                    name,
                    email,
                    phone_number,
                    company_name,
                    inbox_name,
                    inbox_type,
                },
            ));
        }
        let job = Unfurl {
            base_url,
            token: Secret::new(owned(token)),
            channel,
            unfurl_id,
            source,
            cards: parsed,
        };
        let engine = dispatch::engine().map_err(|e| to_ruby(ruby, e))?;
        let timeout = engine.config.timeout;
        let call_engine = engine.clone();
        let call = async move { unfurl::perform(&call_engine, job, timeout).await };
        let outcome = gvl::block_on(ruby, &engine, call)?.map_err(|e| to_ruby(ruby, e))?;
        outcome_hash(ruby, outcome)
    })
}

fn unfurl_entry(
    ruby: &Ruby,
    base_url: String,
    token: RString,
    channel: String,
    unfurl_id: Option<String>,
    source: Option<String>,
    cards: RArray,
) -> RbResult<RHash> {
    unfurl_links(ruby, (base_url, token, channel, unfurl_id, source, cards))
}

pub fn init(ruby: &Ruby) -> RbResult<()> {
    let module: RModule = errors::native_module(ruby)?.define_module("Slack")?;
    module.define_singleton_method("_native_parse_event", function!(parse_event, 1))?;
    module.define_singleton_method("_native_user_email", function!(user_email, 3))?;
    module.define_singleton_method("_native_unfurl", function!(unfurl_entry, 6))?;
    module.define_singleton_method("_native_download", function!(download, 3))?;
    Ok(())
}
