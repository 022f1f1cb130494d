//! What every staff page shares: the login page, and forms that carry the session's CSRF token and, once the
//! wasm runs, post in place so the page (and its live feed) stays open.

mod login;

pub use login::LoginPage;

use leptos::prelude::*;

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

/// "12 min": how long a customer has waited, from the server's clock at render and the phone's after.
pub fn waited(since_ms: i64, now_ms: i64) -> String {
    let minutes = (now_ms - since_ms).max(0) / 60_000;
    match minutes {
        0 => "just now".to_owned(),
        m if m < 60 => format!("{m} min"),
        m => format!("{} h {} min", m / 60, m % 60),
    }
}

/// Now, in unix ms, on whichever side is rendering.
pub fn now_ms() -> i64 {
    #[cfg(feature = "ssr")]
    {
        crate::store::now_ms()
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            js_sys::Date::now() as i64
        }
        #[cfg(not(feature = "hydrate"))]
        {
            0
        }
    }
}
