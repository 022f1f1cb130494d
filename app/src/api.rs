//! What the pages read from the server. On the server they read the services directly while rendering; in the
//! browser (only after a client-side navigation: a hydrated page already carries its data) they use the same
//! HTTP endpoints as everyone else. No server functions: the wasm stays free of their client machinery.

use crate::{
    domain::{StatusView, Zone},
    paths,
};

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

/// Names the `<meta>` that carries the service's time zone (a table of its offsets) to the wasm.
pub const TIME_ZONE_META: &str = "roadcall-time-zone";

/// The service's time zone, enough of it for any time a page shows: every offset from 1970 to 400 days from now
/// (a search may show a request years old). The server draws with it and writes it into the page, and the wasm
/// reads it back, so both draw a time the same.
pub fn time_zone() -> Zone {
    #[cfg(feature = "ssr")]
    {
        const DAYS_400: i64 = 400 * 86_400_000;
        let now = crate::store::now_ms();
        leptos::prelude::use_context::<crate::services::Services>()
            .map(|s| s.settings.zone.window(0, now + DAYS_400))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            thread_local!(static ZONE: Zone = crate::browser::meta_content(TIME_ZONE_META)
                .and_then(|line| Zone::decode(&line))
                .unwrap_or_default());
            ZONE.with(Zone::clone)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            Zone::default()
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
            crate::i18n::td_string!(crate::page_locale(), refused.status_unavailable).to_owned()
        })?;
        Ok(found.map(|(_, view)| view))
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            crate::browser::get_json(&paths::at(paths::STATUS_VIEW, &token)).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = token;
            Ok(None)
        }
    }
}

/// What every staff page loads: who is looking, the token its forms carry, and the page's data.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StaffPage<T> {
    pub me: crate::domain::StaffMember,
    pub csrf: String,
    pub data: T,
}

/// The technician's board. Without a login the server answers with a redirect to the login page.
pub async fn tech_board() -> Result<StaffPage<crate::domain::Board>, String> {
    #[cfg(feature = "ssr")]
    {
        staff_page(paths::TECH, |services, me| async move {
            services.board(&me).await.map_err(|e| {
                tracing::error!(error = %e, "reading the board failed");
                crate::i18n::td_string!(crate::page_locale(), refused.board_unavailable).to_owned()
            })
        })
        .await
    }
    #[cfg(not(feature = "ssr"))]
    {
        browser_get(paths::STAFF_BOARD).await
    }
}

/// One job's screen.
pub async fn tech_job(number: String) -> Result<StaffPage<crate::domain::JobView>, String> {
    #[cfg(feature = "ssr")]
    {
        let next = paths::at(paths::TECH_JOB, &number);
        // Opened by tapping a job alert: the alert reached someone, and dispatch sees it.
        let from_alert = leptos::prelude::use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.uri.query().map(|q| q.split('&').any(|pair| pair == paths::FROM_ALERT)))
            .unwrap_or(false);
        staff_page(&next, |services, me| async move {
            if from_alert && let Err(e) = services.job_seen(&me, &number, crate::domain::Channel::Push).await {
                tracing::warn!(error = %e, "recording that a job alert was seen failed");
            }
            services.job(&me, &number).await.map_err(said)
        })
        .await
    }
    #[cfg(not(feature = "ssr"))]
    {
        browser_get(&paths::at(paths::STAFF_JOB, &number)).await
    }
}

/// One page of the dispatch board.
pub async fn dispatch_board(page: usize) -> Result<StaffPage<crate::domain::DispatchBoard>, String> {
    #[cfg(feature = "ssr")]
    {
        staff_page(
            paths::DISPATCH,
            |services, me| async move { services.dispatch_board(&me, page).await.map_err(said) },
        )
        .await
    }
    #[cfg(not(feature = "ssr"))]
    {
        browser_get(&board_page(paths::STAFF_DISPATCH, page)).await
    }
}

/// The board's address for a page: the first page has no query.
pub fn board_page(path: &str, page: usize) -> String {
    if page > 1 { format!("{path}?page={page}") } else { path.to_owned() }
}

/// One request on dispatch's screen.
pub async fn dispatch_request(number: String) -> Result<StaffPage<crate::domain::DispatchView>, String> {
    #[cfg(feature = "ssr")]
    {
        let next = paths::at(paths::DISPATCH_REQUEST, &number);
        staff_page(&next, |services, me| async move { services.dispatch_request(&me, &number).await.map_err(said) })
            .await
    }
    #[cfg(not(feature = "ssr"))]
    {
        browser_get(&paths::at(paths::STAFF_DISPATCH_REQUEST, &number)).await
    }
}

