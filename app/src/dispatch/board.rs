//! `/dispatch`: every open request live, alarms and unowned ones first, with age, state, technician, ETA and
//! the escalation countdown. An alarm is shown and sounded until someone owns the request. Below: the callback
//! queue, who is on duty, the roster of backups, and the search of closed requests.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::{LazyRoute, lazy_route};

use crate::{
    api::{StaffPage, board_page, dispatch_board, dispatch_search},
    domain::{BOARD_PAGE, DispatchBoard, JobCard, RequestStatus, page_number},
    paths,
    staff::{AlertsCard, CrewList, StaffForm, StaffLoad, ticking_now, waited},
    ui::Clock,
};

/// The route's data half, created as soon as the route matches; the view half is split out of the customer's
/// wasm and fetched only when someone opens the dispatch board.
pub struct DispatchPage(Resource<Result<StaffPage<DispatchBoard>, String>>);

#[lazy_route]
impl LazyRoute for DispatchPage {
    fn data() -> Self {
        let query = use_query_map();
        let number = move || page_number(query.read().get("page").as_deref());
        Self(Resource::new(number, dispatch_board))
    }

    fn view(this: Self) -> AnyView {
        let page = this.0;
        view! {
            <Title text="Dispatch · roadcall" />
            <StaffLoad
                page
                loading="Loading the board…"
                draw=|page| view! { <Board page /> }
            />
        }
        .into_any()
    }
}

