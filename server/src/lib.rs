//! The thin server: reads the configuration, opens the store, and wires routes to the app and the services.
//! Everything with rules in it lives in `app`.

// Deep view types: an island's props and view, resolved by the server's async render.
#![recursion_limit = "256"]

mod assets;
mod auth;
mod cli;
mod config;
mod connections;
mod language;
mod limits;
mod privacy;
mod reply;
mod routes;
mod zone;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use app::session::SessionStore;
use app::{
    domain::{Ladder, Region},
    i18n::td_string,
    services::{AlertSettings, Alerts, AlertsError, Logins, Messaging, Paging, Services, Settings},
    store::{Store, StoreError},
    twilio::{Twilio, TwilioAccount},
};
use axum::extract::FromRef;
use leptos::prelude::*;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower_sessions::{ExpiredDeletion, Expiry, SessionManagerLayer, cookie::SameSite};

pub use config::Config;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Alerts(#[from] AlertsError),
}

/// What every route handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    pub limits: Arc<limits::Limits>,
    pub public_url: Arc<str>,
    /// The staff sessions themselves, for live feeds to ask whether theirs still exists.
    pub sessions: SessionStore,
    /// The live feeds open now, against their caps, and how long each may last.
    pub feeds: Arc<routes::FeedSlots>,
    pub lifecycle: Lifecycle,
    pub health_timeout: Duration,
}

/// Where the server is in its life: serving, draining (a signal came: `/healthz` says 503 so balancers look
/// elsewhere), closing (no more connections accepted; live feeds end; answers in flight finish).
#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    pub draining: CancellationToken,
    pub closing: CancellationToken,
}

/// How the server stops: the notice, then the bounded drain.
#[derive(Clone, Copy, Debug)]
struct Stopping {
    notice: Duration,
    drain: Duration,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// A server bound to its address, ready to serve.
pub struct Server {
    pub addr: SocketAddr,
    pub services: Services,
    /// The base of links handed out (the configured public URL, or this address).
    pub public_url: String,
    listener: tokio::net::TcpListener,
    router: axum::Router,
    lifecycle: Lifecycle,
    timeouts: connections::Timeouts,
    stopping: Stopping,
}

impl Server {
    pub async fn bind(config: &Config) -> Result<Server, StartError> {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let public_url = public_url.trim_end_matches('/').to_owned();
        let services = services(config, &public_url).await?;
        let (sessions, session_layer) = sessions(&services.store, config).await?;
        let leptos_options = leptos_options(config)?;
        assets::precompress(&config.site_root).await;
        let state = AppState {
            leptos_options,
            services,
            limits: Arc::new(limits::Limits::new(config)),
            public_url: public_url.as_str().into(),
            sessions,
            feeds: Arc::new(routes::FeedSlots::new(config)),
            lifecycle: Lifecycle::default(),
            health_timeout: config.health_timeout,
        };
        Ok(Server {
            addr,
            public_url,
            listener,
            services: state.services.clone(),
            lifecycle: state.lifecycle.clone(),
            router: routes::router(state, session_layer, config.body_timeout),
            timeouts: connections::Timeouts { header_read: config.header_read_timeout, idle: config.idle_timeout },
            stopping: Stopping { notice: config.shutdown_notice, drain: config.drain_timeout },
        })
    }

    /// Serves until SIGINT/SIGTERM, then stops as `serve_until` does.
    pub async fn serve(self) -> Result<(), StartError> {
        self.serve_until(shutdown_signal()).await
    }

