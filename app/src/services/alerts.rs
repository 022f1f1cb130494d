//! Job alerts to technicians' phones by Web Push, so a new request wakes the phone even with the app closed.
//! Every on-duty technician's devices get each new request (and each one handed back to the pool); each
//! delivery is recorded, and a subscription its push service has forgotten is deleted.

use serde::{Deserialize, Serialize};

use super::Services;
use crate::{
    Locale,
    domain::{StaffMember, StatusView},
    i18n::td_string,
    paths,
    push::{DeviceKeys, EndpointError, Pusher, Vapid},
    store::{Audience, DeviceSaved, NewDevice, Store, StoreError, Subscription},
};

/// The push side of the services: our VAPID identity and the sender.
pub struct Alerts {
    pusher: Pusher,
    max_devices: u32,
    /// Alerts being sent in the background, for a stopping server to wait for.
    sending: tokio_util::task::TaskTracker,
}

/// How alerts go out, from the server's settings.
#[derive(Clone, Debug)]
pub struct AlertSettings {
    /// Whom push services may contact about our alerts (VAPID "sub"): a mailto: or https: URL.
    pub contact: String,
    /// Plain http to a loopback IP literal: only for the test suite's own push service.
    pub loopback_http: bool,
    /// How many devices one member may have alerts on: each is a place the server sends to.
    pub max_devices: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the push client could not be built: {0}")]
    Client(#[from] reqwest::Error),
}

impl Alerts {
    /// Loads (or makes, on first start) the VAPID key kept in the database.
    pub async fn open(store: &Store, settings: AlertSettings) -> Result<Alerts, AlertsError> {
        let private = store.server_key("vapid_private", || Vapid::generate().private()).await?;
        let vapid = Vapid::from_private(&private).ok_or_else(|| StoreError::Corrupt("the stored VAPID key".into()))?;
        let pusher = Pusher::new(vapid, settings.contact, settings.loopback_http)?;
        Ok(Alerts { pusher, max_devices: settings.max_devices, sending: tokio_util::task::TaskTracker::new() })
    }
}

/// Why a device's subscription was not saved. Each says what to do, to the member on that device.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    #[error("unreadable subscription: {0:?}")]
    Invalid(Unreadable),
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    // Gone subscriptions are deleted at the next push, so a device whose alerts are turned off frees its place.
    #[error("already on {0} devices")]
    TooManyDevices(u32),
    #[error("another member's device")]
    OtherMembers,
    #[error("not saved: {0}")]
    Store(#[from] StoreError),
}

/// What in a subscription could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    DeviceId,
    /// The browser's keys, and what is wrong with them.
    Keys(crate::push::KeyError),
}

/// What a phone's browser hands over after subscribing.
#[derive(Clone, Debug, Deserialize)]
pub struct DeviceSubscription {
    /// Made by the app on the device and kept there, so subscribing again replaces the old subscription.
    pub device_id: String,
    pub endpoint: String,
    pub keys: SubscriptionKeys,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SubscriptionKeys {
    pub p256dh: String,
    pub auth: String,
}

/// How a round of pushes went: shown after "send me a test alert". Reached or not, and no more: whether some
/// server answered "gone", "error" or nothing at all would let a member probe whatever an endpoint names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertReport {
    pub devices: usize,
    pub delivered: usize,
    /// Failed, refused, or forgotten by their push service (those subscriptions are deleted).
    pub not_reached: usize,
}

/// Why a phone is alerted about a request: the notification's title says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    New,
    /// The escalation ladder: nobody has taken it.
    StillWaiting,
    /// The escalation ladder: the job is long past its ETA.
    Late,
    /// Dispatch gave the job to this technician.
    Assigned,
    /// The escalation ladder, to backups: a job is long past its ETA.
    Overdue,
    /// The ladder's top rung, to dispatchers and admins: nobody has it, or it is still late.
    Alarm,
}

/// What the notification says and where tapping it goes.
#[derive(Clone, Debug, Serialize)]
struct Notice {
    title: String,
    body: String,
    url: String,
    tag: String,
}

impl Services {
    /// The key browsers subscribe with (`applicationServerKey`).
    pub fn push_public_key(&self) -> String {
        self.alerts.pusher.vapid.public()
    }

