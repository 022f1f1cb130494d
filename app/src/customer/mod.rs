//! The customer's two screens: ask for help, then watch it come.

mod location;
mod request_form;
mod status;

pub use request_form::{HelpForm, RequestHelpPage};
pub use status::StatusPage;
