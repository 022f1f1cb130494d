//! `/dispatch`: every open request live, alarms and unowned ones first, with age, state, technician, ETA and
//! the escalation countdown. An alarm is shown and sounded until someone owns the request. Below: the callback
//! queue, who is on duty, the roster of backups, and the search of closed requests.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{StaffPage, board_page, dispatch_board, dispatch_search},
    domain::{BOARD_PAGE, DispatchBoard, JobCard, RequestStatus, page_number},
    i18n::td_string,
    page_locale, paths,
    staff::{AlertsCard, Announcer, CrewList, StaffForm, StaffLoad, ticking_now, waited},
    texts,
    ui::Clock,
};

/// The dispatch board, drawn by the server. The board is an island in its own wasm chunk, fetched only when
/// someone opens it; the search below it is a plain GET answered by the server, so it needs none.
#[component]
pub fn DispatchPage() -> impl IntoView {
    let query = use_query_map();
    let number = move || page_number(query.read().get("page").as_deref());
    let page = Resource::new(number, dispatch_board);
    let l = page_locale();
    view! {
        <Title text=td_string!(l, dispatch.title) />
        <StaffLoad
            page
            loading=td_string!(l, dispatch.loading_board)
            draw=move |page| {
                let csrf = page.csrf.clone();
                view! {
                    <DispatchBoardView page />
                    <Search />
                    <StaffForm action=paths::LOGOUT.into() csrf class="logout" plain=true>
                        <button class="link" type="submit">{td_string!(l, staff.log_out)}</button>
                    </StaffForm>
                }
            }
        />
    }
}

