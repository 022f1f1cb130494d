//! Settings from flags and environment. The `LEPTOS_*` names are the ones cargo-leptos sets, so the built
//! binary runs the same under `cargo leptos serve` and on its own.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Parser, Subcommand};

#[derive(Clone, Debug, Parser)]
#[command(name = "server", version, about = "roadcall: roadside help requests, from the customer's phone to the truck")]
pub struct Config {
    /// Without a command: serve.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Also create a demo technician and dispatcher (fresh passwords at every start, printed). Never on by
    /// default: demo accounts exist only when asked for.
    #[arg(long, env = "ROADCALL_DEMO")]
    pub demo: bool,

    /// Address to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Database. SQLite by default: one file, created with its folder if missing. `postgres://user@host/db` (or
    /// `postgresql://…?host=/run/postgresql` for a socket) for PostgreSQL, where several instances share it.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "sqlite://data/roadcall.db")]
    pub database_url: String,

    /// Folder with the built site (wasm, JS, CSS, icons), as cargo-leptos writes it.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// The number behind every "Call us" button.
    #[arg(long, env = "ROADCALL_CALL_US", default_value = "+1 202 555 0100")]
    pub call_us: String,

    /// The language of pages when neither the visitor's choice nor their browser's names one we speak (en, ru).
    #[arg(long, env = "ROADCALL_DEFAULT_LOCALE", default_value = "en", value_parser = parse_locale)]
    pub default_locale: app::Locale,

    /// The time zone of every time shown to people and of report days (an IANA name: Europe/Moscow).
    #[arg(long, env = "ROADCALL_TIME_ZONE", default_value = "UTC", value_parser = crate::zone::parse)]
    pub time_zone: app::domain::Zone,

    /// Country assumed for phone numbers typed without a country code (ISO 3166 code).
    #[arg(long, env = "ROADCALL_DEFAULT_REGION", default_value = "US")]
    pub default_region: String,

    /// Base URL used in links handed to partners (status_url). Defaults to http://<addr>.
    #[arg(long, env = "ROADCALL_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Customers' requests, cancels, callbacks and follow-ups per client address per minute (partners have their
    /// own limit).
    #[arg(long, env = "ROADCALL_SEND_LIMIT", default_value_t = 30)]
    pub send_limit_per_minute: u32,

    /// Pages, files and status reads per client address per minute (a page load is several files).
    #[arg(long, env = "ROADCALL_READ_LIMIT", default_value_t = 1200)]
    pub read_limit_per_minute: u32,

    /// Live feeds opened (status pages, boards) per client address per minute.
    #[arg(long, env = "ROADCALL_FEED_LIMIT", default_value_t = 60)]
    pub feed_limit_per_minute: u32,

    /// Login attempts (and partner keys tried) per client address per minute.
    #[arg(long, env = "ROADCALL_LOGIN_LIMIT", default_value_t = 30)]
    pub login_limit_per_minute: u32,

    /// Staff posts and page reads per client address per minute.
    #[arg(long, env = "ROADCALL_STAFF_LIMIT", default_value_t = 600)]
    pub staff_limit_per_minute: u32,

    /// "Send me a test alert" per client address per minute.
    #[arg(long, env = "ROADCALL_TEST_ALERT_LIMIT", default_value_t = 3)]
    pub test_alert_limit_per_minute: u32,

    /// Requests a partner may create per minute, unless `server partner add --limit` set its own.
    #[arg(long, env = "ROADCALL_PARTNER_LIMIT", default_value_t = 120)]
    pub partner_limit_per_minute: u32,

    /// How long an Idempotency-Key is remembered: a retry within it returns the first request.
    #[arg(long = "idempotency-ttl", env = "ROADCALL_IDEMPOTENCY_TTL", default_value = "24h", value_parser = parse_interval)]
    pub idempotency_ttl_ms: i64,

    /// Whom push services may contact about our alerts (VAPID "sub"): a mailto: or https: URL.
    #[arg(long, env = "ROADCALL_PUSH_CONTACT", default_value = "mailto:roadcall@localhost")]
    pub push_contact: String,

    /// Accept plain-http push endpoints on a loopback IP literal (127.0.0.1, [::1]), and nothing else private.
    /// Only for the test suite's own push service.
    #[arg(long, env = "ROADCALL_PUSH_ALLOW_HTTP", hide = true)]
    pub push_allow_http: bool,

