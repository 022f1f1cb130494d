//! Settings from flags and environment. The `LEPTOS_*` names are the ones cargo-leptos sets, so the built
//! binary runs the same under `cargo leptos serve` and on its own.

use std::{net::SocketAddr, path::PathBuf};

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

    /// Database. SQLite by default: one file, created with its folder if missing.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "sqlite://data/roadcall.db")]
    pub database_url: String,

    /// Folder with the built site (wasm, JS, CSS, icons), as cargo-leptos writes it.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// The number behind every "Call us" button.
    #[arg(long, env = "ROADCALL_CALL_US", default_value = "+1 202 555 0100")]
    pub call_us: String,

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
    },
    /// Disable an account: it can no longer log in, and goes off duty at once.
    Disable { login: String },
    /// Enable a disabled account again.
    Enable { login: String },
    /// List staff.
    List,
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
    fn sessions_last_thirty_days_unless_told_otherwise() {
        let config = Config::try_parse_from(["server"]).map(|c| c.session_max_age_ms);
        assert_eq!(config.ok(), Some(30 * DAY_MS));
    }
}
