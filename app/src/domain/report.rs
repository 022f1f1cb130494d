//! Dispatch's reports: how fast requests were accepted and reached, by day and by technician, what customers
//! answered afterwards and who has not yet; and the same facts, one line per request, as CSV. Everything is read
//! from the timelines, so a report can never disagree with what happened.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Event, EventKind, Problem, Progress, RequestStatus, StatusView,
    zone::{Zone, date, parse_date},
};

/// The longest range one report covers.
pub const MAX_REPORT_DAYS: i64 = 366;

/// One request, reduced to what the reports count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestFacts {
    pub number: String,
    pub created_at: i64,
    pub source: String,
    pub problem: Problem,
    pub status: RequestStatus,
    /// Who had the job last (full name).
    pub technician: Option<String>,
    /// From the request to the first accept or assignment.
    pub to_accept_ms: Option<i64>,
    /// From the request to the technician's "Arrived" (or dispatch's confirmation, whichever came first).
    pub to_arrival_ms: Option<i64>,
    pub arrival_confirmed: bool,
    pub rating: Option<u8>,
    pub comment: Option<String>,
    /// E.164: for calling an unanswered follow-up.
    pub phone: String,
}

impl RequestFacts {
    /// `progress` is the view's timeline folded.
    pub fn new(view: &StatusView, progress: &Progress, created_at: i64, source: &str) -> RequestFacts {
        let first =
            |kinds: &[EventKind]| view.timeline.iter().find(|e| kinds.contains(&e.kind())).map(|e| e.at - created_at);
        let comment = view.timeline.iter().find_map(|e| match &e.event {
            Event::FollowUp { comment, .. } => comment.clone(),
            _ => None,
        });
        RequestFacts {
            number: view.number.clone(),
            created_at,
            source: source.to_owned(),
            problem: view.problem,
            status: progress.status(),
            technician: progress.owner.as_ref().map(|(_, name)| name.clone()),
            to_accept_ms: first(&[EventKind::Accepted, EventKind::Assigned]),
            to_arrival_ms: first(&[EventKind::Arrived, EventKind::ArrivalConfirmed]),
            arrival_confirmed: progress.arrival_confirmed,
            rating: progress.rating,
            comment,
            phone: view.phone.clone(),
        }
    }
}

/// One line of a report table: a day or a technician.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportRow {
    pub key: String,
    pub requests: usize,
    pub accepted: usize,
    pub median_to_accept_ms: Option<i64>,
    pub arrived: usize,
    pub median_to_arrival_ms: Option<i64>,
    pub answers: usize,
    /// Mean rating in tenths (43 is 4.3): exact to compare and to show.
    pub rating_tenths: Option<u32>,
}

impl ReportRow {
    fn of(key: String, facts: &[&RequestFacts]) -> ReportRow {
        let accepts: Vec<i64> = facts.iter().filter_map(|f| f.to_accept_ms).collect();
        let arrivals: Vec<i64> = facts.iter().filter_map(|f| f.to_arrival_ms).collect();
        let ratings: Vec<u32> = facts.iter().filter_map(|f| f.rating.map(u32::from)).collect();
        let count = u32::try_from(ratings.len()).unwrap_or(u32::MAX);
        ReportRow {
            key,
            requests: facts.len(),
            accepted: accepts.len(),
            median_to_accept_ms: median(accepts),
            arrived: arrivals.len(),
            median_to_arrival_ms: median(arrivals),
            answers: ratings.len(),
            // Rounded half up, in tenths.
            rating_tenths: (count > 0).then(|| (ratings.iter().sum::<u32>() * 20 + count) / (2 * count)),
        }
    }
}

/// The middle value (the mean of the two middle ones for an even count): a few very long nights do not hide
/// what a usual request sees.
fn median(mut values: Vec<i64>) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2),
    }
}

