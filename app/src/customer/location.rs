//! The location quality meter: the fix, its accuracy in metres, and what the customer should do about it.

use leptos::prelude::*;

use crate::{Locale, i18n::td_string, page_locale};

/// Only the browser ever finds a position; the server always renders "Waiting".
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fix {
    /// Not asked yet: the phone is asked once the customer picks what happened.
    Waiting,
    Locating,
    Found {
        lat: f64,
        lon: f64,
        accuracy_m: f64,
    },
    Denied,
    Unavailable,
}

impl Fix {
    pub fn coordinates(self) -> Option<(f64, f64, f64)> {
        match self {
            Fix::Found { lat, lon, accuracy_m } => Some((lat, lon, accuracy_m)),
            _ => None,
        }
    }

    /// A class for the meter's colour and the words beside it.
    fn reading(self, l: Locale) -> (&'static str, String) {
        match self {
            Fix::Waiting => ("waiting", td_string!(l, location.waiting).into()),
            Fix::Locating => ("locating", td_string!(l, location.locating).into()),
            Fix::Found { accuracy_m, .. } if accuracy_m <= 25.0 => {
                ("good", td_string!(l, location.good, m = accuracy_m.round()).to_string())
            }
            Fix::Found { accuracy_m, .. } if accuracy_m <= 150.0 => {
                ("fair", td_string!(l, location.fair, m = accuracy_m.round()).to_string())
            }
            Fix::Found { accuracy_m, .. } => ("poor", td_string!(l, location.poor, m = accuracy_m.round()).to_string()),
            Fix::Denied => ("none", td_string!(l, location.denied).into()),
            Fix::Unavailable => ("none", td_string!(l, location.unavailable).into()),
        }
    }
}

/// The meter, and the hidden fields that carry the fix with the form.
#[component]
pub fn LocationMeter(fix: ReadSignal<Fix>) -> impl IntoView {
    let l = page_locale();
    let reading = move || fix.get().reading(l);
    let field = move |pick: fn((f64, f64, f64)) -> f64| {
        move || fix.get().coordinates().map(pick).map(|v| v.to_string()).unwrap_or_default()
    };
    view! {
        <div class="meter" data-quality=move || reading().0 role="status" aria-live="polite">
            <span class="meter-dot" aria-hidden="true"></span>
            <span class="meter-text">{move || reading().1}</span>
        </div>
        // Without JavaScript there is no location service: say so instead of a promise to look.
        // (The waiting meter is hidden by `@media (scripting: none)` in the style sheet: no inline style.)
        <noscript inner_html=format!(
            "<p class='meter' data-quality='none'>{}</p>",
            td_string!(l, location.no_script),
        )></noscript>
        <input type="hidden" name="lat" prop:value=field(|c| c.0) />
        <input type="hidden" name="lon" prop:value=field(|c| c.1) />
        <input type="hidden" name="accuracy_m" prop:value=field(|c| c.2) />
    }
}
