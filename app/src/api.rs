//! What the pages read from the server. On the server they read the services directly while rendering; in the
//! browser (only after a client-side navigation: a hydrated page already carries its data) they use the same
//! HTTP endpoints as everyone else. No server functions: the wasm stays free of their client machinery.

use crate::domain::StatusView;

/// Names the `<meta>` that carries the "Call us" number from the server-rendered page to the wasm.
pub const CALL_US_META: &str = "roadcall-call-us";

/// The number behind every "Call us" button.
pub fn call_us_number() -> String {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<crate::services::Services>()
            .map(|s| s.settings.call_us.clone())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            crate::browser::meta_content(CALL_US_META).unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            String::new()
        }
    }
}

/// The customer's view of their request; `None` when no request has this token.
pub async fn request_status(token: String) -> Result<Option<StatusView>, String> {
    #[cfg(feature = "ssr")]
    {
        let services = leptos::prelude::use_context::<crate::services::Services>()
            .ok_or_else(|| "the server is not set up".to_owned())?;
        let found = services.status_by_token(&token).await.map_err(|e| {
            tracing::error!(error = %e, "reading a request status failed");
            "We could not load your request just now. It is safe with us; try again or call us.".to_owned()
        })?;
        Ok(found.map(|(_, view)| view))
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            crate::browser::get_json(&format!("/api/v1/requests/{token}")).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = token;
            Ok(None)
        }
    }
}
