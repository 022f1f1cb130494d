//! `/dispatch/setup`: who works here (accounts are made on the server with `server user add`), and the service
//! truck's checklist for each problem, edited as lines.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{StaffPage, dispatch_setup},
    domain::{ChecklistTemplate, Setup},
    i18n::td_string,
    page_locale, paths,
    staff::{StaffForm, StaffLoad},
    texts,
};

/// Staff and checklists, drawn by the server; the editors are an island in its own wasm chunk, fetched only when
/// someone opens this page.
#[component]
pub fn SetupPage() -> impl IntoView {
    let page = Resource::new(|| (), |()| dispatch_setup());
    // After a plain form's save (no JavaScript yet), the editor it came from says so.
    let saved = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("saved"));
    let l = page_locale();
    view! {
        <Title text=td_string!(l, setup.title) />
        <StaffLoad page loading=td_string!(l, staff.loading) draw=move |page| view! { <SetupView page saved=saved.clone() /> } />
        <a class="link" href=paths::DISPATCH>{td_string!(l, request.board)}</a>
    }
}

#[island(lazy)]
fn SetupView(page: StaffPage<Setup>, saved: Option<String>) -> impl IntoView {
    let StaffPage { me: _, csrf, data } = page;
    let Setup { staff, checklists, texting } = data;
    let (sms_usual, call_usual) = texting.after_ms.map_or((1, 3), |(sms, call)| (sms / 60_000, call / 60_000));
    let l = page_locale();
    view! {
        <section class="card" id="staff">
            <h1>{td_string!(l, setup.staff)}</h1>
            <ul class="roster">
                {staff
                    .into_iter()
                    .map(|s| {
                        let state = match (s.disabled, s.on_duty_since.is_some(), s.backup) {
                            (true, _, _) => td_string!(l, setup.disabled),
                            (false, true, _) => td_string!(l, setup.on_duty),
                            (false, false, true) => td_string!(l, setup.backup),
                            (false, false, false) => td_string!(l, setup.off_duty),
                        };
                        let (login, phone) = (s.login.clone(), s.phone.clone().unwrap_or_default());
                        let minutes = |m: Option<i64>| m.map(|m| m.to_string()).unwrap_or_default();
                        let (sms_after, call_after) = (minutes(s.sms_after_min), minutes(s.call_after_min));
                        let language = s.locale.clone().unwrap_or_default();
                        let unset = language.is_empty();
                        let option = move |tag: &'static str, name: &'static str| {
                            let selected = language == tag;
                            view! { <option value=tag selected=selected>{name}</option> }
                        };
                        view! {
                            <li data-login=s.login.clone() class:retired=s.disabled>
                                <strong>{s.name}</strong>
                                <span class="roster-state">{texts::role(l, s.role)} " · " {state}</span>
                                <span class="note">{s.login.clone()}</span>
                                <StaffForm action=paths::DISPATCH_STAFF_ALERTS.into() csrf=csrf.clone() class="staff-alerts">
                                    <input type="hidden" name="login" value=login />
                                    <label>
                                        {td_string!(l, setup.mobile)}
                                        <input
                                            type="tel"
                                            name="phone"
                                            autocomplete="off"
                                            placeholder="+1 202 555 0100"
                                            value=phone
                                        />
                                    </label>
                                    <label>
                                        {td_string!(l, setup.text_after)}
                                        <input type="number" name="sms_after" min="1" max="120" inputmode="numeric" placeholder=sms_usual.to_string() value=sms_after />
                                    </label>
                                    <label>
                                        {td_string!(l, setup.call_after)}
                                        <input type="number" name="call_after" min="1" max="120" inputmode="numeric" placeholder=call_usual.to_string() value=call_after />
                                    </label>
                                    <label>
                                        {td_string!(l, setup.language)}
                                        <select name="language">
                                            {unset.then(|| option("", td_string!(l, setup.not_chosen)))}
                                            {option("en", "English")}
                                            {option("ru", "Русский")}
                                        </select>
                                    </label>
                                    <button class="button secondary" type="submit">{td_string!(l, staff.save)}</button>
                                </StaffForm>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <p class="note">
                {td_string!(l, setup.accounts)}
                <code>"server user add LOGIN --name … --role … --phone +… --language ru"</code>
                {td_string!(l, setup.accounts_after)}
            </p>
        </section>
        <section class="card">
            <h2>{td_string!(l, setup.checklists)}</h2>
            <p class="note">{td_string!(l, setup.checklists_note)}</p>
        </section>
        {checklists
            .into_iter()
            .map(|t| {
                let just_saved = saved.as_deref() == Some(t.problem.as_str());
                view! { <ChecklistEditor template=t csrf=csrf.clone() just_saved /> }
            })
            .collect_view()}
        <crate::ui::Live />
    }
}

#[component]
fn ChecklistEditor(template: ChecklistTemplate, csrf: String, just_saved: bool) -> impl IntoView {
    let saved = RwSignal::new(just_saved);
    let rows = (template.lines.len() + 1).clamp(3, 14);
    let l = page_locale();
    let (id, problem, title, text) = (
        format!("checklist-{}", template.problem),
        template.problem.clone(),
        texts::checklist(l, &template.problem),
        template.text(),
    );
    view! {
        <section class="card checklist-edit" id=id>
            <StaffForm action=paths::DISPATCH_CHECKLISTS.into() csrf on_done=move |()| saved.set(true)>
                <input type="hidden" name="problem" value=problem />
                <label>
                    <h3>{title}</h3>
                    <textarea name="lines" rows=rows on:input=move |_| saved.set(false)>{text}</textarea>
                </label>
                <button class="button secondary" type="submit">{td_string!(l, staff.save)}</button>
                <p class="note saved" class:hidden=move || !saved.get()>{td_string!(l, staff.saved)}</p>
            </StaffForm>
        </section>
    }
}
