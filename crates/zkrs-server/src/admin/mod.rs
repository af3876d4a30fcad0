//! The AdminServer's commands (`admin/Commands.java`): which requests are commands, and the
//! JSON each command answers, shaped as Jetty's AdminServer with Jackson's pretty printer.

use zkrs_config::AdminServerConfig;

use crate::http::{HttpRequest, HttpResponse};

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRoute {
    /// Answered without the server's state.
    Reply(HttpResponse),
    /// A command for the core task (`Driver::admin_command`).
    Command {
        name: String,
        params: Vec<(String, String)>,
    },
}

/// Routes one request (stub: `GET <commandURL>/<name>` is a command, anything else 404).
pub fn route(req: &HttpRequest, config: &AdminServerConfig) -> AdminRoute {
    let prefix = format!("{}/", config.command_url.trim_end_matches('/'));
    match req.path.strip_prefix(&prefix) {
        Some(name) if req.method == "GET" && !name.is_empty() => AdminRoute::Command {
            name: name.to_owned(),
            params: req.query.clone(),
        },
        _ => AdminRoute::Reply(HttpResponse::new(
            404,
            Some("text/html;charset=iso-8859-1"),
            "",
        )),
    }
}
