//! What the domain's values are called, in a given language: the words live in `app/locales/*.json`, not in the
//! domain core. Drawn alike by the server and the wasm, so a hydrated page reads exactly as the server wrote it.

use crate::{
    Locale,
    domain::{
        Channel, Concern, Event, LoginRefusal, Problem, Purpose, Recorded, RequestStatus, Role, Rung, SendNote,
        SendState, Trouble,
    },
    i18n::td_string,
};

#[cfg(feature = "ssr")]
mod messages;
#[cfg(feature = "ssr")]
mod refusals;
#[cfg(feature = "ssr")]
pub mod seed;
#[cfg(feature = "ssr")]
pub use messages::Wording;
#[cfg(feature = "ssr")]
pub use refusals::Say;

/// "Flat tire" / "Спущено колесо".
pub fn problem(locale: Locale, problem: Problem) -> &'static str {
    match problem {
        Problem::FlatTire => td_string!(locale, problem.flat_tire),
        Problem::Battery => td_string!(locale, problem.battery),
        Problem::Lockout => td_string!(locale, problem.lockout),
        Problem::Fuel => td_string!(locale, problem.fuel),
        Problem::Tow => td_string!(locale, problem.tow),
        Problem::Other => td_string!(locale, problem.other),
    }
}

/// What the customer reads in big letters.
pub fn headline(locale: Locale, status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Received => td_string!(locale, status_headline.received),
        RequestStatus::Accepted => td_string!(locale, status_headline.accepted),
        RequestStatus::OnTheWay => td_string!(locale, status_headline.on_the_way),
        RequestStatus::Arrived => td_string!(locale, status_headline.arrived),
        RequestStatus::Done => td_string!(locale, status_headline.done),
        RequestStatus::Cancelled => td_string!(locale, status_headline.cancelled),
    }
}

/// The short word on a staff board.
pub fn status(locale: Locale, status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Received => td_string!(locale, status_label.received),
        RequestStatus::Accepted => td_string!(locale, status_label.accepted),
        RequestStatus::OnTheWay => td_string!(locale, status_label.on_the_way),
        RequestStatus::Arrived => td_string!(locale, status_label.arrived),
        RequestStatus::Done => td_string!(locale, status_label.done),
        RequestStatus::Cancelled => td_string!(locale, status_label.cancelled),
    }
}

/// How staff read an answer that came this way: "by text".
pub fn answered(locale: Locale, channel: Channel) -> &'static str {
    match channel {
        Channel::App => td_string!(locale, channel_answered.app),
        Channel::Push => td_string!(locale, channel_answered.push),
        Channel::Sms => td_string!(locale, channel_answered.sms),
        Channel::Call => td_string!(locale, channel_answered.call),
    }
}

/// What a text or call was for, beside it on the request's page.
pub fn purpose(locale: Locale, purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Page => td_string!(locale, purpose.page),
        Purpose::Received => td_string!(locale, purpose.received),
        Purpose::OnTheWay => td_string!(locale, purpose.on_the_way),
        Purpose::Late => td_string!(locale, purpose.late),
        Purpose::Cancelled => td_string!(locale, purpose.cancelled),
        Purpose::FollowUp => td_string!(locale, purpose.follow_up),
    }
}

/// Where a text or call stands.
pub fn send_state(locale: Locale, state: SendState) -> &'static str {
    match state {
        SendState::Pending | SendState::Claimed => td_string!(locale, send_state.waiting),
        SendState::Sending => td_string!(locale, send_state.sending),
        SendState::Sent => td_string!(locale, send_state.sent),
        SendState::Delivered => td_string!(locale, send_state.delivered),
        SendState::Failed => td_string!(locale, send_state.failed),
        SendState::Cancelled => td_string!(locale, send_state.not_sent),
    }
}

/// Why a login was refused, in the page's words.
pub fn login_refusal(locale: Locale, refusal: LoginRefusal) -> &'static str {
    match refusal {
        LoginRefusal::Wrong => td_string!(locale, login.wrong),
        LoginRefusal::Disabled => td_string!(locale, login.disabled),
        LoginRefusal::Locked => td_string!(locale, login.locked),
        LoginRefusal::Busy => td_string!(locale, login.busy),
    }
}

