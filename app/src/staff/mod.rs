//! What every staff page shares: the login page, and forms that carry the session's CSRF token and, once the
//! wasm runs, post in place so the page (and its live feed) stays open.

mod login;

pub use login::LoginPage;

use leptos::prelude::*;

use crate::{
    Locale,
    domain::{Channel, CrewMember, Event, Recorded, SentLine},
    i18n::td_string,
    page_locale, paths, texts,
    ui::Clock,
};

/// A form to a staff route. Without JavaScript it is a plain POST answered by a redirect; with it, the post
/// goes by `fetch` and a refusal is shown under the form.
#[component]
pub fn StaffForm(
    action: String,
    csrf: String,
    #[prop(optional)] class: &'static str,
    /// Called after the server accepted the post.
    #[prop(optional, into)]
    on_done: Option<Callback<()>>,
    /// Leave the page as a plain post (logging out navigates away anyway).
    #[prop(optional)]
    plain: bool,
    children: Children,
) -> impl IntoView {
    let refusal = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if plain {
                return;
            }
            let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) else { return };
            ev.prevent_default();
            leptos::task::spawn_local(async move {
                match crate::browser::post_form(form).await {
                    Ok(()) => {
                        refusal.set(None);
                        if let Some(done) = on_done {
                            done.run(());
                        }
                    }
                    Err(message) => refusal.set(Some(message)),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, on_done, plain);
    };
    view! {
        <form method="post" action=action class=class on:submit=on_submit>
            <input type="hidden" name="csrf" value=csrf />
            {children()}
            <p class="refusal" role="alert" class:hidden=move || refusal.with(Option::is_none)>{refusal}</p>
        </form>
    }
}

/// A staff page's data, loaded on the server while rendering, then drawn by `draw` (whose island gets it as
/// props); or why it could not be, with the way `back` when there is one.
#[component]
pub fn StaffLoad<T, F, V>(
    page: Resource<Result<crate::api::StaffPage<T>, String>>,
    loading: &'static str,
    draw: F,
    #[prop(optional)] back: Option<(&'static str, &'static str)>,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(crate::api::StaffPage<T>) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let draw = move |page| match page {
        Ok(page) => draw(page).into_any(),
        Err(e) => view! {
            <section class="card">
                <p class="refusal" role="alert">{e}</p>
                {back.map(|(href, label)| view! { <a class="button" href=href>{label}</a> })}
            </section>
        }
        .into_any(),
    };
    view! { <crate::ui::Loaded data=page loading draw /> }
}

/// A job's heading on the technician's and dispatch's screens: the problem in the customer's words, and the
/// emergency when a child or a pet is inside.
#[component]
pub fn JobTitle(request: Signal<crate::domain::StatusView>) -> impl IntoView {
    let title = move || {
        request.with(|r| match &r.problem_detail {
            Some(d) => format!("{}: {d}", crate::texts::problem(crate::page_locale(), r.problem)),
            None => crate::texts::problem(crate::page_locale(), r.problem).to_owned(),
        })
    };
    view! {
        <h1>{title}</h1>
        <p class="urgent" role="alert" class:hidden=move || !request.with(|r| r.someone_inside)>
            {td_string!(page_locale(), staff.someone_inside)}
        </p>
    }
}

/// Where this phone (the truck) is, once it knows: the board and the job screen measure to customers from it.
/// One watch for as long as the page is open; a page starts from the fix the last one had (if fresh), so moving
/// from the board to a job shows distances at once instead of waiting for the next fix.
pub fn truck_position() -> Signal<Option<(f64, f64)>> {
    #[cfg(feature = "hydrate")]
    {
        thread_local! {
            static HERE: ArcRwSignal<Option<(f64, f64)>> = {
                let here = ArcRwSignal::new(None);
                // Once the island has hydrated (drawn as the server drew it, without a fix): the last page's fix,
                // if fresh and nothing newer came first.
                let kept = here.clone();
                leptos::task::spawn_local(async move {
                    if kept.get_untracked().is_none() {
                        kept.set(crate::browser::last_fix());
                    }
                });
                let writer = here.clone();
                let guard = crate::browser::watch_position(move |report| {
                    if let crate::browser::PositionReport::Fix { lat, lon, .. } = report {
                        crate::browser::keep_fix(lat, lon);
                        writer.set(Some((lat, lon)));
                    }
                });
                // Never cleared: the watch lasts as long as the page.
                std::mem::forget(guard);
                here
            };
        }
        HERE.with(|here| Signal::from(here.clone()))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Signal::stored(None)
    }
}

/// "1.1 km" from the truck to the customer, when both are known.
pub fn away(l: Locale, here: Option<(f64, f64)>, lat: Option<f64>, lon: Option<f64>) -> Option<String> {
    let metres = crate::domain::distance_m(here?, lat.zip(lon)?);
    Some(td_string!(l, staff.km, km = texts::decimal(l, metres / 1000.0)).to_string())
}

