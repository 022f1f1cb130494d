//! The customer's two screens: ask for help, then watch it come.

mod location;
mod request_form;
mod status;

pub use request_form::{HelpForm, RequestHelpPage};
pub use status::StatusPage;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::FieldError;

/// A refused form drawn again with what was typed and why. The server hands it to the page inside the refusal's
/// own answer (and the page's serialized data), never through the URL: a phone number or a gate code must not
/// end up in a browser's history, a proxy's log or a Referer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FormEcho {
    pub values: BTreeMap<String, String>,
    pub errors: Vec<FieldError>,
}

impl FormEcho {
    pub fn value(&self, name: &str) -> String {
        self.values.get(name).cloned().unwrap_or_default()
    }

    pub fn error(&self, field: &str) -> Option<String> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.clone())
    }

    /// The echo the server put in this page's context, if this page answers a refusal. Only the server draws
    /// pages; the island reads the echo from its props.
    pub fn from_context() -> FormEcho {
        #[cfg(feature = "ssr")]
        {
            leptos::prelude::use_context::<FormEcho>().unwrap_or_default()
        }
        #[cfg(not(feature = "ssr"))]
        {
            FormEcho::default()
        }
    }
}
