//! Dispatch's pages: the live board of every open request with the escalation alarm, the callback queue, the
//! crew and roster; and one request with the dispatcher's actions.

mod board;
mod request;

pub use board::DispatchPage;
pub use request::DispatchRequestPage;
