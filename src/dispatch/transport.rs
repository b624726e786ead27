//! The HTTP client every delivery and provider call goes out on: hyper-util's pooled client (the
//! engine inside reqwest) with rustls, connections made through the address guard, every request
//! (the first and each redirect hop) admitted by it, and redirects followed here.
//!
//! Why not reqwest itself: against a local nginx, reqwest reached 62-78k requests/s where its own
//! hyper-util client reached 99-116k on the same machine; the difference is reqwest's per-request
//! layers (URL re-parsing, redirect and timeout wrappers, header merging), none of which a webhook
//! needs. What reqwest did for us that matters is done here: the pooled keep-alive client, HTTP/2 by
//! ALPN, rustls with the webpki roots, timeouts, user info as Basic auth, and guarded redirects.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION,
    RETRY_AFTER, USER_AGENT,
};
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use url::Url;

use super::classify::parse_retry_after;
use super::config::DispatchConfig;
use super::guard::{Guard, GuardedConnector, Refusal};
use super::headers::Signing;
use super::transport_error::{ErrorKind, TransportError};
use super::upload_body::ChannelBody;
use super::urls::without_user_info;
use crate::{Error, Result};

type Connector = HttpsConnector<GuardedConnector>;

/// The headers a redirect to another origin keeps (unless `redirect_keeps_headers`): the ones the
/// gem sets itself. The signing headers are set anew for each request.
const OWN_HEADERS: [http::HeaderName; 3] = [CONTENT_TYPE, USER_AGENT, ACCEPT];

/// The pooled client and what each request needs from the configuration.
pub struct Transport {
    client: Client<Connector, Full<Bytes>>,
    /// Streamed file uploads (Slack's): the same guarded connector and TLS, its own small pool, so
    /// the hot path's client keeps its one body type.
    uploads: Client<Connector, ChannelBody>,
    guard: Guard,
    max_redirects: usize,
    redirect_keeps_headers: bool,
    user_agent: HeaderValue,
}

