//! A recording reverse proxy on loopback between the browser and the backend: the kit's public
//! address is the proxy's, so every answer the browser gets from the backend's origin passes
//! through it whole. It looks for a JWT (`eyJ….….`) wherever a page's script could read it with
//! `fetch`: the body and every header, except `Set-Cookie` (never exposed to scripts) and the
//! `Location` of a redirect to another origin (a script gets an opaque answer with
//! `redirect: "manual"`, and a followed redirect to another origin without CORS is unreadable).
//! A redirect to this origin is scanned: a followed one exposes its URL as `response.url`.
//! The browser's requests are forwarded without `Accept-Encoding`, so bodies are scanned as the
//! script would read them; an encoded body that slipped through counts as a finding.

use anyhow::bail;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use regex::bytes::Regex;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};
use tokio::net::TcpListener;

/// A JWS or JWE in compact form: a base64url JSON header (`{"` encodes as `eyJ`), a dot, a
/// second part, a dot.
static JWT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.").expect("a valid pattern"));

/// Where a page's script on `origin` (`http://127.0.0.1:1234`) could read a JWT in one answer:
/// `body`, or `header <name>`. Empty when nowhere.
pub fn jwts_readable_by_script(origin: &str, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, value) in headers {
        let hidden = name == header::SET_COOKIE
            || (name == header::LOCATION && status.is_redirection() && !same_origin(origin, value.as_bytes()));
        if !hidden && JWT.is_match(value.as_bytes()) {
            found.push(format!("header {name}"));
        }
    }
    if JWT.is_match(body) {
        found.push("body".into());
    }
    found
}

/// Whether a `Location` value leads to `origin` (relative references do).
fn same_origin(origin: &str, location: &[u8]) -> bool {
    let (Ok(base), Ok(location)) = (reqwest::Url::parse(origin), std::str::from_utf8(location)) else {
        return true; // Unreadable: scanned rather than excused.
    };
    base.join(location).map_or(true, |target| target.origin() == base.origin())
}

/// What the proxy saw: how many answers it scanned, and each JWT a script could have read.
#[derive(Debug, Default)]
struct Seen {
    answers: usize,
    findings: Vec<String>,
}

/// The proxy, serving until dropped.
pub struct RecordingProxy {
    /// Where the browser connects (the kit's public address).
    pub addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Forward {
    backend: SocketAddr,
    origin: String,
    client: Client<HttpConnector, Body>,
    seen: Arc<Mutex<Seen>>,
}

impl RecordingProxy {
    /// Serves on `listener`, forwarding every request to `backend`.
    pub fn start(listener: TcpListener, backend: SocketAddr) -> anyhow::Result<Self> {
        let addr = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let forward = Forward {
            backend,
            origin: format!("http://{addr}"),
            // A new connection per request: tests restart the backend on the same port, and a
            // pooled connection to the previous process would fail the next request.
            client: Client::builder(TokioExecutor::new()).pool_max_idle_per_host(0).build_http(),
            seen: seen.clone(),
        };
        let app = axum::Router::new().fallback(relay).with_state(forward);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RecordingProxy { addr, seen, task })
    }

