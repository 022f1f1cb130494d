//! "What happened?": the one screen a stranded customer fills in. It is a plain HTML form that posts to
//! `/request`; the wasm only adds the location fix, remembers the phone and vehicle, and checks before sending.
//! A refused plain post is answered with this page again, drawn from a `FormEcho` with the values and the
//! reasons, so the page renders them identically on the server and in the browser and nothing typed goes into
//! a URL.

use leptos::prelude::*;

use crate::i18n::{td, td_string};

use super::{
    FormEcho,
    location::{Fix, LocationMeter},
};
use crate::{
    domain::{MAX_NOTES, MAX_PLACE, MAX_SHORT, Problem},
    paths,
};

/// Fields remembered on the device for the next time (PRODUCT rule 2).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const REMEMBERED: [&str; 6] = ["phone", "name", "vehicle_make", "vehicle_model", "vehicle_colour", "vehicle_plate"];

#[component]
pub fn RequestHelpPage() -> impl IntoView {
    view! { <CustomerForm echo=FormEcho::from_context() /> }
}

/// The customer's island: the form and what it echoes, handed over as props; the phone-in page draws the same
/// form inside its own island.
#[island]
fn CustomerForm(echo: FormEcho) -> impl IntoView {
    view! {
        <HelpForm echo />
        <crate::ui::Live />
    }
}

