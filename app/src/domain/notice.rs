//! Texts and calls: who is paged when push may not wake them, what the customer is told by SMS after closing
//! the page, the words of each message, and how a reply is read. Decided here, sent by the outbox.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::RequestNumber;
use super::{Event, Problem, Progress, RequestStatus, StatusView, first_name};

/// How a member of staff was reached, or answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    /// The app's own buttons.
    #[default]
    App,
    Push,
    Sms,
    Call,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::App => "app",
            Channel::Push => "push",
            Channel::Sms => "sms",
            Channel::Call => "call",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::App, Channel::Push, Channel::Sms, Channel::Call].into_iter().find(|c| c.as_str() == s)
    }
}

/// Who a page goes to: the same people the push alerts of the ladder's rungs reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every technician on duty.
    OnDuty,
    /// Backup technicians not on duty (those on duty heard the first alerts already).
    Backups,
    /// One member of staff.
    Member(i64),
    /// Every dispatcher and admin: the ladder's top rung pages people, whether or not a board is open.
    Dispatchers,
}

/// What a text or call is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A request nobody owns: take it or pass.
    Page,
    /// To the customer: we have it, here is the link.
    Received,
    /// To the customer: who is coming, and when.
    OnTheWay,
    /// To the customer: the technician is late, and we know.
    Late,
    /// To the customer: dispatch cancelled it, and why.
    Cancelled,
    /// To the customer: done; how did it go?
    FollowUp,
}

impl Purpose {
    pub const ALL: [Purpose; 6] =
        [Purpose::Page, Purpose::Received, Purpose::OnTheWay, Purpose::Late, Purpose::Cancelled, Purpose::FollowUp];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Page => "page",
            Purpose::Received => "received",
            Purpose::OnTheWay => "on_the_way",
            Purpose::Late => "late",
            Purpose::Cancelled => "cancelled",
            Purpose::FollowUp => "follow_up",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Where a text or call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    Pending,
    /// Taken by a sender, not yet handed to the provider.
    Claimed,
    /// Handed to the provider, no answer yet.
    Sending,
    /// The provider took it.
    Sent,
    /// The phone has it (a text), or the call was answered.
    Delivered,
    Failed,
    /// Not sent: nobody needed it any more, or the customer opted out.
    Cancelled,
}

