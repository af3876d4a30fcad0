//! The two HTTP listeners a ZooKeeper server may run: the AdminServer (`admin.enableServer`,
//! `admin.serverAddress:admin.serverPort`, 8080) and the Prometheus endpoint
//! (`metricsProvider.className=...PrometheusMetricsProvider`, `metricsProvider.httpHost:
//! metricsProvider.httpPort`, 7000).
//!
//! Each accepted connection is one task that reads requests (bounded head and body, idle
//! timeout), answers what needs no server state itself and sends the rest to the core task as
//! an [`HttpCall`]. Connections are capped per listener; the core task's queue is bounded and
//! each connection has at most one call in flight.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch, Semaphore};
use tokio::task::JoinHandle;

use crate::admin::{self, AdminRoute};
use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::http::{HttpCall, HttpRequest, HttpResponse};

/// Largest request head (request line and headers).
const HEAD_MAX_BYTES: usize = 16 * 1024;
/// Largest request body (no command takes one; Prometheus sends none).
const BODY_MAX_BYTES: usize = 64 * 1024;
/// Headers parsed per request.
const HEADERS_MAX: usize = 64;
/// Concurrent connections per listener; more are closed at once.
const CONNECTIONS_MAX: usize = 64;
/// How long a request waits for the core task.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The Prometheus endpoint's idle timeout (Jetty's default).
const METRICS_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The Prometheus exposition's content type (simpleclient's `TextFormat.CONTENT_TYPE_004`).
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Jetty's 404 page type.
const HTML: &str = "text/html;charset=iso-8859-1";

/// Which listener a connection belongs to.
#[derive(Debug, Clone)]
enum Endpoint {
    Admin(Arc<ServerConfig>),
    Metrics,
}

/// Binds and starts the configured listeners. The metrics port failing to bind is an error
/// (ZooKeeper does not start without its metrics provider); the AdminServer's is logged and
/// the server runs without it (as a quorum member of ZooKeeper does).
pub(crate) async fn start(
    config: &Arc<ServerConfig>,
    calls: mpsc::Sender<HttpCall>,
    shutdown: watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, ServerError> {
    let mut tasks = Vec::new();
    if config.admin.enabled {
        let addr = format!(
            "{}:{}",
            bracket_ipv6(&config.admin.server_address),
            config.admin.server_port
        );
        match TcpListener::bind(&addr).await {
            Ok(listener) => {
                tracing::info!(
                    "Started AdminServer on address {}, port {} and command URL {}",
                    config.admin.server_address,
                    config.admin.server_port,
                    config.admin.command_url
                );
                let idle = Duration::from_millis(
                    u64::try_from(config.admin.idle_timeout_ms).unwrap_or(30_000),
                );
                tasks.push(tokio::spawn(accept_loop(
                    listener,
                    Endpoint::Admin(Arc::clone(config)),
                    idle,
                    calls.clone(),
                    shutdown.clone(),
                )));
            }
            Err(e) => tracing::warn!("Problem starting AdminServer on {addr}: {e}"),
        }
    }
    if config.metrics_provider.is_prometheus() {
        let host = config
            .metrics_provider
            .get("httpHost")
            .unwrap_or("0.0.0.0")
            .to_owned();
        let port = config
            .metrics_provider
            .get("httpPort")
            .map_or(Ok(7000), |p| p.trim().parse::<u16>())
            .map_err(|e| ServerError::Metrics(format!("metricsProvider.httpPort: {e}")))?;
        let addr = format!("{}:{port}", bracket_ipv6(&host));
        let listener = TcpListener::bind(&addr).await.map_err(|e| {
            ServerError::Metrics(format!("Cannot boot MetricsProvider on {addr}: {e}"))
        })?;
        tracing::info!("Started Prometheus metrics exporter on {addr}/metrics");
        tasks.push(tokio::spawn(accept_loop(
            listener,
            Endpoint::Metrics,
            METRICS_IDLE_TIMEOUT,
            calls,
            shutdown,
        )));
    }
    Ok(tasks)
}

fn bracket_ipv6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

async fn accept_loop(
    listener: TcpListener,
    endpoint: Endpoint,
    idle: Duration,
    calls: mpsc::Sender<HttpCall>,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(CONNECTIONS_MAX));
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, remote)) = accepted else {
            // EMFILE and the like: back off briefly rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::debug!("HTTP connection from {remote} refused: {CONNECTIONS_MAX} open");
            continue;
        };
        let endpoint = endpoint.clone();
        let calls = calls.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            serve_connection(stream, remote, &endpoint, idle, &calls).await;
            drop(permit);
        });
    }
}