/// A report over whole local days (the service's time zone), `from` to `to` inclusive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub total: ReportRow,
    pub by_day: Vec<ReportRow>,
    pub by_technician: Vec<ReportRow>,
    /// Follow-up answers, newest first.
    pub answers: Vec<RequestFacts>,
    /// Done, and the customer has not answered yet: newest first.
    pub unanswered: Vec<RequestFacts>,
    /// The range held more requests than one report reads: only the newest are counted.
    #[serde(default)]
    pub cut_short: bool,
}

impl Report {
    pub fn new(range: &ReportRange, mut facts: Vec<RequestFacts>, zone: &Zone) -> Report {
        facts.sort_by_key(|f| std::cmp::Reverse(f.created_at));
        let group = |key: &dyn Fn(&RequestFacts) -> Option<String>| {
            let mut groups: BTreeMap<String, Vec<&RequestFacts>> = BTreeMap::new();
            for f in &facts {
                if let Some(k) = key(f) {
                    groups.entry(k).or_default().push(f);
                }
            }
            groups.into_iter().map(|(k, members)| ReportRow::of(k, &members)).collect::<Vec<_>>()
        };
        Report {
            from: range.from.clone(),
            to: range.to.clone(),
            total: ReportRow::of("All".to_owned(), &facts.iter().collect::<Vec<_>>()),
            by_day: group(&|f| Some(zone.day_of(f.created_at))),
            by_technician: group(&|f| f.technician.clone()),
            answers: facts.iter().filter(|f| f.rating.is_some()).cloned().collect(),
            unanswered: facts
                .iter()
                .filter(|f| f.status == RequestStatus::Done && f.rating.is_none())
                .cloned()
                .collect(),
            cut_short: false,
        }
    }

    /// One line per request under `header` (the column names, in the reader's language), cells parted by
    /// `separator` (the reader's spreadsheet's: `;` where the decimal mark is a comma), for a spreadsheet; times
    /// local, with their offset. Cells a spreadsheet would run as a formula are defused.
    pub fn csv(facts: &[RequestFacts], zone: &Zone, header: &str, separator: char) -> String {
        let mut out = format!("{header}\r\n");
        let seconds = |ms: Option<i64>| ms.map(|m| (m / 1000).to_string()).unwrap_or_default();
        for f in facts {
            let cells = [
                f.number.clone(),
                zone.rfc3339(f.created_at),
                f.source.clone(),
                f.problem.as_str().to_owned(),
                f.status.as_str().to_owned(),
                f.technician.clone().unwrap_or_default(),
                seconds(f.to_accept_ms),
                seconds(f.to_arrival_ms),
                f.arrival_confirmed.to_string(),
                f.rating.map(|r| r.to_string()).unwrap_or_default(),
                f.comment.clone().unwrap_or_default(),
            ];
            out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(&separator.to_string()));
            out.push_str("\r\n");
        }
        out
    }
}

fn csv_cell(text: &str) -> String {
    // A leading = + - @ makes a spreadsheet evaluate the cell (CSV injection): a quote mark keeps it text.
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', ';', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// Whole local days `from..=to`, as typed (`2026-11-24`), and their span in unix ms.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportRange {
    pub from: String,
    pub to: String,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// Why a report's days were refused; `texts` says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeRefusal {
    BadDate,
    Backwards,
    /// More than `MAX_REPORT_DAYS`.
    TooLong,
}

impl ReportRange {
    /// `from` and `to` as typed; empty means the seven days up to today (local, at `now_ms`).
    pub fn parse(from: Option<&str>, to: Option<&str>, now_ms: i64, zone: &Zone) -> Result<ReportRange, RangeRefusal> {
        fn given(s: Option<&str>) -> Option<&str> {
            s.map(str::trim).filter(|s| !s.is_empty())
        }
        let day = |s: &str| parse_date(s).ok_or(RangeRefusal::BadDate);
        let last = match given(to) {
            Some(t) => day(t)?,
            None => day(&zone.day_of(now_ms))?,
        };
        let first = match given(from) {
            Some(f) => day(f)?,
            None => last - 6,
        };
        if first > last {
            return Err(RangeRefusal::Backwards);
        }
        if last - first >= MAX_REPORT_DAYS {
            return Err(RangeRefusal::TooLong);
        }
        let (from_ms, to_ms) = (zone.day_span(first).0, zone.day_span(last).1);
        Ok(ReportRange { from: date(first), to: date(last), from_ms, to_ms })
    }
}

