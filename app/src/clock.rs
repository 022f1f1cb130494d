//! The server's time: every stored timestamp and every decision of the escalation ladder read it. It is the wall
//! clock carried forward by the monotonic clock, and it follows a wall clock that is stepped (by hand, by NTP
//! after a bad boot) by at most a tenth of the time that passes, as NTP slews: a step back never stops it (the
//! ladder would stall), a step forward never jumps it (every rung would fall due at once). It never runs
//! backwards, not even across a restart: it starts no earlier than the last time the store recorded.

use std::sync::{Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// How fast the clock may catch up with a stepped wall clock: a tenth of the elapsed time.
const SLEW: i64 = 10;
/// Elapsed time saved up for corrections, at most: readings a millisecond apart still correct, and a long quiet
/// spell never allows one big jump.
const BUDGET_MS: i64 = 10_000;

/// Where the readings come from: the real clocks, or a test's.
pub trait Source: Send + Sync {
    /// Unix ms, as the wall clock says: may step either way.
    fn wall_ms(&self) -> i64;
    /// Ms since some start: never goes backwards.
    fn mono_ms(&self) -> i64;
}

/// The machine's clocks.
pub struct System {
    start: Instant,
}

impl Source for System {
    fn wall_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }

    fn mono_ms(&self) -> i64 {
        i64::try_from(self.start.elapsed().as_millis()).unwrap_or(i64::MAX)
    }
}

pub struct Clock<S: Source> {
    source: S,
    last: Mutex<Last>,
}

struct Last {
    /// Our time at the last reading, and the monotonic reading it was taken at.
    ours: i64,
    mono: i64,
    /// Elapsed ms not yet spent on corrections (each ms of correction spends `SLEW`).
    budget: i64,
}

impl<S: Source> Clock<S> {
    pub fn new(source: S) -> Clock<S> {
        let last = Last { ours: source.wall_ms(), mono: source.mono_ms(), budget: 0 };
        Clock { source, last: Mutex::new(last) }
    }

    /// Unix ms now: never less than the last reading.
    pub fn now_ms(&self) -> i64 {
        let (wall, mono) = (self.source.wall_ms(), self.source.mono_ms());
        let mut last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let elapsed = (mono - last.mono).max(0);
        last.budget = (last.budget + elapsed).min(BUDGET_MS);
        // How far the wall clock is from where we would be at its own pace, corrected only in part.
        let behind = wall - (last.ours + elapsed);
        let correction = behind.clamp(-last.budget / SLEW, last.budget / SLEW);
        last.budget -= correction.abs() * SLEW;
        last.ours += elapsed + correction;
        last.mono = mono;
        last.ours
    }

    /// Starts no earlier than `ms`: after a restart, the last time the store recorded.
    pub fn not_before(&self, ms: i64) {
        let mut last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        last.ours = last.ours.max(ms);
    }
}

fn process() -> &'static Clock<System> {
    static CLOCK: OnceLock<Clock<System>> = OnceLock::new();
    CLOCK.get_or_init(|| Clock::new(System { start: Instant::now() }))
}

/// Unix ms by the server's clock: every timestamp we store is one of these.
pub fn now_ms() -> i64 {
    process().now_ms()
}