    /// How many devices (phones, tablets) one member of staff may have job alerts on.
    #[arg(long, env = "ROADCALL_MAX_ALERT_DEVICES", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_alert_devices: u32,

    /// How long a request may wait unaccepted (or a job run past its ETA) before the next rung of the
    /// escalation ladder: technicians alerted again, then backups, then an alarm on every dispatch board.
    /// Minutes, or with a unit: 90s, 2m, 500ms.
    #[arg(long = "escalate-after", env = "ROADCALL_ESCALATE_AFTER", default_value = "2m", value_parser = parse_interval)]
    pub escalate_after_ms: i64,

    /// How long a staff session lasts from login, however busy it is kept; two weeks without use end it sooner.
    /// With a unit: 30d, 12h, 90s (a bare number is minutes).
    #[arg(long = "session-max-age", env = "ROADCALL_SESSION_MAX_AGE", default_value = "30d", value_parser = parse_lifetime)]
    pub session_max_age_ms: i64,

    /// How long a client may take to send a request's head (the request line and headers), from connecting or
    /// from its first byte after the previous answer; a slower one is disconnected.
    #[arg(long, env = "ROADCALL_HEADER_READ_TIMEOUT", default_value = "30s", value_parser = parse_timeout)]
    pub header_read_timeout: Duration,

    /// How long a client may take to send a request's whole body (forms and API calls are at most 16 KiB);
    /// a slower one is answered 408.
    #[arg(long, env = "ROADCALL_BODY_TIMEOUT", default_value = "30s", value_parser = parse_timeout)]
    pub body_timeout: Duration,

    /// How long a kept-alive connection may sit with no request before it is closed. Behind a load balancer,
    /// keep it longer than the balancer's own idle timeout (60 s on most), so the balancer closes first.
    #[arg(long, env = "ROADCALL_IDLE_TIMEOUT", default_value = "75s", value_parser = parse_timeout)]
    pub idle_timeout: Duration,

    /// Live feeds (customers' status pages) open at once from one client address; more are refused with 429.
    #[arg(long, env = "ROADCALL_FEEDS_PER_CLIENT", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub feeds_per_client: u32,

    /// Live feeds (boards, job and request screens) open at once in one staff login session, wherever its
    /// tabs are (a call centre behind one address is not limited as one client); more are refused with 429.
    #[arg(long, env = "ROADCALL_FEEDS_PER_SESSION", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub feeds_per_session: u32,

    /// Live feeds open at once in all; more are refused with 503. Each is an open connection: keep this below
    /// the process's open-file limit (`ulimit -n`).
    #[arg(long, env = "ROADCALL_MAX_FEEDS", default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_feeds: u32,

    /// How long one live feed stays open before the server ends it and the browser reconnects by itself; every
    /// message is the page's whole view, so nothing is missed.
    #[arg(long, env = "ROADCALL_FEED_LIFETIME", default_value = "30m", value_parser = parse_timeout)]
    pub feed_lifetime: Duration,

    /// Text messages and voice calls go through this Twilio-compatible API. Without an account SID, an auth
    /// token and a number to send from, SMS and calls are off and alerts are Web Push only.
    #[arg(long, env = "ROADCALL_TWILIO_API_BASE", default_value = "https://api.twilio.com")]
    pub twilio_api_base: String,

    /// The Twilio account (AC…).
    #[arg(long, env = "ROADCALL_TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,

    /// The account's auth token: signs the API calls and proves the provider's webhooks are genuine.
    #[arg(long, env = "ROADCALL_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub twilio_auth_token: Option<String>,

    /// The number texts and calls come from (E.164, e.g. +12025550100). Point its incoming messages at
    /// <public URL>/twilio/sms.
    #[arg(long, env = "ROADCALL_TWILIO_FROM")]
    pub twilio_from: Option<String>,

    /// While a request waits for someone, each member alerted by push gets a text this long after the push
    /// (if they have a mobile number)...
    #[arg(long = "alert-sms-after", env = "ROADCALL_ALERT_SMS_AFTER", default_value = "1m", value_parser = parse_interval)]
    pub alert_sms_after_ms: i64,

