//! The customer's status page at `/r/{token}`: the request number to read out, where things stand, and every
//! step with its time. It follows the live feed while open; without JavaScript it refreshes itself.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::request_status,
    domain::StatusView,
    i18n::{td, td_string},
    page_locale, paths, texts,
    ui::{Clock, Loaded, NotFound},
};

#[component]
pub fn StatusPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let status = Resource::new(token, request_status);
    let draw = move |found: Result<Option<StatusView>, String>| match found {
        Ok(Some(view)) => view! { <StatusCard token=token() initial=view /> }.into_any(),
        Ok(None) => view! { <NotFound /> }.into_any(),
        Err(e) => view! {
            <section class="card errors" role="alert">
                <p>{e.to_string()}</p>
            </section>
        }
        .into_any(),
    };
    view! { <Loaded data=status loading=td_string!(page_locale(), status.loading) draw /> }
}

/// The customer's island: the request as the server last saw it, then each change from the live feed.
#[island]
fn StatusCard(token: String, initial: StatusView) -> impl IntoView {
    let current = RwSignal::new(initial);

    #[cfg(feature = "hydrate")]
    {
        // Each message is the whole view again, so a missed message can never leave the page wrong.
        let stream = crate::browser::listen(&paths::at(paths::STATUS_EVENTS, &token), move |data| {
            if let Ok(view) = serde_json::from_str::<StatusView>(&data) {
                current.set(view);
            }
        });
        StoredValue::new_local(stream);
    }

    let v = move || current.get();
    let l = page_locale();
    let open = move || current.with(|v| v.status.is_open());
    let callback_url = paths::at(paths::CALL_ME_BACK, &token);
    let follow_up_url = paths::at(paths::FOLLOW_UP, &token);
    let cancel_url = paths::at(paths::CANCEL, &token);
    view! {
        <Title text=move || format!("{} · roadcall", current.with(|v| v.number.clone())) />
        // Without JavaScript the page cannot follow the live feed: it reloads itself instead.
        <noscript inner_html="<meta http-equiv='refresh' content='20'>"></noscript>
        <section class="card status" data-status=move || v().status.as_str()>
            <p class="number-label">{td_string!(l, status.number)}</p>
            <p class="number">{move || v().number}</p>
            <h1 class="headline">{move || texts::headline(l, v().status)}</h1>
            {move || {
                let v = v();
                v.technician.filter(|_| v.status.is_open()).map(|name| {
                    view! {
                        <p class="coming">
                            <span class="technician">{name}</span>
                            {v.eta_at.map(|at| view! { {td_string!(l, status.arrives_about)} <Clock unix_ms=at zoned=true /> })}
                        </p>
                    }
                })
            }}
            // Drawn from the server's clock, then the phone's, each time the request changes (the ladder's
            // "asked for news" is such a change); the same element on both sides keeps hydration exact.
            <p class="late" role="status" class:hidden=move || !current.with(|v| v.running_late(crate::ui::now_ms()))>
                {td_string!(l, status.late)}
            </p>
            // Honest about what a breakdown service can do: a child or pet in danger needs the emergency number.
            <p class="urgent" role="alert" class:hidden=move || !v().someone_inside || !v().status.is_open()>
                {td_string!(l, status.someone_inside)}
            </p>
            <dl class="facts">
                <dt>{td_string!(l, status.problem)}</dt>
                <dd>
                    {move || {
                        let v = v();
                        match v.problem_detail {
                            Some(d) => format!("{}: {d}", texts::problem(l, v.problem)),
                            None => texts::problem(l, v.problem).to_owned(),
                        }
                    }}
                </dd>
                <dt>{td_string!(l, status.location)}</dt>
                <dd>{move || where_text(l, &v())}</dd>
                {move || {
                    v().vehicle.describe().map(|d| view! { <dt>{td_string!(l, status.vehicle)}</dt> <dd>{d}</dd> })
                }}
                <dt>{td_string!(l, status.we_call)}</dt>
                <dd>{move || v().phone_display}</dd>
            </dl>
        </section>

        <section class="card">
            <h2>{td_string!(l, status.what_has_happened)}</h2>
            <ol class="timeline" aria-live="polite">
                <For
                    each=move || v().timeline.into_iter().enumerate()
                    key=|(i, e)| (*i, e.at)
                    children=move |(_, e)| {
                        view! {
                            <li data-kind=e.kind().as_str()>
                                <Clock unix_ms=e.at zoned=true />
                                <span>{texts::event(l, &e)}</span>
                            </li>
                        }
                    }
                />
            </ol>
        </section>

        <section class="card follow-up" class:hidden=move || !current.with(|v| v.follow_up_due)>
            <form method="post" action=follow_up_url>
                <fieldset>
                    <legend>
                        <h2>{td_string!(l, status.satisfied)}</h2>
                    </legend>
                    <p class="note">{td_string!(l, status.rating_note)}</p>
                    <div class="rating">
                        {(1..=5)
                            .map(|r| {
                                view! {
                                    <label class="tile">
                                        <input type="radio" name="rating" value=r required />
                                        <span class="tile-label">{r}</span>
                                    </label>
                                }
                            })
                            .collect_view()}
                    </div>
                    <label class="field">
                        <span>{td_string!(l, status.anything_to_tell)}</span>
                        <textarea name="comment" rows="2" maxlength=crate::domain::MAX_NOTES></textarea>
                    </label>
                    <button class="button" type="submit">{td_string!(l, status.send_answer)}</button>
                </fieldset>
            </form>
        </section>

        <section class="card actions" class:hidden=move || !open()>
            {move || {
                if v().callback_requested {
                    view! { <p class="note">{td!(l, status.will_call_back, phone = move || v().phone_display)}</p> }.into_any()
                } else {
                    view! {
                        <form method="post" action=callback_url.clone()>
                            <button class="button" type="submit">{td_string!(l, status.call_me_back)}</button>
                        </form>
                    }
                        .into_any()
                }
            }}
            <details class="cancel">
                <summary>{td_string!(l, status.cancel)}</summary>
                <form method="post" action=cancel_url>
                    <p>{td_string!(l, status.cancel_note)}</p>
                    <button class="button danger" type="submit">{td_string!(l, status.cancel_yes)}</button>
                </form>
            </details>
        </section>
        <crate::ui::Live />
    }
}

fn where_text(l: crate::Locale, v: &StatusView) -> String {
    let coords = v.lat.zip(v.lon).map(|(lat, lon)| match v.accuracy_m {
        Some(a) => format!("{lat:.5}, {lon:.5} ({})", td_string!(l, status.metres, m = a.round())),
        None => format!("{lat:.5}, {lon:.5}"),
    });
    [v.place.clone(), coords].into_iter().flatten().collect::<Vec<_>>().join(" · ")
}
