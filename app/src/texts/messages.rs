//! Texts and calls, in the language of who receives them: the customer's request's, or the member's own. The
//! domain decides what is sent and when (`notice`) and how long an SMS may be (`segments`); these are the words.

use crate::{
    Locale,
    domain::{Event, Purpose, StatusView, first_name, fitted, reply_code, segments, short},
    i18n::td_string,
    twilio::Speech,
};

/// What the server fills in a message: where links point, the number behind "call us", and the reader's language.
#[derive(Clone, Copy, Debug)]
pub struct Wording<'a> {
    pub public_url: &'a str,
    pub call_us: &'a str,
    pub locale: Locale,
}

impl Wording<'_> {
    /// The text paging a member of staff about a request nobody owns.
    pub fn page_text(&self, v: &StatusView, job_path: &str) -> String {
        let l = self.locale;
        let (urgent, problem, code) = (self.urgent(v), super::problem(l, v.problem), reply_code(&v.number));
        let link = format!("{}{job_path}", self.public_url);
        // Two segments, unless the place would be cut shorter than a few words to fit: Cyrillic makes the whole
        // text UCS-2, and then three it is.
        fitted(&self.place(v), 2, 24, |place| {
            td_string!(l, sms.page, urgent, problem, number = &v.number, place, code, link = &link).to_string()
        })
    }

    /// The text paging a dispatcher or admin at the ladder's top rung: theirs is to find someone, not to drive.
    pub fn alarm_text(&self, v: &StatusView, request_path: &str) -> String {
        let l = self.locale;
        let (urgent, problem) = (self.urgent(v), super::problem(l, v.problem));
        let link = format!("{}{request_path}", self.public_url);
        fitted(&self.place(v), 2, 24, |place| {
            td_string!(l, sms.alarm, urgent, problem, number = &v.number, place, link = &link).to_string()
        })
    }

    /// What an alarm call to dispatch says.
    pub fn alarm_speech(&self, v: &StatusView) -> String {
        let l = self.locale;
        let (problem, place) = (self.spoken(v), short(&self.place(v), 80));
        td_string!(l, voice.alarm, problem, place, urgent = self.urgent_spoken(v)).to_string()
    }

    /// What a call says before it asks for a key.
    pub fn page_speech(&self, v: &StatusView) -> String {
        let l = self.locale;
        let (problem, place) = (self.spoken(v), short(&self.place(v), 80));
        let spelled = spelled(&v.number);
        td_string!(l, voice.page, problem, place, urgent = self.urgent_spoken(v), spelled).to_string()
    }

    /// The text to the customer for `purpose` at `now` (unix ms), or `None` when there is nothing to say (no
    /// technician named).
    pub fn customer_text(&self, purpose: Purpose, v: &StatusView, status_path: &str, now: i64) -> Option<String> {
        let l = self.locale;
        let link = format!("{}{status_path}", self.public_url);
        let number = &v.number;
        Some(match purpose {
            Purpose::Page => return None,
            Purpose::Received => td_string!(l, sms.received, number, link).to_string(),
            Purpose::OnTheWay => {
                let who = v.technician.as_deref().map(first_name)?;
                // To the nearest minute: sent a moment after "25 min" was pressed, it still says 25.
                let minutes = v.eta_at.map(|eta| (eta - now + 30_000).div_euclid(60_000)).unwrap_or(0);
                let when =
                    if minutes > 0 { td_string!(l, sms.arriving_in, minutes).to_string() } else { String::new() };
                let text = td_string!(l, sms.on_the_way, number, who, when, link = &link).to_string();
                // Too long for two segments (a long link, a long name): the link's page says when.
                if segments(&text) <= 2 {
                    text
                } else {
                    td_string!(l, sms.on_the_way, number, who, when = "", link).to_string()
                }
            }
            Purpose::Late => td_string!(l, sms.late, number, link).to_string(),
            Purpose::Cancelled => {
                let reason = v.timeline.iter().rev().find_map(|e| match &e.event {
                    Event::Cancelled { reason: Some(r) } => Some(r),
                    _ => None,
                })?;
                fitted(reason, 2, 3, |reason| {
                    td_string!(l, sms.cancelled, number, reason, call_us = self.call_us).to_string()
                })
            }
            Purpose::FollowUp => td_string!(l, sms.follow_up, number, link).to_string(),
        })
    }

    fn urgent(&self, v: &StatusView) -> &'static str {
        if v.someone_inside { td_string!(self.locale, sms.urgent) } else { "" }
    }

    fn urgent_spoken(&self, v: &StatusView) -> &'static str {
        if v.someone_inside { td_string!(self.locale, voice.urgent) } else { "" }
    }

    fn place(&self, v: &StatusView) -> String {
        match (&v.place, v.accuracy_m) {
            (Some(place), _) => place.clone(),
            (None, Some(_)) => td_string!(self.locale, sms.gps_place).to_owned(),
            (None, None) => td_string!(self.locale, sms.app_place).to_owned(),
        }
    }

    /// The problem as a sentence says it aloud.
    fn spoken(&self, v: &StatusView) -> &'static str {
        use crate::domain::Problem;
        let l = self.locale;
        match v.problem {
            Problem::FlatTire => td_string!(l, voice.flat_tire),
            Problem::Battery => td_string!(l, voice.battery),
            Problem::Lockout => td_string!(l, voice.lockout),
            Problem::Fuel => td_string!(l, voice.fuel),
            Problem::Tow => td_string!(l, voice.tow),
            Problem::Other => td_string!(l, voice.other),
        }
    }

    /// What a text to our number gets back when it is not a reply we understand.
    pub fn reply_help(&self) -> &'static str {
        td_string!(self.locale, sms.reply_help)
    }

    /// A job taken by text.
    pub fn took_by_text(&self, number: &str, job_path: &str) -> String {
        let link = format!("{}{job_path}", self.public_url);
        td_string!(self.locale, sms.took, number, link).to_string()
    }

    pub fn passed_by_text(&self, number: &str) -> String {
        td_string!(self.locale, sms.passed, number).to_string()
    }

    /// What a page's call says after a key.
    pub fn took_by_call(&self, number: &str) -> String {
        td_string!(self.locale, voice.took, spelled = spelled(number)).to_string()
    }

    pub fn passed_by_call(&self) -> &'static str {
        td_string!(self.locale, voice.passed)
    }

    /// A refusal said on a call, then goodbye.
    pub fn refused_by_call(&self, why: &str) -> String {
        td_string!(self.locale, voice.refused, why).to_string()
    }

    pub fn no_such_call(&self) -> &'static str {
        td_string!(self.locale, voice.not_a_job)
    }

    pub fn job_gone(&self) -> &'static str {
        td_string!(self.locale, voice.job_gone)
    }

    pub fn press_a_key(&self) -> &'static str {
        td_string!(self.locale, voice.press_a_key)
    }

    pub fn no_key(&self) -> &'static str {
        td_string!(self.locale, voice.no_key)
    }

    /// How a call speaks these words: the language as the provider names it, and a voice that speaks it.
    pub fn speech<'w>(&self, words: &'w str) -> Speech<'w> {
        match self.locale {
            Locale::en => Speech { words, language: "en-US", voice: None },
            // Amazon Polly's Russian voice, as Twilio names it.
            Locale::ru => Speech { words, language: "ru-RU", voice: Some("Polly.Tatyana") },
        }
    }
}

