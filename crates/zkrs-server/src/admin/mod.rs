//! The AdminServer (`admin/JettyAdminServer.java`, `admin/Commands.java`): which requests are
//! commands, the pages Jetty answers without a command, and the JSON each command answers,
//! shaped as Jackson's pretty printer writes it.
//!
//! - [`route`] decides from the request alone: the `/commands` page, Jetty's error pages and
//!   method refusals, unknown commands, and zkrs's probes `/ready` and `/live`;
//! - `body` builds each command's JSON from the core task's state (`Driver::admin_command`);
//! - [`Json`] writes it.

mod body;
mod command;
mod json;
mod quorum_view;

pub(crate) use body::{
    addr, command_json, not_serving_json, parse_trace_mask, readiness_json, NOT_SERVING,
};
pub use command::Command;
pub use json::Json;
pub use quorum_view::{ObserverView, QuorumView};

use zkrs_config::AdminServerConfig;

use crate::http::{HttpRequest, HttpResponse};

/// `application/json`, without a charset, as Jetty sends it.
pub const JSON: &str = "application/json";
/// Jetty's error pages.
pub const HTML: &str = "text/html;charset=iso-8859-1";
/// The readiness probe's path (fixed, whatever `admin.commandURL` is).
pub const READY_PATH: &str = "/ready";
/// The liveness probe's path.
pub const LIVE_PATH: &str = "/live";
/// The name under which the readiness question goes to the core task (a command name never
/// starts with `/`).
pub const READY_CALL: &str = "/ready";

/// What `HttpServlet.doOptions` allows for a servlet with `doGet`.
const ALLOW: &str = "GET, HEAD, TRACE, OPTIONS";
/// The servlet names Jetty prints on its error pages.
const COMMAND_SERVLET: &str =
    "org.apache.zookeeper.server.admin.JettyAdminServer$CommandServlet-2cd2a21f";
const DEFAULT_404_SERVLET: &str =
    "org.eclipse.jetty.servlet.ServletHandler$Default404Servlet-33990a0c";

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRoute {
    /// Answered without the server's state.
    Reply(HttpResponse),
    /// A known command for the core task (`Driver::admin_command`), by the name as typed.
    Command {
        name: String,
        params: Vec<(String, String)>,
    },
    /// `GET /ready`: asks the core task whether this member serves clients.
    Ready,
    /// `GET /live`: answered by the HTTP task (200 while the core task runs).
    Live,
}

/// Routes one request.
pub fn route(req: &HttpRequest, config: &AdminServerConfig) -> AdminRoute {
    let get = matches!(req.method.as_str(), "GET" | "HEAD");
    if req.path == READY_PATH || req.path == LIVE_PATH {
        if !get {
            return AdminRoute::Reply(
                HttpResponse::new(405, Some(JSON), error_json(&req.method)).with_allow("GET, HEAD"),
            );
        }
        return if req.path == READY_PATH {
            AdminRoute::Ready
        } else {
            AdminRoute::Live
        };
    }
    let base = config.command_url.trim_end_matches('/');
    let rest = if base.is_empty() {
        Some(req.path.as_str())
    } else {
        req.path.strip_prefix(base)
    };
    // `commandURL/*`: the path itself, or the path and `/...`.
    let command_path = rest.filter(|r| r.is_empty() || r.starts_with('/'));
    if req.method == "TRACE" {
        // The security constraint on TRACE covers every path.
        return AdminRoute::Reply(HttpResponse::new(403, None, ""));
    }
    let Some(info) = command_path else {
        return AdminRoute::Reply(HttpResponse::new(
            404,
            Some(HTML),
            jetty_error_page(404, "Not Found", &req.path, DEFAULT_404_SERVLET),
        ));
    };
    match req.method.as_str() {
        "GET" | "HEAD" => {}
        "OPTIONS" => return AdminRoute::Reply(HttpResponse::new(200, None, "").with_allow(ALLOW)),
        "POST" => {
            let message = "HTTP method POST is not supported by this URL";
            return AdminRoute::Reply(HttpResponse::new(
                405,
                Some(HTML),
                jetty_error_page(405, message, &req.path, COMMAND_SERVLET),
            ));
        }
        "PUT" | "DELETE" => return AdminRoute::Reply(HttpResponse::new(405, None, "")),
        other => {
            let message = format!("Method {other} is not implemented by this servlet for this URI");
            return AdminRoute::Reply(HttpResponse::new(
                501,
                Some(HTML),
                jetty_error_page(501, &message, &req.path, COMMAND_SERVLET),
            ));
        }
    }
    if info.is_empty() || info == "/" {
        return AdminRoute::Reply(HttpResponse::new(200, None, commands_page(base)));
    }
    let name = &info[1..];
    if Command::by_name(name).is_none() {
        let body = Json::object()
            .with("command", Json::str(name))
            .with("error", Json::str(format!("Unknown command: {name}")));
        return AdminRoute::Reply(HttpResponse::new(200, Some(JSON), body.pretty()));
    }
    AdminRoute::Command {
        name: name.to_string(),
        params: req.query.clone(),
    }
}

/// `GET /live`: 200 while the core task takes calls, else 503.
pub fn live_response(core_running: bool) -> HttpResponse {
    let body = Json::object().with("live", Json::Bool(core_running));
    HttpResponse::new(
        if core_running { 200 } else { 503 },
        Some(JSON),
        body.pretty(),
    )
}

/// `GET /ready` when the core task did not answer.
pub fn not_ready_response() -> HttpResponse {
    let body = Json::object()
        .with("ready", Json::Bool(false))
        .with("server_state", Json::str("unknown"));
    HttpResponse::new(503, Some(JSON), body.pretty())
}

/// A JSON reply of a command (200, `application/json`).
pub fn json_response(status: u16, body: &Json) -> HttpResponse {
    HttpResponse::new(status, Some(JSON), body.pretty())
}

fn error_json(method: &str) -> String {
    Json::object()
        .with(
            "error",
            Json::str(format!("HTTP method {method} is not supported by this URL")),
        )
        .pretty()
}

/// `<a href="<commandURL>/<name>">name</a>` and `<br/>`, one per line, sorted.
fn commands_page(base: &str) -> String {
    let mut out = String::new();
    for name in Command::sorted_primary_names() {
        out.push_str(&format!("<a href=\"{base}/{name}\">{name}</a>\n<br/>\n"));
    }
    out
}

/// Jetty 9.4's `ErrorHandler` page.
fn jetty_error_page(status: u16, message: &str, uri: &str, servlet: &str) -> String {
    let message = html_escape(message);
    let uri = html_escape(uri);
    format!(
        "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n\
         <title>Error {status} {message}</title>\n</head>\n<body><h2>HTTP ERROR {status} {message}</h2>\n\
         <table>\n<tr><th>URI:</th><td>{uri}</td></tr>\n<tr><th>STATUS:</th><td>{status}</td></tr>\n\
         <tr><th>MESSAGE:</th><td>{message}</td></tr>\n<tr><th>SERVLET:</th><td>{servlet}</td></tr>\n\
         </table>\n<hr/><a href=\"https://jetty.org/\">Powered by Jetty:// 9.4.57.v20241219</a><hr/>\n\n\
         </body>\n</html>\n"
    )
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

impl HttpResponse {
    fn with_allow(mut self, allow: &str) -> HttpResponse {
        self.headers.push(("Allow".to_string(), allow.to_string()));
        self
    }
}

#[cfg(test)]
mod tests;
