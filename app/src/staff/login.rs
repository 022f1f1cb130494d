//! `/login` for technicians, dispatchers and admins: a plain form, so it works before the wasm arrives.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read_untracked().get(k);
    let failed = get("failed");
    view! {
        <Title text="Staff login · roadcall" />
        <section class="card">
            <h1>"Staff login"</h1>
            {failed.map(|m| view! { <p class="refusal" role="alert">{m}</p> })}
            <form method="post" action="/login" class="stack">
                <input type="hidden" name="next" value=get("next").unwrap_or_default() />
                <label>
                    "Login"
                    <input name="login" autocomplete="username" autocapitalize="none" required value=get("login").unwrap_or_default() />
                </label>
                <label>
                    "Password"
                    <input name="password" type="password" autocomplete="current-password" required />
                </label>
                <button class="button" type="submit">"Log in"</button>
            </form>
        </section>
        <crate::ui::Live />
    }
}
