//! Texts and calls: who is paged when push may not wake them, what the customer is told by SMS after closing
//! the page, how long a text may be, and how a reply is read. Decided here, worded by `texts`, sent by the outbox.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::RequestNumber;
use super::{Event, Progress, RequestStatus};

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
    pub detail: Option<SendNote>,
    /// When it was queued, and when its state last moved (unix ms).
    pub created_at: i64,
    pub updated_at: i64,
}

/// Why a text or call stands where it does, for dispatch: kept as facts (`outbox.detail`) and said in each
/// reader's language by `texts::send_note`. The provider's and the network's own words are quoted as they came.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum SendNote {
    /// Not sent: the request is no longer there.
    RequestGone,
    /// Not sent: someone took the request, or it closed, before this page's turn.
    NoLongerWaiting,
    /// Not sent: the member answered that they can not take it.
    PassedOn,
    /// Not sent: the member's account was disabled.
    AccountDisabled,
    /// Not sent: the member was off duty (and no backup) by its turn.
    OffDuty,
    /// Not sent: the customer replied STOP.
    OptedOut,
    /// Not sent: the customer's number takes no texts.
    NotMobile,
    /// Not sent: the request moved on before this text's turn.
    Overtaken,
    /// Not sent yet: the server was busy; it is tried again.
    ServerBusy,
    /// The server stopped while the provider had it: it may have gone out, and was not sent again.
    StoppedWhileSending,
    /// This attempt failed; it is tried again.
    Retrying { trouble: Trouble },
    /// The provider may have taken it; a customer is not texted twice, so it was not sent again.
    MaybeSent { trouble: Trouble },
    /// Every attempt failed.
    GaveUp { attempts: i64, trouble: Trouble },
    /// The provider refused it for good: its answer's status, its error code and its words.
    Refused { status: u16, code: Option<i64>, message: String },
    /// The provider's receipt: it failed after being taken (`undelivered`, `busy`, `no-answer` …).
    Reported { status: String, code: Option<String> },
    /// Written before these notes were kept as facts: shown as it was stored.
    Verbatim { text: String },
}

/// Why one attempt did not get a text or call to the provider, or why it is not known whether it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trouble {
    /// No connection to the provider (the network's error).
    Unreachable { error: String },
    /// Sent, and no answer came (the network's error).
    NoAnswer { error: String },
    /// The provider said yes without the id its receipts are matched by.
    NoId { status: u16 },
    /// The provider answered with an error status, in its words.
    Answered { status: u16, message: String },
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

/// The code a technician replies with to take a job: the request number without `RC-`.
pub fn reply_code(number: &str) -> &str {
    number.strip_prefix("RC-").unwrap_or(number)
}

/// At most `max` characters, with "..." when cut (three dots: an ellipsis character would make the whole text
/// UCS-2, more than twice as long in segments).
pub fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(3)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push_str("...");
    cut
}

/// The text `make` writes around `part`, with `part` shortened until the text fits `most` segments, but not
/// below `least` characters. When even that does not fit (Cyrillic is UCS-2: 67 characters a segment), one
/// segment more, with as much of `part` as it holds.
pub fn fitted(part: &str, most: usize, least: usize, make: impl Fn(&str) -> String) -> String {
    for limit in [most, most + 1] {
        let mut max = part.chars().count();
        loop {
            let text = make(&short(part, max));
            if segments(&text) <= limit {
                return text;
            }
            if max <= least {
                break;
            }
            max = max.saturating_sub(max.div_ceil(8).max(1)).max(least);
        }
    }
    make(&short(part, least))
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
    // In the words of both languages we text in: a technician may answer "нет 7K3Q".
    const PASS: [&str; 5] = ["NO", "PASS", "2", "НЕТ", "ОТКАЗ"];
    const TAKE: [&str; 6] = ["YES", "OK", "TAKE", "1", "ДА", "БЕРУ"];
    let pass = words.iter().any(|w| PASS.contains(&w.as_str()));
    let rest: Vec<&str> = words.iter().map(String::as_str).filter(|w| !PASS.contains(w) && !TAKE.contains(w)).collect();
    // A Russian keyboard types the code's letters as their Cyrillic twins: «7К3М» is 7K3M.
    let code: String = rest.join(" ").chars().map(latin_twin).collect();
    // The code as the text gave it first: a code that itself begins with RC ("RC7K") is not a number's prefix.
    let number = RequestNumber::parse(&format!("RC-{code}")).or_else(|| RequestNumber::parse(&code))?;
    Some(if pass { Reply::Pass(number) } else { Reply::Take(number) })
}

/// The Latin letter a Cyrillic capital looks like (request codes are Latin), or the character itself.
#[cfg(feature = "ssr")]
fn latin_twin(c: char) -> char {
    const TWINS: [(char, char); 12] = [
        ('А', 'A'),
        ('В', 'B'),
        ('С', 'C'),
        ('Е', 'E'),
        ('Н', 'H'),
        ('К', 'K'),
        ('М', 'M'),
        ('О', 'O'),
        ('Р', 'P'),
        ('Т', 'T'),
        ('Х', 'X'),
        ('У', 'Y'),
    ];
    TWINS.iter().find(|(cyrillic, _)| *cyrillic == c).map_or(c, |(_, latin)| *latin)
}

/// A customer's reply that stops or starts our texts, as carriers and Twilio read them: one word.
pub fn opt_out_word(body: &str) -> Option<bool> {
    match body.trim().to_uppercase().as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "REVOKE" | "OPTOUT" | "СТОП" => Some(true),
        "START" | "YES" | "UNSTOP" | "СТАРТ" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventKind;

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
        assert_eq!(read_reply("нет 7K3Q"), Some(Reply::Pass(n("7K3Q"))));
        assert_eq!(read_reply("Да, 7k3q"), Some(Reply::Take(n("7K3Q"))));
        assert_eq!(read_reply("да 7к3м"), Some(Reply::Take(n("7K3M"))), "Cyrillic twins of the code's letters");
        assert_eq!(opt_out_word("Стоп"), Some(true));
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
            Outgoing::after(&waiting, &Event::escalated(2)),
            [Outgoing::Page { audience: Audience::Backups, wait_began: Some(5) }],
            "a rung pages for the same wait: nobody is paged twice for it"
        );
        assert_eq!(Outgoing::after(&waiting, &Event::Accepted { via: Channel::Sms }), [Outgoing::StopPaging]);
        let late = Progress::fold(&[
            entry(EventKind::Received, 0, None, None),
            entry(EventKind::Accepted, 1, Some((1, "Ana")), None),
            entry(EventKind::OnTheWay, 2, Some((1, "Ana")), Some(10)),
        ]);
        assert_eq!(Outgoing::after(&late, &Event::escalated(1)), [Outgoing::Customer(Purpose::Late)]);
        assert_eq!(Outgoing::after(&late, &Event::escalated(2)), []);
        assert_eq!(Outgoing::after(&late, &Event::Cancelled { reason: None }), [Outgoing::StopPaging]);
    }
}