    /// Serves until `signal`; then `/healthz` answers 503 for the shutdown notice, the server stops accepting,
    /// live feeds end, the escalation ladder stops after its current round, and answers and job alerts in flight
    /// get up to the drain timeout to finish.
    pub async fn serve_until(self, signal: impl Future<Output = ()>) -> Result<(), StartError> {
        let Server { services, listener, router, lifecycle, timeouts, stopping, .. } = self;
        // The ladder carries on from the timelines: nothing it was doing is lost with a restart. It stops with
        // the server, also when a test drops the serving task.
        let mut ladder = AbortOnDrop(services.start_escalation(lifecycle.closing.clone()));
        // Texts and calls likewise carry on from the outbox after a restart.
        let mut outbox = services.start_outbox(lifecycle.closing.clone()).map(AbortOnDrop);
        let connections = TaskTracker::new();
        let accepting = connections::accept(listener, router, timeouts, lifecycle.closing.clone(), connections.clone());
        let stop = async {
            signal.await;
            lifecycle.draining.cancel();
            tracing::info!(notice = ?stopping.notice, "stopping: /healthz answers 503 from now on");
            tokio::time::sleep(stopping.notice).await;
            lifecycle.closing.cancel();
            tracing::info!(connections = connections.len(), "stopped accepting; draining");
        };
        tokio::join!(accepting, stop);
        connections.close();
        let drained = tokio::time::timeout(stopping.drain, async {
            let alerts = async {
                // The ladder's last round may have sent alerts: wait for it, then for every alert.
                if let Err(e) = (&mut ladder.0).await {
                    tracing::warn!(error = %e, "the escalation ladder ended badly");
                }
                services.finish_alerts().await;
                if let Some(outbox) = &mut outbox
                    && let Err(e) = (&mut outbox.0).await
                {
                    tracing::warn!(error = %e, "the outbox's sender ended badly");
                }
            };
            tokio::join!(connections.wait(), alerts);
        })
        .await;
        match drained {
            Ok(()) => tracing::info!("drained; exiting"),
            Err(_) => tracing::warn!(
                connections = connections.len(),
                "the drain timeout passed: exiting with work still in flight (alerts are sent again by the ladder)"
            ),
        }
        Ok(())
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The store (migrated), the live feed and the settings: what both the server and the CLI work on. Links in
/// texts and the provider's webhooks start with `public_url`.
async fn services(config: &Config, public_url: &str) -> Result<Services, StartError> {
    let default_region = Region::parse(&config.default_region).ok_or_else(|| {
        StartError::Config(format!("unknown region {:?}: use an ISO code like US or DE", config.default_region))
    })?;
    let store = Store::open(&config.database_url).await?;
    // A service that speaks another language starts with its truck checklists in it (until someone edits them).
    if config.default_locale != app::Locale::en {
        let (english, own) =
            (app::texts::seed::checklists(app::Locale::en), app::texts::seed::checklists(config.default_locale));
        store.translate_untouched_checklists(&english, &own).await?;
    }
    let alerts = Alerts::open(
        &store,
        AlertSettings {
            contact: config.push_contact.clone(),
            loopback_http: config.push_allow_http,
            max_devices: config.max_alert_devices,
        },
    )
    .await?;
    let messaging = match (&config.twilio_account_sid, &config.twilio_auth_token, &config.twilio_from) {
        (Some(_), Some(auth_token), Some(_)) if auth_token.trim().is_empty() => {
            return Err(StartError::Config("--twilio-auth-token is empty: webhooks could be forged".into()));
        }
        // Texts carry links, and the provider calls back: both need the address the world sees. Only a server
        // on this machine alone (tests, a trial) may do without.
        (Some(_), Some(_), Some(_)) if config.public_url.is_none() && !config.addr.ip().is_loopback() => {
            return Err(StartError::Config(
                "texts and calls need --public-url: their links and the provider's webhooks use it".into(),
            ));
        }
        (Some(account_sid), Some(auth_token), Some(from)) => {
            let from = app::domain::Phone::parse(from, default_region).map_err(|e| {
                StartError::Config(format!("--twilio-from: {}", app::texts::Say::say(&e, config.default_locale)))
            })?;
            let account = TwilioAccount {
                api_base: config.twilio_api_base.clone(),
                account_sid: account_sid.clone(),
                auth_token: auth_token.clone(),
                from: from.e164().to_owned(),
            };
            let twilio = Twilio::new(account).map_err(|e| StartError::Config(format!("the SMS client: {e}")))?;
            let paging = Paging { sms_after_ms: config.alert_sms_after_ms, call_after_ms: config.alert_call_after_ms };
            Some(Arc::new(Messaging::new(twilio, paging)))
        }
        (None, None, None) => None,
        _ => {
            return Err(StartError::Config(
                "texts and calls need all of --twilio-account-sid, --twilio-auth-token and --twilio-from".into(),
            ));
        }
    };
    Ok(Services {
        live: store.live_feed(),
        store,
        settings: Arc::new(Settings {
            default_region,
            call_us: config.call_us.clone(),
            zone: config.time_zone.clone(),
            default_locale: config.default_locale,
            public_url: public_url.to_owned(),
            ladder: Ladder { every_ms: config.escalate_after_ms },
            idempotency_ttl_ms: config.idempotency_ttl_ms,
            session_max_age_ms: config.session_max_age_ms,
        }),
        alerts: Arc::new(alerts),
        logins: Arc::new(Logins::new()),
        messaging,
    })
}

pub async fn run(config: Config) -> Result<(), StartError> {
    // The commands send no texts: links in them would need the serving address.
    let public_url = config.public_url.clone().unwrap_or_default();
    match config.command.clone() {
        Some(config::Command::User(command)) => {
            return cli::user(&services(&config, &public_url).await?, command).await;
        }
        Some(config::Command::Partner(command)) => {
            let services = services(&config, &public_url).await?;
            return cli::partner(&services, command, config.partner_limit_per_minute).await;
        }
        Some(config::Command::Backup { path }) => {
            return cli::backup(&services(&config, &public_url).await?, &path).await;
        }
        None => {}
    }
    let server = Server::bind(&config).await?;
    let base = server.public_url.clone();
    tracing::info!(database = server.services.store.describe(), "roadcall is listening on {}", server.addr);
    let l = config.default_locale;
    println!("{}", td_string!(l, cli.running));
    for (what, path) in [
        (td_string!(l, cli.customer), "/"),
        (td_string!(l, cli.technician), "/tech"),
        (td_string!(l, cli.dispatch), "/dispatch"),
        (td_string!(l, cli.partner_api), "/api/v1/requests"),
        (td_string!(l, cli.health), "/healthz"),
    ] {
        println!("  {what:<12} {base}{path}");
    }
    if config.demo {
        println!("{}", td_string!(l, cli.demo_accounts, base = &base));
        for demo in cli::seed_demo(&server.services).await? {
            let role = demo.role.as_str();
            let login = format!("{:<9}", demo.login);
            match demo.password {
                Some(password) => println!("  {role:<11}  {}", td_string!(l, cli.demo_login, login, password)),
                None => println!("  {role:<11}  {}", td_string!(l, cli.demo_disabled, login, user = &demo.login)),
            }
        }
    }
    server.serve().await
}

/// Staff sessions in the database, so a restart logs nobody out. The cookie is HttpOnly and SameSite=Lax
/// (a link from a push notification or a text message still arrives logged in), and Secure when served over
/// https. A technician's phone stays logged in for two weeks of inactivity, and never past the absolute lifetime
/// (`--session-max-age`), which `app::session` checks on every use since the store knows only inactivity.
async fn sessions(
    store: &Store,
    config: &Config,
) -> Result<(SessionStore, SessionManagerLayer<SessionStore>), StartError> {
    let sessions = store.session_store().await?;
    let cleanup = sessions.clone();
    tokio::spawn(async move {
        if let Err(e) = cleanup.continuously_delete_expired(std::time::Duration::from_secs(3600)).await {
            tracing::warn!(error = %e, "removing expired sessions stopped");
        }
    });
    let secure = config.public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
    if !secure {
        tracing::warn!(
            "session cookies are not marked Secure: set --public-url https://… when serving beyond this machine"
        );
    }
    let layer = SessionManagerLayer::new(sessions.clone())
        .with_name(if secure { "__Host-roadcall" } else { "roadcall" })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::days(14)));
    Ok((sessions, layer))
}

fn leptos_options(config: &Config) -> Result<LeptosOptions, StartError> {
    let mut options =
        leptos::config::get_configuration(None).map_err(|e| StartError::Config(e.to_string()))?.leptos_options;
    options.site_addr = config.addr;
    options.site_root = config.site_root.to_string_lossy().as_ref().into();
    // cargo-leptos writes hash.txt beside the binary when file hashing is on; honour it when run directly too.
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        options.hash_files = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref()).exists()))
            .unwrap_or(false);
    }
    Ok(options)
}

/// SIGINT or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = interrupt => {}, () = terminate => {} }
}
