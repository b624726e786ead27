//! A request body fed chunk by chunk through a bounded channel: a large file goes out as it is
//! read (by another thread, e.g. Ruby's), holding only the few chunks in flight, never the file.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::mpsc;

/// What a feeder sends: the next chunk, or why the body cannot be completed.
pub type Chunk = std::result::Result<Bytes, String>;

/// Chunks in flight between the feeder and the connection: with 256 KiB chunks, about 1 MiB.
pub const CHUNKS_IN_FLIGHT: usize = 4;

/// Why an upload body stopped short of its declared length (or past it): the request is aborted,
/// so the receiver never gets a truncated file.
#[derive(Debug)]
pub struct BodyError(String);

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BodyError {}

/// A body of exactly `length` bytes arriving on a channel. More bytes, fewer (the channel closing
/// early) or a feeder's error end the body with an error. The body ends when the feeder closes the
/// channel, not when the length is reached: a feeder that finds more bytes than declared can
/// still fail the request after the last declared byte went out.
pub struct ChannelBody {
    chunks: mpsc::Receiver<Chunk>,
    remaining: u64,
}

impl ChannelBody {
    /// The body and the sender its feeder writes to.
    pub fn new(length: u64) -> (Self, mpsc::Sender<Chunk>) {
        let (sender, chunks) = mpsc::channel(CHUNKS_IN_FLIGHT);
        (
            ChannelBody {
                chunks,
                remaining: length,
            },
            sender,
        )
    }

    pub fn length(&self) -> u64 {
        self.remaining
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, BodyError>>> {
        match self.chunks.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => {
                let len = chunk.len() as u64;
                if len > self.remaining {
                    self.remaining = 0;
                    return Poll::Ready(Some(Err(BodyError(
                        "the file is longer than its declared size".into(),
                    ))));
                }
                self.remaining -= len;
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Poll::Ready(Some(Err(reason))) => Poll::Ready(Some(Err(BodyError(reason)))),
            Poll::Ready(None) if self.remaining == 0 => Poll::Ready(None),
            Poll::Ready(None) => Poll::Ready(Some(Err(BodyError(
                "the file ended before its declared size".into(),
            )))),
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn yields_exactly_the_declared_length_or_fails() {
        let (body, tx) = ChannelBody::new(6);
        tokio::spawn(async move {
            tx.send(Ok(Bytes::from_static(b"abc"))).await.unwrap();
            tx.send(Ok(Bytes::from_static(b"def"))).await.unwrap();
        });
        assert_eq!(body.collect().await.unwrap().to_bytes(), "abcdef");

        let (short, tx) = ChannelBody::new(6);
        tokio::spawn(async move { tx.send(Ok(Bytes::from_static(b"abc"))).await.unwrap() });
        let error = short.collect().await.err().unwrap();
        assert!(error.to_string().contains("ended before"), "{error}");

        let (long, tx) = ChannelBody::new(2);
        tokio::spawn(async move { tx.send(Ok(Bytes::from_static(b"abc"))).await.unwrap() });
        let error = long.collect().await.err().unwrap();
        assert!(error.to_string().contains("longer than"), "{error}");

        let (late, tx) = ChannelBody::new(3);
        tokio::spawn(async move {
            tx.send(Ok(Bytes::from_static(b"abc"))).await.unwrap();
            tx.send(Err("one byte too many".into())).await.unwrap();
        });
        let error = late.collect().await.err().unwrap();
        assert_eq!(error.to_string(), "one byte too many");

        let (failed, tx) = ChannelBody::new(2);
        tokio::spawn(async move { tx.send(Err("read failed".into())).await.unwrap() });
        assert_eq!(
            failed.collect().await.err().unwrap().to_string(),
            "read failed"
        );
    }
}
