//! What keeps password guessing and login floods in check: failures counted per login typed (whether or not the
//! account exists, so a lock says nothing about which logins are real), and a cap on password hashes computed at
//! once (argon2 takes about 19 MiB each; a flood of logins must not take the server's memory).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Failures within this window count towards a lock; a login quiet this long after its last lock starts afresh.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// This many failures within the window lock the login.
const FAILURES: usize = 5;
const FIRST_LOCK: Duration = Duration::from_secs(60);
const LONGEST_LOCK: Duration = Duration::from_secs(15 * 60);
/// Logins can not be longer; a longer one typed is counted under its beginning, so nobody grows the table with
/// megabyte-long names.
const KEY_CHARS: usize = 64;
/// Past this many logins remembered, those with nothing left to remember are forgotten.
const PRUNE_ABOVE: usize = 10_000;
/// A login that waits this long for its turn to be checked is told to try again.
const BUSY_AFTER: Duration = Duration::from_secs(3);

/// Logins and password hashing, shared by every request.
pub struct Logins {
    throttle: LoginThrottle,
    /// One permit per password hash computed at once. Public so a test can hold them all.
    pub hashing: Semaphore,
}

impl Logins {
    /// About one hash at a time per core: more would only queue inside the blocking pool, holding memory.
    pub fn new() -> Logins {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Logins { throttle: LoginThrottle::default(), hashing: Semaphore::new(cores) }
    }

    /// Refused with the time left while the login typed is locked.
    pub(super) fn check(&self, login: &str) -> Result<(), Duration> {
        self.throttle.check(login, Instant::now())
    }

    pub(super) fn failed(&self, login: &str) {
        self.throttle.failed(login, Instant::now());
    }

    pub(super) fn succeeded(&self, login: &str) {
        self.throttle.succeeded(login);
    }

    /// A turn to hash a login's password, or `None` when too many are waiting.
    pub(super) async fn turn_to_hash(&self) -> Option<SemaphorePermit<'_>> {
        tokio::time::timeout(BUSY_AFTER, self.hashing.acquire()).await.ok()?.ok()
    }

    /// A turn to hash for an admin's change (a new account, a new password): waits as long as it takes.
    pub(super) async fn turn_to_hash_patiently(&self) -> Option<SemaphorePermit<'_>> {
        self.hashing.acquire().await.ok()
    }
}

impl Default for Logins {
    fn default() -> Self {
        Logins::new()
    }
}

/// Failed logins per login typed: after `FAILURES` within `WINDOW`, locked for a minute, then two, four… up to
/// fifteen. A success clears it. Kept in memory: a restart forgets, which costs an attacker a restart.
#[derive(Default)]
struct LoginThrottle {
    logins: Mutex<HashMap<String, Failures>>,
}

#[derive(Default)]
struct Failures {
    /// Failures since the last lock, within the window.
    recent: Vec<Instant>,
    /// Locks so far: each doubles the next.
    locks: u32,
    locked_until: Option<Instant>,
    last_failure: Option<Instant>,
}

impl Failures {
    /// When nothing happened since: the last failure or the end of the last lock.
    fn quiet_since(&self) -> Option<Instant> {
        self.last_failure.max(self.locked_until)
    }
}

impl LoginThrottle {
    fn check(&self, login: &str, now: Instant) -> Result<(), Duration> {
        let logins = self.logins.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match logins.get(&key(login)).and_then(|f| f.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    fn failed(&self, login: &str, now: Instant) {
        let mut logins = self.logins.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if logins.len() > PRUNE_ABOVE {
            logins.retain(|_, f| f.quiet_since().is_some_and(|t| now.saturating_duration_since(t) < WINDOW));
        }
        let failures = logins.entry(key(login)).or_default();
        if failures.quiet_since().is_some_and(|t| now.saturating_duration_since(t) >= WINDOW) {
            *failures = Failures::default();
        }
        failures.recent.retain(|t| now.saturating_duration_since(*t) < WINDOW);
        failures.recent.push(now);
        failures.last_failure = Some(now);
        if failures.recent.len() >= FAILURES {
            let lock = FIRST_LOCK.saturating_mul(1 << failures.locks.min(10)).min(LONGEST_LOCK);
            failures.locked_until = Some(now + lock);
            failures.locks += 1;
            failures.recent.clear();
        }
    }

    fn succeeded(&self, login: &str) {
        self.logins.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&key(login));
    }
}

/// The login as the store would look it up, so " SAM " and "sam" share their failures.
pub(super) fn key(login: &str) -> String {
    login.trim().to_lowercase().chars().take(KEY_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn fail(throttle: &LoginThrottle, login: &str, at: Instant, times: usize) {
        (0..times).for_each(|_| throttle.failed(login, at));
    }

    #[test]
    fn five_failures_lock_a_login_for_a_minute_then_doubling_up_to_fifteen() {
        let throttle = LoginThrottle::default();
        let mut now = Instant::now();
        fail(&throttle, "sam", now, 4);
        assert_eq!(throttle.check("sam", now), Ok(()), "four are not enough");
        fail(&throttle, "sam", now, 1);
        assert_eq!(throttle.check("sam", now), Err(MIN));
        assert_eq!(throttle.check("SAM ", now + MIN / 2), Err(MIN / 2), "however it is typed");
        assert_eq!(throttle.check("dee", now), Ok(()), "other logins are not touched");
        for lock in [2, 4, 8, 15, 15] {
            now += 15 * MIN;
            assert_eq!(throttle.check("sam", now), Ok(()), "the lock ends");
            fail(&throttle, "sam", now, 5);
            assert_eq!(throttle.check("sam", now), Err(lock * MIN));
        }
    }

    #[test]
    fn failures_count_only_within_fifteen_minutes() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        fail(&throttle, "sam", start, 4);
        fail(&throttle, "sam", start + 15 * MIN, 1);
        assert_eq!(throttle.check("sam", start + 15 * MIN), Ok(()));
    }

    #[test]
    fn a_quiet_quarter_hour_after_a_lock_starts_the_doubling_afresh() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        fail(&throttle, "sam", start, 5);
        let later = start + MIN + 15 * MIN;
        fail(&throttle, "sam", later, 5);
        assert_eq!(throttle.check("sam", later), Err(MIN));
    }

    #[test]
    fn a_success_clears_the_failures() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        fail(&throttle, "sam", now, 4);
        throttle.succeeded("sam");
        fail(&throttle, "sam", now, 4);
        assert_eq!(throttle.check("sam", now), Ok(()));
    }

    #[test]
    fn a_flood_of_made_up_logins_does_not_grow_the_table_without_end() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        (0..PRUNE_ABOVE + 1).for_each(|i| throttle.failed(&format!("made-up-{i}"), start));
        throttle.failed("sam", start + WINDOW);
        assert_eq!(throttle.logins.lock().map(|l| l.len()).unwrap_or_default(), 1);
    }
}
