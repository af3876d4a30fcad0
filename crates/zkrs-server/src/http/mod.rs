//! A small HTTP/1.1 server for the AdminServer (`admin.serverPort`) and the Prometheus
//! endpoint (`metricsProvider.httpPort`): requests parsed with bounded sizes and an idle
//! timeout, answered by a handler; what needs the server's state goes to the core task as an
//! [`HttpCall`] and comes back on a oneshot.

use tokio::sync::oneshot;

/// One parsed request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, ... as sent.
    pub method: String,
    /// The path, percent-decoded, without the query.
    pub path: String,
    /// The query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Header names in lower case, values as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One response; `Content-Length` is added when it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// `None`: no `Content-Type` header (Jetty's `/commands` page has none).
    pub content_type: Option<String>,
    /// Other headers.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with a body and a content type.
    pub fn new(status: u16, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> HttpResponse {
        HttpResponse {
            status,
            content_type: content_type.map(str::to_owned),
            headers: Vec::new(),
            body: body.into(),
        }
    }
}

/// What an HTTP task asks of the core task.
#[derive(Debug)]
pub enum HttpCall {
    /// An AdminServer command (`/commands/<name>?<params>`), by the name as typed.
    Admin {
        name: String,
        params: Vec<(String, String)>,
        reply: oneshot::Sender<HttpResponse>,
    },
    /// The Prometheus exposition; `names` filters families (`?name[]=`), empty for all.
    Metrics {
        names: Vec<String>,
        reply: oneshot::Sender<String>,
    },
}
