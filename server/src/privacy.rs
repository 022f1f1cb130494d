//! What the server writes to its logs: never a status link's token or a search (it may be a phone number).

use axum::{body::Body, http::Request};
use tracing::Span;

/// The span every request is logged in: method and path, with the token of a status link cut out and no query
/// string (a dispatcher's search may be a phone number).
pub fn span(request: &Request<Body>) -> Span {
    tracing::debug_span!("request", method = %request.method(), path = %redact_path(request.uri().path()))
}

/// `/r/<token>/events` → `/r/…/events`; the same for the partner API's status path.
pub fn redact_path(path: &str) -> String {
    for prefix in ["/r/", "/api/v1/requests/"] {
        if let Some(rest) = path.strip_prefix(prefix)
            && !rest.is_empty()
        {
            let tail = rest.find('/').map_or("", |i| &rest[i..]);
            return format!("{prefix}…{tail}");
        }
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_cut_out_of_paths() {
        assert_eq!(redact_path("/r/abcdefabcdef0123/events"), "/r/…/events");
        assert_eq!(redact_path("/r/abcdefabcdef0123"), "/r/…");
        assert_eq!(redact_path("/api/v1/requests/abcdef"), "/api/v1/requests/…");
        assert_eq!(redact_path("/api/v1/requests"), "/api/v1/requests");
        assert_eq!(redact_path("/tech/jobs/RC-7K3Q"), "/tech/jobs/RC-7K3Q");
    }
}
