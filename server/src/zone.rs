//! `--time-zone`: the IANA database read once, at start, into the table of offsets the app works with.

use app::domain::{Change, Zone};
use jiff::{Timestamp, tz::TimeZone};

/// Every change of the named zone from 1970 to 2100; an unknown name is refused with what to write instead.
pub fn parse(name: &str) -> Result<Zone, String> {
    let tz = TimeZone::get(name.trim())
        .map_err(|e| format!("{e}: use an IANA time zone name such as Europe/Moscow, America/New_York or UTC"))?;
    let (from, to) = (Timestamp::UNIX_EPOCH, Timestamp::from_second(4_102_444_800).unwrap_or(Timestamp::MAX));
    let first = tz.to_offset_info(from);
    let mut changes = vec![Change {
        from_ms: i64::MIN,
        offset_s: first.offset().seconds(),
        abbreviation: first.abbreviation().into(),
    }];
    for t in tz.following(from).take_while(|t| t.timestamp() <= to) {
        let (from_ms, offset_s) = (t.timestamp().as_millisecond(), t.offset().seconds());
        changes.push(Change { from_ms, offset_s, abbreviation: t.abbreviation().into() });
    }
    Ok(Zone::new(tz.iana_name().unwrap_or(name.trim()), changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_come_from_the_iana_database() -> Result<(), String> {
        let moscow = parse("europe/moscow")?;
        assert_eq!(moscow.name, "Europe/Moscow");
        // 2026-11-23T21:00:00Z
        assert_eq!(moscow.rfc3339(1_795_467_600_000), "2026-11-24T00:00:00+03:00");
        // Moscow kept summer time until 2011: its 2010 summer was +04:00.
        assert_eq!(moscow.rfc3339(1_278_000_000_000), "2010-07-01T20:00:00+04:00");
        let new_york = parse("America/New_York")?;
        assert_eq!(new_york.clock(1_772_953_200_000), "03:00", "2026-03-08 02:00 EST is 03:00 EDT");
        assert_eq!(new_york.abbreviation(1_772_953_200_000), "EDT");
        assert_eq!(parse("UTC")?, Zone::fixed("UTC", 0, "UTC"));
        let refused = parse("Mars/Olympus").err().unwrap_or_default();
        assert!(refused.contains("Mars/Olympus") && refused.contains("Europe/Moscow"), "{refused}");
        Ok(())
    }
}
