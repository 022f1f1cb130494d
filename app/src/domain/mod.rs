//! The domain core: what a help request is and what makes one valid. Knows nothing of HTTP, HTML or SQL.

mod draft;
mod problem;
mod status;
mod text;

#[cfg(feature = "ssr")]
mod phone;
#[cfg(feature = "ssr")]
mod reference;

pub use draft::{FieldError, HelpRequestDraft, LocationDraft, Vehicle};
pub use problem::Problem;
pub use status::{Actor, EventKind, RequestStatus, StatusView, TimelineEntry};
pub use text::{MAX_NOTES, MAX_PLACE, MAX_SHORT};

#[cfg(feature = "ssr")]
pub use draft::{Coordinates, NewHelpRequest};
#[cfg(feature = "ssr")]
pub use phone::{Phone, Region};
#[cfg(feature = "ssr")]
pub use reference::{RequestNumber, StatusToken};