/// "2 min", "45 s": an interval as dispatch reads it.
pub fn interval(locale: Locale, ms: i64) -> String {
    if ms >= 60_000 && ms % 60_000 == 0 {
        td_string!(locale, staff.minutes, m = ms / 60_000).to_string()
    } else {
        td_string!(locale, staff.seconds, s = ms / 1000).to_string()
    }
}

/// Why the ladder climbed a rung, for dispatch: "Nobody accepted within 2 min: on-duty technicians alerted
/// again." A rung stored without its reason (none should be) is named by its level.
pub fn escalation(
    locale: Locale,
    level: u8,
    concern: Option<Concern>,
    every_ms: Option<i64>,
    technician: Option<&str>,
) -> String {
    let rung = Rung::at(level);
    let wait = every_ms.map(|ms| interval(locale, ms)).unwrap_or_default();
    match (concern, rung) {
        (None, _) => td_string!(locale, escalation.rung, level).to_string(),
        (Some(Concern::Unowned), Rung::AlertAgain) => td_string!(locale, escalation.unowned_again, wait).to_string(),
        (Some(Concern::Late), Rung::AlertAgain) => match technician {
            Some(who) => td_string!(locale, escalation.late_again, wait, who).to_string(),
            None => td_string!(locale, escalation.late_again_unnamed, wait).to_string(),
        },
        (Some(Concern::Unowned), Rung::Backups) => td_string!(locale, escalation.unowned_backups).to_owned(),
        (Some(Concern::Late), Rung::Backups) => td_string!(locale, escalation.late_backups).to_owned(),
        (Some(Concern::Unowned), Rung::DispatchAlarm) => td_string!(locale, escalation.unowned_alarm).to_owned(),
        (Some(Concern::Late), Rung::DispatchAlarm) => td_string!(locale, escalation.late_alarm).to_owned(),
    }
}

/// Why a text or call stands where it does, for dispatch. What the provider or the network said is quoted.
pub fn send_note(locale: Locale, note: &SendNote) -> String {
    let trouble = |t: &Trouble| match t {
        Trouble::Unreachable { error } => td_string!(locale, send_note.unreachable, error).to_string(),
        Trouble::NoAnswer { error } => td_string!(locale, send_note.no_answer, error).to_string(),
        Trouble::NoId { status } => td_string!(locale, send_note.no_id, status).to_string(),
        Trouble::Answered { status, message } => td_string!(locale, send_note.answered, status, message).to_string(),
    };
    match note {
        SendNote::RequestGone => td_string!(locale, send_note.request_gone).to_owned(),
        SendNote::NoLongerWaiting => td_string!(locale, send_note.no_longer_waiting).to_owned(),
        SendNote::PassedOn => td_string!(locale, send_note.passed_on).to_owned(),
        SendNote::AccountDisabled => td_string!(locale, send_note.account_disabled).to_owned(),
        SendNote::OffDuty => td_string!(locale, send_note.off_duty).to_owned(),
        SendNote::OptedOut => td_string!(locale, send_note.opted_out).to_owned(),
        SendNote::NotMobile => td_string!(locale, send_note.not_mobile).to_owned(),
        SendNote::Overtaken => td_string!(locale, send_note.overtaken).to_owned(),
        SendNote::ServerBusy => td_string!(locale, send_note.server_busy).to_owned(),
        SendNote::StoppedWhileSending => td_string!(locale, send_note.stopped_while_sending).to_owned(),
        SendNote::Retrying { trouble: t } => td_string!(locale, send_note.retrying, trouble = trouble(t)).to_string(),
        SendNote::MaybeSent { trouble: t } => {
            td_string!(locale, send_note.maybe_sent, trouble = trouble(t)).to_string()
        }
        SendNote::GaveUp { attempts, trouble: t } => {
            td_string!(locale, send_note.gave_up, attempts, trouble = trouble(t)).to_string()
        }
        SendNote::Refused { status, code: Some(code), message } => {
            td_string!(locale, send_note.refused_code, status, code, message).to_string()
        }
        SendNote::Refused { status, code: None, message } => {
            td_string!(locale, send_note.refused, status, message).to_string()
        }
        SendNote::Reported { status, code: Some(code) } => {
            td_string!(locale, send_note.reported_code, status, code).to_string()
        }
        SendNote::Reported { status, code: None } => td_string!(locale, send_note.reported, status).to_string(),
        SendNote::Verbatim { text } => text.clone(),
    }
}