/// "waiting 12 min": how long a customer has waited, from the server's clock at render and the phone's after.
pub fn waited(l: Locale, since_ms: i64, now_ms: i64) -> String {
    let minutes = (now_ms - since_ms).max(0) / 60_000;
    let time = match minutes {
        0 => td_string!(l, staff.just_now).to_owned(),
        m if m < 60 => td_string!(l, staff.minutes, m).to_string(),
        m => td_string!(l, staff.hours_minutes, h = m / 60, m = m % 60).to_string(),
    };
    td_string!(l, tech.waiting_for, time).to_string()
}

/// Notification health: can a job alert reach this technician with the app closed?
fn reach(l: Locale, member: &CrewMember) -> String {
    let push = match (member.devices, member.failing) {
        (0, _) if !member.texts => td_string!(l, staff.no_alert_phone).to_owned(),
        (0, _) => String::new(),
        (_, true) => td_string!(l, staff.push_failing).to_owned(),
        (n, false) => td_string!(l, staff.alert_phones, count = n).to_string(),
    };
    let texts = match (member.texts, member.texts_failing) {
        (false, _) => "",
        (true, false) => td_string!(l, staff.texts_and_calls),
        (true, true) => td_string!(l, staff.text_failed),
    };
    format!("{push}{texts}")
}

/// Who is on duty now, since when, and whether an alert reaches them: on the technicians' and dispatch boards.
#[component]
pub fn CrewList(crew: Signal<Vec<CrewMember>>) -> impl IntoView {
    let l = page_locale();
    view! {
        <ul class="crew">
            <For
                each=move || crew.get()
                key=|c| format!("{c:?}")
                let(member)
            >
                <li data-reachable=member.reachable().to_string()>
                    <strong>{member.name.clone()}</strong>
                    {td_string!(l, staff.since)}
                    <Clock unix_ms=member.on_duty_since />
                    <span class="reach">{reach(l, &member)}</span>
                </li>
            </For>
        </ul>
        <p class="note" class:hidden=move || crew.with(|c| !c.is_empty())>
            {td_string!(l, staff.nobody_on_duty)}
        </p>
    }
}

/// The texts and calls about a request, each with where it stands (from the provider's receipts) and what it
/// said: on dispatch's request page all of them, on a technician's job screen their own pages.
#[component]
pub fn SentList(sent: Signal<Vec<SentLine>>) -> impl IntoView {
    let l = page_locale();
    view! {
        <section class="card" id="sent" class:hidden=move || sent.with(Vec::is_empty)>
            <h2>{td_string!(l, staff.sent_title)}</h2>
            <ol class="timeline sent">
                <For each=move || sent.get().into_iter().enumerate() key=|(i, l)| (*i, l.updated_at) let((_, line))>
                    <li data-channel=line.channel.as_str() data-state=line.state.as_str() data-purpose=line.purpose.as_str()>
                        <Clock unix_ms=line.updated_at />
                        <span>
                            <strong>
                                {
                                    let who = line.staff.clone().unwrap_or_else(|| td_string!(l, staff.the_customer).into());
                                    match line.channel {
                                        Channel::Call => td_string!(l, staff.call_to, who).to_string(),
                                        _ => td_string!(l, staff.text_to, who).to_string(),
                                    }
                                }
                                " · " {texts::purpose(l, line.purpose)} ": " {texts::send_state(l, line.state)}
                            </strong>
                            {(line.attempts > 1).then(|| td_string!(l, staff.after_attempts, n = line.attempts).to_string())}
                            {line.detail.as_ref().map(|note| format!(" — {}", texts::send_note(l, note)))}
                            {line.body.clone().map(|b| view! { <q>{b}</q> })}
                        </span>
                    </li>
                </For>
            </ol>
        </section>
    }
}

/// A request's whole timeline as staff read it: the customer's words, who did it, and the reasons given.
#[component]
pub fn StaffTimeline(timeline: Signal<Vec<Recorded>>) -> impl IntoView {
    let l = page_locale();
    let entries = move || timeline.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <ol class="timeline">
            <For each=entries key=|(i, e)| (*i, e.at) let((_, e))>
                <li
                    data-kind=e.kind().as_str()
                    data-level=match &e.event {
                        Event::Escalated { level, .. } => Some(level.to_string()),
                        _ => None,
                    }
                >
                    <Clock unix_ms=e.at />
                    <span>{staff_line(l, &e)}</span>
                </li>
            </For>
        </ol>
    }
}

