//! Every server test over real HTTP and the real binary, in one test binary: one link instead of thirteen,
//! which is most of the test build's time and disk (matklad, "Delete Cargo Integration Tests").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod at_scale;
mod cli;
mod connections;
mod crash;
mod customer_flow;
mod dispatch;
mod fuzz;
mod group_commit;
mod instances;
mod languages;
mod limits;
mod logins;
mod migrations;
mod partner_api;
mod partner_keys;
mod personal_data;
mod push_endpoints;
mod staff_feeds;
mod static_files;
mod technician;
mod texts;
