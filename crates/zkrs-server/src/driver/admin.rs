//! The core task's side of the AdminServer: runs one command against its state.

use super::Driver;
use crate::http::HttpResponse;

impl Driver {
    /// Runs the AdminServer command `name` (as typed; aliases allowed) with its query
    /// parameters.
    pub(crate) fn admin_command(
        &mut self,
        name: &str,
        _params: &[(String, String)],
    ) -> HttpResponse {
        let body = format!(
            "{{\n  \"command\" : \"{name}\",\n  \"error\" : \"Unknown command: {name}\"\n}}"
        );
        HttpResponse::new(200, Some("application/json"), body)
    }
}