/// A day as the language writes it: "2026-11-24" stays so in English (unambiguous everywhere), "24.11.2026" in
/// Russian. Anything that is not such a day is shown as it is.
pub fn date(locale: Locale, day: &str) -> String {
    let parts: Vec<&str> = day.split('-').collect();
    match (locale, parts.as_slice()) {
        (Locale::ru, [y, m, d]) if y.len() == 4 && m.len() == 2 && d.len() == 2 => format!("{d}.{m}.{y}"),
        _ => day.to_owned(),
    }
}

/// A member's role, as staff read it.
pub fn role(locale: Locale, role: Role) -> &'static str {
    match role {
        Role::Technician => td_string!(locale, role.technician),
        Role::Dispatcher => td_string!(locale, role.dispatcher),
        Role::Admin => td_string!(locale, role.admin),
    }
}

/// A truck checklist's heading: the problem it is for, or every job.
pub fn checklist(locale: Locale, problem: &str) -> &'static str {
    Problem::parse(problem).map_or(td_string!(locale, staff.every_job), |p| self::problem(locale, p))
}

/// One decimal, with the language's separator: "4.3" in English, "4,3" in Russian.
pub fn decimal(locale: Locale, value: f64) -> String {
    let written = format!("{value:.1}");
    match locale {
        Locale::ru => written.replace('.', ","),
        Locale::en => written,
    }
}

