//! `/dispatch/new`: a request taken on the phone for a caller, with the customer's own form and validation. Once
//! created, the request's page holds the status link to hand over (copy, or a text message).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{LazyRoute, lazy_route};

use crate::{
    api::{StaffPage, dispatch_me},
    customer::{FormEcho, HelpForm},
    paths,
    staff::StaffLoad,
};

/// The route's data half, created as soon as the route matches; the view half is split out of the customer's
/// wasm and fetched only when someone opens phone-in.
pub struct PhoneInPage(Resource<Result<StaffPage<FormEcho>, String>>);

#[lazy_route]
impl LazyRoute for PhoneInPage {
    fn data() -> Self {
        let page = Resource::new(|| (), |()| dispatch_me());
        Self(page)
    }

    fn view(this: Self) -> AnyView {
        let page = this.0;
        let l = crate::page_locale();
        view! {
            <Title text=crate::i18n::td_string!(l, phone_in.title) />
            <StaffLoad
                page
                loading=crate::i18n::td_string!(l, staff.loading)
                draw=move |page| {
                    view! {
                        <p class="card note phone-in">
                            {crate::i18n::td_string!(l, phone_in.note)}
                        </p>
                        <HelpForm echo=page.data caller_csrf=page.csrf />
                        <a class="link" href=paths::DISPATCH>{crate::i18n::td_string!(l, request.board)}</a>
                    }
                }
            />
        }
        .into_any()
    }
}