    /// ...and a phone call this long after it, to press 1 to take the job. Both stop the moment anyone owns it.
    #[arg(long = "alert-call-after", env = "ROADCALL_ALERT_CALL_AFTER", default_value = "3m", value_parser = parse_interval)]
    pub alert_call_after_ms: i64,

    /// After SIGTERM or SIGINT: how long /healthz answers 503 while everything else is still served, so a load
    /// balancer takes this instance out before it stops accepting connections. 0 stops accepting at once.
    #[arg(long, env = "ROADCALL_SHUTDOWN_NOTICE", default_value = "0s", value_parser = parse_notice)]
    pub shutdown_notice: Duration,

    /// After it stops accepting: how long the server waits for answers and job alerts in flight before it exits
    /// anyway (live feeds end at once; an alert not sent by then is sent again by the escalation ladder).
    #[arg(long, env = "ROADCALL_DRAIN_TIMEOUT", default_value = "10s", value_parser = parse_timeout)]
    pub drain_timeout: Duration,

    /// How long /healthz waits for its test write to the database before answering 503.
    #[arg(long, env = "ROADCALL_HEALTH_TIMEOUT", default_value = "2s", value_parser = parse_timeout)]
    pub health_timeout: Duration,

    /// Behind one proxy you run: the client is the address it appends to X-Forwarded-For (the rightmost).
    #[arg(long, env = "ROADCALL_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// Behind a chain of N proxies you run: the client is the Nth address from the right of X-Forwarded-For.
    /// 0 (the default) ignores the header.
    #[arg(long, env = "ROADCALL_TRUSTED_PROXIES", default_value_t = 0)]
    pub trusted_proxies: usize,
}

/// An escalation interval: "2m", "90s", "500ms", or a bare number of minutes; up to a day.
fn parse_interval(s: &str) -> Result<i64, String> {
    let ms = parse_ms(s, "2m, 90s or 500ms")?;
    (100..=DAY_MS).contains(&ms).then_some(ms).ok_or_else(|| "between 100ms and 24h, please".to_owned())
}

/// A session's absolute lifetime: "30d", "12h", "90s"; from a second (for tests) to a year.
fn parse_lifetime(s: &str) -> Result<i64, String> {
    let ms = parse_ms(s, "30d, 12h or 90s")?;
    (1_000..=366 * DAY_MS).contains(&ms).then_some(ms).ok_or_else(|| "between 1s and 366d, please".to_owned())
}

/// A connection or drain timeout: "30s", "500ms", "2m"; from 100 ms to a day.
fn parse_timeout(s: &str) -> Result<Duration, String> {
    let ms = parse_ms(s, "30s, 500ms or 2m")?;
    (100..=DAY_MS)
        .contains(&ms)
        .then(|| Duration::from_millis(ms.unsigned_abs()))
        .ok_or_else(|| "between 100ms and 24h, please".to_owned())
}

/// The shutdown notice: "0s" (none) up to ten minutes.
fn parse_notice(s: &str) -> Result<Duration, String> {
    let ms = parse_ms(s, "0s, 5s or 1m")?;
    (0..=600_000)
        .contains(&ms)
        .then(|| Duration::from_millis(ms.unsigned_abs()))
        .ok_or_else(|| "between 0s and 10m, please".to_owned())
}

const DAY_MS: i64 = 24 * 3_600_000;

/// Milliseconds from a number and a unit (ms, s, m, h, d; none is minutes).
fn parse_ms(s: &str, example: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: i64 = number.parse().map_err(|_| format!("{s:?} is not an interval: write {example}"))?;
    let per_unit = match unit.trim() {
        "" | "m" | "min" => 60_000,
        "s" => 1_000,
        "ms" => 1,
        "h" => 3_600_000,
        "d" => DAY_MS,
        other => return Err(format!("unknown unit {other:?}: use ms, s, m, h or d")),
    };
    n.checked_mul(per_unit).ok_or_else(|| format!("{s:?} is far too long"))
}

#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Partners' API keys (insurers' call centres, telematics).
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// Copy the database to PATH, consistent to one moment, while the server keeps serving (SQLite).
    Backup {
        /// A file that does not exist yet.
        path: std::path::PathBuf,
    },
}

