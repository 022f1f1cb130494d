//! `/tech/jobs/{number}`: everything for one job on one screen. Where (one tap to navigate, distance), who
//! (one tap to call), what (problem, vehicle, access notes), the truck checklist with ticks, and the next step.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{StaffPage, tech_job},
    domain::{JobView, MAX_ETA_MINUTES, RequestStatus, navigation_links},
    i18n::td_string,
    page_locale, paths,
    staff::{JobTitle, SentList, StaffForm, StaffLoad, StaffTimeline, away, truck_position, waited},
    texts,
    ui::Clock,
};

/// One job, drawn by the server; the screen itself is an island in its own wasm chunk, fetched only when someone
/// opens a job.
#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let page = Resource::new(number, tech_job);
    let l = page_locale();
    view! {
        <StaffLoad
            page
            loading=td_string!(l, tech.loading_job)
            draw=|page| view! { <JobScreen page /> }
            back=(paths::TECH, td_string!(l, tech.back_to_jobs))
        />
    }
}

#[island(lazy)]
fn JobScreen(page: StaffPage<JobView>) -> impl IntoView {
    let StaffPage { me: _, csrf, data } = page;
    let number = data.request.number.clone();
    let job = RwSignal::new(data);
    let here = truck_position();

    #[cfg(feature = "hydrate")]
    {
        let stream = crate::browser::listen(&paths::at(paths::STAFF_JOB_EVENTS, &number), move |data| {
            if let Ok(next) = serde_json::from_str::<JobView>(&data) {
                job.set(next);
            }
        });
        StoredValue::new_local(stream);
    }

    let r = move || job.with(|j| j.request.clone());
    let status = move || job.with(|j| j.request.status);
    let mine = move || job.with(|j| j.mine);
    let url = |step: &str| format!("{}/{step}", paths::at(paths::TECH_JOB, &number));
    let step_url = url("step");
    let check_url = url("check");
    let now = crate::ui::now_ms();
    let l = page_locale();

    view! {
        <Title text=td_string!(l, tech.job_title, number = &number).to_string() />
        <section class="card job-head" data-status=move || status().as_str()>
            <p class="number">{number.clone()}</p>
            <JobTitle request=Signal::derive(r) />
            <p class="job-state">
                // Told to a screen reader when it changes (dispatch cancels, reassigns), and nothing else.
                <span class="job-status" role="status">{move || texts::status(l, status())}</span>
                {move || r().technician.map(|t| view! { " · " {t} })}
                {move || r().eta_at.map(|at| view! { {td_string!(l, tech.eta)} <Clock unix_ms=at /> })}
                " · "
                {move || waited(l, job.with(|j| j.created_at), now)}
            </p>
        </section>

        <section class="card">
            <h2>{td_string!(l, tech.where_)}</h2>
            <p class="place">{move || r().place.unwrap_or_else(|| td_string!(l, tech.no_place).into())}</p>
            {move || {
                let r = r();
                r.lat.zip(r.lon).map(|(lat, lon)| {
                    view! {
                        <p class="coords">
                            {format!("{lat:.5}, {lon:.5}")}
                            {r.accuracy_m.map(|a| td_string!(l, tech.accurate_to, m = a.round()).to_string())}
                            {move || {
                                away(l, here.get(), Some(lat), Some(lon))
                                    .map(|distance| td_string!(l, tech.from_you, distance).to_string())
                            }}
                        </p>
                        <div class="nav-links">
                            {navigation_links(lat, lon)
                                .into_iter()
                                .map(|(brand, href)| {
                                    let label = brand.unwrap_or(td_string!(l, tech.other_map_app));
                                    view! { <a class="button nav" href=href rel="external noopener" target="_blank">{label}</a> }
                                })
                                .collect_view()}
                        </div>
                    }
                })
            }}
            {move || r().access_notes.map(|n| view! { <p class="access"><strong>{td_string!(l, tech.access)}</strong>{n}</p> })}
        </section>

        <section class="card">
            <h2>{td_string!(l, tech.who)}</h2>
            <p>{move || job.with(|j| j.customer_name.clone()).unwrap_or_else(|| td_string!(l, tech.customer).into())}</p>
            <a class="button call-customer" href=move || format!("tel:{}", r().phone)>
                {move || td_string!(l, tech.call, phone = r().phone_display).to_string()}
            </a>
            {move || {
                r().vehicle.describe().map(|v| view! { <p><strong>{td_string!(l, tech.vehicle)}</strong>{v}</p> })
            }}
            {move || {
                job.with(|j| j.notes.clone()).map(|n| view! { <p><strong>{td_string!(l, tech.notes)}</strong>{n}</p> })
            }}
            {move || {
                r().callback_requested.then(|| view! { <p class="note">{td_string!(l, tech.call_back_asked)}</p> })
            }}
        </section>

        <section class="card steps">
            <Steps status=Signal::derive(status) mine=Signal::derive(mine) technician=Signal::derive(move || r().technician) step_url csrf=csrf.clone() />
        </section>

        <section class="card" id="checklist">
            <h2>{td_string!(l, tech.checklist)}</h2>
            <ul class="checklist">
                <For each=move || job.with(|j| j.checklist.clone()) key=|l| (l.id, l.checked) let(line)>
                    <li class:question=line.question class:checked=line.checked data-item=line.id>
                        <StaffForm action=check_url.clone() csrf=csrf.clone()>
                            <input type="hidden" name="item" value=line.id />
                            <input type="hidden" name="checked" value=if line.checked { "0" } else { "1" } />
                            <button class="tick" type="submit" disabled=move || !mine() aria-pressed=line.checked.to_string()>
                                <span class="box" aria-hidden="true">{if line.checked { "✓" } else { "" }}</span>
                                {line.label.clone()}
                            </button>
                        </StaffForm>
                    </li>
                </For>
            </ul>
        </section>

        <SentList sent=Signal::derive(move || job.with(|j| j.sent.clone())) />

        <section class="card">
            <h2>{td_string!(l, tech.what_has_happened)}</h2>
            <StaffTimeline timeline=Signal::derive(move || job.with(|j| j.request.timeline.clone())) />
            <a class="link" href=paths::TECH>{td_string!(l, tech.all_jobs)}</a>
        </section>
        <crate::ui::Live />
    }
}