/// An HTTP answer: its status, Retry-After, and at most the asked-for number of body bytes.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Transport {
    /// Must be called inside the runtime the client will run on (the pool's timer is tokio's).
    /// Servers are trusted by the webpki roots (Mozilla's), as browsers and reqwest do. The pool
    /// keeps at most `idle_per_host` idle connections to any one host.
    pub fn new(config: &DispatchConfig, idle_per_host: usize) -> Result<Self> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Self::with_roots(config, idle_per_host, roots)
    }

    fn with_roots(
        config: &DispatchConfig,
        idle_per_host: usize,
        roots: rustls::RootCertStore,
    ) -> Result<Self> {
        let guard = Guard::new(config.guard.clone());
        let http = guard.connector(config.timeout);
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(format!("cannot set up TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(http);
        let uploads = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(1)
            .build(connector.clone());
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(idle_per_host)
            .build(connector);
        let user_agent = HeaderValue::from_str(&config.user_agent)
            .map_err(|_| Error::InvalidArgument("user_agent is not a valid header value".into()))?;
        Ok(Transport {
            client,
            uploads,
            guard,
            max_redirects: config.max_redirects,
            redirect_keeps_headers: config.redirect_keeps_headers,
            user_agent,
        })
    }

    /// POSTs `body` to `url` and reads at most `limit` bytes of the answer, all within `timeout`.
    /// The body is read until the limit, its end or the deadline; the rest is never buffered
    /// (dropping the response closes the connection instead of draining it). A redirect to another
    /// origin carries only the gem's own headers (a provider's token stays behind).
    pub async fn post(
        &self,
        url: &Url,
        headers: HeaderMap,
        body: Bytes,
        limit: usize,
        timeout: Duration,
    ) -> std::result::Result<Reply, TransportError> {
        let hops = Hops {
            signing: None,
            keep_headers: false,
            get: false,
            follow: true,
        };
        self.send_within(url, headers, hops, body, limit, timeout)
            .await
    }

    /// `post` as a bodiless GET (a provider's read-only call: OpenAI's key check, listings; Slack's
    /// file downloads). Without `follow_redirects` the first answer is the answer (a redirect
    /// included), so a token in `headers` never travels anywhere but `url`.
    pub async fn get(
        &self,
        url: &Url,
        headers: HeaderMap,
        follow_redirects: bool,
        limit: usize,
        timeout: Duration,
    ) -> std::result::Result<Reply, TransportError> {
        let hops = Hops {
            signing: None,
            keep_headers: false,
            get: true,
            follow: follow_redirects,
        };
        self.send_within(url, headers, hops, Bytes::new(), limit, timeout)
            .await
    }

    /// `post` for a webhook delivery: each request (each redirect hop) is signed by `signing`, and
    /// a redirect to another origin keeps the caller's headers only with `redirect_keeps_headers`.
    pub async fn post_signed(
        &self,
        url: &Url,
        headers: HeaderMap,
        signing: &Signing<'_>,
        body: Bytes,
        limit: usize,
        timeout: Duration,
    ) -> std::result::Result<Reply, TransportError> {
        let hops = Hops {
            signing: Some(signing),
            keep_headers: self.redirect_keeps_headers,
            get: false,
            follow: true,
        };
        self.send_within(url, headers, hops, body, limit, timeout)
            .await
    }

    /// POSTs a body streamed through `body` (exactly its length, sent as Content-Length) to `url`
    /// and reads at most `limit` bytes of the answer, all within `timeout`. Admitted by the guard as
    /// every request; no redirect is followed (the body cannot be sent twice). A body that ends
    /// short or long fails the request: the receiver never sees a truncated file as complete.
    pub async fn post_stream(
        &self,
        url: &Url,
        mut headers: HeaderMap,
        body: ChannelBody,
        limit: usize,
        timeout: Duration,
    ) -> std::result::Result<Reply, TransportError> {
        let deadline = tokio::time::Instant::now() + timeout;
        self.guard
            .admit(url)
            .map_err(|refusal| TransportError::refused(&refusal, true))?;
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, self.user_agent.clone());
        }
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.length()));
        let target = request(Method::POST, url, headers, Bytes::new())?;
        let (parts, _) = target.into_parts();
        let request = Request::from_parts(parts, body);
        let sent = async {
            self.uploads
                .request(request)
                .await
                .map_err(|e| client_failure(&e))
        };
        reply_within(sent, deadline, timeout, limit).await
    }

    async fn send_within(
        &self,
        url: &Url,
        headers: HeaderMap,
        hops: Hops<'_>,
        body: Bytes,
        limit: usize,
        timeout: Duration,
    ) -> std::result::Result<Reply, TransportError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let sent = self.send(url, headers, hops, body);
        reply_within(sent, deadline, timeout, limit).await
    }

    /// Sends the request, following redirects when configured: 307/308 repeat the POST, 301/302/303
    /// become a bodiless GET (as browsers and reqwest do), a hop to another origin carries only the
    /// gem's own headers (unless `hops.keep_headers`), each request is signed over its own body,
    /// and every request is admitted by the guard before it is sent (names again in the resolver):
    /// no caller has to check a URL first.
    async fn send(
        &self,
        url: &Url,
        mut headers: HeaderMap,
        hops: Hops<'_>,
        mut body: Bytes,
    ) -> std::result::Result<http::Response<Incoming>, TransportError> {
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, self.user_agent.clone());
        }
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        }
        let mut method = if hops.get { Method::GET } else { Method::POST };
        // Borrowed until a redirect is followed: no copy of the URL per request otherwise.
        let mut current = Cow::Borrowed(url);
        for hop in 0..=self.max_redirects {
            self.guard
                .admit(&current)
                .map_err(|refusal| TransportError::refused(&refusal, hop == 0))?;
            // The last hop that may be sent takes the headers; only a hop that may redirect copies them.
            let mut hop_headers = if hop == self.max_redirects {
                std::mem::take(&mut headers)
            } else {
                headers.clone()
            };
            if let Some(signing) = hops.signing {
                signing.apply(&mut hop_headers, &body);
            }
            let request = request(method.clone(), &current, hop_headers, body.clone())?;
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| client_failure(&e))?;
            let location = match response.status().as_u16() {
                301 | 302 | 303 | 307 | 308 if self.max_redirects > 0 && hops.follow => {
                    response.headers().get(LOCATION).cloned()
                }
                _ => None,
            };
            // No Location: the redirect itself is the answer.
            let Some(location) = location else {
                return Ok(response);
            };
            if hop == self.max_redirects {
                break;
            }
            let next = location
                .to_str()
                .ok()
                .and_then(|l| current.join(l).ok())
                .filter(|next| matches!(next.scheme(), "http" | "https"))
                .ok_or_else(|| {
                    TransportError::new(
                        ErrorKind::Redirect,
                        "redirect refused: the Location is not an http(s) URL",
                    )
                })?;
            if matches!(response.status().as_u16(), 301..=303) && method == Method::POST {
                method = Method::GET;
                body = Bytes::new();
                headers.remove(CONTENT_TYPE);
                headers.remove(CONTENT_LENGTH);
            }
            if next.origin() != current.origin() && !hops.keep_headers {
                headers = own_headers(&headers);
            }
            current = Cow::Owned(next);
        }
        Err(TransportError::new(
            ErrorKind::Redirect,
            format!(
                "redirect refused: more than {} redirects",
                self.max_redirects
            ),
        ))
    }
}