impl SendState {
    pub fn as_str(self) -> &'static str {
        match self {
            SendState::Pending => "pending",
            SendState::Claimed => "claimed",
            SendState::Sending => "sending",
            SendState::Sent => "sent",
            SendState::Delivered => "delivered",
            SendState::Failed => "failed",
            SendState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<SendState> {
        [
            SendState::Pending,
            SendState::Claimed,
            SendState::Sending,
            SendState::Sent,
            SendState::Delivered,
            SendState::Failed,
            SendState::Cancelled,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

impl SendState {
    /// Past the sender: with the provider, or ended.
    pub fn settled(self) -> bool {
        matches!(self, SendState::Sent | SendState::Delivered | SendState::Failed | SendState::Cancelled)
    }
}

/// A text or call as dispatch sees it on the request's page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SentLine {
    pub channel: Channel,
    pub purpose: Purpose,
    /// The member paged; `None`: the customer.
    pub staff: Option<String>,
    pub state: SendState,
    pub attempts: i64,
    pub body: Option<String>,
    pub detail: Option<String>,
    /// When it was queued, and when its state last moved (unix ms).
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an event sets going besides push: pages for a request nobody owns, a text to the customer, or the end
/// of the paging once someone owns it (or it is closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// Each member of the audience with a mobile number: a text, then a call, while the wait that began at
    /// `wait_began` (unix ms; `None`: with this event) lasts. Once per member and wait, however many rungs alert
    /// them again.
    Page {
        audience: Audience,
        wait_began: Option<i64>,
    },
    Customer(Purpose),
    StopPaging,
}

impl Outgoing {
    /// What `event` sets going, `before` being the request's state before it. A new request is `Received`.
    pub fn after(before: &Progress, event: &Event) -> Vec<Outgoing> {
        use super::ALARM;
        match event {
            Event::Received => {
                vec![
                    Outgoing::Page { audience: Audience::OnDuty, wait_began: None },
                    Outgoing::Customer(Purpose::Received),
                ]
            }
            Event::Released { .. } => vec![Outgoing::Page { audience: Audience::OnDuty, wait_began: None }],
            Event::Accepted { .. } | Event::Assigned { .. } | Event::Done { .. } => {
                let mut out = vec![Outgoing::StopPaging];
                if matches!(event, Event::Done { .. }) {
                    out.push(Outgoing::Customer(Purpose::FollowUp));
                }
                out
            }
            Event::Cancelled { reason } => {
                let mut out = vec![Outgoing::StopPaging];
                if reason.is_some() {
                    out.push(Outgoing::Customer(Purpose::Cancelled));
                }
                out
            }
            Event::OnTheWay { .. } => vec![Outgoing::Customer(Purpose::OnTheWay)],
            Event::Escalated { level, .. } => match before.status() {
                RequestStatus::Received => {
                    let audience = match *level {
                        1 => Audience::OnDuty,
                        2 => Audience::Backups,
                        l if l >= ALARM => Audience::Dispatchers,
                        _ => return vec![],
                    };
                    vec![Outgoing::Page { audience, wait_began: Some(before.since) }]
                }
                // The first rung of a late job: the customer hears that we know, before they have to ask.
                RequestStatus::OnTheWay if *level == 1 => vec![Outgoing::Customer(Purpose::Late)],
                _ => vec![],
            },
            Event::CallbackRequested
            | Event::CallbackMade
            | Event::EtaChanged { .. }
            | Event::Arrived
            | Event::ArrivalConfirmed
            | Event::FollowUp { .. }
            | Event::Declined { .. }
            | Event::Seen { .. } => vec![],
        }
    }
}

/// What the server fills in a message: where links point, and the number behind "call us".
#[derive(Clone, Debug)]
pub struct Wording<'a> {
    pub public_url: &'a str,
    pub call_us: &'a str,
}

/// The code a technician replies with to take a job: the request number without `RC-`.
pub fn reply_code(number: &str) -> &str {
    number.strip_prefix("RC-").unwrap_or(number)
}

impl Wording<'_> {
    /// The text paging a member of staff about a request nobody owns.
    pub fn page_text(&self, v: &StatusView, job_path: &str) -> String {
        let urgent = if v.someone_inside { "EMERGENCY, child or pet inside. " } else { "" };
        let code = reply_code(&v.number);
        // Two segments, unless the place would be cut shorter than a few words to fit: a Cyrillic place makes
        // the whole text UCS-2, and then three it is.
        fitted(&place(v), 2, 24, |place| {
            format!(
                "roadcall: {urgent}{} {} waiting, {place}. Reply {code} to take it, NO {code} to pass. {}{job_path}",
                v.problem.label(),
                v.number,
                self.public_url,
            )
        })
    }

    /// The text paging a dispatcher or admin at the ladder's top rung: theirs is to find someone, not to drive.
    pub fn alarm_text(&self, v: &StatusView, request_path: &str) -> String {
        let urgent = if v.someone_inside { "EMERGENCY, child or pet inside. " } else { "" };
        fitted(&place(v), 2, 24, |place| {
            format!(
                "roadcall ALARM: {urgent}{} {} has nobody on it, {place}. Assign someone or call the customer: {}{request_path}",
                v.problem.label(),
                v.number,
                self.public_url,
            )
        })
    }

    /// What an alarm call to dispatch says.
    pub fn alarm_speech(&self, v: &StatusView) -> String {
        let urgent = if v.someone_inside { " Emergency: a child or a pet is inside." } else { "" };
        format!(
            "Roadcall alarm. A request has nobody on it: {}, {}.{urgent} Open the dispatch board, assign someone or \
             call the customer.",
            spoken(v.problem),
            short(&place(v), 80),
        )
    }

    /// What a call says before it asks for a key.
    pub fn page_speech(&self, v: &StatusView) -> String {
        let urgent = if v.someone_inside { " Emergency: a child or a pet is inside." } else { "" };
        let spelled: Vec<String> = reply_code(&v.number).chars().map(String::from).collect();
        format!(
            "Roadcall. A request is waiting for a technician: {}, {}.{urgent} Request {}. Press 1 to take it. \
             Press 2 to pass.",
            spoken(v.problem),
            short(&place(v), 80),
            spelled.join(" "),
        )
    }

    /// The text to the customer for `purpose` at `now` (unix ms), or `None` when there is nothing to say (no
    /// technician named).
    pub fn customer_text(&self, purpose: Purpose, v: &StatusView, status_path: &str, now: i64) -> Option<String> {
        let link = format!("{}{status_path}", self.public_url);
        let number = &v.number;
        Some(match purpose {
            Purpose::Page => return None,
            Purpose::Received => format!("roadcall: we have your request {number}. Follow it here: {link}"),
            Purpose::OnTheWay => {
                let who = v.technician.as_deref().map(first_name)?;
                // To the nearest minute: sent a moment after "25 min" was pressed, it still says 25.
                let minutes = v.eta_at.map(|eta| (eta - now + 30_000).div_euclid(60_000)).unwrap_or(0);
                let when = if minutes > 0 { format!(", arriving in about {minutes} min") } else { String::new() };
                let text = format!("roadcall {number}: {who} is on the way{when}. {link}");
                // A name outside GSM-7 (Cyrillic, say) makes it UCS-2: then the link page says when.
                if segments(&text) <= 2 { text } else { format!("roadcall {number}: {who} is on the way. {link}") }
            }
            Purpose::Late => {
                format!(
                    "roadcall {number}: your technician is running late. We are on it and will keep you posted. {link}"
                )
            }
            Purpose::Cancelled => {
                let reason = v.timeline.iter().rev().find_map(|e| match &e.event {
                    Event::Cancelled { reason: Some(r) } => Some(r),
                    _ => None,
                })?;
                fitted(reason, 2, 3, |reason| {
                    format!("roadcall {number} was cancelled: {reason}. Still need help? Call {}", self.call_us)
                })
            }
            Purpose::FollowUp => format!("roadcall {number}: done. How did it go? Tell us in one tap: {link}"),
        })
    }
}

fn place(v: &StatusView) -> String {
    match (&v.place, v.accuracy_m) {
        (Some(place), _) => place.clone(),
        (None, Some(_)) => "GPS location in the app".to_owned(),
        (None, None) => "location in the app".to_owned(),
    }
}

fn spoken(problem: Problem) -> &'static str {
    match problem {
        Problem::FlatTire => "a flat tire",
        Problem::Battery => "a battery, the car won't start",
        Problem::Lockout => "locked out",
        Problem::Fuel => "out of fuel",
        Problem::Tow => "needs a tow",
        Problem::Other => "something else",
    }
}

