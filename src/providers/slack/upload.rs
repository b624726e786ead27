//! A message's attachments in Slack's current external-upload flow (what Chatwoot's
//! `files_upload_v2` does): for each file `files.getUploadURLExternal` (name and length) and the
//! bytes to the URL it hands out, then one `files.completeUploadExternal` sharing them all in the
//! channel and thread with Chatwoot's comment.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::incoming::UPLOAD_COMMENT;
use super::web_api::{self, Failure, UploadBody};
use crate::dispatch::{ChannelBody, Chunk, Engine};
use crate::secret::Secret;

/// The largest file the gem moves between Chatwoot and Slack, either way (Chatwoot's own default
/// attachment limit is 40 MB).
pub const MAX_FILE_BYTES: usize = 100 * 1024 * 1024;

/// One attachment: its name, content type and bytes. `Bytes`, so that the prepared request shares
/// the buffer rather than copying the file; or, for a file the binding streams (an IO), no bytes
/// and `stream`: the bytes are asked for when the upload starts and arrive as they are read.
#[derive(Clone, Default)]
pub struct UploadFile {
    pub name: String,
    pub content_type: String,
    pub bytes: Bytes,
    pub stream: Option<Streamed>,
}

impl UploadFile {
    /// The length Slack is told, and the upload's Content-Length.
    pub fn len(&self) -> u64 {
        match &self.stream {
            Some(stream) => stream.length,
            None => self.bytes.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A streamed file: its declared length, and where its feeder (the thread that reads the file)
/// takes requests for its chunks.
#[derive(Clone, Debug)]
pub struct Streamed {
    pub length: u64,
    pub index: usize,
    pub feeds: mpsc::UnboundedSender<Feed>,
}

/// A request to the feeder: send file `index`'s chunks, exactly its declared length, to `chunks`.
/// Dropping `chunks` (the upload failed or was aborted) tells the feeder to stop.
pub struct Feed {
    pub index: usize,
    pub chunks: mpsc::Sender<Chunk>,
}

impl std::fmt::Debug for UploadFile {
    // The bytes are the customer's file: only their length prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadFile")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("len", &self.len())
            .finish()
    }
}

/// Uploads `files` and shares them in `channel` (in the thread `thread_ts` when given).
pub async fn upload(
    engine: &Engine,
    base_url: &str,
    token: &Secret,
    channel: &str,
    thread_ts: Option<&str>,
    files: Vec<UploadFile>,
    timeout: Duration,
) -> Result<(), Failure> {
    let mut shared = Vec::with_capacity(files.len());
    for file in files {
        let length = file.len().to_string();
        let name = if file.name.trim().is_empty() {
            "file"
        } else {
            file.name.as_str()
        };
        let answer = web_api::call_form(
            engine,
            base_url,
            "files.getUploadURLExternal",
            token,
            &[("filename", name), ("length", &length)],
            timeout,
        )
        .await?;
        let (Some(url), Some(id)) = (
            answer.get("upload_url").and_then(Value::as_str),
            answer.get("file_id").and_then(Value::as_str),
        ) else {
            return Err(Failure::Other(crate::Error::Delivery(
                "slack: files.getUploadURLExternal answered without upload_url or file_id".into(),
            )));
        };
        shared.push(json!({ "id": id, "title": name }));
        let url = url.to_string();
        match file.stream {
            None => web_api::upload(engine, &url, UploadBody::Bytes(file.bytes), timeout).await?,
            Some(stream) => {
                let (body, chunks) = ChannelBody::new(stream.length);
                let feed = Feed {
                    index: stream.index,
                    chunks,
                };
                if stream.feeds.send(feed).is_err() {
                    return Err(Failure::Other(crate::Error::Internal(
                        "slack: the file's reader is gone".into(),
                    )));
                }
                web_api::upload(engine, &url, UploadBody::Stream(body), timeout).await?;
            }
        }
    }
    let files = Value::Array(shared).to_string();
    let mut fields = vec![
        ("files", files.as_str()),
        ("channel_id", channel),
        ("initial_comment", UPLOAD_COMMENT),
    ];
    if let Some(ts) = thread_ts {
        fields.push(("thread_ts", ts));
    }
    web_api::call_form(
        engine,
        base_url,
        "files.completeUploadExternal",
        token,
        &fields,
        timeout,
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_content() {
        let file = UploadFile {
            name: "a.txt".into(),
            content_type: "text/plain".into(),
            bytes: Bytes::from_static(b"secret contents"),
            stream: None,
        };
        let shown = format!("{file:?}");
        assert!(shown.contains("a.txt") && shown.contains("len: 15"));
        assert!(!shown.contains("secret"));
    }
}