/// Who is looking and the form token, for phone-in; with the caller's refused form when the page answers one.
pub async fn dispatch_me() -> Result<StaffPage<crate::customer::FormEcho>, String> {
    #[cfg(feature = "ssr")]
    {
        let echo = crate::customer::FormEcho::from_context();
        staff_page(paths::DISPATCH_NEW, |_, me| async move {
            crate::services::require_dispatch(&me).map_err(said)?;
            Ok(echo)
        })
        .await
    }
    #[cfg(not(feature = "ssr"))]
    {
        browser_get(paths::STAFF_DISPATCH_ME).await
    }
}

/// Dispatch's reports over whole UTC days.
pub async fn dispatch_report(from: String, to: String) -> Result<StaffPage<crate::domain::Report>, String> {
    #[cfg(feature = "ssr")]
    {
        staff_page(paths::DISPATCH_REPORTS, |services, me| async move {
            services.report(&me, Some(&from), Some(&to)).await.map_err(said)
        })
        .await
    }
    #[cfg(not(feature = "ssr"))]
    {
        browser_get(&format!("{}?from={}&to={}", paths::STAFF_DISPATCH_REPORTS, query_part(&from), query_part(&to)))
            .await
    }
}

/// The staff list and the truck checklists.
pub async fn dispatch_setup() -> Result<StaffPage<crate::domain::Setup>, String> {
    #[cfg(feature = "ssr")]
    {
        staff_page(paths::DISPATCH_SETUP, |services, me| async move { services.setup(&me).await.map_err(said) }).await
    }
    #[cfg(not(feature = "ssr"))]
    {
        browser_get(paths::STAFF_DISPATCH_SETUP).await
    }
}

/// Requests by number, phone or day.
pub async fn dispatch_search(query: String) -> Result<StaffPage<crate::domain::Found>, String> {
    #[cfg(feature = "ssr")]
    {
        staff_page(paths::DISPATCH, |services, me| async move { services.search(&me, &query).await.map_err(said) })
            .await
    }
    #[cfg(not(feature = "ssr"))]
    {
        browser_get(&format!("{}?q={}", paths::STAFF_DISPATCH_SEARCH, query_part(&query))).await
    }
}

/// Reads the session behind the page being rendered; sends the browser to log in when there is none.
#[cfg(feature = "ssr")]
async fn staff_page<T, F>(
    next: &str,
    load: impl FnOnce(crate::services::Services, crate::domain::StaffMember) -> F,
) -> Result<StaffPage<T>, String>
where
    F: std::future::Future<Output = Result<T, String>>,
{
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "reading the staff session failed");
        crate::i18n::td_string!(crate::page_locale(), refused.session_unreadable).to_owned()
    };
    let services = leptos::prelude::use_context::<crate::services::Services>()
        .ok_or_else(|| "the server is not set up".to_owned())?;
    let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|e| unavailable(&e))?;
    let Some(me) = crate::session::current(&session, &services).await.map_err(|e| unavailable(&e))? else {
        let query = serde_urlencoded_next(next);
        leptos_axum::redirect(&format!("{}?{query}", paths::LOGIN));
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(axum::http::StatusCode::FOUND);
        }
        return Err(crate::i18n::td_string!(crate::page_locale(), refused.log_in_first).to_owned());
    };
    let csrf = crate::session::csrf_token(&session).await.map_err(|e| unavailable(&e))?;
    let data = load(services, me.clone()).await?;
    Ok(StaffPage { me, csrf, data })
}

/// A refusal in the words of the page's language.
#[cfg(feature = "ssr")]
fn said(refusal: impl crate::texts::Say) -> String {
    refusal.say(crate::page_locale())
}

#[cfg(feature = "ssr")]
fn serde_urlencoded_next(next: &str) -> String {
    let safe: String = next.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_')).collect();
    format!("next={safe}")
}

/// Text made safe to put in a URL's query.
#[cfg(not(feature = "ssr"))]
fn query_part(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(not(feature = "ssr"))]
async fn browser_get<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, String> {
    #[cfg(feature = "hydrate")]
    {
        crate::browser::get_json(url).await?.ok_or_else(|| "Not found.".to_owned())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = url;
        Err("no browser".to_owned())
    }
}
