//! The service's time zone (`--time-zone`), as a table of its offsets: every time shown to people and every report
//! day is local to it. The server reads the IANA database once and hands pages a slice of the table, so the page
//! drawn on the server and the wasm that takes it over format a moment with the same function on the same numbers:
//! the phone's own zone never leaks in.

use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;

/// From `from_ms` on (until the next change), local time is UTC plus `offset_s`, called `abbreviation`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub from_ms: i64,
    pub offset_s: i32,
    pub abbreviation: String,
}

/// A named zone's offsets, oldest first; the first holds for everything before the second.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub name: String,
    changes: Vec<Change>,
}

impl Default for Zone {
    fn default() -> Zone {
        Zone::fixed("UTC", 0, "UTC")
    }
}

impl Zone {
    /// `changes` in any order; an empty list means UTC.
    pub fn new(name: &str, mut changes: Vec<Change>) -> Zone {
        changes.sort_by_key(|c| c.from_ms);
        if changes.is_empty() {
            changes.push(Change { from_ms: i64::MIN, offset_s: 0, abbreviation: "UTC".to_owned() });
        }
        Zone { name: name.to_owned(), changes }
    }

    /// One offset for all time.
    pub fn fixed(name: &str, offset_s: i32, abbreviation: &str) -> Zone {
        Zone::new(name, vec![Change { from_ms: i64::MIN, offset_s, abbreviation: abbreviation.to_owned() }])
    }

    fn at(&self, unix_ms: i64) -> &Change {
        let i = self.changes.partition_point(|c| c.from_ms <= unix_ms);
        &self.changes[i.saturating_sub(1)]
    }

    /// The local wall clock at a moment, in ms since 1970-01-01 00:00 local.
    fn local_ms(&self, unix_ms: i64) -> i64 {
        unix_ms.saturating_add(i64::from(self.at(unix_ms).offset_s) * 1000)
    }

    /// The offset's name in force at a moment (`MSK`, `EST`).
    pub fn abbreviation(&self, unix_ms: i64) -> &str {
        &self.at(unix_ms).abbreviation
    }

    /// `05:03`: a time of day, local, 24-hour.
    pub fn clock(&self, unix_ms: i64) -> String {
        let minutes = self.local_ms(unix_ms).div_euclid(60_000).rem_euclid(24 * 60);
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }

    /// `2026-11-24`: the local day of a moment.
    pub fn day_of(&self, unix_ms: i64) -> String {
        date(self.local_ms(unix_ms).div_euclid(DAY_MS))
    }

