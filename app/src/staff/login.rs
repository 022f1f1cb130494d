//! `/login` for technicians, dispatchers and admins: a plain form, so it works before the wasm arrives.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    domain::{LocalPath, LoginRefusal},
    i18n::td_string,
    page_locale, texts,
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read_untracked().get(k);
    // Only the server's own words: `failed` is a code, and a code we do not know shows nothing.
    let l = page_locale();
    let failed = get("failed").and_then(|code| LoginRefusal::parse(&code)).map(|r| texts::login_refusal(l, r));
    let next = get("next").and_then(|n| LocalPath::parse(&n)).map(|p| p.as_str().to_owned()).unwrap_or_default();
    view! {
        <Title text=td_string!(l, login.title) />
        <section class="card">
            <h1>{td_string!(l, login.heading)}</h1>
            {failed.map(|m| view! { <p class="refusal" role="alert">{m}</p> })}
            <form method="post" action="/login" class="stack">
                <input type="hidden" name="next" value=next />
                <label>
                    {td_string!(l, login.login)}
                    <input name="login" autocomplete="username" autocapitalize="none" required value=get("login").unwrap_or_default() />
                </label>
                <label>
                    {td_string!(l, login.password)}
                    <input name="password" type="password" autocomplete="current-password" required />
                </label>
                <button class="button" type="submit">{td_string!(l, login.log_in)}</button>
            </form>
        </section>
    }
}
