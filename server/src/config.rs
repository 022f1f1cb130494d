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

    /// Requests sent (forms, API creates, cancels, callbacks) per client address per minute.
    #[arg(long, env = "ROADCALL_SEND_LIMIT", default_value_t = 30)]
    pub send_limit_per_minute: u32,

    /// Status reads (pages, API, live feeds) per client address per minute.
    #[arg(long, env = "ROADCALL_READ_LIMIT", default_value_t = 300)]
    pub read_limit_per_minute: u32,

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

    /// Take the client address from X-Forwarded-For (only behind a proxy you run).
    #[arg(long, env = "ROADCALL_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
}

/// "2m", "90s", "500ms", or a bare number of minutes.
fn parse_interval(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: i64 = number.parse().map_err(|_| format!("{s:?} is not an interval: write 2m, 90s or 500ms"))?;
    let ms = match unit.trim() {
        "" | "m" | "min" => n.checked_mul(60_000),
        "s" => n.checked_mul(1_000),
        "ms" => Some(n),
        "h" => n.checked_mul(3_600_000),
        other => return Err(format!("unknown unit {other:?}: use ms, s, m or h")),
    };
    ms.filter(|ms| (100..=24 * 3_600_000).contains(ms)).ok_or_else(|| "between 100ms and 24h, please".to_owned())
}

#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCommand),
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
