//! The domain core: what a help request is, what makes one valid, and the order of a job's steps. Knows nothing of HTTP, HTML or SQL.

mod draft;
mod job;
mod problem;
mod staff;
mod status;
mod text;

#[cfg(feature = "ssr")]
mod phone;
#[cfg(feature = "ssr")]
mod reference;

pub use draft::{FieldError, HelpRequestDraft, LocationDraft, Vehicle};
pub use job::{
    Board, CheckLine, CrewMember, JobAction, JobCard, JobView, MAX_ETA_MINUTES, Refusal, Step, distance_m,
    navigation_links,
};
pub use problem::Problem;
pub use staff::{MIN_PASSWORD, NewStaff, Role, StaffMember};
pub use status::{Actor, EventKind, Progress, RequestStatus, StatusView, TimelineEntry, first_name};
pub use text::{MAX_NOTES, MAX_PLACE, MAX_SHORT};

#[cfg(feature = "ssr")]
pub use draft::{Coordinates, NewHelpRequest};
#[cfg(feature = "ssr")]
pub use phone::{Phone, Region};
#[cfg(feature = "ssr")]
pub use reference::{RequestNumber, StatusToken};