    /// Fails, naming each answer, if any answer so far carried a JWT a script could read, or if
    /// no answer went through at all (the browser was not behind the proxy); otherwise returns
    /// how many answers were scanned.
    pub fn no_jwt_readable_by_script(&self) -> anyhow::Result<usize> {
        let seen = self.seen.lock().map_err(|_| anyhow::anyhow!("proxy record lock"))?;
        if !seen.findings.is_empty() {
            bail!("a script could read a JWT in {} answer(s):\n{}", seen.findings.len(), seen.findings.join("\n"));
        }
        if seen.answers == 0 {
            bail!("no answer went through the recording proxy: nothing was checked");
        }
        Ok(seen.answers)
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(State(forward): State<Forward>, mut request: Request) -> Response {
    let asked = format!("{} {}", request.method(), request.uri());
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let Ok(target) = format!("http://{}{path}", forward.backend).parse::<Uri>() else {
        return (StatusCode::BAD_REQUEST, "recording proxy: unusable request target").into_response();
    };
    *request.uri_mut() = target;
    // Uncompressed answers: the scan reads the bytes a script would.
    request.headers_mut().remove(header::ACCEPT_ENCODING);
    let answer = match forward.client.request(request).await {
        Ok(answer) => answer,
        Err(error) => return (StatusCode::BAD_GATEWAY, format!("recording proxy: {error}")).into_response(),
    };
    let (mut parts, body) = answer.into_parts();
    let body = match axum::body::to_bytes(Body::new(body), usize::MAX).await {
        Ok(body) => body,
        Err(error) => return (StatusCode::BAD_GATEWAY, format!("recording proxy: {error}")).into_response(),
    };
    let mut findings = jwts_readable_by_script(&forward.origin, parts.status, &parts.headers, &body);
    if let Some(encoding) = parts.headers.get(header::CONTENT_ENCODING).filter(|e| *e != "identity") {
        findings.push(format!("a body encoded as {encoding:?}, which could not be scanned"));
    }
    if let Ok(mut seen) = forward.seen.lock() {
        seen.answers += 1;
        let shown: String = asked.chars().take(160).collect();
        seen.findings.extend(findings.into_iter().map(|place| format!("{shown} → {}: {place}", parts.status)));
    }
    parts.headers.remove(header::TRANSFER_ENCODING);
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const ORIGIN: &str = "http://127.0.0.1:4000";
    const JWT_TEXT: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";

    fn headers(pairs: &[(header::HeaderName, String)]) -> HeaderMap {
        pairs.iter().map(|(n, v)| (n.clone(), HeaderValue::from_str(v).expect("a header value"))).collect()
    }

    #[test]
    fn the_scanner_finds_a_jwt_wherever_a_script_reads_it() {
        let none = HeaderMap::new();
        let json = format!("{{\"redirect\":\"https://idp.example/session/end?id_token_hint={JWT_TEXT}&state=x\"}}");
        assert_eq!(jwts_readable_by_script(ORIGIN, StatusCode::OK, &none, json.as_bytes()), ["body"]);
        let in_header = headers(&[(header::HeaderName::from_static("x-debug"), JWT_TEXT.into())]);
        assert_eq!(jwts_readable_by_script(ORIGIN, StatusCode::OK, &in_header, b"{}"), ["header x-debug"]);
        // A JWT-looking but incomplete text (no second dot) is not one.
        assert!(
            jwts_readable_by_script(ORIGIN, StatusCode::OK, &none, b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0").is_empty()
        );
    }

    #[test]
    fn set_cookie_and_a_redirect_elsewhere_are_hidden_from_scripts_a_redirect_here_is_not() {
        let elsewhere = format!("https://idp.example/session/end?id_token_hint={JWT_TEXT}");
        let hidden = headers(&[(header::LOCATION, elsewhere.clone()), (header::SET_COOKIE, format!("a={JWT_TEXT}"))]);
        assert!(jwts_readable_by_script(ORIGIN, StatusCode::SEE_OTHER, &hidden, b"").is_empty());
        // Not a redirect: a Location header is then readable.
        let on_200 = headers(&[(header::LOCATION, elsewhere)]);
        assert_eq!(jwts_readable_by_script(ORIGIN, StatusCode::OK, &on_200, b""), ["header location"]);
        for here in [format!("/deconnecte?t={JWT_TEXT}"), format!("{ORIGIN}/x?t={JWT_TEXT}")] {
            let to_here = headers(&[(header::LOCATION, here.clone())]);
            assert_eq!(
                jwts_readable_by_script(ORIGIN, StatusCode::FOUND, &to_here, b""),
                ["header location"],
                "{here}"
            );
        }
    }

    #[tokio::test]
    async fn the_proxy_fails_the_check_when_the_backend_answers_a_jwt() -> anyhow::Result<()> {
        let backend = TcpListener::bind("127.0.0.1:0").await?;
        let backend_addr = backend.local_addr()?;
        let leaky = axum::Router::new()
            .route(
                "/leak",
                axum::routing::post(|| async { format!("{{\"redirect\":\"x?id_token_hint={JWT_TEXT}\"}}") }),
            )
            .route("/fine", axum::routing::get(|| async { "no token here" }));
        let server = tokio::spawn(async move {
            let _ = axum::serve(backend, leaky).await;
        });
        let proxy = RecordingProxy::start(TcpListener::bind("127.0.0.1:0").await?, backend_addr)?;
        let base = format!("http://{}", proxy.addr);
        let client = reqwest::Client::new();
        assert!(proxy.no_jwt_readable_by_script().is_err(), "nothing scanned yet is not a pass");
        assert_eq!(client.get(format!("{base}/fine")).send().await?.text().await?, "no token here");
        assert_eq!(proxy.no_jwt_readable_by_script()?, 1);
        let leaked = client.post(format!("{base}/leak")).send().await?.text().await?;
        assert!(leaked.contains(JWT_TEXT), "the proxy passes answers on unchanged: {leaked}");
        let error = proxy.no_jwt_readable_by_script().expect_err("a JWT in a body is reported").to_string();
        assert!(error.contains("POST /leak → 200 OK: body"), "{error}");
        server.abort();
        Ok(())
    }
}