    pub async fn subscribe_device(&self, who: &StaffMember, sub: &DeviceSubscription) -> Result<(), SubscribeError> {
        let id_ok = (8..=64).contains(&sub.device_id.len())
            && sub.device_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(SubscribeError::Invalid(Unreadable::DeviceId));
        }
        let endpoint = self.alerts.pusher.endpoint(&sub.endpoint)?;
        DeviceKeys::parse(&sub.keys.p256dh, &sub.keys.auth)
            .map_err(|e| SubscribeError::Invalid(Unreadable::Keys(e)))?;
        // Every address the name has now; the push client checks again at each send, as DNS may change.
        endpoint.resolve_public().await?;
        let device = NewDevice {
            device_id: &sub.device_id,
            endpoint: endpoint.as_str(),
            p256dh: &sub.keys.p256dh,
            auth: &sub.keys.auth,
        };
        let saved = self
            .store
            .save_subscription(who.id, &device, self.alerts.max_devices)
            .await
            .inspect_err(|e| tracing::error!(error = %e, "saving a push subscription failed"))?;
        match saved {
            DeviceSaved::Saved => {
                self.live.publish(crate::live::Changed::Crew);
                Ok(())
            }
            DeviceSaved::OtherMembers => Err(SubscribeError::OtherMembers),
            DeviceSaved::LimitReached => Err(SubscribeError::TooManyDevices(self.alerts.max_devices)),
        }
    }

    /// "Send me a test alert": proves this technician's devices can be reached.
    pub async fn test_alert(&self, who: &StaffMember) -> Result<AlertReport, StoreError> {
        let name = crate::domain::first_name(&who.name);
        let notice = |l: Locale| Notice {
            title: td_string!(l, push.test_title).into(),
            body: if who.role.dispatches() {
                td_string!(l, push.test_dispatch, name).to_string()
            } else {
                td_string!(l, push.test_tech, name).to_string()
            },
            url: if who.role.dispatches() { paths::DISPATCH } else { paths::TECH }.into(),
            tag: "test".into(),
        };
        let devices = self.store.subscriptions(Audience::Member(who.id)).await?;
        Ok(self.push(devices, notice).await)
    }

    /// Alerts every on-duty technician's devices about a request waiting for someone.
    pub(crate) fn alert_waiting(&self, request_id: i64) {
        self.alert(request_id, Audience::OnDuty, Why::New);
    }

    /// Alerts `audience` about a request, in the background: the customer's answer (or the dispatcher's, or the
    /// ladder's next tick) never waits for push services.
    pub(crate) fn alert(&self, request_id: i64, audience: Audience, why: Why) {
        let services = self.clone();
        self.alerts.sending.spawn(async move {
            if let Err(e) = services.alert_now(request_id, audience, why).await {
                tracing::error!(error = %e, request_id, "sending job alerts failed");
            }
        });
    }

    /// Waits until every alert sent in the background is done, those started meanwhile too: for a stopping
    /// server, after it stopped taking requests. Alerts sent later are still sent, and waited for by a later call.
    pub async fn finish_alerts(&self) {
        self.alerts.sending.close();
        self.alerts.sending.wait().await;
        self.alerts.sending.reopen();
    }

    async fn alert_now(&self, request_id: i64, audience: Audience, why: Why) -> Result<AlertReport, StoreError> {
        // Whose phones first: with nobody to reach (no one on duty with a device), nothing to load.
        let devices = self.store.subscriptions(audience).await?;
        if devices.is_empty() {
            return Ok(AlertReport::default());
        }
        let Some(loaded) = self.store.load(request_id).await? else { return Ok(AlertReport::default()) };
        let v = &loaded.view;
        // A dispatcher's tap opens dispatch's page of the request; a technician's, the job screen.
        let url = if why == Why::Alarm {
            paths::at(paths::DISPATCH_REQUEST, &v.number)
        } else {
            format!("{}?{}", paths::at(paths::TECH_JOB, &v.number), paths::FROM_ALERT)
        };
        let notice = |l: Locale| {
            let (title, body) = job_notice(l, v, why);
            Notice { title, body, url: url.clone(), tag: v.number.clone() }
        };
        let report = self.push(devices, notice).await;
        tracing::info!(request_id, ?audience, ?report, "job alerts sent");
        Ok(report)
    }

    /// Sends `notice` to each device in its owner's language.
    async fn push(&self, devices: Vec<Subscription>, notice: impl Fn(Locale) -> Notice) -> AlertReport {
        let mut payloads: Vec<(Locale, Vec<u8>)> = Vec::new();
        let mut report = AlertReport { devices: devices.len(), ..AlertReport::default() };
        // An alert not delivered before the ladder's next rung is outdated by it: the push service may drop it then.
        let ttl_s = u32::try_from((self.settings.ladder.every_ms + 999) / 1000).unwrap_or(u32::MAX).max(1);
        let mut sends = tokio::task::JoinSet::new();
        for device in devices {
            let locale = self.locale_of(device.locale.as_deref());
            let payload = match payloads.iter().find(|(l, _)| *l == locale) {
                Some((_, payload)) => payload.clone(),
                None => {
                    let payload = serde_json::to_vec(&notice(locale)).unwrap_or_default();
                    payloads.push((locale, payload.clone()));
                    payload
                }
            };
            let pusher = self.alerts.pusher.clone();
            sends.spawn(async move {
                let outcome = match DeviceKeys::parse(&device.p256dh, &device.auth) {
                    Ok(keys) => pusher.send(&device.endpoint, &keys, &payload, ttl_s).await,
                    Err(e) => crate::push::Delivery::Failed(e.to_string()),
                };
                (device.id, outcome)
            });
        }
        while let Some(Ok((id, outcome))) = sends.join_next().await {
            use crate::push::Delivery;
            let recorded = match &outcome {
                Delivery::Delivered => {
                    report.delivered += 1;
                    self.store.record_delivery(id, Ok(()), false).await
                }
                Delivery::Gone => {
                    report.not_reached += 1;
                    self.store.record_delivery(id, Ok(()), true).await
                }
                Delivery::Failed(e) => {
                    report.not_reached += 1;
                    // The subscription's id, never its endpoint: the endpoint's path names one person's device.
                    tracing::warn!(subscription = id, error = %e, "a job alert was not delivered");
                    self.store.record_delivery(id, Err(e), false).await
                }
            };
            if let Err(e) = recorded {
                tracing::warn!(error = %e, "recording a push delivery failed");
            }
        }
        // Boards show whose phones are reached: they reload.
        if report.devices > 0 {
            self.live.publish(crate::live::Changed::Crew);
        }
        report
    }
}