/// The next step, and only the steps that make sense now: the server refuses the others anyway. Every form is
/// drawn once and shown or hidden as the job moves, so a live update never rebuilds a form under a thumb.
#[component]
fn Steps(
    status: Signal<RequestStatus>,
    mine: Signal<bool>,
    technician: Signal<Option<String>>,
    step_url: String,
    csrf: String,
) -> impl IntoView {
    use RequestStatus as S;
    let l = page_locale();
    let shows = move |action: &str| {
        let (s, mine) = (status.get(), mine.get());
        match action {
            "accept" => s == S::Received,
            "on_my_way" | "arrived" => mine && matches!(s, S::Accepted | S::OnTheWay),
            "done" => mine && s == S::Arrived,
            "cant_take" => mine && matches!(s, S::Accepted | S::OnTheWay | S::Arrived),
            _ => false,
        }
    };
    let step = move |action: &'static str, label: Signal<&'static str>, fields: AnyView| {
        view! {
            <div class:hidden=move || !shows(action)>
                <StaffForm action=step_url.clone() csrf=csrf.clone() class="step">
                    <input type="hidden" name="action" value=action />
                    {fields}
                    <button class="button" class:danger=action == "cant_take" type="submit" data-step=action>
                        {label}
                    </button>
                </StaffForm>
            </div>
        }
    };
    let note = |label: &'static str| {
        view! { <label>{label} <textarea name="note" rows="2" required></textarea></label> }.into_any()
    };
    let eta = view! {
        <label class="eta">
            {td_string!(l, tech.eta_minutes)}
            <input name="eta_minutes" type="number" inputmode="numeric" min="1" max=MAX_ETA_MINUTES required value="30" />
        </label>
    }
    .into_any();
    let fixed = |text: &'static str| Signal::derive(move || text);
    view! {
        {step("accept", fixed(td_string!(l, tech.accept)), ().into_any())}
        {step("arrived", fixed(td_string!(l, tech.arrived)), ().into_any())}
        {step(
            "on_my_way",
            Signal::derive(move || {
                if status.get() == S::OnTheWay { td_string!(l, tech.update_eta) } else { td_string!(l, tech.on_my_way) }
            }),
            eta,
        )}
        {step("done", fixed(td_string!(l, tech.done)), note(td_string!(l, tech.what_was_done)))}
        {step(
            "cant_take",
            Signal::derive(move || {
                if status.get() == S::Arrived { td_string!(l, tech.cant_finish) } else { td_string!(l, tech.cant_take) }
            }),
            note(td_string!(l, tech.why_not)),
        )}
        <p class="note" class:hidden=move || status.get().is_open()>{td_string!(l, tech.closed)}</p>
        <p class="note" class:hidden=move || !status.get().is_open() || status.get() == S::Received || mine.get()>
            {move || td_string!(l, tech.has_this_job, who = technician.get().unwrap_or_default()).to_string()}
        </p>
    }
}