/// Serves requests on one connection until it closes, errs, idles or asks to close.
async fn serve_connection(
    mut stream: TcpStream,
    remote: SocketAddr,
    endpoint: &Endpoint,
    idle: Duration,
    calls: &mpsc::Sender<HttpCall>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    loop {
        let parsed = match tokio::time::timeout(idle, read_request(&mut stream, &mut buf)).await {
            Err(_) | Ok(Ok(None)) => return,
            Ok(Ok(Some(p))) => p,
            Ok(Err(status)) => {
                let resp = HttpResponse::new(status, Some(HTML), error_page(status, remote));
                let _ = write_response(&mut stream, &resp, false, false).await;
                return;
            }
        };
        let ParsedRequest {
            request,
            head,
            keep_alive,
        } = parsed;
        let head_only = request.method == "HEAD";
        let response = match endpoint {
            Endpoint::Admin(config) => admin_response(&request, config, calls).await,
            Endpoint::Metrics => metrics_response(&request, &head, calls).await,
        };
        if write_response(&mut stream, &response, keep_alive, head_only)
            .await
            .is_err()
            || !keep_alive
        {
            return;
        }
    }
}

async fn admin_response(
    request: &HttpRequest,
    config: &ServerConfig,
    calls: &mpsc::Sender<HttpCall>,
) -> HttpResponse {
    match admin::route(request, &config.admin) {
        AdminRoute::Reply(r) => r,
        AdminRoute::Command { name, params } => {
            let (reply, rx) = oneshot::channel();
            call(
                calls,
                HttpCall::Admin {
                    name,
                    params,
                    reply,
                },
                rx,
            )
            .await
            .unwrap_or_else(unavailable)
        }
        AdminRoute::Ready => {
            let (reply, rx) = oneshot::channel();
            let ask = HttpCall::Admin {
                name: admin::READY_CALL.to_string(),
                params: Vec::new(),
                reply,
            };
            call(calls, ask, rx)
                .await
                .unwrap_or_else(admin::not_ready_response)
        }
        AdminRoute::Live => admin::live_response(!calls.is_closed()),
    }
}

async fn metrics_response(
    request: &HttpRequest,
    head: &[u8],
    calls: &mpsc::Sender<HttpCall>,
) -> HttpResponse {
    if request.path != "/metrics" {
        return HttpResponse::new(404, Some(HTML), jetty_not_found(&request.path));
    }
    match request.method.as_str() {
        // Jetty echoes a TRACE on this port (observed on 3.8.0): the request line and
        // headers, each ending in CRLF, without the empty line that ends the head.
        "TRACE" => {
            let echo = head.strip_suffix(b"\r\n").unwrap_or(head);
            HttpResponse::new(200, Some("message/http"), echo.to_vec())
        }
        "GET" | "POST" | "HEAD" => {
            let names = request
                .query
                .iter()
                .filter(|(k, _)| k == "name[]")
                .map(|(_, v)| v.clone())
                .collect();
            let (reply, rx) = oneshot::channel();
            match call(calls, HttpCall::Metrics { names, reply }, rx).await {
                Some(text) => HttpResponse::new(200, Some(METRICS_CONTENT_TYPE), text),
                None => unavailable(),
            }
        }
        _ => HttpResponse::new(405, Some(HTML), ""),
    }
}

/// Sends `call` to the core task and waits for its answer (bounded).
async fn call<T>(
    calls: &mpsc::Sender<HttpCall>,
    call: HttpCall,
    rx: oneshot::Receiver<T>,
) -> Option<T> {
    tokio::time::timeout(CALL_TIMEOUT, async {
        calls.send(call).await.ok()?;
        rx.await.ok()
    })
    .await
    .ok()
    .flatten()
}

fn unavailable() -> HttpResponse {
    HttpResponse::new(503, Some(HTML), "")
}

fn error_page(status: u16, _remote: SocketAddr) -> String {
    format!(
        "<html><body><h2>HTTP ERROR {status} {}</h2></body></html>\n",
        reason(status)
    )
}

/// Jetty 9.4's 404 page (`ErrorHandler`, what the metrics port answers off `/metrics`).
fn jetty_not_found(path: &str) -> String {
    let uri = path
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n\
         <title>Error 404 Not Found</title>\n</head>\n<body><h2>HTTP ERROR 404 Not Found</h2>\n\
         <table>\n<tr><th>URI:</th><td>{uri}</td></tr>\n<tr><th>STATUS:</th><td>404</td></tr>\n\
         <tr><th>MESSAGE:</th><td>Not Found</td></tr>\n\
         <tr><th>SERVLET:</th><td>org.eclipse.jetty.servlet.ServletHandler$Default404Servlet</td></tr>\n\
         </table>\n\n</body>\n</html>\n"
    )
}