#[island(lazy)]
fn DispatchBoardView(page: StaffPage<DispatchBoard>) -> impl IntoView {
    let StaffPage { me: _, csrf, data } = page;
    let board = RwSignal::new(data);
    let now = ticking_now();
    // Over every page, and requests that cannot be read count too: each needs someone.
    let alarms = Memo::new(move |_| board.with(|b| b.alarm_total));

    let announced = RwSignal::new(String::new());

    #[cfg(feature = "hydrate")]
    {
        let events = board_page(paths::STAFF_DISPATCH_EVENTS, board.with_untracked(|b| b.page));
        let seen = std::cell::RefCell::new(
            board.with_untracked(|b| b.open.iter().map(|c| c.number.clone()).collect::<std::collections::HashSet<_>>()),
        );
        let stream = crate::browser::listen(&events, move |data| {
            if let Ok(next) = serde_json::from_str::<DispatchBoard>(&data) {
                if let Some(said) = crate::staff::arrivals(crate::page_locale(), &mut seen.borrow_mut(), &next.open) {
                    announced.set(said);
                }
                board.set(next);
            }
        });
        StoredValue::new_local(stream);
        // Audible until someone owns it: sound again every few seconds while any alarm is up.
        Effect::new(move |last: Option<i64>| {
            let beat = now.get() / 5_000;
            if alarms.get() > 0 && last != Some(beat) {
                crate::browser::sound_alarm();
            }
            beat
        });
    }

    let open = Signal::derive(move || board.with(|b| b.open.clone()));
    let (csrf_calls, csrf_roster) = (csrf.clone(), csrf.clone());
    let l = page_locale();
    view! {
        <Announcer said=announced />
        <section class="alarm" role="alert" class:hidden=move || alarms.get() == 0 data-alarms=move || alarms.get()>
            <strong>{td_string!(l, dispatch.alarm)}</strong>
            {move || td_string!(l, dispatch.need_owner, count = alarms.get()).to_string()}
            {td_string!(l, dispatch.assign_or_call)}
            <ul class="unreadable">
                <For each=move || board.with(|b| b.unreadable.clone()) key=|u| u.number.clone() let(u)>
                    <li data-unreadable=u.number.clone()>
                        <strong>{u.number.clone()}</strong>
                        {td_string!(l, dispatch.unreadable, reason = &u.reason).to_string()}
                        <a class="button call-customer" href=format!("tel:{}", u.phone)>{u.phone.clone()}</a>
                    </li>
                </For>
            </ul>
        </section>

        <section class="alarm" role="alert" id="texting-trouble" class:hidden=move || board.with(|b| b.texting.trouble.is_none())>
            <strong>{td_string!(l, dispatch.texting_down)}</strong>
            {move || {
                board.with(|b| {
                    b.texting.trouble.as_ref().map(|(_, note)| texts::send_note(l, note)).unwrap_or_default()
                })
            }}
            {td_string!(l, dispatch.push_only)}
        </section>

        <section class="card dispatch-head">
            <h1>{td_string!(l, dispatch.open_requests)}</h1>
            <p class="note">
                {move || {
                    board.with(|b| {
                        let (open, waiting, crew) = (b.open_total, b.waiting_total, b.crew.len());
                        td_string!(l, dispatch.summary, open, waiting, crew).to_string()
                    })
                }}
            </p>
            <a class="button secondary" href=paths::DISPATCH_NEW>{td_string!(l, dispatch.take_by_phone)}</a>
            <nav class="nav-links">
                <a class="link" href=paths::DISPATCH_REPORTS>{td_string!(l, dispatch.reports_link)}</a>
                <a class="link" href=paths::DISPATCH_SETUP>{td_string!(l, dispatch.setup_link)}</a>
            </nav>
        </section>

        <section class="card">
            <ul class="jobs dispatch-list">
                <For each=move || open.get() key=|c| format!("{c:?}") let(card)>
                    <DispatchCard card now />
                </For>
            </ul>
            <p class="note" class:hidden=move || !open.with(Vec::is_empty)>{td_string!(l, dispatch.all_quiet)}</p>
            <Pager board />
        </section>

        <section class="card" id="callbacks">
            <h2>{td_string!(l, dispatch.call_back)}</h2>
            <ul class="callbacks">
                <For each=move || board.with(|b| b.callbacks.clone()) key=|c| c.number.clone() let(card)>
                    <li data-number=card.number.clone()>
                        <a class="button call-customer" href=format!("tel:{}", card.phone)>
                            {td_string!(l, tech.call, phone = &card.phone_display).to_string()}
                        </a>
                        <span>{card.number.clone()} " · " {texts::problem(l, card.problem)}</span>
                        <StaffForm action=paths::at(paths::DISPATCH_ACT, &card.number) csrf=csrf_calls.clone()>
                            <input type="hidden" name="action" value="callback_made" />
                            <input type="hidden" name="back" value="/dispatch#callbacks" />
                            <button class="button secondary" type="submit">{td_string!(l, dispatch.call_made)}</button>
                        </StaffForm>
                    </li>
                </For>
            </ul>
            <p class="note" class:hidden=move || board.with(|b| !b.callbacks.is_empty())>{td_string!(l, dispatch.nobody_waiting_call)}</p>
            <p class="note" class:hidden=move || board.with(|b| b.callbacks_total <= b.callbacks.len())>
                {move || {
                    board.with(|b| {
                        td_string!(l, dispatch.oldest_shown, shown = b.callbacks.len(), total = b.callbacks_total).to_string()
                    })
                }}
            </p>
        </section>

        <AlertsCard csrf=csrf.clone() rings_for=td_string!(l, staff.rings_for_alarms) />

        <section class="card">
            <h2>{td_string!(l, tech.on_duty_now)}</h2>
            <CrewList crew=Signal::derive(move || board.with(|b| b.crew.clone())) />
        </section>

        <section class="card" id="roster">
            <h2>{td_string!(l, dispatch.roster)}</h2>
            <p class="note">{td_string!(l, dispatch.backups_note)}</p>
            <p class="note" id="texting">
                {move || {
                    board.with(|b| match b.texting.after_ms {
                        Some((sms, call)) => {
                            let (sms, call) = (texts::interval(l, sms), texts::interval(l, call));
                            td_string!(l, dispatch.texting_delays, sms, call).to_string()
                        }
                        None => td_string!(l, dispatch.texting_off).to_owned(),
                    })
                }}
            </p>
            <ul class="roster">
                <For each=move || board.with(|b| b.roster.clone()) key=|t| format!("{t:?}") let(t)>
                    <li data-technician=t.id>
                        <strong>{t.name.clone()}</strong>
                        <span class="roster-state">
                            {match (t.on_duty_since.is_some(), t.backup) {
                                (true, _) => td_string!(l, dispatch.on_duty),
                                (false, true) => td_string!(l, dispatch.backup),
                                (false, false) => td_string!(l, dispatch.off),
                            }}
                        </span>
                        <StaffForm action=paths::DISPATCH_ROSTER.into() csrf=csrf_roster.clone()>
                            <input type="hidden" name="technician" value=t.id />
                            <input type="hidden" name="backup" value=if t.backup { "0" } else { "1" } />
                            <button class="button secondary" type="submit">
                                {if t.backup { td_string!(l, dispatch.not_backup) } else { td_string!(l, dispatch.make_backup) }}
                            </button>
                        </StaffForm>
                    </li>
                </For>
            </ul>
        </section>

        <crate::ui::Live />
    }
}