fn staff_line(l: Locale, e: &Recorded) -> String {
    let by = e.by.as_ref().map(|b| format!(" ({})", b.name)).unwrap_or_default();
    match &e.event {
        Event::Escalated { level, concern, every_ms, technician } => {
            let who = technician.as_ref().map(|t| t.name.as_str());
            let note = texts::escalation(l, *level, *concern, *every_ms, who);
            td_string!(l, staff_timeline.escalated, note).to_string()
        }
        Event::Released { reason } => {
            td_string!(l, staff_timeline.released, line = texts::event(l, e), by, reason).to_string()
        }
        Event::Cancelled { reason: Some(reason) } => td_string!(l, staff_timeline.cancelled, by, reason).to_string(),
        Event::Assigned { technician } => {
            td_string!(l, staff_timeline.assigned, who = &technician.name, by).to_string()
        }
        Event::ArrivalConfirmed => td_string!(l, staff_timeline.arrival_confirmed, by).to_string(),
        Event::CallbackMade => td_string!(l, staff_timeline.callback_made, by).to_string(),
        Event::Received if e.by.is_some() => td_string!(l, staff_timeline.taken_on_phone, by).to_string(),
        Event::Accepted { via: via @ (Channel::Sms | Channel::Call | Channel::Push) } => {
            format!("{} ({})", texts::event(l, e), texts::answered(l, *via))
        }
        Event::Declined { via } => {
            td_string!(l, staff_timeline.declined, by, via = texts::answered(l, *via)).to_string()
        }
        Event::Seen { .. } => td_string!(l, staff_timeline.seen, by).to_string(),
        Event::FollowUp { rating, comment: None } => td_string!(l, staff_timeline.rated, rating).to_string(),
        Event::FollowUp { rating, comment: Some(comment) } => {
            td_string!(l, staff_timeline.rated_said, rating, comment).to_string()
        }
        _ => texts::event(l, e),
    }
}

/// Now, ticking once a second in the browser: for ages and countdowns on boards left open all night.
pub fn ticking_now() -> Signal<i64> {
    let now = RwSignal::new(crate::ui::now_ms());
    #[cfg(feature = "hydrate")]
    {
        let handle =
            set_interval_with_handle(move || now.set(crate::ui::now_ms()), std::time::Duration::from_secs(1)).ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
        });
    }
    now.into()
}

/// Alerts with the app closed (Web Push): turn them on for this phone, and prove they arrive. Technicians are
/// alerted for new jobs; dispatchers and admins when a request reaches the ladder's alarm.
#[component]
pub fn AlertsCard(csrf: String, rings_for: &'static str) -> impl IntoView {
    // None until the wasm has looked; without JavaScript there are no push alerts to offer.
    let setting = RwSignal::new(None::<&'static str>);
    let problem = RwSignal::new(None::<String>);

    #[cfg(feature = "hydrate")]
    let turn_on = {
        use crate::browser::{self, AlertSetting};
        let describe = |s: AlertSetting| match s {
            AlertSetting::Unsupported => "unsupported",
            AlertSetting::Blocked => "blocked",
            AlertSetting::Off => "off",
            AlertSetting::On => "on",
        };
        leptos::task::spawn_local(async move { setting.set(Some(describe(browser::alert_setting().await))) });
        let csrf = csrf.clone();
        move |_| {
            let csrf = csrf.clone();
            leptos::task::spawn_local(async move {
                match browser::enable_alerts(csrf).await {
                    Ok(()) => {
                        problem.set(None);
                        setting.set(Some("on"));
                    }
                    Err(e) => problem.set(Some(e)),
                }
            });
        }
    };
    #[cfg(not(feature = "hydrate"))]
    let turn_on = |_| {};

    let l = page_locale();
    view! {
        <section class="card alerts" data-alerts=move || setting.get().unwrap_or("unknown")>
            <h2>{td_string!(l, staff.alerts_title)}</h2>
            <p class="note">
                {move || match setting.get() {
                    Some("on") => td_string!(l, staff.alerts_on, what = rings_for).to_string(),
                    Some("blocked") => td_string!(l, staff.alerts_blocked).to_owned(),
                    Some("unsupported") => td_string!(l, staff.alerts_unsupported).to_owned(),
                    Some(_) => td_string!(l, staff.alerts_off, what = rings_for).to_string(),
                    None => td_string!(l, staff.checking).to_owned(),
                }}
            </p>
            <button class="button" type="button" on:click=turn_on class:hidden=move || setting.get() != Some("off")>
                {td_string!(l, staff.turn_on_alerts)}
            </button>
            <p class="refusal" role="alert" class:hidden=move || problem.with(Option::is_none)>{problem}</p>
            <StaffForm action=paths::PUSH_TEST.into() csrf plain=true>
                <button class="button secondary" type="submit">{td_string!(l, staff.test_alert)}</button>
            </StaffForm>
        </section>
    }
}

/// What a screen reader is told when requests arrive on a board: the new ones only, once, never the whole list
/// again (a visually hidden live region).
#[component]
pub fn Announcer(said: RwSignal<String>) -> impl IntoView {
    view! { <p class="announce" role="status">{move || said.get()}</p> }
}

/// "New request: Flat tire, М-11, 120 km" for the cards not `seen` before (and now seen), or `None`. Boards call
/// it from their live feeds, which run only in the browser.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn arrivals(
    l: Locale,
    seen: &mut std::collections::HashSet<String>,
    cards: &[crate::domain::JobCard],
) -> Option<String> {
    let fresh: Vec<String> = cards
        .iter()
        .filter(|c| seen.insert(c.number.clone()))
        .map(|c| {
            let place = c.place.clone().unwrap_or_else(|| td_string!(l, tech.gps_location).to_owned());
            td_string!(l, staff.new_request, problem = texts::problem(l, c.problem), place).to_string()
        })
        .collect();
    (!fresh.is_empty()).then(|| fresh.join(" "))
}
