//! Pieces every page shares: the header with "Call us" (PRODUCT rule 6), times, the not-found page.

use leptos::prelude::*;

use crate::api::site_info;

/// A live person is one tap away on every page.
#[component]
pub fn Header() -> impl IntoView {
    let site = OnceResource::new(site_info());
    view! {
        <header class="bar">
            <a href="/" class="brand">"roadcall"</a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    site.await.ok().map(|s| view! { <CallUs number=s.call_us /> })
                })}
            </Suspense>
        </header>
    }
}

#[component]
pub fn CallUs(number: String, #[prop(optional)] big: bool) -> impl IntoView {
    let dial: String = number.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    view! {
        <a class=if big { "call call-big" } else { "call" } href=format!("tel:{dial}")>
            <span aria-hidden="true">"📞 "</span>
            "Call us"
            {big.then(|| view! { <span class="call-number">{number.clone()}</span> })}
        </a>
    }
}

/// A time of day. The server writes UTC; the phone rewrites it in its own time zone once the wasm runs.
#[component]
pub fn Clock(unix_ms: i64) -> impl IntoView {
    let minutes = unix_ms.div_euclid(60_000).rem_euclid(24 * 60);
    let text = RwSignal::new(format!("{:02}:{:02} UTC", minutes / 60, minutes % 60));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| text.set(crate::browser::local_clock(unix_ms)));
    view! { <time data-ms=unix_ms>{text}</time> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card">
            <h1>"This page does not exist"</h1>
            <p>"If you need help on the road, start here:"</p>
            <a class="button" href="/">"Request help"</a>
        </section>
    }
}