/// The one form, for the customer or (with `caller_csrf`) for a dispatcher typing in a caller's request: same
/// fields, same validation, posted to `/dispatch/phone-in`. The dispatcher's own position and phone mean nothing
/// for the caller, so that form neither locates nor remembers.
#[component]
pub fn HelpForm(echo: FormEcho, #[prop(optional)] caller_csrf: Option<String>) -> impl IntoView {
    let l = crate::page_locale();
    let for_caller = caller_csrf.is_some();
    let say = move |customer: &'static str, caller: &'static str| if for_caller { caller } else { customer };
    let errors: Vec<String> = echo.errors.iter().map(|e| e.message.clone()).collect();
    let echo = StoredValue::new(echo);
    let error = move |field: &str| echo.with_value(|e| e.error(field));
    let echo = move |name: &str| echo.with_value(|e| e.value(name));

    let (fix, set_fix) = signal(if for_caller { Fix::Unavailable } else { Fix::Waiting });
    let place_missing = RwSignal::new(false);
    let sending = RwSignal::new(false);
    // Set when Send was tapped without a connection: the text of an SMS that says the same.
    let offline_sms = RwSignal::new(None::<String>);
    let form = NodeRef::<leptos::html::Form>::new();

    // The phone is asked for its position once the customer has picked what happened: a prompt that follows
    // their own tap makes sense to them, and browsers grant it more often than one on arrival.
    #[cfg(feature = "hydrate")]
    let locate = {
        use crate::browser::{self, PositionReport};
        // Once: set on the first start, even when the phone has no location service to watch.
        let watch = StoredValue::new_local(None::<Option<browser::WatchGuard>>);
        move || {
            if for_caller || watch.with_value(Option::is_some) {
                return;
            }
            set_fix.set(Fix::Locating);
            // Watch the position while the page is open; each better reading replaces the last.
            let guard = browser::watch_position(move |report| {
                set_fix.update(|current| {
                    *current = match report {
                        PositionReport::Fix { lat, lon, accuracy_m } => match *current {
                            Fix::Found { accuracy_m: best, .. } if best < accuracy_m => return,
                            _ => Fix::Found { lat, lon, accuracy_m },
                        },
                        PositionReport::Denied => Fix::Denied,
                        // A lost signal does not erase a fix we already have.
                        PositionReport::Unavailable if matches!(*current, Fix::Found { .. }) => return,
                        PositionReport::Unavailable => Fix::Unavailable,
                    }
                })
            });
            if guard.is_none() {
                set_fix.set(Fix::Unavailable);
            }
            // Dropped with the page, which stops the watch.
            watch.set_value(Some(guard));
        }
    };
    #[cfg(not(feature = "hydrate"))]
    let locate = move || {
        let _ = set_fix;
    };

    #[cfg(feature = "hydrate")]
    if !for_caller {
        use crate::browser;
        // A page drawn again after a refusal already has the choice: locate at once.
        Effect::new(move |_| {
            if form.get().and_then(|f| browser::checked_value(&f, "problem")).is_some() {
                locate();
            }
        });
        // Fill what this phone remembers, without overwriting what the customer already typed.
        Effect::new(move |_| {
            if let Some(form) = form.get() {
                for name in REMEMBERED {
                    if let (Some(input), Some(value)) = (browser::form_input(&form, name), browser::recall(name))
                        && input.value().is_empty()
                    {
                        input.set_value(&value);
                    }
                }
                if let Some(key) = browser::form_input(&form, "key").filter(|k| k.value().is_empty()) {
                    key.set_value(&browser::fresh_key());
                }
            }
        });
    }

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let has_place = {
            #[cfg(feature = "hydrate")]
            {
                form.get().is_some_and(|f| {
                    ["place", "coords"]
                        .iter()
                        .any(|n| crate::browser::form_value(&f, n).is_some_and(|v| !v.trim().is_empty()))
                })
            }
            #[cfg(not(feature = "hydrate"))]
            {
                true
            }
        };
        if fix.get_untracked().coordinates().is_none() && !has_place {
            ev.prevent_default();
            place_missing.set(true);
            return;
        }
        #[cfg(feature = "hydrate")]
        if let Some(f) = form.get().filter(|_| !for_caller) {
            for name in REMEMBERED {
                if let Some(input) = crate::browser::form_input(&f, name) {
                    crate::browser::remember(name, input.value().trim());
                }
            }
            if !crate::browser::online() {
                // Keep everything on screen, send by itself when the signal returns, offer SMS meanwhile.
                ev.prevent_default();
                let body = sms_text(&f, fix.get_untracked());
                offline_sms.set(Some(crate::browser::sms_href(&body).unwrap_or_default()));
                crate::browser::submit_when_online(f);
                return;
            }
        }
        offline_sms.set(None);
        sending.set(true);
    };

    let chosen = echo("problem");
    let key = echo("key");
    view! {
        <form
            class="request"
            method="post"
            action=if for_caller { paths::DISPATCH_PHONE_IN } else { paths::SEND }
            node_ref=form
            on:submit=on_submit
        >
            {caller_csrf.map(|csrf| view! { <input type="hidden" name="csrf" value=csrf /> })}
            {(!errors.is_empty())
                .then(|| {
                    view! {
                        <div class="errors" role="alert">
                            <p>{td!(l, form.please_check)}</p>
                            <ul>{errors.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                        </div>
                    }
                })}
            <input type="hidden" name="key" value=initial_key(key) />

            <fieldset class="problem">
                <legend>
                    <h1>{move || say(td_string!(l, form.what_happened), td_string!(l, form.what_happened_caller))}</h1>
                </legend>
                <div class="tiles" on:change=move |_| locate()>
                    {Problem::CUSTOMER_CHOICES
                        .into_iter()
                        .map(|p| {
                            view! {
                                <label class="tile">
                                    <input
                                        type="radio"
                                        name="problem"
                                        value=p.as_str()
                                        required
                                        checked=chosen == p.as_str()
                                    />
                                    <svg class="tile-icon" viewBox="0 0 24 24" aria-hidden="true">
                                        <path d=icon(p) />
                                    </svg>
                                    <span class="tile-label">{crate::texts::problem(crate::page_locale(), p)}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                <label class="field other-detail">
                    <span>{td!(l, form.in_a_few_words)}</span>
                    <input name="problem_detail" maxlength=MAX_SHORT value=echo("problem_detail") />
                </label>
                // Shown with "Locked out" (CSS): a child or a pet inside makes it an emergency.
                <label class="someone-inside">
                    <input type="checkbox" name="someone_inside" value="1" checked=!echo("someone_inside").is_empty() />
                    <span>{td!(l, form.someone_inside)}</span>
                </label>
                <FieldError message=error("problem") />
            </fieldset>

            <fieldset>
                <legend>
                    <h2>{move || say(td_string!(l, form.where_are_you), td_string!(l, form.where_caller))}</h2>
                </legend>
                {(!for_caller).then(|| view! { <LocationMeter fix /> })}
                <label class="field">
                    <span>{td!(l, form.place)}</span>
                    <textarea
                        name="place"
                        rows="2"
                        maxlength=MAX_PLACE
                        placeholder=move || td_string!(l, form.place_hint)
                    >
                        {echo("place")}
                    </textarea>
                </label>
                <FieldError message=error("place") />
                {move || {
                    place_missing
                        .get()
                        .then(|| {
                            view! {
                                <p class="field-error" role="alert">
                                    {say(
                                        td_string!(l, form.no_location),
                                        td_string!(l, form.no_location_caller),
                                    )}
                                </p>
                            }
                        })
                }}
                <details class="coords" open=for_caller || error("location").is_some()>
                    <summary>{move || say(td_string!(l, form.know_coords), td_string!(l, form.know_coords_caller))}</summary>
                    <label class="field">
                        <span>{td!(l, form.lat_lon)}</span>
                        <input name="coords" inputmode="decimal" placeholder="52.5200, 13.4050" value=echo("coords") />
                    </label>
                </details>
                <FieldError message=error("location") />
                <label class="field">
                    <span>{td!(l, form.reach_notes)}</span>
                    <textarea
                        name="access_notes"
                        rows="2"
                        maxlength=MAX_PLACE
                        placeholder=move || td_string!(l, form.reach_notes_hint)
                    >
                        {echo("access_notes")}
                    </textarea>
                </label>
                <FieldError message=error("access_notes") />
            </fieldset>

            <fieldset>
                <legend>
                    <h2>{move || say(td_string!(l, form.reach_you), td_string!(l, form.reach_caller))}</h2>
                </legend>
                <label class="field">
                    <span>{td!(l, form.phone)}</span>
                    <input
                        name="phone"
                        type="tel"
                        autocomplete="tel"
                        inputmode="tel"
                        required
                        maxlength="40"
                        value=echo("phone")
                    />
                </label>
                <FieldError message=error("phone") />
                <label class="field">
                    <span>{td!(l, form.name)}</span>
                    <input name="name" autocomplete="name" maxlength=MAX_SHORT value=echo("name") />
                </label>
                <FieldError message=error("name") />
                {for_caller
                    .then(|| {
                        // Texts and calls go out in the caller's language, which need not be dispatch's.
                        let chosen = Some(echo("language")).filter(|c| !c.is_empty()).unwrap_or_else(|| {
                            leptos_i18n::Locale::as_str(crate::page_locale()).to_owned()
                        });
                        let option = |tag: &'static str, name: &'static str| {
                            view! { <option value=tag selected=chosen == tag>{name}</option> }
                        };
                        view! {
                            <label class="field">
                                <span>{td!(l, form.caller_language)}</span>
                                <select name="language">{option("en", "English")} {option("ru", "Русский")}</select>
                            </label>
                            <FieldError message=error("language") />
                        }
                            .into_any()
                    })}
            </fieldset>

            <fieldset class="vehicle">
                <legend>
                    <h2>{move || say(td_string!(l, form.your_vehicle), td_string!(l, form.their_vehicle))}</h2>
                </legend>
                <div class="pair">
                    {[("make", td_string!(l, form.make)), ("model", td_string!(l, form.model)), ("colour", td_string!(l, form.colour)), ("plate", td_string!(l, form.plate))]
                        .into_iter()
                        .map(|(part, label)| {
                            let name = format!("vehicle_{part}");
                            view! {
                                <label class="field">
                                    <span>{label}</span>
                                    <input name=name.clone() maxlength=MAX_SHORT value=echo(&name) />
                                    <FieldError message=error(&format!("vehicle.{part}")) />
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                <label class="field">
                    <span>{td!(l, form.anything_else)}</span>
                    <textarea name="notes" rows="2" maxlength=MAX_NOTES placeholder=move || td_string!(l, form.anything_else_hint)>
                        {echo("notes")}
                    </textarea>
                </label>
                <FieldError message=error("notes") />
            </fieldset>

            {move || {
                offline_sms
                    .get()
                    .map(|href| {
                        view! {
                            <div class="offline" role="alert">
                                <p>
                                    <strong>{td!(l, form.no_connection)}</strong>
                                    {td!(l, form.keep_open)}
                                </p>
                                <a class="button" href=href>
                                    {td!(l, form.send_by_text)}
                                </a>
                            </div>
                        }
                    })
            }}
            <div class="send-bar">
                <button type="submit" class="send" disabled=move || sending.get()>
                    {move || match (sending.get(), for_caller) {
                        (true, _) => td_string!(l, form.sending),
                        (false, false) => td_string!(l, form.send),
                        (false, true) => td_string!(l, form.create),
                    }}
                </button>
            </div>
        </form>
    }
}

#[component]
fn FieldError(message: Option<String>) -> impl IntoView {
    message.map(|m| view! { <p class="field-error">{m}</p> })
}

/// The request as one text message: what, where (with the fix), who.
#[cfg(feature = "hydrate")]
fn sms_text(form: &web_sys::HtmlFormElement, fix: Fix) -> String {
    use crate::i18n::td_string;
    let l = crate::page_locale();
    let value = |name: &str| crate::browser::form_value(form, name).unwrap_or_default().trim().to_owned();
    let problem = Problem::parse(&crate::browser::checked_value(form, "problem").unwrap_or_default())
        .map_or(td_string!(l, sms_draft.help_needed), |p| crate::texts::problem(l, p));
    let mut lines = vec![format!("roadcall: {problem}")];
    if crate::browser::checked_value(form, "someone_inside").is_some() {
        lines.push(td_string!(l, sms_draft.emergency).to_owned());
    }
    if let Some((lat, lon, accuracy)) = fix.coordinates() {
        let (lat, lon, m) = (format!("{lat:.5}"), format!("{lon:.5}"), accuracy.round());
        lines.push(td_string!(l, sms_draft.location, lat, lon, m).to_string());
    }
    let labels = [
        (td_string!(l, sms_draft.place), "place"),
        (td_string!(l, sms_draft.coordinates), "coords"),
        (td_string!(l, sms_draft.access), "access_notes"),
        (td_string!(l, sms_draft.phone), "phone"),
    ];
    for (label, name) in labels {
        let v = value(name);
        if !v.is_empty() {
            lines.push(format!("{label}: {v}"));
        }
    }
    lines.join("\n")
}

/// Simple line icons (24×24 paths): emoji differ between phones and are missing on some.
fn icon(p: Problem) -> &'static str {
    match p {
        // A wheel: tyre, rim, hub.
        Problem::FlatTire => {
            "M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20zm0 5a5 5 0 1 1 0 10a5 5 0 1 1 0-10zm0 3.5a1.5 1.5 0 1 0 0 3a1.5 1.5 0 1 0 0-3z"
        }
        // A battery with its two terminals and a plus.
        Problem::Battery => "M3 7h18v13H3zM6 4h3v3H6zm9 0h3v3h-3zM7 13h4m-2-2v4m6-2h3",
        // A key.
        Problem::Lockout => "M8 9a4 4 0 1 0 0.01 0zM11.5 12.5 21 12.5m-3 0v3m-3-3v2",
        Problem::Fuel => "M4 21V4h9v17zM13 9h3l2 2v7a1.5 1.5 0 0 0 3 0V8l-3-3M6 7h5v4H6z",
        Problem::Tow => "M2 16h12V9H2zm12 0h6v-4l-3-3h-3M5 19a2 2 0 1 0 0.01 0M17 19a2 2 0 1 0 0.01 0",
        // A question mark in a circle.
        Problem::Other => {
            "M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20zM9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.7.4-1 1-1 1.7v.5M12 17v.5"
        }
    }
}

/// The idempotency key that makes a double tap or a retried post harmless. The server draws it so the form
/// works without JavaScript; in the browser the attribute is left as the server wrote it.
fn initial_key(echoed: String) -> String {
    #[cfg(feature = "ssr")]
    if echoed.is_empty() {
        use rand::Rng;
        let mut rng = rand::rng();
        return format!("{:032x}", rng.random::<u128>());
    }
    echoed
}