/// At most `max` characters, with "..." when cut (three dots: an ellipsis character would make the whole text
/// UCS-2, more than twice as long in segments).
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(3)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push_str("...");
    cut
}

/// The text `make` writes around `part`, with `part` shortened until the text fits `most` segments, but not
/// below `least` characters.
fn fitted(part: &str, most: usize, least: usize, make: impl Fn(&str) -> String) -> String {
    let mut max = part.chars().count();
    loop {
        let text = make(&short(part, max));
        if segments(&text) <= most || max <= least {
            return text;
        }
        max -= max.div_ceil(8).max(1);
    }
}

/// How many SMS segments a text takes: GSM-7 (160 alone, 153 each when split; the extension characters count
/// twice) unless any character is outside it, then UCS-2 (70 alone, 67 each; counted in UTF-16 units).
pub fn segments(text: &str) -> usize {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENDED: &str = "^{}\\[~]|€\u{c}";
    let gsm: Option<usize> = text
        .chars()
        .map(|c| {
            if BASIC.contains(c) {
                Some(1)
            } else if EXTENDED.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (units, single, each) = match gsm {
        Some(septets) => (septets, 160, 153),
        None => (text.encode_utf16().count(), 70, 67),
    };
    if units <= single { 1 } else { units.div_ceil(each) }
}

/// What a member of staff's reply to a page says.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Take(RequestNumber),
    Pass(RequestNumber),
}

/// Reads "7K3Q", "yes 7k3q", "RC-7K3Q", "no 7K3Q", "NO RC 7K3Q": the number, and whether it is a pass.
#[cfg(feature = "ssr")]
pub fn read_reply(body: &str) -> Option<Reply> {
    let words: Vec<String> = body
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .filter(|w| !w.is_empty())
        .map(str::to_uppercase)
        .collect();
    let pass = words.iter().any(|w| matches!(w.as_str(), "NO" | "PASS" | "2"));
    let rest: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !matches!(*w, "NO" | "PASS" | "YES" | "OK" | "TAKE" | "1" | "2"))
        .collect();
    let code = rest.join(" ");
    // The code as the text gave it first: a code that itself begins with RC ("RC7K") is not a number's prefix.
    let number = RequestNumber::parse(&format!("RC-{code}")).or_else(|| RequestNumber::parse(&code))?;
    Some(if pass { Reply::Pass(number) } else { Reply::Take(number) })
}

