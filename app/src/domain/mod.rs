//! The domain core: what a help request is, what makes one valid, and the order of a job's steps. Knows nothing of HTTP, HTML or SQL.

mod checklist;
mod dispatch;
mod draft;
mod escalation;
pub(crate) mod event;
mod job;
mod notice;
mod problem;
mod report;
mod staff;
pub(crate) mod status;
mod text;
mod zone;

#[cfg(feature = "ssr")]
mod phone;
#[cfg(feature = "ssr")]
mod reference;

pub use checklist::{ChecklistRefusal, ChecklistTemplate, EVERY_JOB, MAX_LINES as MAX_CHECKLIST_LINES, TemplateLine};
pub use dispatch::{
    BOARD_PAGE, DelaysRefusal, DispatchAction, DispatchBoard, DispatchRefusal, DispatchView, Found, RosterLine, Setup,
    StaffLine, Texting, UnreadableRequest, alert_delays, dispatch_order, page_number, waiting_order,
};
pub use draft::{FieldError, HelpRequestDraft, LocationDraft, Vehicle};
pub use escalation::{ALARM, Concern, Ladder, Rung};
pub use event::{Actor, Event, EventKind, Recorded, StaffName};
pub use job::{
    Board, CheckLine, CrewMember, JobAction, JobCard, JobView, MAX_ETA_MINUTES, Refusal, distance_m, navigation_links,
};
pub use notice::{
    Audience, Channel, Outgoing, Purpose, SendNote, SendState, SentLine, Trouble, fitted, opt_out_word, reply_code,
    segments, short,
};
#[cfg(feature = "ssr")]
pub use notice::{Reply, read_reply};
pub use problem::Problem;
pub use report::{MAX_REPORT_DAYS, RangeRefusal, Report, ReportRange, ReportRow, RequestFacts, utc_time_ms};
pub use staff::{LocalPath, LoginRefusal, MIN_PASSWORD, NewStaff, Role, StaffMember, StaffRefusal};
pub use status::{FollowUpRefusal, Progress, RequestStatus, StatusView, first_name};
pub use text::{MAX_NOTES, MAX_PLACE, MAX_SHORT, TextProblem};
pub use zone::{Change, Zone, parse_date};

#[cfg(feature = "ssr")]
pub use draft::{Coordinates, CoordinatesRefusal, FieldReason, FieldRefusal, MAX_ACCURACY_M, NewHelpRequest};
#[cfg(feature = "ssr")]
pub use phone::{Phone, PhoneRefusal, Region};
#[cfg(feature = "ssr")]
pub use reference::{RequestNumber, StatusToken};
