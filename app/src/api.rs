//! Server functions: what the pages ask of the server. Each one reaches the store through `Services`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::StatusView;

/// What every page needs to know about this installation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// The "Call us" number as dialled (tel: link) and as shown.
    pub call_us: String,
}

#[cfg(feature = "ssr")]
fn services() -> Result<crate::services::Services, ServerFnError> {
    use_context::<crate::services::Services>().ok_or_else(|| ServerFnError::new("server is not set up"))
}

#[server(prefix = "/sfn", endpoint = "site_info")]
pub async fn site_info() -> Result<Site, ServerFnError> {
    Ok(Site { call_us: services()?.settings.call_us.clone() })
}

/// The customer's view of their request. `None` when no request has this token.
#[server(prefix = "/sfn", endpoint = "request_status")]
pub async fn request_status(token: String) -> Result<Option<StatusView>, ServerFnError> {
    let found = services()?.status_by_token(&token).await.map_err(|e| {
        tracing::error!(error = %e, "reading a request status failed");
        ServerFnError::new("We could not load your request just now. It is safe with us; try again or call us.")
    })?;
    Ok(found.map(|(_, view)| view))
}