/// The server's clock starts no earlier than `ms` (the last time the store recorded).
pub fn not_before(ms: i64) {
    process().not_before(ms);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering::SeqCst};

    use super::*;
    use crate::domain::{EventKind, Ladder, Progress, event::tests::recorded, status::tests::entry};

    /// Clocks a test sets by hand.
    #[derive(Default)]
    struct Hands {
        wall: AtomicI64,
        mono: AtomicI64,
    }

    impl Source for &Hands {
        fn wall_ms(&self) -> i64 {
            self.wall.load(SeqCst)
        }
        fn mono_ms(&self) -> i64 {
            self.mono.load(SeqCst)
        }
    }

    impl Hands {
        fn pass(&self, ms: i64) {
            self.wall.fetch_add(ms, SeqCst);
            self.mono.fetch_add(ms, SeqCst);
        }
    }

    const T0: i64 = 1_800_000_000_000;
    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;

    #[test]
    fn it_keeps_the_wall_clocks_pace_and_time() {
        let hands = Hands { wall: T0.into(), mono: 5.into() };
        let clock = Clock::new(&hands);
        hands.pass(1_234);
        assert_eq!(clock.now_ms(), T0 + 1_234);
        // A small NTP correction is taken in at once, within a tenth of the time that passed.
        hands.wall.fetch_add(50, SeqCst);
        hands.pass(1_000);
        assert_eq!(clock.now_ms(), T0 + 2_284);
    }

    #[test]
    fn a_wall_clock_stepped_back_an_hour_never_stops_it() {
        let hands = Hands { wall: T0.into(), mono: 0.into() };
        let clock = Clock::new(&hands);
        let mut last = clock.now_ms();
        hands.wall.fetch_sub(HOUR, SeqCst);
        for _ in 0..600 {
            hands.pass(1_000);
            let now = clock.now_ms();
            assert!(now - last >= 900, "at least nine tenths of real time: {}", now - last);
            last = now;
        }
        // It catches up with the wall clock within ten times the step.
        for _ in 0..11 * 3600 {
            hands.pass(1_000);
            clock.now_ms();
        }
        assert_eq!(clock.now_ms(), hands.wall.load(SeqCst));
    }

    #[test]
    fn a_wall_clock_stepped_forward_an_hour_does_not_fire_every_rung_at_once() {
        let hands = Hands { wall: T0.into(), mono: 0.into() };
        let clock = Clock::new(&hands);
        let ladder = Ladder { every_ms: 2 * MIN };
        let mut timeline = vec![entry(EventKind::Received, clock.now_ms(), None, None)];
        // A minute in, the wall clock jumps an hour ahead; the ladder looks every second, as it does.
        hands.pass(MIN);
        hands.wall.fetch_add(HOUR, SeqCst);
        let mut climbed_at = Vec::new();
        for second in 61..=400 {
            hands.pass(1_000);
            let now = clock.now_ms();
            if let Some((_, _, rung)) = ladder.due(&Progress::fold(&timeline), now) {
                climbed_at.push(second);
                timeline.push(recorded(rung, now, None));
            }
        }
        // One rung per interval, each at most a tenth early: not three rungs in one pass.
        assert_eq!(climbed_at.len(), 3, "{climbed_at:?}");
        assert!(climbed_at.windows(2).all(|w| w[1] - w[0] >= 108), "{climbed_at:?}");
        assert!(climbed_at[0] >= 109, "{climbed_at:?}");
    }

    #[test]
    fn readings_a_millisecond_apart_still_follow_the_wall_clock_at_a_tenth() {
        let hands = Hands { wall: T0.into(), mono: 0.into() };
        let clock = Clock::new(&hands);
        hands.wall.fetch_add(MIN, SeqCst);
        let mut last = clock.now_ms();
        for _ in 0..100_000 {
            hands.pass(1);
            let now = clock.now_ms();
            assert!((0..=2).contains(&(now - last)), "never backwards, never a jump: {}", now - last);
            last = now;
        }
        // 100 s passed: 10 s of the minute's step taken in, give or take a reading.
        let taken = last - (T0 + 100_000);
        assert!((9_990..=10_000).contains(&taken), "{taken}");
    }

    #[test]
    fn after_a_restart_it_starts_no_earlier_than_the_store_recorded() {
        let hands = Hands { wall: T0.into(), mono: 0.into() };
        let clock = Clock::new(&hands);
        clock.not_before(T0 + HOUR);
        hands.pass(1_000);
        assert!(clock.now_ms() >= T0 + HOUR + 900);
    }
}