/// The line the customer reads in their timeline.
pub fn event(locale: Locale, e: &Recorded) -> String {
    let who = e.by.as_ref().map_or(td_string!(locale, timeline.your_technician), |b| b.name.as_str());
    let eta = |m: &u32| td_string!(locale, timeline.eta, minutes = m).to_string();
    match &e.event {
        Event::Received => td_string!(locale, timeline.received).to_owned(),
        Event::CallbackRequested => td_string!(locale, timeline.callback_requested).to_owned(),
        Event::Cancelled { reason: Some(reason) } => td_string!(locale, timeline.cancelled_because, reason).to_string(),
        Event::Cancelled { reason: None } => td_string!(locale, timeline.cancelled).to_owned(),
        Event::Accepted { .. } => td_string!(locale, timeline.accepted, who).to_string(),
        Event::OnTheWay { eta_minutes } => {
            td_string!(locale, timeline.on_the_way, who, eta = eta(eta_minutes)).to_string()
        }
        Event::EtaChanged { eta_minutes } => {
            td_string!(locale, timeline.eta_changed, eta = eta(eta_minutes)).to_string()
        }
        Event::Arrived => td_string!(locale, timeline.arrived, who).to_string(),
        Event::Done { note } => td_string!(locale, timeline.done, note).to_string(),
        Event::Released { .. } => td_string!(locale, timeline.released).to_owned(),
        Event::Assigned { technician } => td_string!(locale, timeline.assigned, who = &technician.name).to_string(),
        Event::ArrivalConfirmed => td_string!(locale, timeline.arrival_confirmed).to_owned(),
        Event::CallbackMade => td_string!(locale, timeline.callback_made).to_owned(),
        Event::Escalated { level, .. } if *level >= crate::domain::ALARM => {
            td_string!(locale, timeline.alarm).to_owned()
        }
        Event::Escalated { .. } => td_string!(locale, timeline.escalated).to_owned(),
        // Only staff see this: the customer is told when someone takes it.
        Event::Declined { .. } => td_string!(locale, timeline.declined).to_owned(),
        Event::Seen { .. } => td_string!(locale, timeline.seen, who).to_string(),
        Event::FollowUp { rating, comment: None } => td_string!(locale, timeline.follow_up, rating).to_string(),
        Event::FollowUp { rating, comment: Some(comment) } => {
            td_string!(locale, timeline.follow_up_said, rating, comment).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_has_a_name_in_every_language_and_english_matches_the_domains() {
        for p in Problem::ALL {
            assert_eq!(problem(Locale::en, p), p.label(), "{p:?}");
            assert!(!problem(Locale::ru, p).is_ascii(), "{p:?} in Russian");
        }
    }

    fn by_ana(event: Event) -> Recorded {
        let ana = crate::domain::StaffName { id: 7, name: "Ana".into() };
        Recorded { at: 0, actor: crate::domain::Actor::Staff, by: Some(ana), event }
    }

    #[test]
    fn the_timeline_reads_in_the_customers_language_with_its_values_in_place() {
        let on_the_way = by_ana(Event::OnTheWay { eta_minutes: 30 });
        assert_eq!(event(Locale::en, &on_the_way), "Ana is on the way, about 30 min.");
        assert_eq!(event(Locale::ru, &on_the_way), "Ana — в пути, примерно через 30 мин.");
        let rated = by_ana(Event::FollowUp { rating: 4, comment: Some("Quick and kind".into()) });
        assert_eq!(
            event(Locale::en, &rated),
            "Thank you for telling us how it went. You rated the help 4 of 5. “Quick and kind”"
        );
        assert_eq!(
            event(Locale::ru, &rated),
            "Спасибо, что рассказали, как всё прошло. Ваша оценка: 4 из 5. «Quick and kind»"
        );
        let ben = crate::domain::StaffName { id: 2, name: "Ben".into() };
        assert_eq!(event(Locale::ru, &by_ana(Event::Assigned { technician: ben })), "Заявка передана технику: Ben.");
        let nobody = Recorded { by: None, ..by_ana(Event::Arrived) };
        assert_eq!(event(Locale::en, &nobody), "Your technician has arrived.");
        assert_eq!(event(Locale::ru, &nobody), "Ваш техник — на месте.");
    }

    #[test]
    fn checklists_are_headed_by_their_problem_or_every_job_and_russian_days_read_day_first() {
        assert_eq!(checklist(Locale::en, "battery"), "Battery / won't start");
        assert_eq!(checklist(Locale::ru, "always"), "Любая заявка");
        assert_eq!(date(Locale::ru, "2026-11-24"), "24.11.2026");
        assert_eq!(date(Locale::en, "2026-11-24"), "2026-11-24");
        assert_eq!(date(Locale::ru, "Ana Lima"), "Ana Lima", "not a day");
        assert_eq!(decimal(Locale::ru, 4.3), "4,3");
        assert_eq!(interval(Locale::ru, 120_000), "2 мин");
        assert_eq!(interval(Locale::en, 45_000), "45 s");
    }

    #[test]
    fn the_ladders_reasons_are_said_in_the_dispatchers_language() {
        let (unowned, late) = (Some(Concern::Unowned), Some(Concern::Late));
        assert_eq!(
            escalation(Locale::en, 1, unowned, Some(120_000), None),
            "Nobody accepted within 2 min: on-duty technicians alerted again."
        );
        assert_eq!(
            escalation(Locale::ru, 1, late, Some(600_000), Some("Ира Петрова")),
            "10 мин после обещанного времени: у техника (Ира Петрова) запрошены новости."
        );
        assert_eq!(
            escalation(Locale::ru, 3, unowned, Some(120_000), None),
            "Всё ещё никто: тревога на всех пультах диспетчеров."
        );
        assert_eq!(
            escalation(Locale::en, 2, late, Some(120_000), Some("Sam")),
            "Still late: backup technicians alerted."
        );
        assert_eq!(escalation(Locale::ru, 2, None, None, None), "Ступень 2 эскалации.");
    }

    #[test]
    fn every_status_has_a_headline_and_a_label_in_russian() {
        for s in [
            RequestStatus::Received,
            RequestStatus::Accepted,
            RequestStatus::OnTheWay,
            RequestStatus::Arrived,
            RequestStatus::Done,
            RequestStatus::Cancelled,
        ] {
            assert!(!headline(Locale::ru, s).is_ascii() && !status(Locale::ru, s).is_ascii(), "{s:?}");
            assert_ne!(headline(Locale::en, s), status(Locale::en, s), "{s:?}");
        }
    }
}