/// A request and its raw head (for TRACE).
struct ParsedRequest {
    request: HttpRequest,
    head: Vec<u8>,
    keep_alive: bool,
}

/// Reads one request. `Ok(None)`: the peer closed between requests. `Err(status)`: a bad
/// request (answered with that status, then the connection closes).
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Result<Option<ParsedRequest>, u16> {
    loop {
        if !buf.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; HEADERS_MAX];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(buf) {
                Ok(httparse::Status::Complete(head_len)) => {
                    let request = head_to_request(&req)?;
                    let keep_alive = keeps_alive(&req);
                    let body_len = content_length(&request)?;
                    if request
                        .headers
                        .iter()
                        .any(|(k, _)| k == "transfer-encoding")
                    {
                        return Err(411);
                    }
                    if body_len > BODY_MAX_BYTES {
                        return Err(413);
                    }
                    while buf.len() < head_len + body_len {
                        if read_more(stream, buf).await? == 0 {
                            return Err(400);
                        }
                    }
                    let head = buf[..head_len].to_vec();
                    let body = buf[head_len..head_len + body_len].to_vec();
                    buf.drain(..head_len + body_len);
                    return Ok(Some(ParsedRequest {
                        request: HttpRequest { body, ..request },
                        head,
                        keep_alive,
                    }));
                }
                Ok(httparse::Status::Partial) => {
                    if buf.len() > HEAD_MAX_BYTES {
                        return Err(431);
                    }
                }
                Err(_) => return Err(400),
            }
        }
        if read_more(stream, buf).await? == 0 {
            return if buf.is_empty() { Ok(None) } else { Err(400) };
        }
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<usize, u16> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(n)
        }
        // A reset connection: nothing to answer.
        Err(_) => Ok(0),
    }
}

fn head_to_request(req: &httparse::Request<'_, '_>) -> Result<HttpRequest, u16> {
    let method = req.method.ok_or(400u16)?.to_owned();
    let target = req.path.ok_or(400u16)?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    let path = percent_decode(path).ok_or(400u16)?;
    let query = parse_query(query).ok_or(400u16)?;
    let headers = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    Ok(HttpRequest {
        method,
        path,
        query,
        headers,
        body: Vec::new(),
    })
}

fn keeps_alive(req: &httparse::Request<'_, '_>) -> bool {
    let connection = req
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("connection"))
        .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase());
    match req.version {
        Some(1) => connection.as_deref() != Some("close"),
        _ => connection.as_deref() == Some("keep-alive"),
    }
}

fn content_length(req: &HttpRequest) -> Result<usize, u16> {
    match req.headers.iter().find(|(k, _)| k == "content-length") {
        None => Ok(0),
        Some((_, v)) => v.trim().parse().map_err(|_| 400),
    }
}

/// `a=1&b=%20` → pairs; `+` is a space, as in a form.
pub(crate) fn parse_query(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((
                percent_decode(&k.replace('+', " "))?,
                percent_decode(&v.replace('+', " "))?,
            ))
        })
        .collect()
}

/// Decodes `%XX` escapes; `None` for a bad escape or bytes that are not UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

async fn write_response(
    stream: &mut TcpStream,
    resp: &HttpResponse,
    keep_alive: bool,
    head_only: bool,
) -> std::io::Result<()> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    if let Some(ct) = &resp.content_type {
        out.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    for (k, v) in &resp.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    if !keep_alive {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if !head_only {
        bytes.extend_from_slice(&resp.body);
    }
    stream.write_all(&bytes).await?;
    stream.flush().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_escapes() {
        assert_eq!(
            parse_query("traceMask=12&name[]=znode_count&x=a%20b+c"),
            Some(vec![
                ("traceMask".into(), "12".into()),
                ("name[]".into(), "znode_count".into()),
                ("x".into(), "a b c".into()),
            ])
        );
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(
            parse_query("name%5B%5D=znode_count"),
            Some(vec![("name[]".into(), "znode_count".into())])
        );
        assert!(jetty_not_found("/<x>").contains("<tr><th>URI:</th><td>/&lt;x&gt;</td></tr>"));
        assert_eq!(percent_decode("%"), None);
        assert_eq!(
            percent_decode("/commands/ruok"),
            Some("/commands/ruok".into())
        );
    }
}
