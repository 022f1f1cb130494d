//! The technician's phone: the board (on duty, new requests live with sound, own jobs) and the job screen.

mod board;
mod job;

pub use board::BoardPage;
pub use job::JobPage;
