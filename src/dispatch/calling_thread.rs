//! A single delivery on the thread that asks for it: a runtime and a pooled client of that thread's
//! own, driven by the thread itself while it waits, so a one-endpoint call crosses no thread.
//!
//! Why: Chatwoot's common case is one endpoint per job on each of a Sidekiq process's threads. On
//! the lanes, every such call woke a lane (the request) and was woken by it (the answer): two
//! cross-thread wake-ups, each a system call and a context switch on both sides, several times the
//! ~12 µs a keep-alive round trip to a local server takes (measurements in docs/architecture.md).
//! Fan-outs stay on the lanes, which overlap many endpoints.
//!
//! The runtime is idle (and costs nothing) whenever its thread is not waiting for a delivery: its
//! connections are only read again by the next delivery (a connection the receiver closed
//! meanwhile is noticed then, and the request goes out on a new one). It is rebuilt when the
//! engine is (a new configuration), and after `fork`, as the lanes are: the parent's runtime is
//! then leaked, never dropped, since its I/O driver's epoll instance is shared with the parent.

use std::cell::RefCell;
use std::future::Future;
use std::sync::{Arc, Weak};

use tokio::runtime::Runtime;

use super::config::DispatchConfig;
use super::engine::Engine;
use super::transport::Transport;
use crate::{Error, Result};

thread_local! {
    static OWN: RefCell<Option<ThisThread>> = const { RefCell::new(None) };
}

/// The calling thread's own runtime and client, for the engine they were built from.
pub struct ThisThread {
    pid: u32,
    /// Compared by address; the Weak keeps the address from being reused by a later engine.
    engine: Weak<Engine>,
    transport: Transport,
    runtime: Runtime,
}

impl ThisThread {
    fn new(engine: &Arc<Engine>) -> Result<ThisThread> {
        let (runtime, transport) = build(&engine.config)?;
        Ok(ThisThread {
            pid: std::process::id(),
            engine: Arc::downgrade(engine),
            transport,
            runtime,
        })
    }

    fn serves(&self, engine: &Arc<Engine>, pid: u32) -> bool {
        self.pid == pid && std::ptr::eq(self.engine.as_ptr(), Arc::as_ptr(engine))
    }

    /// Runs `future` to completion on this thread, driving its I/O and timers meanwhile.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }
}

/// Lets the runtime's connection tasks see what happened while the thread was away (a receiver
/// that closed a pooled connection, or died) before a request takes a connection from the pool;
/// without it the request went out on the dead connection and failed ("connection closed before
/// message completed"). The first yield has the runtime poll its I/O driver, which queues the
/// tasks whose sockets changed; the second lets them run (a closed one leaves the pool). Two
/// non-blocking epoll_wait calls, far less than a needless new connection or a failed delivery.
pub(crate) async fn catch_up() {
    tokio::task::yield_now().await;
    tokio::task::yield_now().await;
}

/// A runtime for the calling thread and a client on it.
fn build(config: &DispatchConfig) -> Result<(Runtime, Transport)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start a delivery runtime: {e}")))?;
    // One request at a time on this thread: one idle connection per host is all it reuses.
    let transport = {
        let _context = runtime.enter();
        Transport::new(config, 1)?
    };
    Ok((runtime, transport))
}

/// Calls `f` with the calling thread's own runtime and client for `engine` (built on first use,
/// and again after `configure` or `fork`). `Ok(None)` when the thread is already inside a call
/// (a signal handler that dispatches while a dispatch waits): the caller then uses the lanes.
pub fn on_this_thread<R>(
    engine: &Arc<Engine>,
    f: impl FnOnce(&ThisThread) -> R,
) -> Result<Option<R>> {
    let pid = std::process::id();
    let outcome = OWN.try_with(|slot| {
        let Ok(mut slot) = slot.try_borrow_mut() else {
            return Ok(None);
        };
        let stale = slot.as_ref().is_some_and(|own| !own.serves(engine, pid));
        if stale {
            if let Some(old) = slot.take() {
                if old.pid != pid {
                    // Forked: the driver's epoll instance is the parent's too; dropping it here
                    // would deregister the parent's connections from it.
                    std::mem::forget(old);
                }
            }
        }
        let own = match slot.take() {
            Some(own) => own,
            None => ThisThread::new(engine)?,
        };
        let own = slot.insert(own);
        Ok(Some(f(own)))
    });
    // The thread is exiting (its thread-locals are gone): the lanes serve it.
    outcome.unwrap_or(Ok(None))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::time::Duration;

    use bytes::Bytes;
    use http::HeaderMap;
    use url::Url;

    use super::*;
    use crate::dispatch::GuardPolicy;

    /// A receiver on 127.0.0.1 that answers each connection's first request (with keep-alive)
    /// and then, when told to, closes it, as a server does whose idle timeout passed or which
    /// restarted. Counts its connections.
    fn closing_receiver() -> (u16, Arc<AtomicUsize>, std::sync::mpsc::Sender<()>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let (close, closing) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                count.fetch_add(1, SeqCst);
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                // The request is small: its head and a two-byte body.
                while !request.ends_with(b"{}") {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
                let _ = closing.recv();
            }
        });
        (port, accepted, close)
    }

    /// The calling thread's runtime runs only while its thread waits for a delivery, so a
    /// pooled connection the receiver closed meanwhile is found closed only by the next request:
    /// that request must go out on a new connection, not fail.
    #[test]
    fn a_connection_closed_while_the_thread_was_away_is_replaced_not_failed() {
        let (port, accepted, close) = closing_receiver();
        let config = DispatchConfig {
            guard: GuardPolicy::from_settings(
                false,
                &[format!("127.0.0.1:{port}")],
                &[] as &[&str],
            )
            .unwrap(),
            ..Default::default()
        };
        let (runtime, transport) = build(&config).unwrap();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/hook")).unwrap();
        for round in 1..=3 {
            let body = Bytes::from_static(b"{}");
            let timeout = Duration::from_secs(5);
            let reply = runtime.block_on(async {
                catch_up().await;
                transport
                    .post(&url, HeaderMap::new(), body, 64, timeout)
                    .await
            });
            let status = reply.map(|r| r.status).map_err(|f| f.message().to_owned());
            assert_eq!(status, Ok(200), "request {round}");
            // Away (the runtime not polled) while the receiver closes the connection.
            close.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(accepted.load(SeqCst), 3);
    }

    #[test]
    fn a_thread_keeps_its_runtime_for_one_engine_and_nested_calls_go_elsewhere() {
        let engine = crate::dispatch::engine().unwrap();
        let first = on_this_thread(&engine, |own| own as *const ThisThread as usize)
            .unwrap()
            .unwrap();
        let again = on_this_thread(&engine, |own| {
            // Inside a call, a second one is refused (the caller falls back to the lanes).
            assert!(on_this_thread(&engine, |_| ()).unwrap().is_none());
            own.block_on(async { 7 })
        });
        assert_eq!(again.unwrap(), Some(7));
        let same = on_this_thread(&engine, |own| own as *const ThisThread as usize);
        assert_eq!(same.unwrap(), Some(first));
    }
}