/// A moment to the millisecond, as machines read it (RFC 3339, UTC): `2026-11-24T05:03:09.120Z`.
pub fn utc_time_ms(unix_ms: i64) -> String {
    let seconds = Zone::default().rfc3339(unix_ms);
    format!("{}.{:03}Z", seconds.trim_end_matches("+00:00"), unix_ms.rem_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        event::tests::recorded,
        status::tests::{entry, view},
        zone,
    };
    use EventKind::*;

    fn facts(view: &StatusView, created_at: i64, source: &str) -> RequestFacts {
        RequestFacts::new(view, &Progress::fold(&view.timeline), created_at, source)
    }

    const DAY: i64 = 86_400_000;
    const MIN: i64 = 60_000;
    // 2026-11-24T00:00:00Z
    const NOV_24: i64 = 1_795_478_400_000;

    /// A request at `t` accepted by `who` after `accept` minutes and reached after `arrive` minutes.
    fn job(
        number: &str,
        t: i64,
        who: (i64, &str),
        accept: i64,
        arrive: Option<i64>,
        rating: Option<u8>,
    ) -> RequestFacts {
        let mut timeline = vec![entry(Received, t, None, None), entry(Accepted, t + accept * MIN, Some(who), None)];
        if let Some(a) = arrive {
            timeline.push(entry(Arrived, t + a * MIN, Some(who), None));
            timeline.push(entry(Done, t + a * MIN + 20 * MIN, Some(who), None));
        }
        if let Some(r) = rating {
            let comment = Some("=HYPERLINK(\"x\"), thanks".into());
            timeline.push(recorded(Event::FollowUp { rating: r, comment }, t + DAY / 2, None));
        }
        facts(&view(number, timeline), t, "web")
    }

    #[test]
    fn times_are_medians_by_day_and_by_technician() -> Result<(), Box<dyn std::error::Error>> {
        let ana = (1, "Ana Lima");
        let ben = (2, "Ben Okafor");
        let facts = vec![
            job("RC-AAAA", NOV_24 + 5 * 60 * MIN, ana, 2, Some(30), Some(5)),
            job("RC-BBBB", NOV_24 + 6 * 60 * MIN, ben, 4, Some(50), Some(4)),
            job("RC-CCCC", NOV_24 + 7 * 60 * MIN, ana, 9, None, None),
            job("RC-DDDD", NOV_24 + DAY + 60 * MIN, ana, 1, Some(20), None),
            facts(&view("RC-EEEE", vec![entry(Received, NOV_24 + DAY, None, None)]), NOV_24 + DAY, "api"),
        ];
        let utc = Zone::default();
        let range =
            ReportRange::parse(Some("2026-11-24"), Some("2026-11-25"), 0, &utc).map_err(|e| format!("{e:?}"))?;
        let report = Report::new(&range, facts.clone(), &utc);
        let day1 = &report.by_day[0];
        assert_eq!(day1.key, "2026-11-24");
        assert_eq!((day1.requests, day1.accepted, day1.arrived, day1.answers), (3, 3, 2, 2));
        assert_eq!(day1.median_to_accept_ms, Some(4 * MIN));
        assert_eq!(day1.median_to_arrival_ms, Some(40 * MIN), "mean of the two middle ones");
        assert_eq!(day1.rating_tenths, Some(45));
        let day2 = &report.by_day[1];
        assert_eq!((day2.key.as_str(), day2.requests, day2.accepted), ("2026-11-25", 2, 1));
        let ana_row = report.by_technician.iter().find(|r| r.key == "Ana Lima").ok_or("Ana")?;
        assert_eq!(
            (ana_row.requests, ana_row.median_to_accept_ms, ana_row.median_to_arrival_ms),
            (3, Some(2 * MIN), Some(25 * MIN))
        );
        assert_eq!(report.by_technician.len(), 2, "nobody had RC-EEEE");
        assert_eq!(report.total.requests, 5);
        assert_eq!(report.answers.iter().map(|f| f.number.as_str()).collect::<Vec<_>>(), ["RC-BBBB", "RC-AAAA"]);
        assert_eq!(report.unanswered.iter().map(|f| f.number.as_str()).collect::<Vec<_>>(), ["RC-DDDD"]);

        let csv = Report::csv(&facts[..1], &zone::tests::moscow(), "number,created_at,…", ',');
        let mut lines = csv.lines();
        assert!(lines.next().ok_or("header")?.starts_with("number,created_at,"));
        assert_eq!(
            lines.next(),
            Some(
                "RC-AAAA,2026-11-24T08:00:00+03:00,web,flat_tire,done,Ana Lima,120,1800,false,5,\"'=HYPERLINK(\"\"x\"\"), thanks\""
            )
        );
        Ok(())
    }

    #[test]
    fn ranges_are_whole_local_days_with_clear_refusals() -> Result<(), Box<dyn std::error::Error>> {
        let utc = Zone::default();
        let r = ReportRange::parse(None, None, NOV_24 + 5 * 60 * MIN, &utc).map_err(|e| format!("{e:?}"))?;
        assert_eq!((r.from.as_str(), r.to.as_str()), ("2026-11-18", "2026-11-24"));
        assert_eq!(r.to_ms - r.from_ms, 7 * DAY);
        // 22:00 UTC is already the 25th in Moscow, whose days start at 21:00 UTC.
        let moscow = zone::tests::moscow();
        let r = ReportRange::parse(None, None, NOV_24 + 22 * 60 * MIN, &moscow).map_err(|e| format!("{e:?}"))?;
        assert_eq!((r.from.as_str(), r.to.as_str()), ("2026-11-19", "2026-11-25"));
        assert_eq!((r.from_ms, r.to_ms), (NOV_24 - 5 * DAY - 3 * 60 * MIN, NOV_24 + 2 * DAY - 3 * 60 * MIN));
        // A day the clocks go back lasts 25 hours.
        let r = ReportRange::parse(Some("2026-11-01"), Some("2026-11-01"), 0, &zone::tests::new_york())
            .map_err(|e| format!("{e:?}"))?;
        assert_eq!(r.to_ms - r.from_ms, 25 * 60 * MIN);
        assert_eq!(ReportRange::parse(Some("24/11/2026"), None, 0, &utc), Err(RangeRefusal::BadDate));
        // Typed day first, it is the same day, written back year first.
        let r = ReportRange::parse(Some("18.11.2026"), Some("24.11.2026"), 0, &utc).map_err(|e| format!("{e:?}"))?;
        assert_eq!((r.from.as_str(), r.to.as_str()), ("2026-11-18", "2026-11-24"));
        assert_eq!(ReportRange::parse(Some("2026-11-25"), Some("2026-11-24"), 0, &utc), Err(RangeRefusal::Backwards));
        assert_eq!(ReportRange::parse(Some("2020-01-01"), Some("2026-11-24"), 0, &utc), Err(RangeRefusal::TooLong));
        assert!(ReportRange::parse(Some("2025-11-25"), Some("2026-11-25"), 0, &utc).is_ok(), "366 days");
        assert_eq!(utc_time_ms(NOV_24 + 5 * 60 * MIN + 3 * MIN + 9_120), "2026-11-24T05:03:09.120Z");
        assert_eq!(utc_time_ms(-1), "1969-12-31T23:59:59.999Z");
        for day in ["2024-02-29", "2000-03-01", "2026-12-31", "1970-01-01"] {
            assert_eq!(utc.day_of(utc.day_span(parse_date(day).ok_or(day)?).0), day);
        }
        for bad in ["2026-02-29", "2026-13-01", "26-11-24", "2026-11-24x", ""] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        Ok(())
    }
}