/// "7 K 3 Q": a request's code, a character at a time, as a voice reads it.
fn spelled(number: &str) -> String {
    let letters: Vec<String> = reply_code(number).chars().map(String::from).collect();
    letters.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        EventKind,
        status::tests::{entry, view},
    };

    fn words(locale: Locale) -> Wording<'static> {
        Wording { public_url: "https://help.example-roadside-company.com", call_us: "+1 202 555 0100", locale }
    }

    #[test]
    fn every_text_fits_two_segments_even_with_long_places_and_reasons() {
        let words = words(Locale::en);
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
        let page = words.page_text(&v, "/tech/jobs/RC-7K3QA");
        assert_eq!(segments(&page), 2, "{page}");
        assert!(page.contains("Reply 7K3QA to take it"), "{page}");
        assert!(page.contains("Interstate 95 northbound between exits 4 and 5") && page.contains("..."), "{page}");
        let on_way = words.customer_text(Purpose::OnTheWay, &v, status, 2_000).unwrap_or_default();
        assert_eq!(
            on_way,
            "roadcall RC-7K3QA: Anastasia is on the way, arriving in about 45 min. \
             https://help.example-roadside-company.com/r/ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        );
        v.place = Some("Трасса М-4 «Дон», 712-й километр, у синего указателя на Воронеж, за мостом".into());
        let page = words.page_text(&v, "/tech/jobs/RC-7K3QA");
        assert!(segments(&page) <= 3, "a Cyrillic place is counted as UCS-2 and shortened to fit: {page}");
        assert!(page.contains("Трасса М-4") && page.contains("..."), "{page}");
        let russian = Some((8, "Анастасия Петрова"));
        v.timeline
            .extend([entry(EventKind::Released, 2_500, ana, None), entry(EventKind::Accepted, 2_600, russian, None)]);
        v.timeline.push(entry(EventKind::OnTheWay, 2_700, russian, Some(45)));
        v.derive();
        let on_way = words.customer_text(Purpose::OnTheWay, &v, status, 2_700).unwrap_or_default();
        assert!(on_way.starts_with("roadcall RC-7K3QA: Анастасия is on the way."), "{on_way}");
        assert!(segments(&on_way) <= 2, "{on_way}");
        v.timeline.push(crate::domain::event::tests::recorded(
            Event::Cancelled {
                reason: Some("Клиент уехал сам, помощь больше не нужна, спасибо".repeat(3))
            },
            3_000,
            Some((9, "Dee Okafor")),
        ));
        for locale in [Locale::en, Locale::ru] {
            for purpose in Purpose::ALL {
                if let Some(text) = (Wording { locale, ..words }).customer_text(purpose, &v, status, 3_000) {
                    assert!(segments(&text) <= 2, "{locale:?} {purpose:?}: {text}");
                    assert!(!text.contains("Lima") && !text.contains("Петрова"), "first names only: {text}");
                }
            }
        }
    }

    #[test]
    fn a_russian_customer_is_texted_in_russian() {
        let words = words(Locale::ru);
        let ira = Some((8, "Ира Петрова"));
        let mut v = view(
            "RC-7K3QA",
            vec![
                entry(EventKind::Received, 0, None, None),
                entry(EventKind::Accepted, 1_000, ira, None),
                entry(EventKind::OnTheWay, 2_000, ira, Some(25)),
            ],
        );
        v.place = Some("М-11, 120 км".into());
        // A real link: a status token is 32 characters.
        let status = "/r/abcdefghijklmnopqrstuvwxyz234567";
        let link = "https://help.example-roadside-company.com/r/abcdefghijklmnopqrstuvwxyz234567";
        assert_eq!(
            words.customer_text(Purpose::Received, &v, status, 0).unwrap_or_default(),
            format!("roadcall: заявка RC-7K3QA принята. Следите здесь: {link}")
        );
        assert_eq!(
            words.customer_text(Purpose::OnTheWay, &v, status, 2_000).unwrap_or_default(),
            format!("roadcall RC-7K3QA: Ира едет к вам, будет через ~25 мин. {link}")
        );
        let page = words.page_text(&v, "/tech/jobs/RC-7K3QA");
        assert!(page.contains("Спущено колесо RC-7K3QA ждёт, М-11, 120 км. Ответьте 7K3QA — взять"), "{page}");
        // Russian is UCS-2: 134 characters in two segments, so a page with its link takes three, with the whole
        // place rather than a cut one.
        assert_eq!(segments(&page), 3, "{page}");
        v.place = Some("Трасса М-4 «Дон», 712-й километр, у синего указателя на Воронеж, за мостом".into());
        let page = words.page_text(&v, "/tech/jobs/RC-7K3QA");
        assert!(page.contains("у синего указателя") && segments(&page) <= 3, "{page}");
        let speech = words.page_speech(&v);
        assert!(speech.contains("спущено колесо, Трасса М-4") && speech.contains("7 K 3 Q A. Нажмите 1"), "{speech}");
        assert_eq!(words.speech("да").voice, Some("Polly.Tatyana"));
    }
}
