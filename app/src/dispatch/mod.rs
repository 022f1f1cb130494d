//! Dispatch's pages: the live board of every open request with the escalation alarm, the callback queue, the
//! crew and roster; and one request with the dispatcher's actions.

mod board;
mod phone_in;
mod reports;
mod request;
mod setup;

pub use board::DispatchPage;
pub use phone_in::PhoneInPage;
pub use reports::ReportsPage;
pub use request::DispatchRequestPage;
pub use setup::SetupPage;