/// How the requests of one `send` are made beyond the first: signed (deliveries) or not
/// (provider calls), and whether the caller's headers follow a redirect to another origin.
#[derive(Clone, Copy)]
struct Hops<'a> {
    signing: Option<&'a Signing<'a>>,
    keep_headers: bool,
    /// The first request is a bodiless GET (a provider's read-only call) rather than a POST.
    get: bool,
    /// Whether a redirect is followed at all (within `max_redirects`).
    follow: bool,
}

/// The headers the gem itself set, without the caller's (tokens, API keys, cookies).
fn own_headers(headers: &HeaderMap) -> HeaderMap {
    let mut own = HeaderMap::with_capacity(OWN_HEADERS.len());
    for name in OWN_HEADERS {
        if let Some(value) = headers.get(&name) {
            own.insert(name, value.clone());
        }
    }
    own
}

/// Waits for the response until `deadline` (`timeout` names it in the error), then reads at most
/// `limit` bytes of its body by the same deadline: one answer for every method.
async fn reply_within(
    sent: impl std::future::Future<
        Output = std::result::Result<http::Response<Incoming>, TransportError>,
    >,
    deadline: tokio::time::Instant,
    timeout: Duration,
    limit: usize,
) -> std::result::Result<Reply, TransportError> {
    let response = match tokio::time::timeout_at(deadline, sent).await {
        Ok(response) => response?,
        Err(_) => {
            return Err(TransportError::new(
                ErrorKind::Timeout,
                format!("timed out after {:.1}s", timeout.as_secs_f64()),
            ))
        }
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let body = read_at_most(response.into_body(), limit, deadline).await;
    Ok(Reply {
        status,
        retry_after,
        body,
    })
}

/// The request for one hop. User info in the URL becomes Basic auth (unless an Authorization header
/// is set) and is left out of the request line.
fn request(
    method: Method,
    url: &Url,
    mut headers: HeaderMap,
    body: Bytes,
) -> std::result::Result<Request<Full<Bytes>>, TransportError> {
    let uri = if url.username().is_empty() && url.password().is_none() {
        Uri::try_from(url.as_str())
    } else {
        if !headers.contains_key(AUTHORIZATION) {
            headers.insert(AUTHORIZATION, basic_auth(url));
        }
        Uri::try_from(without_user_info(url).as_str())
    }
    .map_err(|_| TransportError::new(ErrorKind::Invalid, "url is not a valid request target"))?;
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(request)
}

fn basic_auth(url: &Url) -> HeaderValue {
    let decode = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
    let mut credentials = decode(url.username());
    credentials.push(b':');
    credentials.extend(decode(url.password().unwrap_or_default()));
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    // Base64 is always a valid header value.
    let mut value = HeaderValue::try_from(format!("Basic {encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
    value.set_sensitive(true);
    value
}

/// Reads at most `limit` bytes of a body before `deadline`.
async fn read_at_most(mut body: Incoming, limit: usize, deadline: tokio::time::Instant) -> Vec<u8> {
    let mut read = Vec::new();
    while read.len() < limit {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    let room = limit - read.len();
                    read.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            // End of body, a body error or the deadline: the status already decided the outcome.
            _ => break,
        }
    }
    read
}

/// What a client error means: a guard refusal (final), a connection failure (worth one quick retry),
/// or a failure mid-request (worth a later retry). The text is the root cause's, never the URL.
fn client_failure(e: &hyper_util::client::legacy::Error) -> TransportError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let mut root = None;
    while let Some(cause) = source {
        if let Some(refusal) = cause.downcast_ref::<Refusal>() {
            return TransportError::refused(refusal, false);
        }
        root = Some(cause);
        source = cause.source();
    }
    let detail = root.map(|c| c.to_string()).unwrap_or_else(|| e.to_string());
    if e.is_connect() {
        TransportError::new(ErrorKind::Connect, format!("connection failed: {detail}"))
    } else {
        TransportError::new(ErrorKind::Request, format!("request failed: {detail}"))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use http_body_util::Full;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::net::TcpListener;
    use tokio_rustls::TlsAcceptor;

    use super::*;
    use crate::dispatch::GuardPolicy;

    /// test/fixtures/tls: a test CA and a certificate for 127.0.0.1 it signed (see generate.sh).
    fn fixture(name: &str) -> PathBuf {
        [env!("CARGO_MANIFEST_DIR"), "test", "fixtures", "tls", name]
            .iter()
            .collect()
    }

    fn test_ca() -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(fixture("ca.pem")).unwrap())
            .unwrap();
        roots
    }

    fn loopback_allowed() -> DispatchConfig {
        DispatchConfig {
            guard: GuardPolicy {
                allowed_cidrs: vec!["127.0.0.1/32".parse().unwrap()],
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// A real HTTPS receiver on 127.0.0.1 offering `alpn`. It answers every request with the HTTP
    /// version it arrived in and the length of its body.
    async fn https_receiver(alpn: &[&[u8]]) -> std::net::SocketAddr {
        let certs = CertificateDer::pem_file_iter(fixture("localhost.pem"))
            .unwrap()
            .collect::<std::result::Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(fixture("localhost.key")).unwrap();
        let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        tls.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(stream) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
                    let service = service_fn(|request: http::Request<Incoming>| async move {
                        let version = format!("{:?}", request.version());
                        let body = request.into_body().collect().await?.to_bytes();
                        let answer = format!("{version} {}", body.len());
                        Ok::<_, hyper::Error>(http::Response::new(Full::new(Bytes::from(answer))))
                    });
                    let io = TokioIo::new(stream);
                    let _ = if h2 {
                        hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                            .serve_connection(io, service)
                            .await
                    } else {
                        hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, service)
                            .await
                    };
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn posts_over_https_in_http2_when_offered_and_http1_otherwise() {
        let body = Bytes::from_static(br#"{"event":"message_created"}"#);
        let cases: [(&[&[u8]], &str); 2] = [
            (&[b"h2", b"http/1.1"], "HTTP/2.0"),
            (&[b"http/1.1"], "HTTP/1.1"),
        ];
        for (alpn, version) in cases {
            let addr = https_receiver(alpn).await;
            let transport = Transport::with_roots(&loopback_allowed(), 4, test_ca()).unwrap();
            let url = Url::parse(&format!("https://{addr}/hook")).unwrap();
            let reply = transport
                .post(
                    &url,
                    HeaderMap::new(),
                    body.clone(),
                    1024,
                    Duration::from_secs(5),
                )
                .await
                .unwrap_or_else(|f| panic!("{version}: {}", f.message()));
            assert_eq!(reply.status, 200);
            assert_eq!(reply.body, format!("{version} {}", body.len()).as_bytes());
        }
    }

    #[tokio::test]
    async fn refuses_a_certificate_the_trusted_roots_did_not_sign() {
        let addr = https_receiver(&[b"http/1.1"]).await;
        // The production trust store (Mozilla's roots) does not include the test CA.
        let transport = Transport::new(&loopback_allowed(), 4).unwrap();
        let url = Url::parse(&format!("https://{addr}/hook")).unwrap();
        let failure = transport
            .post(
                &url,
                HeaderMap::new(),
                Bytes::new(),
                1024,
                Duration::from_secs(5),
            )
            .await
            .expect_err("an untrusted certificate must not be accepted");
        assert!(
            failure.message().contains("certificate"),
            "{}",
            failure.message()
        );
        assert!(
            !failure.message().contains("/hook"),
            "{}",
            failure.message()
        );
    }

    /// One request as a plain HTTP receiver saw it.
    #[derive(Debug, Clone)]
    struct Seen {
        method: String,
        path: String,
        headers: HeaderMap,
        body: Bytes,
    }

    type Log = Arc<std::sync::Mutex<Vec<Seen>>>;

    /// A plain HTTP receiver on 127.0.0.1: records every request and answers it with `answer`
    /// (status, Location). Also counts the connections it accepts.
    async fn receiver(
        answer: fn(&str) -> (u16, Option<String>),
    ) -> (
        std::net::SocketAddr,
        Log,
        Arc<std::sync::atomic::AtomicUsize>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log: Log = Arc::default();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (seen, count) = (log.clone(), accepted.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let seen = seen.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: http::Request<Incoming>| {
                        let seen = seen.clone();
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body.collect().await?.to_bytes();
                            let path = parts.uri.path().to_string();
                            seen.lock().unwrap().push(Seen {
                                method: parts.method.to_string(),
                                path: path.clone(),
                                headers: parts.headers,
                                body,
                            });
                            let (status, location) = answer(&path);
                            let mut response = http::Response::new(Full::new(Bytes::new()));
                            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
                            if let Some(location) = location {
                                response
                                    .headers_mut()
                                    .insert(LOCATION, location.parse().unwrap());
                            }
                            Ok::<_, hyper::Error>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
        (addr, log, accepted)
    }

    fn caller_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert("x-api-key", HeaderValue::from_static("caller-key"));
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Bearer caller-token"),
        );
        headers.insert(
            http::header::COOKIE,
            HeaderValue::from_static("session=caller"),
        );
        headers
    }

    /// The first receiver redirects /307 and /303 to the second one, another origin (its port).
    #[tokio::test]
    async fn a_redirect_to_another_origin_carries_only_the_gems_headers_signed_for_its_request() {
        let (second, second_log, _) = receiver(|_| (200, None)).await;
        static SECOND: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        SECOND.set(format!("http://{second}/final")).unwrap();
        let (first, first_log, _) = receiver(|path| match path {
            "/307" => (307, SECOND.get().cloned()),
            "/303" => (303, SECOND.get().cloned()),
            _ => (200, None),
        })
        .await;
        let key = crate::secret::Secret::new("whsec");
        let signing = Signing {
            scheme: crate::dispatch::Scheme::Chatwoot,
            key: Some(&key),
            delivery_id: "delivery-1",
            timestamp: 1_700_000_000,
            previous_keys: &[],
        };
        let body = Bytes::from_static(br#"{"event":"message_created"}"#);
        for keep in [false, true] {
            let config = DispatchConfig {
                max_redirects: 3,
                redirect_keeps_headers: keep,
                ..loopback_allowed()
            };
            let transport = Transport::new(&config, 4).unwrap();
            for (path, method, resent) in [
                ("/307", "POST", body.clone()),
                ("/303", "GET", Bytes::new()),
            ] {
                let url = Url::parse(&format!("http://{first}{path}")).unwrap();
                let reply = transport
                    .post_signed(
                        &url,
                        caller_headers(),
                        &signing,
                        body.clone(),
                        64,
                        Duration::from_secs(5),
                    )
                    .await
                    .unwrap_or_else(|f| panic!("{}", f.message()));
                assert_eq!(reply.status, 200);
                let asked = first_log.lock().unwrap().last().cloned().unwrap();
                let hop = second_log.lock().unwrap().last().cloned().unwrap();
                assert_eq!((hop.method.as_str(), hop.path.as_str()), (method, "/final"));
                assert_eq!(hop.body, resent);
                // The first request has everything, the signature over the body.
                assert_eq!(asked.headers["x-api-key"], "caller-key");
                let signed = |b: &[u8]| crate::signature::sign_chatwoot(b"whsec", b"1700000000", b);
                assert_eq!(
                    asked.headers["x-chatwoot-signature"],
                    signed(&body).as_str()
                );
                // The hop: the gem's headers, signed over what the hop sends.
                assert_eq!(
                    hop.headers["x-chatwoot-signature"],
                    signed(&resent).as_str()
                );
                assert_eq!(hop.headers["x-chatwoot-timestamp"], "1700000000");
                assert_eq!(hop.headers["x-chatwoot-delivery"], "delivery-1");
                assert!(hop.headers[USER_AGENT]
                    .to_str()
                    .unwrap()
                    .starts_with("chatwoot_integrations_rs/"));
                assert_eq!(hop.headers.contains_key(CONTENT_TYPE), method == "POST");
                for name in ["x-api-key", "authorization", "cookie"] {
                    assert_eq!(
                        hop.headers.contains_key(name),
                        keep,
                        "{name}, keep: {keep}, {path}"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn provider_calls_never_carry_their_token_to_another_origin() {
        let (second, second_log, _) = receiver(|_| (200, None)).await;
        static SECOND: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        SECOND.set(format!("http://{second}/final")).unwrap();
        let (first, _, _) = receiver(|_| (308, SECOND.get().cloned())).await;
        let config = DispatchConfig {
            max_redirects: 1,
            redirect_keeps_headers: true, // for webhook deliveries only
            ..loopback_allowed()
        };
        let transport = Transport::new(&config, 4).unwrap();
        let url = Url::parse(&format!("http://{first}/api")).unwrap();
        let reply = transport
            .post(
                &url,
                caller_headers(),
                Bytes::from_static(b"{}"),
                64,
                Duration::from_secs(5),
            )
            .await
            .unwrap_or_else(|f| panic!("{}", f.message()));
        assert_eq!(reply.status, 200);
        let hop = second_log.lock().unwrap().last().cloned().unwrap();
        assert_eq!(hop.body, Bytes::from_static(b"{}"));
        assert!(!hop.headers.contains_key(AUTHORIZATION) && !hop.headers.contains_key("x-api-key"));
    }

    /// The connector checks literal addresses itself, and an allowed host:port entry opens that
    /// port of the host only: names through the resolver, which is told the port.
    #[tokio::test]
    async fn the_connector_guards_literals_and_host_port_entries() {
        let (open, open_log, _) = receiver(|_| (200, None)).await;
        let (closed, _, closed_accepted) = receiver(|_| (200, None)).await;
        let policy = GuardPolicy::from_settings(
            false,
            &[
                format!("localhost:{}", open.port()),
                format!("127.0.0.1:{}", open.port()),
            ],
            &[] as &[&str],
        )
        .unwrap();
        let config = DispatchConfig {
            guard: policy,
            ..Default::default()
        };
        let transport = Transport::new(&config, 4).unwrap();
        let post = |url: String| {
            let transport = &transport;
            async move {
                let url = Url::parse(&url).unwrap();
                transport
                    .post(
                        &url,
                        HeaderMap::new(),
                        Bytes::new(),
                        64,
                        Duration::from_secs(5),
                    )
                    .await
            }
        };
        for host in ["127.0.0.1", "localhost"] {
            let reply = post(format!("http://{host}:{}/", open.port())).await;
            assert_eq!(
                reply.map(|r| r.status).map_err(|f| f.message().to_owned()),
                Ok(200),
                "{host}"
            );
            let refused = post(format!("http://{host}:{}/", closed.port()))
                .await
                .err()
                .unwrap();
            assert!(
                refused.message().contains("address guard"),
                "{host}: {}",
                refused.message()
            );
            assert!(!refused.is_retryable());
        }
        // Literal forms carrying 127.0.0.1 are refused before any connection too.
        for host in [
            "[::ffff:127.0.0.1]",
            "[64:ff9b:1::7f00:1]",
            "[::ffff:0:7f00:1]",
        ] {
            let refused = post(format!("http://{host}:{}/", closed.port()))
                .await
                .err()
                .unwrap();
            assert!(
                refused.message().contains("address guard"),
                "{host}: {}",
                refused.message()
            );
        }
        let arrived = open_log.lock().unwrap().clone();
        assert_eq!(arrived.len(), 2);
        for seen in arrived {
            assert_eq!((seen.method.as_str(), seen.path.as_str()), ("POST", "/"));
            assert!(seen.body.is_empty() && seen.headers.contains_key(USER_AGENT));
        }
        assert_eq!(closed_accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    /// No caller checks a URL before the transport any more: the transport itself refuses an
    /// address the policy forbids, for the first request (before any connection, so no attempt)
    /// and for a redirect hop (after the first request was sent).
    #[tokio::test]
    async fn the_transport_refuses_forbidden_addresses_whoever_calls_it() {
        let (forbidden, _, forbidden_accepted) = receiver(|_| (200, None)).await;
        let strict = Transport::new(&DispatchConfig::default(), 4).unwrap();
        let key = crate::secret::Secret::new("whsec");
        let signing = Signing {
            scheme: crate::dispatch::Scheme::Chatwoot,
            key: Some(&key),
            delivery_id: "delivery-1",
            timestamp: 1_700_000_000,
            previous_keys: &[],
        };
        for host in ["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]"] {
            let url = Url::parse(&format!("http://{host}:{}/hook", forbidden.port())).unwrap();
            let timeout = Duration::from_secs(5);
            let plain = strict
                .post(&url, HeaderMap::new(), Bytes::new(), 64, timeout)
                .await;
            let signed = strict
                .post_signed(&url, HeaderMap::new(), &signing, Bytes::new(), 64, timeout)
                .await;
            for refused in [plain, signed] {
                let refused = refused.expect_err(host);
                assert!(refused.is_refused_by_guard(), "{host}: {refused:?}");
                assert!(
                    !refused.attempted() && !refused.is_retryable(),
                    "{refused:?}"
                );
                assert!(refused.message().contains("loopback"), "{refused:?}");
            }
        }

        static FORBIDDEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        FORBIDDEN
            .set(format!("http://127.0.0.1:{}/hook", forbidden.port()))
            .unwrap();
        let (first, first_log, _) = receiver(|_| (307, FORBIDDEN.get().cloned())).await;
        let config = DispatchConfig {
            guard: GuardPolicy::from_settings(
                false,
                &[format!("127.0.0.1:{}", first.port())],
                &[] as &[&str],
            )
            .unwrap(),
            max_redirects: 3,
            ..Default::default()
        };
        let transport = Transport::new(&config, 4).unwrap();
        let url = Url::parse(&format!("http://127.0.0.1:{}/start", first.port())).unwrap();
        let refused = transport
            .post(
                &url,
                HeaderMap::new(),
                Bytes::new(),
                64,
                Duration::from_secs(5),
            )
            .await
            .expect_err("the hop goes to a port the policy does not open");
        assert!(
            refused.is_refused_by_guard() && refused.attempted(),
            "{refused:?}"
        );
        assert!(!refused.is_retryable());
        assert_eq!(first_log.lock().unwrap().len(), 1);
        assert_eq!(
            forbidden_accepted.load(std::sync::atomic::Ordering::SeqCst),
            0
        );
    }

    /// A streamed body goes out with its Content-Length, chunk by chunk, through the guard; a body
    /// that ends early fails the request rather than delivering a truncated file.
    #[tokio::test]
    async fn post_stream_sends_the_declared_length_through_the_guard() {
        let (addr, log, _) = receiver(|_| (200, None)).await;
        let transport = Transport::new(&loopback_allowed(), 4).unwrap();
        let url = Url::parse(&format!("http://{addr}/upload")).unwrap();
        let (body, chunks) = ChannelBody::new(6);
        tokio::spawn(async move {
            for part in [&b"abc"[..], &b"def"[..]] {
                chunks.send(Ok(Bytes::from_static(part))).await.unwrap();
            }
        });
        let reply = transport
            .post_stream(&url, HeaderMap::new(), body, 64, Duration::from_secs(5))
            .await
            .unwrap_or_else(|f| panic!("{}", f.message()));
        assert_eq!(reply.status, 200);
        let seen = log.lock().unwrap().last().cloned().unwrap();
        assert_eq!(
            (seen.method.as_str(), seen.body.as_ref()),
            ("POST", &b"abcdef"[..])
        );
        assert_eq!(seen.headers[CONTENT_LENGTH], "6");

        let (body, chunks) = ChannelBody::new(6);
        tokio::spawn(async move { chunks.send(Ok(Bytes::from_static(b"abc"))).await });
        let failed = transport
            .post_stream(&url, HeaderMap::new(), body, 64, Duration::from_secs(5))
            .await
            .expect_err("a short body must fail");
        assert!(failed.message().contains("ended before"), "{failed:?}");
        assert_eq!(log.lock().unwrap().len(), 1);

        let strict = Transport::new(&DispatchConfig::default(), 4).unwrap();
        let (body, _chunks) = ChannelBody::new(1);
        let refused = strict
            .post_stream(&url, HeaderMap::new(), body, 64, Duration::from_secs(5))
            .await
            .expect_err("loopback is not allowed by default");
        assert!(
            refused.is_refused_by_guard() && !refused.attempted(),
            "{refused:?}"
        );
    }
}
