//! `/dispatch/new`: a request taken on the phone for a caller, with the customer's own form and validation. Once
//! created, the request's page holds the status link to hand over (copy, or a text message).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::dispatch_me,
    customer::{FormEcho, HelpForm},
    paths,
    staff::StaffLoad,
};

/// Phone-in, drawn by the server; the form is an island in its own wasm chunk, fetched only when someone opens
/// phone-in.
#[component]
pub fn PhoneInPage() -> impl IntoView {
    let page = Resource::new(|| (), |()| dispatch_me());
    let l = crate::page_locale();
    view! {
        <Title text=crate::i18n::td_string!(l, phone_in.title) />
        <StaffLoad
            page
            loading=crate::i18n::td_string!(l, staff.loading)
            draw=move |page| {
                view! {
                    <p class="card note phone-in">{crate::i18n::td_string!(l, phone_in.note)}</p>
                    <CallerForm echo=page.data csrf=page.csrf />
                    <a class="link" href=paths::DISPATCH>{crate::i18n::td_string!(l, request.board)}</a>
                }
            }
        />
    }
}

/// The customer's form, for a dispatcher typing in a caller's request.
#[island(lazy)]
fn CallerForm(echo: FormEcho, csrf: String) -> impl IntoView {
    view! {
        <HelpForm echo caller_csrf=csrf />
        <crate::ui::Live />
    }
}
