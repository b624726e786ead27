//! The dispatcher over real sockets: a minimal HTTP/1.1 server on 127.0.0.1 (tokio) receives
//! what the engine sends. One test function, since the engine's configuration is process-wide.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chatwoot_integrations::dispatch::{
    self, DispatchConfig, DispatchOptions, EndpointSpec, GuardPolicy, Scheme,
};
use chatwoot_integrations::secret::Secret;
use chatwoot_integrations::signature::verify_chatwoot;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
struct Seen {
    head: String,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// Serves each connection: reads one request, records it, answers with `status`.
async fn serve(listener: TcpListener, status: u16, seen: Arc<Mutex<Vec<Seen>>>) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let seen = seen.clone();
        tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            while buf.len() < head_end + length {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            seen.lock().unwrap().push(Seen {
                head,
                body: buf[head_end..].to_vec(),
            });
            let reply =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            let _ = socket.write_all(reply.as_bytes()).await;
        });
    }
}

#[test]
fn delivers_signed_bodies_and_guards_loopback() {
    // The receiver runs on a runtime of the test's own; dispatch_all spawns the deliveries on the
    // engine's lanes and only waits here.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (ok_url, failing_url) = runtime.block_on(async {
        let ok = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let failing = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let urls = (
            format!("http://{}/hook", ok.local_addr().unwrap()),
            format!("http://{}/hook", failing.local_addr().unwrap()),
        );
        tokio::spawn(serve(ok, 200, seen.clone()));
        tokio::spawn(serve(failing, 503, seen.clone()));
        urls
    });
    let endpoint = |url: &str, secret: Option<&str>| EndpointSpec {
        url: url.to_string(),
        secret: secret.map(Secret::new),
        headers: vec![],
        delivery_id: None,
        previous_secrets: vec![],
    };
    let body = Bytes::from_static(br#"{"event":"message_created","id":1}"#);
    let options = DispatchOptions {
        scheme: Scheme::Chatwoot,
        timeout: Some(Duration::from_secs(5)),
    };

    // Loopback is refused by default, before any connection.
    let refused = runtime.block_on(dispatch::dispatch_all(
        dispatch::engine().unwrap(),
        vec![endpoint(&ok_url, None)],
        body.clone(),
        options,
    ));
    assert!(
        refused[0]
            .error
            .as_deref()
            .unwrap()
            .contains("address guard"),
        "{:?}",
        refused[0]
    );
    assert_eq!(refused[0].attempts, 0);
    assert!(seen.lock().unwrap().is_empty());

    let config = DispatchConfig {
        guard: GuardPolicy {
            allowed_cidrs: vec!["127.0.0.1/32".parse().unwrap()],
            ..Default::default()
        },
        ..Default::default()
    };
    dispatch::configure(config).unwrap();
    let results = runtime.block_on(dispatch::dispatch_all(
        dispatch::engine().unwrap(),
        vec![
            endpoint(&ok_url, Some("s3cret")),
            endpoint(&failing_url, Some("s3cret")),
            endpoint("ftp://x/", None),
        ],
        body.clone(),
        options,
    ));
    assert!(results[0].success(), "{:?}", results[0]);
    assert_eq!(results[0].status, Some(200));
    assert_eq!(results[0].response_excerpt, b"ok");
    assert_eq!((results[1].status, results[1].retryable), (Some(503), true));
    assert!(results[2].invalid);

    let seen = seen.lock().unwrap().clone();
    let ok_host = ok_url
        .trim_start_matches("http://")
        .trim_end_matches("/hook");
    let delivered = seen
        .iter()
        .find(|s| s.header("host").as_deref() == Some(ok_host))
        .unwrap();
    assert_eq!(delivered.body, body.as_ref());
    let ts = delivered.header("x-chatwoot-timestamp").unwrap();
    let signature = delivered.header("x-chatwoot-signature").unwrap();
    let now: i64 = ts.parse().unwrap();
    assert_eq!(
        verify_chatwoot(
            b"s3cret",
            ts.as_bytes(),
            &delivered.body,
            signature.as_bytes(),
            300,
            now
        ),
        Ok(())
    );
    assert_eq!(
        delivered.header("x-chatwoot-delivery").unwrap(),
        results[0].delivery_id
    );
    assert_eq!(
        delivered.header("content-type").as_deref(),
        Some("application/json")
    );
}