#[component]
fn Board(page: StaffPage<DispatchBoard>) -> impl IntoView {
    let StaffPage { me: _, csrf, data } = page;
    let board = RwSignal::new(data);
    let now = ticking_now();
    // Over every page, and requests that cannot be read count too: each needs someone.
    let alarms = Memo::new(move |_| board.with(|b| b.alarm_total));

    #[cfg(feature = "hydrate")]
    {
        let events = board_page(paths::STAFF_DISPATCH_EVENTS, board.with_untracked(|b| b.page));
        let stream = crate::browser::listen(&events, move |data| {
            if let Ok(next) = serde_json::from_str::<DispatchBoard>(&data) {
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
    view! {
        <section class="alarm" role="alert" class:hidden=move || alarms.get() == 0 data-alarms=move || alarms.get()>
            <strong>"Alarm: "</strong>
            {move || match alarms.get() {
                1 => "1 request needs an owner now.".to_owned(),
                n => format!("{n} requests need an owner now."),
            }}
            " Assign a technician or call the customer."
            <ul class="unreadable">
                <For each=move || board.with(|b| b.unreadable.clone()) key=|u| u.number.clone() let(u)>
                    <li data-unreadable=u.number.clone()>
                        <strong>{u.number.clone()}</strong>
                        " cannot be read (" {u.reason.clone()} "). Tell an admin, and call the customer: "
                        <a class="button call-customer" href=format!("tel:{}", u.phone)>{u.phone.clone()}</a>
                    </li>
                </For>
            </ul>
        </section>

        <section class="alarm" role="alert" id="texting-trouble" class:hidden=move || board.with(|b| b.texting.trouble.is_none())>
            <strong>"Texts and calls are not going out: "</strong>
            {move || {
                board.with(|b| {
                    b.texting.trouble.as_ref().map(|(_, error)| error.clone()).unwrap_or_default()
                })
            }}
            " Technicians get push alerts only: phone them if nobody takes a request."
        </section>

        <section class="card dispatch-head">
            <h1>"Open requests"</h1>
            <p class="note">
                {move || {
                    board.with(|b| {
                        format!(
                            "{} open · {} waiting for a technician · {} on duty",
                            b.open_total,
                            b.waiting_total,
                            b.crew.len(),
                        )
                    })
                }}
            </p>
            <a class="button secondary" href=paths::DISPATCH_NEW>"Take a request by phone"</a>
            <nav class="nav-links">
                <a class="link" href=paths::DISPATCH_REPORTS>"Reports and follow-ups"</a>
                <a class="link" href=paths::DISPATCH_SETUP>"Staff and checklists"</a>
            </nav>
        </section>

        <section class="card">
            <ul class="jobs dispatch-list">
                <For each=move || open.get() key=|c| format!("{c:?}") let(card)>
                    <DispatchCard card now />
                </For>
            </ul>
            <p class="note" class:hidden=move || !open.with(Vec::is_empty)>"Nothing open. All quiet."</p>
            <Pager board />
        </section>

        <section class="card" id="callbacks">
            <h2>"Call back"</h2>
            <ul class="callbacks">
                <For each=move || board.with(|b| b.callbacks.clone()) key=|c| c.number.clone() let(card)>
                    <li data-number=card.number.clone()>
                        <a class="button call-customer" href=format!("tel:{}", card.phone)>
                            "Call " {card.phone_display.clone()}
                        </a>
                        <span>{card.number.clone()} " · " {crate::texts::problem(crate::page_locale(), card.problem)}</span>
                        <StaffForm action=paths::at(paths::DISPATCH_ACT, &card.number) csrf=csrf_calls.clone()>
                            <input type="hidden" name="action" value="callback_made" />
                            <input type="hidden" name="back" value="/dispatch#callbacks" />
                            <button class="button secondary" type="submit">"Call made"</button>
                        </StaffForm>
                    </li>
                </For>
            </ul>
            <p class="note" class:hidden=move || board.with(|b| !b.callbacks.is_empty())>"Nobody is waiting for a call."</p>
            <p class="note" class:hidden=move || board.with(|b| b.callbacks_total <= b.callbacks.len())>
                {move || board.with(|b| format!("The oldest {} of {} are shown.", b.callbacks.len(), b.callbacks_total))}
            </p>
        </section>

        <AlertsCard csrf=csrf.clone() rings_for=crate::i18n::td_string!(crate::page_locale(), staff.rings_for_alarms) />

        <section class="card">
            <h2>"On duty now"</h2>
            <CrewList crew=Signal::derive(move || board.with(|b| b.crew.clone())) />
        </section>

        <section class="card" id="roster">
            <h2>"Roster"</h2>
            <p class="note">"Backups are alerted when nobody on duty takes a request in time."</p>
            <p class="note" id="texting">
                {move || {
                    board.with(|b| match b.texting.after_ms {
                        Some((sms, call)) => format!(
                            "While a request waits, each member alerted gets a text after {} and a call after {}.",
                            crate::domain::minutes(sms),
                            crate::domain::minutes(call),
                        ),
                        None => "Texts and calls are off: alerts are push only.".to_owned(),
                    })
                }}
            </p>
            <ul class="roster">
                <For each=move || board.with(|b| b.roster.clone()) key=|t| format!("{t:?}") let(t)>
                    <li data-technician=t.id>
                        <strong>{t.name.clone()}</strong>
                        <span class="roster-state">
                            {match (t.on_duty_since.is_some(), t.backup) {
                                (true, _) => "on duty",
                                (false, true) => "backup",
                                (false, false) => "off",
                            }}
                        </span>
                        <StaffForm action=paths::DISPATCH_ROSTER.into() csrf=csrf_roster.clone()>
                            <input type="hidden" name="technician" value=t.id />
                            <input type="hidden" name="backup" value=if t.backup { "0" } else { "1" } />
                            <button class="button secondary" type="submit">
                                {if t.backup { "Not a backup" } else { "Make backup" }}
                            </button>
                        </StaffForm>
                    </li>
                </For>
            </ul>
        </section>

        <Search />

        <StaffForm action=paths::LOGOUT.into() csrf class="logout" plain=true>
            <button class="link" type="submit">"Log out"</button>
        </StaffForm>
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
    let ladder = move || match (alarm, next_escalation_at) {
        (true, _) if status == RequestStatus::OnTheWay => "ALARM: long past the ETA".to_owned(),
        (true, _) => "ALARM: nobody has this".to_owned(),
        (false, Some(at)) => {
            let left = (at - now.get()).max(0) / 1000;
            let rung = if escalation == 0 { "escalates".to_owned() } else { format!("rung {escalation} · next") };
            format!("{rung} in {}:{:02}", left / 60, left % 60)
        }
        (false, None) => String::new(),
    };
    view! {
        <li data-number=number.clone() data-status=status.as_str() data-escalation=escalation class:alarmed=alarm>
            <a class="job" href=paths::at(paths::DISPATCH_REQUEST, &number)>
                <span class="job-number">{number.clone()}</span>
                <span class="job-problem">{crate::texts::problem(crate::page_locale(), problem)}</span>
                <span class="job-status">{crate::texts::status(crate::page_locale(), status)}</span>
                {someone_inside.then(|| view! { <span class="job-urgent">"Child or pet inside"</span> })}
                <span class="job-place">{place.unwrap_or_else(|| "GPS location".into())}</span>
                <span class="job-age">"waiting " {move || waited(crate::page_locale(), created_at, now.get())}</span>
                <span class="job-tech">
                    {technician.unwrap_or_else(|| "nobody yet".into())}
                    {eta_at.map(|at| view! { " · ETA " <Clock unix_ms=at /> })}
                    {callback_requested.then_some(" · wants a call")}
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
    view! {
        <nav class="pager" class:hidden=move || !many() aria-label="Pages of open requests">
            {move || {
                board.with(|b| {
                    let first = (b.page - 1) * BOARD_PAGE + 1;
                    let last = (first + b.open.len()).saturating_sub(1);
                    let (no_previous, no_next) = (b.page <= 1, b.page >= b.pages);
                    view! {
                        <a class="link" class:hidden=no_previous href=board_page(paths::DISPATCH, b.page.saturating_sub(1))>
                            "← Previous"
                        </a>
                        <span class="note" data-page=b.page>
                            {format!("{first}–{last} of {} · page {} of {}", b.open_total, b.page, b.pages)}
                        </span>
                        <a class="link" class:hidden=no_next href=board_page(paths::DISPATCH, b.page + 1)>
                            "Next →"
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
    view! {
        <section class="card" id="search">
            <h2>"Find a request"</h2>
            <form method="get" action="/dispatch" class="search">
                <input name="q" type="search" value=q placeholder="RC-7K3Q, +1 202 555 0142 or 2026-11-24" />
                <button class="button secondary" type="submit">"Search"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(Some(found)) if found.cards.is_empty() => view! { <p class="note">"Nothing found."</p> }.into_any(),
                        Ok(Some(found)) => view! {
                            <p class="note search-more" class:hidden=!found.more>
                                {format!("Showing the newest {}: there are more. Narrow the search to see older ones.", found.cards.len())}
                            </p>
                            <ul class="jobs found">
                                {found.cards.into_iter().map(|c| view! {
                                    <li data-number=c.number.clone() data-status=c.status.as_str()>
                                        <a class="job" href=paths::at(paths::DISPATCH_REQUEST, &c.number)>
                                            <span class="job-number">{c.number.clone()}</span>
                                            <span class="job-problem">{crate::texts::problem(crate::page_locale(), c.problem)}</span>
                                            <span class="job-status">{crate::texts::status(crate::page_locale(), c.status)}</span>
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