/// A customer's reply that stops or starts our texts, as carriers and Twilio read them: one word.
pub fn opt_out_word(body: &str) -> Option<bool> {
    match body.trim().to_uppercase().as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "REVOKE" | "OPTOUT" => Some(true),
        "START" | "YES" | "UNSTOP" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        EventKind,
        status::tests::{entry, view},
    };

    const WORDS: Wording<'static> =
        Wording { public_url: "https://help.example-roadside-company.com", call_us: "+1 202 555 0100" };

    #[test]
    fn segments_count_as_carriers_do() {
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
        assert_eq!(segments(&"€".repeat(80)), 1, "an extension character counts twice");
        assert_eq!(segments(&"€".repeat(81)), 2);
        assert_eq!(segments(&"я".repeat(70)), 1, "Cyrillic is UCS-2");
        assert_eq!(segments(&"я".repeat(71)), 2);
        assert_eq!(segments(&"я".repeat(134)), 2);
        assert_eq!(segments(&"я".repeat(135)), 3);
        assert_eq!(segments("🚗"), 1);
        assert_eq!(segments(&"🚗".repeat(36)), 2, "a character beyond the BMP is two UTF-16 units");
    }

    #[test]
    fn every_text_fits_two_segments_even_with_long_places_and_reasons() {
        let ana = Some((7, "Anastasia Lima-Vasconcelos"));
        let mut v = view(
            "RC-7K3QA",
            vec![
                entry(EventKind::Received, 0, None, None),
                entry(EventKind::Accepted, 1_000, ana, None),
                entry(EventKind::OnTheWay, 2_000, ana, Some(45)),
            ],
        );
        v.place = Some("Interstate 95 northbound between exits 4 and 5, by the blue sign, past the bridge. ".repeat(2));
        v.someone_inside = true;
        let status = "/r/ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let page = WORDS.page_text(&v, "/tech/jobs/RC-7K3QA");
        assert_eq!(segments(&page), 2, "{page}");
        assert!(page.contains("Reply 7K3QA to take it"), "{page}");
        assert!(page.contains("Interstate 95 northbound between exits 4 and 5") && page.contains("..."), "{page}");
        let on_way = WORDS.customer_text(Purpose::OnTheWay, &v, status, 2_000).unwrap_or_default();
        assert_eq!(
            on_way,
            "roadcall RC-7K3QA: Anastasia is on the way, arriving in about 45 min. \
             https://help.example-roadside-company.com/r/ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        );
        v.place = Some("Трасса М-4 «Дон», 712-й километр, у синего указателя на Воронеж, за мостом".into());
        let page = WORDS.page_text(&v, "/tech/jobs/RC-7K3QA");
        assert!(segments(&page) <= 3, "a Cyrillic place is counted as UCS-2 and shortened to fit: {page}");
        assert!(page.contains("Трасса М-4") && page.contains("..."), "{page}");
        let russian = Some((8, "Анастасия Петрова"));
        v.timeline
            .extend([entry(EventKind::Released, 2_500, ana, None), entry(EventKind::Accepted, 2_600, russian, None)]);
        v.timeline.push(entry(EventKind::OnTheWay, 2_700, russian, Some(45)));
        v.derive();
        let on_way = WORDS.customer_text(Purpose::OnTheWay, &v, status, 2_700).unwrap_or_default();
        assert!(on_way.starts_with("roadcall RC-7K3QA: Анастасия is on the way."), "{on_way}");
        assert!(segments(&on_way) <= 2, "{on_way}");
        v.timeline.push(crate::domain::event::tests::recorded(
            Event::Cancelled {
                reason: Some("Клиент уехал сам, помощь больше не нужна, спасибо".repeat(3))
            },
            3_000,
            Some((9, "Dee Okafor")),
        ));
        for purpose in Purpose::ALL {
            if let Some(text) = WORDS.customer_text(purpose, &v, status, 3_000) {
                assert!(segments(&text) <= 2, "{purpose:?}: {text}");
                assert!(!text.contains("Lima"), "first names only: {text}");
            }
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn replies_name_the_job_and_say_take_or_pass() {
        let n = |s: &str| RequestNumber::parse(s).unwrap_or_else(|| unreachable!("test number {s}"));
        assert_eq!(read_reply("7k3q"), Some(Reply::Take(n("7K3Q"))));
        assert_eq!(read_reply(" Yes RC-7K3Q. "), Some(Reply::Take(n("7K3Q"))));
        assert_eq!(read_reply("no 7K3Q"), Some(Reply::Pass(n("7K3Q"))));
        assert_eq!(read_reply("NO RC 7K3Q"), Some(Reply::Pass(n("7K3Q"))));
        assert_eq!(read_reply("rc7k"), Some(Reply::Take(n("RC-RC7K"))), "a code that begins with RC");
        assert_eq!(read_reply("RC-RC7K"), Some(Reply::Take(n("RC-RC7K"))));
        assert_eq!(read_reply("2 7K3Q"), Some(Reply::Pass(n("7K3Q"))));
        assert_eq!(read_reply("rc7k"), Some(Reply::Take(n("RC-RC7K"))), "a code that begins with RC");
        assert_eq!(read_reply("RC-RC7K"), Some(Reply::Take(n("RC-RC7K"))));
        assert_eq!(read_reply("2 7K3Q"), Some(Reply::Pass(n("7K3Q"))));
        assert_eq!(read_reply("hello"), None);
        assert_eq!(read_reply(""), None);
        assert_eq!(opt_out_word(" stop "), Some(true));
        assert_eq!(opt_out_word("START"), Some(false));
        assert_eq!(opt_out_word("stop please"), None, "one word only, as carriers read it");
    }

    #[test]
    fn paging_starts_with_a_wait_and_stops_with_an_owner() {
        use crate::domain::{Event, status::tests::entry};
        let waiting = Progress::fold(&[entry(EventKind::Received, 5, None, None)]);
        assert_eq!(
            Outgoing::after(&waiting, &Event::Escalated { level: 2, note: String::new() }),
            [Outgoing::Page { audience: Audience::Backups, wait_began: Some(5) }],
            "a rung pages for the same wait: nobody is paged twice for it"
        );
        assert_eq!(Outgoing::after(&waiting, &Event::Accepted { via: Channel::Sms }), [Outgoing::StopPaging]);
        let late = Progress::fold(&[
            entry(EventKind::Received, 0, None, None),
            entry(EventKind::Accepted, 1, Some((1, "Ana")), None),
            entry(EventKind::OnTheWay, 2, Some((1, "Ana")), Some(10)),
        ]);
        assert_eq!(
            Outgoing::after(&late, &Event::Escalated { level: 1, note: String::new() }),
            [Outgoing::Customer(Purpose::Late)]
        );
        assert_eq!(Outgoing::after(&late, &Event::Escalated { level: 2, note: String::new() }), []);
        assert_eq!(Outgoing::after(&late, &Event::Cancelled { reason: None }), [Outgoing::StopPaging]);
    }
}