/// One open request: age, state, technician and ETA, and where the ladder stands.
#[component]
fn DispatchCard(card: JobCard, now: Signal<i64>) -> impl IntoView {
    let JobCard {
        number,
        status,
        problem,
        place,
        created_at,
        technician,
        eta_at,
        escalation,
        next_escalation_at,
        alarm,
        callback_requested,
        someone_inside,
        ..
    } = card;
    let l = page_locale();
    let ladder = move || match (alarm, next_escalation_at) {
        (true, _) if status == RequestStatus::OnTheWay => td_string!(l, dispatch.alarm_late).to_owned(),
        (true, _) => td_string!(l, dispatch.alarm_nobody).to_owned(),
        (false, Some(at)) => {
            let left = (at - now.get()).max(0) / 1000;
            let time = format!("{}:{:02}", left / 60, left % 60);
            if escalation == 0 {
                td_string!(l, dispatch.escalates_in, time).to_string()
            } else {
                td_string!(l, dispatch.rung_next, rung = escalation, time).to_string()
            }
        }
        (false, None) => String::new(),
    };
    view! {
        <li data-number=number.clone() data-status=status.as_str() data-escalation=escalation class:alarmed=alarm>
            <a class="job" href=paths::at(paths::DISPATCH_REQUEST, &number)>
                <span class="job-number">{number.clone()}</span>
                <span class="job-problem">{texts::problem(l, problem)}</span>
                <span class="job-status">{texts::status(l, status)}</span>
                {someone_inside.then(|| view! { <span class="job-urgent">{td_string!(l, tech.child_or_pet)}</span> })}
                <span class="job-place">{place.unwrap_or_else(|| td_string!(l, tech.gps_location).into())}</span>
                <span class="job-age">
                    {move || waited(l, created_at, now.get())}
                </span>
                <span class="job-tech">
                    {technician.unwrap_or_else(|| td_string!(l, dispatch.nobody_yet).into())}
                    {eta_at.map(|at| view! { {td_string!(l, tech.eta)} <Clock unix_ms=at /> })}
                    {callback_requested.then_some(td_string!(l, dispatch.wants_call))}
                </span>
                <span class="job-ladder">{ladder}</span>
            </a>
        </li>
    }
}

/// Which page of the open requests this is, with links to the others: plain links, so they work before the wasm.
#[component]
fn Pager(board: RwSignal<DispatchBoard>) -> impl IntoView {
    let many = move || board.with(|b| b.pages > 1);
    let l = page_locale();
    view! {
        <nav class="pager" class:hidden=move || !many() aria-label=td_string!(l, dispatch.pages_label)>
            {move || {
                board.with(|b| {
                    let first = (b.page - 1) * BOARD_PAGE + 1;
                    let last = (first + b.open.len()).saturating_sub(1);
                    let (no_previous, no_next) = (b.page <= 1, b.page >= b.pages);
                    view! {
                        <a class="link" class:hidden=no_previous href=board_page(paths::DISPATCH, b.page.saturating_sub(1))>
                            {td_string!(l, dispatch.previous)}
                        </a>
                        <span class="note" data-page=b.page>
                            {td_string!(l, dispatch.page_of, first, last, total = b.open_total, page = b.page, pages = b.pages).to_string()}
                        </span>
                        <a class="link" class:hidden=no_next href=board_page(paths::DISPATCH, b.page + 1)>
                            {td_string!(l, dispatch.next)}
                        </a>
                    }
                })
            }}
        </nav>
    }
}

/// Closed (and open) requests by number, phone or day: a plain GET form, so it works before the wasm.
#[component]
fn Search() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let results = Resource::new(q, |q| async move {
        if q.trim().is_empty() { Ok(None) } else { dispatch_search(q).await.map(|p| Some(p.data)) }
    });
    let l = page_locale();
    view! {
        <section class="card" id="search">
            <h2>{td_string!(l, dispatch.find)}</h2>
            <form method="get" action="/dispatch" class="search">
                <input name="q" type="search" value=q placeholder=td_string!(l, dispatch.search_hint) />
                <button class="button secondary" type="submit">{td_string!(l, dispatch.search)}</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(Some(found)) if found.cards.is_empty() => view! { <p class="note">{td_string!(l, dispatch.nothing_found)}</p> }.into_any(),
                        Ok(Some(found)) => view! {
                            <p class="note search-more" class:hidden=!found.more>
                                {td_string!(l, dispatch.newest_shown, n = found.cards.len()).to_string()}
                            </p>
                            <ul class="jobs found">
                                {found.cards.into_iter().map(|c| view! {
                                    <li data-number=c.number.clone() data-status=c.status.as_str()>
                                        <a class="job" href=paths::at(paths::DISPATCH_REQUEST, &c.number)>
                                            <span class="job-number">{c.number.clone()}</span>
                                            <span class="job-problem">{texts::problem(l, c.problem)}</span>
                                            <span class="job-status">{texts::status(l, c.status)}</span>
                                            <span class="job-age"><Clock unix_ms=c.created_at /></span>
                                            <span class="job-tech">{c.phone_display.clone()}</span>
                                        </a>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <p class="refusal" role="alert">{e}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
