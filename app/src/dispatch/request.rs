//! `/dispatch/requests/{number}`: one request for dispatch. Where and who, the status link to hand to a caller
//! (copy, or a text message), and the actions: assign or reassign, confirm the arrival with the customer,
//! mark a callback made, cancel with a reason. Live, like every board.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{StaffPage, dispatch_request},
    domain::{DispatchView, RequestStatus},
    i18n::td_string,
    page_locale, paths,
    staff::{JobTitle, SentList, StaffForm, StaffLoad, StaffTimeline, ticking_now, waited},
    texts,
    ui::Clock,
};

/// One request for dispatch, drawn by the server; the screen is an island in its own wasm chunk, fetched only
/// when someone opens a request.
#[component]
pub fn DispatchRequestPage() -> impl IntoView {
    let params = use_params_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let page = Resource::new(number, dispatch_request);
    let l = page_locale();
    view! {
        <StaffLoad
            page
            loading=td_string!(l, request.loading)
            draw=|page| view! { <RequestScreen page /> }
            back=(paths::DISPATCH, td_string!(l, request.back_to_board))
        />
    }
}

#[island(lazy)]
fn RequestScreen(page: StaffPage<DispatchView>) -> impl IntoView {
    let StaffPage { me: _, csrf, data } = page;
    let number = data.job.request.number.clone();
    let view_ = RwSignal::new(data);
    let now = ticking_now();
    let l = page_locale();

    #[cfg(feature = "hydrate")]
    {
        let stream = crate::browser::listen(&paths::at(paths::STAFF_DISPATCH_REQUEST_EVENTS, &number), move |data| {
            if let Ok(next) = serde_json::from_str::<DispatchView>(&data) {
                view_.set(next);
            }
        });
        StoredValue::new_local(stream);
    }

    let r = move || view_.with(|v| v.job.request.clone());
    let status = move || view_.with(|v| v.job.request.status);
    let act = paths::at(paths::DISPATCH_ACT, &number);
    let status_link = Signal::derive(move || view_.with(|v| v.status_path.clone()));
    // The customer reads the text in their own language, whatever dispatch's is.
    let theirs = move || view_.with(|v| v.language.parse::<crate::Locale>().unwrap_or(l));
    let sms = move || {
        let r = r();
        let link = absolute(&status_link.get());
        let body = td_string!(theirs(), request.sms_body, number = &r.number, link).to_string();
        format!("sms:{}?body={}", r.phone, percent(&body))
    };
    let shows = move |what: &str| {
        let (s, v) = (status(), view_.get());
        match what {
            "assign" => s.is_open() && s != RequestStatus::Arrived,
            "confirm_arrival" => {
                matches!(s, RequestStatus::Accepted | RequestStatus::OnTheWay | RequestStatus::Arrived)
                    && !v.arrival_confirmed
            }
            "callback_made" => v.job.request.callback_requested,
            "cancel" => s.is_open(),
            _ => false,
        }
    };
    let form = move |what: &'static str, fields: AnyView, label: &'static str| {
        view! {
            <div class:hidden=move || !shows(what)>
                <StaffForm action=act.clone() csrf=csrf.clone() class="step">
                    <input type="hidden" name="action" value=what />
                    {fields}
                    <button class="button" class:danger=what == "cancel" type="submit" data-act=what>{label}</button>
                </StaffForm>
            </div>
        }
    };
    let technicians = move || view_.with(|v| v.roster.clone());
    let assign_fields = view! {
        <label>
            {td_string!(l, request.technician)}
            <select name="technician" required>
                <For each=technicians key=|t| format!("{t:?}") let(t)>
                    <option value=t.id>
                        {t.name.clone()}
                        {match (t.on_duty_since.is_some(), t.backup) {
                            (true, _) => td_string!(l, request.on_duty),
                            (false, true) => td_string!(l, request.backup),
                            (false, false) => td_string!(l, request.off_duty),
                        }}
                    </option>
                </For>
            </select>
        </label>
    }
    .into_any();
    let reason = view! {
        <label>{td_string!(l, request.why)} <textarea name="reason" rows="2" required></textarea></label>
    }
    .into_any();

    view! {
        <Title text=td_string!(l, request.title, number = &number).to_string() />
        <section class="alarm" role="alert" class:hidden=move || !view_.with(|v| v.alarm)>
            <strong>{td_string!(l, dispatch.alarm)}</strong>
            {move || {
                if status() == RequestStatus::OnTheWay {
                    td_string!(l, request.alarm_late)
                } else {
                    td_string!(l, request.alarm_nobody)
                }
            }}
        </section>
        <section class="card job-head" data-status=move || status().as_str()>
            <p class="number">{number.clone()}</p>
            <JobTitle request=Signal::derive(r) />
            <p class="job-state">
                <span class="job-status" role="status">{move || texts::status(l, status())}</span>
                {move || r().technician.map(|t| view! { " · " {t} })}
                {move || r().eta_at.map(|at| view! { {td_string!(l, tech.eta)} <Clock unix_ms=at /> })}
                {move || view_.with(|v| v.arrival_confirmed).then_some(td_string!(l, request.arrival_confirmed))}
                " · "
                {move || waited(l, view_.with(|v| v.job.created_at), now.get())}
                {move || td_string!(l, request.via, source = view_.with(|v| v.source.clone())).to_string()}
                {move || view_.with(|v| v.partner.clone()).map(|p| view! { " (" {p} ")" })}
                {move || td_string!(l, request.speaks, language = td_string!(theirs(), lang_name)).to_string()}
            </p>
        </section>

        <section class="card steps">
            {form("assign", assign_fields, td_string!(l, request.assign))}
            {form("confirm_arrival", ().into_any(), td_string!(l, request.confirm_arrival))}
            {form("callback_made", ().into_any(), td_string!(l, request.callback_made))}
            {form("cancel", reason, td_string!(l, request.cancel))}
            <p class="note" class:hidden=move || status().is_open()>{td_string!(l, tech.closed)}</p>
        </section>

        <section class="card">
            <h2>{td_string!(l, request.customer)}</h2>
            <p>{move || view_.with(|v| v.job.customer_name.clone()).unwrap_or_else(|| td_string!(l, request.no_name).into())}</p>
            <a class="button call-customer" href=move || format!("tel:{}", r().phone)>
                {move || td_string!(l, tech.call, phone = r().phone_display).to_string()}
            </a>
            <p class="status-link">
                {td_string!(l, request.status_link)} <a href=move || status_link.get() data-status-link="">{move || absolute(&status_link.get())}</a>
            </p>
            <div class="nav-links">
                <button class="button secondary copy" type="button" on:click=move |_| copy(absolute(&status_link.get_untracked()))>
                    {td_string!(l, request.copy_link)}
                </button>
                <a class="button secondary" href=sms>{td_string!(l, request.text_link)}</a>
            </div>
            {move || {
                r().vehicle.describe().map(|v| view! { <p><strong>{td_string!(l, tech.vehicle)}</strong>{v}</p> })
            }}
            {move || {
                view_.with(|v| v.job.notes.clone()).map(|n| view! { <p><strong>{td_string!(l, tech.notes)}</strong>{n}</p> })
            }}
        </section>

        <section class="card">
            <h2>{td_string!(l, tech.where_)}</h2>
            <p class="place">{move || r().place.unwrap_or_else(|| td_string!(l, request.no_place).into())}</p>
            {move || {
                let r = r();
                r.lat.zip(r.lon).map(|(lat, lon)| view! {
                    <p class="coords">
                        {format!("{lat:.5}, {lon:.5}")}
                        {r.accuracy_m.map(|a| td_string!(l, tech.accurate_to, m = a.round()).to_string())}
                    </p>
                })
            }}
            {move || r().access_notes.map(|n| view! { <p class="access"><strong>{td_string!(l, tech.access)}</strong>{n}</p> })}
        </section>

        <section class="card">
            <h2>{td_string!(l, tech.what_has_happened)}</h2>
            <StaffTimeline timeline=Signal::derive(move || view_.with(|v| v.job.request.timeline.clone())) />
        </section>

        <SentList sent=Signal::derive(move || view_.with(|v| v.job.sent.clone())) />
        <a class="link" href=paths::DISPATCH>{td_string!(l, request.board)}</a>
        <crate::ui::Live />
    }
}

/// The link as the customer needs it: with this site's address in front.
fn absolute(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return format!("{origin}{path}");
    }
    path.to_owned()
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn copy(text: String) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(&text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}
