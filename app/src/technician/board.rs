//! `/tech`: on or off duty, open requests (oldest first) and the technician's own jobs, live. A new request
//! beeps and buzzes while the page is open and the technician is on duty.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{StaffPage, tech_board},
    domain::{Board, JobCard},
    i18n::td_string,
    page_locale, paths,
    staff::{AlertsCard, Announcer, CrewList, StaffForm, StaffLoad, away, truck_position, waited},
    texts,
};

/// The technician's board, drawn by the server; the board itself is an island in its own wasm chunk, fetched only
/// when someone opens it.
#[component]
pub fn BoardPage() -> impl IntoView {
    let page = Resource::new(|| (), |()| tech_board());
    let l = page_locale();
    view! {
        <Title text=td_string!(l, tech.jobs_title) />
        <StaffLoad page loading=td_string!(l, tech.loading_jobs) draw=|page| view! { <TechBoardView page /> } />
    }
}

#[island(lazy)]
fn TechBoardView(page: StaffPage<Board>) -> impl IntoView {
    let StaffPage { me, csrf, data } = page;
    let board = RwSignal::new(data);
    let on_duty = RwSignal::new(board.with_untracked(|b| b.on_duty));
    let here = truck_position();
    let announced = RwSignal::new(String::new());

    #[cfg(feature = "hydrate")]
    {
        let seen = std::cell::RefCell::new(
            board.with_untracked(|b| b.open.iter().map(|c| c.number.clone()).collect::<std::collections::HashSet<_>>()),
        );
        let stream = crate::browser::listen(paths::STAFF_BOARD_EVENTS, move |data| {
            let Ok(next) = serde_json::from_str::<Board>(&data) else { return };
            let arrived = crate::staff::arrivals(page_locale(), &mut seen.borrow_mut(), &next.open);
            let ring = arrived.is_some() && next.on_duty;
            if let Some(said) = arrived {
                announced.set(said);
            }
            on_duty.set(next.on_duty);
            board.set(next);
            if ring {
                crate::browser::alert_new_job();
            }
        });
        StoredValue::new_local(stream);
    }

    // What the tap asked for, set once the server has it. Not a toggle: the live feed may have brought the new
    // state before the post's answer, and toggling again would show the opposite of the truth.
    let wanted = StoredValue::new(false);
    let duty_done = Callback::new(move |()| on_duty.set(wanted.get_value()));
    let first = crate::domain::first_name(&me.name).to_owned();
    let l = page_locale();
    view! {
        <section class="card duty" class:on=on_duty data-on-duty=move || on_duty.get().to_string()>
            <p class="hello">{td_string!(l, tech.hello, name = first)}</p>
            <h1>{move || if on_duty.get() { td_string!(l, tech.on_duty) } else { td_string!(l, tech.off_duty) }}</h1>
            <p class="note">
                {move || {
                    if on_duty.get() { td_string!(l, tech.on_duty_note) } else { td_string!(l, tech.off_duty_note) }
                }}
            </p>
            <StaffForm action=paths::TECH_DUTY.into() csrf=csrf.clone() on_done=duty_done>
                <input type="hidden" name="on" value=move || if on_duty.get() { "0" } else { "1" } />
                <button
                    class="button"
                    class:danger=on_duty
                    type="submit"
                    on:click=move |_| wanted.set_value(!on_duty.get_untracked())
                >
                    {move || if on_duty.get() { td_string!(l, tech.go_off_duty) } else { td_string!(l, tech.go_on_duty) }}
                </button>
            </StaffForm>
        </section>

        <section class="card">
            <h2>{td_string!(l, tech.your_jobs)}</h2>
            <JobList
                cards=Signal::derive(move || board.with(|b| b.mine.clone()))
                here
                empty=td_string!(l, tech.no_jobs)
            />
        </section>

        <section class="card">
            <h2>{td_string!(l, tech.waiting_title)}</h2>
            <JobList
                cards=Signal::derive(move || board.with(|b| b.open.clone()))
                here
                empty=td_string!(l, tech.nobody_waiting)
            />
        </section>

        <section class="card">
            <h2>{td_string!(l, tech.on_duty_now)}</h2>
            <CrewList crew=Signal::derive(move || board.with(|b| b.crew.clone())) />
        </section>

        <AlertsCard csrf=csrf.clone() rings_for=td_string!(l, staff.rings_for_jobs) />
        <Announcer said=announced />

        <StaffForm action=paths::LOGOUT.into() csrf class="logout" plain=true>
            <button class="link" type="submit">{td_string!(l, staff.log_out)}</button>
        </StaffForm>
        <crate::ui::Live />
    }
}

#[component]
fn JobList(cards: Signal<Vec<JobCard>>, here: Signal<Option<(f64, f64)>>, empty: &'static str) -> impl IntoView {
    let now = crate::ui::now_ms();
    let l = page_locale();
    view! {
        <ul class="jobs">
            <For each=move || cards.get() key=|c| (c.number.clone(), c.status) let(card)>
                <li data-number=card.number.clone() data-status=card.status.as_str()>
                    <a class="job" href=paths::at(paths::TECH_JOB, &card.number)>
                        <span class="job-number">{card.number.clone()}</span>
                        <span class="job-problem">{texts::problem(l, card.problem)}</span>
                        <span class="job-status">{texts::status(l, card.status)}</span>
                        {card
                            .someone_inside
                            .then(|| view! { <span class="job-urgent">{td_string!(l, tech.child_or_pet)}</span> })}
                        <span class="job-place">
                            {card.place.clone().unwrap_or_else(|| td_string!(l, tech.gps_location).into())}
                        </span>
                        <span class="job-age">
                            {waited(l, card.created_at, now)}
                            {move || {
                                away(l, here.get(), card.lat, card.lon)
                                    .map(|distance| td_string!(l, tech.away, distance).to_string())
                            }}
                        </span>
                    </a>
                </li>
            </For>
        </ul>
        <p class="note" class:hidden=move || !cards.with(Vec::is_empty)>{empty}</p>
    }
}
