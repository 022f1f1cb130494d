//! Pieces every page shares: the header with "Call us" (PRODUCT rule 6), times, the not-found page.

use leptos::prelude::*;

use crate::{api::call_us_number, i18n::td_string};

/// A live person is one tap away on every page.
#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="bar">
            <a href="/" class="brand">"roadcall"</a>
            <LanguageSwitch />
            <CallUs number=call_us_number() />
        </header>
    }
}

/// The other language, named in itself: a plain form post (no JavaScript needed) that the server answers with
/// a cookie and this same page again.
#[component]
fn LanguageSwitch() -> impl IntoView {
    use leptos_i18n::Locale as _;
    // The path only: a query may carry what someone planted in a link, and it never goes into our pages.
    let back = leptos_router::hooks::use_location().pathname;
    let other = match crate::page_locale() {
        crate::Locale::en => crate::Locale::ru,
        crate::Locale::ru => crate::Locale::en,
    };
    view! {
        <form class="language" method="post" action=crate::paths::LANGUAGE>
            <input type="hidden" name="back" value=back />
            <button type="submit" name="to" value=other.as_str() lang=other.as_str()>
                {crate::i18n::td_string!(other, lang_name)}
            </button>
        </form>
    }
}

#[component]
pub fn CallUs(number: String, #[prop(optional)] big: bool) -> impl IntoView {
    let dial: String = number.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    view! {
        <a class=if big { "call call-big" } else { "call" } href=format!("tel:{dial}")>
            <svg class="call-icon" viewBox="0 0 24 24" aria-hidden="true">
                <path d="M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z" />
            </svg>
            {crate::i18n::td_string!(crate::page_locale(), call_us)}
            {big.then(|| view! { <span class="call-number">{number.clone()}</span> })}
        </a>
    }
}

/// Now, in unix ms, on whichever side is rendering.
pub fn now_ms() -> i64 {
    #[cfg(feature = "ssr")]
    {
        crate::store::now_ms()
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            js_sys::Date::now() as i64
        }
        #[cfg(not(feature = "hydrate"))]
        {
            0
        }
    }
}

/// A time of day in the service's time zone (`--time-zone`), drawn alike by the server and the wasm; the
/// `datetime` gives the moment in full, with its offset. `zoned` names the zone (`14:30 MSK`): for customers,
/// who may be reading from another one.
#[component]
pub fn Clock(unix_ms: i64, #[prop(optional)] zoned: bool) -> impl IntoView {
    let zone = crate::api::time_zone();
    let text =
        if zoned { format!("{} {}", zone.clock(unix_ms), zone.abbreviation(unix_ms)) } else { zone.clock(unix_ms) };
    view! { <time datetime=zone.rfc3339(unix_ms) data-ms=unix_ms>{text}</time> }
}

/// A page's data, awaited on the server (pages render whole), then drawn. The browser never runs this: what it
/// draws that is interactive is an island, which gets the data as props.
#[component]
pub fn Loaded<T, F, V>(data: Resource<T>, loading: &'static str, draw: F) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=move || view! { <p class="card">{loading}</p> }>
            {move || {
                let draw = draw.clone();
                Suspend::new(async move {
                    draw(data.await)
                })
            }}
        </Suspense>
    }
}

/// Put at the end of an island's view: once it has hydrated, the page is marked live (see `browser::mark_live`).
/// A page without islands is marked by `start`.
#[component]
pub fn Live() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(|_| crate::browser::mark_live());
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let l = crate::page_locale();
    view! {
        <section class="card">
            <h1>{td_string!(l, not_found.title)}</h1>
            <p>{td_string!(l, not_found.start_here)}</p>
            <a class="button" href="/">{td_string!(l, not_found.request_help)}</a>
        </section>
    }
}
