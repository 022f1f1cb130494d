//! Every address the product answers, named once: the server's router mounts these patterns, the pages link
//! and post with them (`at` fills the one `{…}` part), the tests call them. The Leptos page routes in `lib.rs`
//! repeat a few as `path!` literals, which the macro needs.

// The customer.
pub const HOME: &str = "/";
/// The customer's form posts here (and comes back here with the reasons when refused).
pub const SEND: &str = "/request";
/// The language switch on every page: a plain form post that sets a cookie and goes back.
pub const LANGUAGE: &str = "/language";
pub const STATUS: &str = "/r/{token}";
/// The status page's data as JSON, for the page when reached without a reload; the feed sends the same.
pub const STATUS_VIEW: &str = "/r/{token}/view";
pub const STATUS_EVENTS: &str = "/r/{token}/events";
pub const CANCEL: &str = "/r/{token}/cancel";
pub const CALL_ME_BACK: &str = "/r/{token}/callback";
pub const FOLLOW_UP: &str = "/r/{token}/follow-up";

// Partners.
pub const API_REQUESTS: &str = "/api/v1/requests";
pub const API_REQUEST: &str = "/api/v1/requests/{token}";
pub const API_DOCUMENT: &str = "/api/v1/openapi.json";

// The text and call provider's webhooks.
pub const TWILIO_STATUS: &str = "/twilio/status";
pub const TWILIO_SMS: &str = "/twilio/sms";
pub const TWILIO_CALL: &str = "/twilio/calls/{id}";

// Staff.
pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const TECH: &str = "/tech";
pub const TECH_DUTY: &str = "/tech/duty";
pub const TECH_JOB: &str = "/tech/jobs/{number}";
pub const TECH_JOB_STEP: &str = "/tech/jobs/{number}/step";
pub const TECH_JOB_CHECK: &str = "/tech/jobs/{number}/check";
/// The query a job alert's link carries: the job was opened from the alert.
pub const FROM_ALERT: &str = "seen=push";
pub const PUSH_SUBSCRIBE: &str = "/tech/push/subscribe";
pub const PUSH_TEST: &str = "/tech/push/test";
pub const DISPATCH: &str = "/dispatch";
pub const DISPATCH_NEW: &str = "/dispatch/new";
pub const DISPATCH_REPORTS: &str = "/dispatch/reports";
pub const DISPATCH_REPORTS_CSV: &str = "/dispatch/reports.csv";
pub const DISPATCH_SETUP: &str = "/dispatch/setup";
pub const DISPATCH_REQUEST: &str = "/dispatch/requests/{number}";
pub const DISPATCH_ACT: &str = "/dispatch/requests/{number}/act";
pub const DISPATCH_ROSTER: &str = "/dispatch/roster";
pub const DISPATCH_PHONE_IN: &str = "/dispatch/phone-in";
pub const DISPATCH_STAFF_ALERTS: &str = "/dispatch/staff/alerts";
pub const DISPATCH_CHECKLISTS: &str = "/dispatch/checklists";

// What the staff pages read (JSON) and listen to (server-sent events).
pub const STAFF_BOARD: &str = "/staff/api/board";
pub const STAFF_BOARD_EVENTS: &str = "/staff/api/board/events";
pub const STAFF_PUSH: &str = "/staff/api/push";
pub const STAFF_JOB: &str = "/staff/api/jobs/{number}";
pub const STAFF_JOB_EVENTS: &str = "/staff/api/jobs/{number}/events";
pub const STAFF_DISPATCH: &str = "/staff/api/dispatch";
pub const STAFF_DISPATCH_EVENTS: &str = "/staff/api/dispatch/events";
pub const STAFF_DISPATCH_ME: &str = "/staff/api/dispatch/me";
pub const STAFF_DISPATCH_REPORTS: &str = "/staff/api/dispatch/reports";
pub const STAFF_DISPATCH_SETUP: &str = "/staff/api/dispatch/setup";
pub const STAFF_DISPATCH_SEARCH: &str = "/staff/api/dispatch/search";
pub const STAFF_DISPATCH_REQUEST: &str = "/staff/api/dispatch/requests/{number}";
pub const STAFF_DISPATCH_REQUEST_EVENTS: &str = "/staff/api/dispatch/requests/{number}/events";

pub const HEALTH: &str = "/healthz";

/// The pattern with its one `{…}` part filled: `at(STATUS, token)` is `/r/<token>`. The value is
/// percent-encoded but for the characters our numbers and tokens use, so whatever a client typed into a path
/// comes back as a valid address (a redirect built from it can never be a broken header).
pub fn at(pattern: &str, value: &str) -> String {
    let encoded: String = value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    match (pattern.find('{'), pattern.find('}')) {
        (Some(open), Some(close)) if open < close => format!("{}{encoded}{}", &pattern[..open], &pattern[close + 1..]),
        _ => pattern.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_fills_the_one_part() {
        assert_eq!(at(STATUS, "abc"), "/r/abc");
        assert_eq!(at(STATUS_EVENTS, "abc"), "/r/abc/events");
        assert_eq!(at(DISPATCH_ACT, "RC-7K3Q"), "/dispatch/requests/RC-7K3Q/act");
        assert_eq!(at(HOME, "x"), "/");
    }

    #[test]
    fn at_encodes_what_a_client_typed() {
        assert_eq!(at(TECH_JOB, "RC-7K3Q\n/../x y"), "/tech/jobs/RC-7K3Q%0A%2F..%2Fx%20y");
        assert_eq!(at(TECH_JOB, "ré"), "/tech/jobs/r%C3%A9");
    }
}