#[derive(Clone, Debug, Subcommand)]
pub enum PartnerCommand {
    /// Add a partner and print its API key. The key is shown this once: only a hash of it is stored.
    Add {
        /// A short name: letters, digits, dots, dashes, underscores.
        name: String,
        /// Requests it may create per minute (default: --partner-limit-per-minute).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// List partners, their limits, and whether their key is revoked.
    List,
    /// Revoke a partner's key at once: its calls get 401 from now on.
    Revoke { name: String },
}

#[derive(Clone, Debug, Subcommand)]
pub enum UserCommand {
    /// Add a member of staff. The password is read from standard input (one line), never from the command line.
    Add {
        /// Login name: letters, digits, dots, dashes, underscores, @.
        login: String,
        /// Full name; customers see the first name.
        #[arg(long)]
        name: String,
        /// technician, dispatcher or admin.
        #[arg(long, value_parser = ["technician", "dispatcher", "admin"])]
        role: String,
        /// Mobile number for texts and calls when push does not wake them (+ and the country code).
        #[arg(long)]
        phone: Option<String>,
        /// Their language for pages, alerts, texts and calls: en or ru (default: the one they first log in with).
        #[arg(long, value_parser = parse_locale)]
        language: Option<app::Locale>,
    },
    /// Disable an account: it can no longer log in, and goes off duty at once.
    Disable { login: String },
    /// Enable a disabled account again.
    Enable { login: String },
    /// List staff.
    List,
}

fn parse_locale(s: &str) -> Result<app::Locale, String> {
    s.trim().parse().map_err(|_| format!("{s:?} is not a language we speak: use en or ru"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_lifetimes_take_days_hours_and_seconds() {
        assert_eq!(parse_lifetime("30d"), Ok(30 * DAY_MS));
        assert_eq!(parse_lifetime("12h"), Ok(12 * 3_600_000));
        assert_eq!(parse_lifetime(" 90s "), Ok(90_000));
        assert_eq!(parse_lifetime("400d").map_err(|e| e.contains("366d")), Err(true));
        assert_eq!(parse_lifetime("500ms").map_err(|e| e.contains("1s")), Err(true));
        assert!(parse_lifetime("30 days").is_err());
        assert!(parse_lifetime("99999999999999999d").is_err());
        assert!(parse_lifetime("d").is_err());
    }

    #[test]
    fn escalation_intervals_still_stop_at_a_day() {
        assert_eq!(parse_interval("2"), Ok(120_000));
        assert_eq!(parse_interval("1d"), Ok(DAY_MS));
        assert!(parse_interval("2d").is_err());
        assert!(parse_interval("50ms").is_err());
    }

    #[test]
    fn connection_timeouts_take_units_and_stay_in_bounds() {
        assert_eq!(parse_timeout("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_timeout("50ms").is_err());
        assert!(parse_timeout("0s").is_err());
        assert_eq!(parse_notice("0s"), Ok(Duration::ZERO));
        assert!(parse_notice("11m").is_err());
    }

    #[test]
    fn connection_defaults_are_the_documented_ones() {
        let c = Config::try_parse_from(["server"]).ok();
        let c = c.as_ref();
        assert_eq!(c.map(|c| c.header_read_timeout), Some(Duration::from_secs(30)));
        assert_eq!(c.map(|c| c.body_timeout), Some(Duration::from_secs(30)));
        assert_eq!(c.map(|c| c.idle_timeout), Some(Duration::from_secs(75)));
        assert_eq!(c.map(|c| (c.feeds_per_client, c.feeds_per_session, c.max_feeds)), Some((20, 20, 2000)));
        assert_eq!(c.map(|c| c.feed_lifetime), Some(Duration::from_secs(1800)));
        assert_eq!(c.map(|c| (c.shutdown_notice, c.drain_timeout)), Some((Duration::ZERO, Duration::from_secs(10))));
        assert_eq!(c.map(|c| c.health_timeout), Some(Duration::from_secs(2)));
    }

    #[test]
    fn sessions_last_thirty_days_unless_told_otherwise() {
        let config = Config::try_parse_from(["server"]).map(|c| c.session_max_age_ms);
        assert_eq!(config.ok(), Some(30 * DAY_MS));
    }
}