/// A job alert's title and body, in one language.
fn job_notice(l: Locale, v: &StatusView, why: Why) -> (String, String) {
    let place = match (&v.place, v.accuracy_m) {
        (Some(place), _) => place.clone(),
        (None, Some(a)) => td_string!(l, push.gps_within, m = a.round()).to_string(),
        (None, None) => td_string!(l, push.gps).to_owned(),
    };
    let vehicle = v.vehicle.describe().map(|d| format!(" · {d}")).unwrap_or_default();
    let urgent = if v.someone_inside { td_string!(l, push.emergency) } else { "" };
    let what = format!("{urgent}{} · {}", crate::texts::problem(l, v.problem), v.number);
    match why {
        Why::New => (what, format!("{place}{vehicle}")),
        Why::StillWaiting => {
            (td_string!(l, push.still_waiting, what).to_string(), td_string!(l, push.nobody_yet, place).to_string())
        }
        Why::Assigned => (td_string!(l, push.assigned, what).to_string(), format!("{place}{vehicle}")),
        Why::Overdue => {
            let who = v.technician.as_deref().unwrap_or(td_string!(l, push.the_technician));
            (td_string!(l, push.help_needed, what).to_string(), td_string!(l, push.past_eta, who, place).to_string())
        }
        Why::Alarm => {
            let why = match &v.technician {
                Some(who) if v.status == crate::domain::RequestStatus::OnTheWay => {
                    td_string!(l, push.still_late, who).to_string()
                }
                _ => td_string!(l, push.nobody_taken).to_owned(),
            };
            (td_string!(l, push.alarm, what).to_string(), format!("{why} {place}"))
        }
        Why::Late => {
            (td_string!(l, push.late_title, number = &v.number).to_string(), td_string!(l, push.late_body).to_owned())
        }
    }
}
