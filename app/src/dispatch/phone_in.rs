//! `/dispatch/new`: a request taken on the phone for a caller, with the customer's own form and validation. Once
//! created, the request's page holds the status link to hand over (copy, or a text message).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{api::dispatch_me, customer::HelpForm, staff::StaffLoad};

#[component]
pub fn PhoneInPage() -> impl IntoView {
    let page = Resource::new(|| (), |()| dispatch_me());
    view! {
        <Title text="Take a request by phone · dispatch" />
        <StaffLoad
            page
            loading="Loading…"
            draw=|page| {
                view! {
                    <p class="card note phone-in">
                        "A request for a caller. Ask where they are first; read the number back to them."
                    </p>
                    <HelpForm caller_csrf=page.csrf />
                    <a class="link" href="/dispatch">"← The board"</a>
                }
            }
        />
    }
}