    /// `2026-11-24T08:03:09+03:00`: RFC 3339 with the local offset, for a spreadsheet read by people.
    pub fn rfc3339(&self, unix_ms: i64) -> String {
        let secs = self.local_ms(unix_ms).div_euclid(1000).rem_euclid(86_400);
        let offset = self.at(unix_ms).offset_s;
        let sign = if offset < 0 { '-' } else { '+' };
        let (oh, om) = (offset.abs() / 3600, offset.abs() / 60 % 60);
        format!(
            "{}T{:02}:{:02}:{:02}{sign}{oh:02}:{om:02}",
            self.day_of(unix_ms),
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }

    /// A local calendar day (days since 1970-01-01) as the span of unix ms from its midnight to the next: 23 or
    /// 25 hours on the days the clocks change.
    pub fn day_span(&self, day: i64) -> (i64, i64) {
        (self.midnight(day), self.midnight(day + 1))
    }

    /// The first moment of a local day: local midnight read with the offset in force then (two passes find it
    /// across a change). Where the clocks skip midnight, the day starts at the change that skips it.
    fn midnight(&self, day: i64) -> i64 {
        let local = day.saturating_mul(DAY_MS);
        let guess = local - i64::from(self.at(local).offset_s) * 1000;
        let moment = local - i64::from(self.at(guess).offset_s) * 1000;
        if self.local_ms(moment) == local {
            return moment;
        }
        self.changes
            .iter()
            .map(|c| c.from_ms)
            .find(|&t| t > moment - DAY_MS && self.local_ms(t) >= local && self.local_ms(t - 1) < local)
            .unwrap_or(moment)
    }

    /// The part of the table that covers `from_ms..to_ms`: what a page needs to draw its times.
    pub fn window(&self, from_ms: i64, to_ms: i64) -> Zone {
        let first = self.changes.partition_point(|c| c.from_ms <= from_ms).saturating_sub(1);
        let last = self.changes.partition_point(|c| c.from_ms <= to_ms);
        let mut changes = self.changes[first..last.max(first + 1)].to_vec();
        changes[0].from_ms = i64::MIN;
        Zone { name: self.name.clone(), changes }
    }

    /// One line for a `<meta>`: `Europe/Moscow|0:10800:MSK`, the first change written from 0.
    pub fn encode(&self) -> String {
        let mut out = self.name.clone();
        for c in &self.changes {
            out.push_str(&format!("|{}:{}:{}", c.from_ms.max(0), c.offset_s, c.abbreviation));
        }
        out
    }

    /// Reads what `encode` wrote; `None` for anything else.
    pub fn decode(line: &str) -> Option<Zone> {
        let mut parts = line.split('|');
        let name = parts.next()?;
        let mut changes = Vec::new();
        for part in parts {
            let mut fields = part.splitn(3, ':');
            let from_ms: i64 = fields.next()?.parse().ok()?;
            let offset_s: i32 = fields.next()?.parse().ok()?;
            let abbreviation = fields.next()?.to_owned();
            changes.push(Change { from_ms, offset_s, abbreviation });
        }
        let first = changes.first_mut()?;
        first.from_ms = i64::MIN;
        Some(Zone::new(name, changes))
    }
}

/// A day typed as `2026-11-24`, or day first as Russian (and much of Europe) writes it, `24.11.2026`: days since
/// 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let (y, m, d) = if s.contains('.') {
        let mut parts = s.splitn(3, '.');
        let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        ((1..=2).contains(&d.len()) && (1..=2).contains(&m.len()) && y.len() == 4).then_some((y, m, d))?
    } else {
        let mut parts = s.splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        (y.len() == 4 && m.len() == 2 && d.len() == 2).then_some((y, m, d))?
    };
    if ![y, m, d].iter().all(|part| part.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month[(m - 1) as usize] {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Days since 1970-01-01 as typed: `2026-11-24` (what `parse_date` reads).
pub fn date(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's civil_from_days.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    // 2026-03-08 07:00Z: New York springs forward (02:00 EST → 03:00 EDT).
    const NY_SPRING: i64 = 1_772_953_200_000;
    // 2026-11-01 06:00Z: New York falls back (02:00 EDT → 01:00 EST).
    const NY_FALL: i64 = 1_793_512_800_000;

    /// New York around 2026, as the IANA database has it.
    pub(crate) fn new_york() -> Zone {
        let change =
            |from_ms, offset_s, abbreviation: &str| Change { from_ms, offset_s, abbreviation: abbreviation.into() };
        Zone::new(
            "America/New_York",
            vec![
                change(i64::MIN, -5 * 3600, "EST"),
                change(NY_SPRING, -4 * 3600, "EDT"),
                change(NY_FALL, -5 * 3600, "EST"),
            ],
        )
    }

    pub(crate) fn moscow() -> Zone {
        Zone::fixed("Europe/Moscow", 3 * 3600, "MSK")
    }

    #[test]
    fn days_are_typed_year_first_or_day_first_with_dots() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date(" 2026-11-24 "), Some(1_795_478_400_000 / 86_400_000));
        assert_eq!(parse_date("2024-02-29"), Some(parse_date("2024-03-01").unwrap_or_default() - 1));
        assert_eq!(parse_date("24.11.2026"), parse_date("2026-11-24"));
        assert_eq!(parse_date("1.3.2024"), parse_date("2024-03-01"));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-1",
            "yesterday",
            "2026-11-24-1",
            "1969-12-31",
            "",
            "29.02.2023",
            "24.11.26",
            "2026.11.24",
            "2026-+1-01",
            "+1.11.2026",
            "24.11.2026.1",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn moments_read_in_local_time() {
        let t = NY_SPRING - HOUR; // 06:00Z
        assert_eq!(new_york().clock(t), "01:00");
        assert_eq!(new_york().clock(NY_SPRING), "03:00", "02:00 never happens");
        assert_eq!(new_york().abbreviation(NY_SPRING), "EDT");
        assert_eq!(moscow().clock(t), "09:00");
        assert_eq!(moscow().day_of(1_795_467_600_000), "2026-11-24", "21:00Z is already the next day in Moscow");
        assert_eq!(Zone::default().day_of(1_795_467_600_000), "2026-11-23");
        assert_eq!(moscow().rfc3339(1_795_467_600_000), "2026-11-24T00:00:00+03:00");
        assert_eq!(new_york().rfc3339(NY_FALL + 30 * 60_000), "2026-11-01T01:30:00-05:00");
        assert_eq!(Zone::fixed("Asia/Kolkata", -(5 * 3600 + 1800), "X").rfc3339(0), "1969-12-31T18:30:00-05:30");
    }

    #[test]
    fn a_local_day_runs_midnight_to_midnight_even_when_the_clocks_change() {
        let day = |s| parse_date(s).unwrap_or_else(|| unreachable!("{s}"));
        let (start, end) = moscow().day_span(day("2026-11-24"));
        assert_eq!((start, end - start), (1_795_467_600_000, 24 * HOUR));
        let (start, end) = new_york().day_span(day("2026-03-08"));
        assert_eq!((new_york().rfc3339(start), end - start), ("2026-03-08T00:00:00-05:00".to_owned(), 23 * HOUR));
        let (start, end) = new_york().day_span(day("2026-11-01"));
        assert_eq!((new_york().rfc3339(start), end - start), ("2026-11-01T00:00:00-04:00".to_owned(), 25 * HOUR));
        // A zone whose clocks skip midnight: the day starts at 01:00.
        let skips = Zone::new(
            "Skips",
            vec![
                Change { from_ms: i64::MIN, offset_s: 0, abbreviation: "A".into() },
                Change { from_ms: day("2026-03-08") * 86_400_000, offset_s: 3600, abbreviation: "B".into() },
            ],
        );
        let (start, _) = skips.day_span(day("2026-03-08"));
        assert_eq!(
            (skips.rfc3339(start), skips.day_of(start - 1)),
            ("2026-03-08T01:00:00+01:00".into(), "2026-03-07".into())
        );
    }

    #[test]
    fn a_window_keeps_the_offsets_in_force_and_travels_as_one_line() {
        let zone = new_york();
        let summer = zone.window(NY_SPRING + HOUR, NY_SPRING + 2 * HOUR);
        assert_eq!(summer.encode(), "America/New_York|0:-14400:EDT");
        assert_eq!(summer.clock(NY_SPRING + HOUR), zone.clock(NY_SPRING + HOUR));
        let year = zone.window(NY_SPRING - HOUR, NY_FALL + HOUR);
        assert_eq!(year, zone);
        assert_eq!(Zone::decode(&year.encode()), Some(year));
        assert_eq!(Zone::decode(&moscow().encode()), Some(moscow()));
        for bad in ["", "UTC", "UTC|x:0:UTC", "UTC|0:zero:UTC", "UTC|0:0"] {
            assert_eq!(Zone::decode(bad), None, "{bad}");
        }
    }
}
