//! roadcall: pages grouped by who uses them (`customer`, `technician`, `dispatch`, and `staff` for what they share), over a domain core
//! (`domain`), one store (`store`, server only) and the services that tie them (`services`, server only).

// Deep view types: the dispatch board's tree exceeds the default when built as a lazy route.
#![recursion_limit = "256"]

pub mod api;
pub mod customer;
mod dispatch;
pub mod domain;
pub mod paths;
mod staff;
mod technician;
mod ui;

#[cfg(feature = "hydrate")]
mod browser;
#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod push;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod twilio;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// The HTML document around the app; rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <meta
                    name="description"
                    content="Stuck on the road? Tell us what happened and where you are: a technician is on the way, and you follow them live."
                />
                <meta name="color-scheme" content="light dark" />
                <meta name="theme-color" content="#0b0d10" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="apple-touch-icon" href="/icons/icon-192.png" />
                // Read by the wasm, so server and browser draw the same "Call us" link.
                <meta name=api::CALL_US_META content=api::call_us_number() />
                <meta name=api::TIME_ZONE_META content=api::time_zone().encode() />
                <AutoReload options=options.clone() />
                <HydrationScripts options=options.clone() />
                <HashedStylesheet options id="leptos" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Only our own files run, and the inline scripts Leptos writes for hydration, which carry this response's
/// nonce: an injected `<script>` or a foreign script source is refused by the browser.
fn content_security_policy() {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
        let policy = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Installable, and able to show job alerts with the app closed.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| browser::register_service_worker());
    // Pages render completely on the server (SsrMode::Async): the customer's phone may never run the wasm.
    view! {
        <Title text="roadcall · roadside help" />
        <Router>
            <ui::Header />
            <main>
                <Routes fallback=ui::NotFound>
                    <Route path=path!("/") view=customer::RequestHelpPage ssr=SsrMode::Async />
                    // A refused form is answered at the address it was posted to.
                    <Route path=path!("/request") view=customer::RequestHelpPage ssr=SsrMode::Async />
                    <Route path=path!("/r/:token") view=customer::StatusPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=staff::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/tech") view={Lazy::<technician::BoardPage>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tech/jobs/:number") view={Lazy::<technician::JobPage>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/dispatch") view={Lazy::<dispatch::DispatchPage>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/dispatch/new") view={Lazy::<dispatch::PhoneInPage>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/dispatch/phone-in") view={Lazy::<dispatch::PhoneInPage>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/dispatch/reports") view={Lazy::<dispatch::ReportsPage>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/dispatch/setup") view={Lazy::<dispatch::SetupPage>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/dispatch/requests/:number")
                        view={Lazy::<dispatch::DispatchRequestPage>::new()}
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}
