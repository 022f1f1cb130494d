//! What every request handler and server function reaches for: the store, the live feed and the settings.
//! Built once at start-up; cheap to clone.

mod alerts;
mod dispatch;
mod escalation;
mod jobs;
mod logins;
mod outbox;
mod partners;
mod staff;

use std::sync::Arc;

use crate::{
    domain::{Actor, Event, FieldRefusal, FollowUpRefusal, HelpRequestDraft, Ladder, Region, StatusToken, StatusView},
    live::{Changed, LiveFeed},
    store::{Creation, Idempotency, Loaded, NewRecord, Store, StoreError},
};

pub use crate::domain::StaffMember;
pub use alerts::{
    AlertReport, AlertSettings, Alerts, AlertsError, DeviceSubscription, SubscribeError, SubscriptionKeys, Unreadable,
};
pub use dispatch::{DispatchError, PhoneInError, require_dispatch};
pub use jobs::JobError;
pub use logins::Logins;
pub use outbox::{Answered, Messaging, Paging};
pub use partners::{PartnerError, PartnerKey};
pub use staff::{LoggedIn, LoginError, StaffError};

#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub live: Arc<dyn LiveFeed>,
    pub settings: Arc<Settings>,
    pub alerts: Arc<Alerts>,
    pub logins: Arc<Logins>,
    /// Texts and calls: `None` when no provider is configured (then alerts are push only).
    pub messaging: Option<Arc<outbox::Messaging>>,
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// Numbers typed without a country code are read as this country's.
    pub default_region: Region,
    /// The number behind every "Call us" button.
    pub call_us: String,
    /// The service's time zone, for every time shown to people and every report day.
    pub zone: crate::domain::Zone,
    /// The language of pages when neither the visitor nor their browser names one we speak.
    pub default_locale: crate::Locale,
    /// The base of links in texts and of the provider's webhooks (`https://help.example.com`).
    pub public_url: String,
    /// How long each rung of the escalation ladder waits.
    pub ladder: Ladder,
    /// How long a staff session lasts from login, however busy it is kept (inactivity ends it sooner).
    pub session_max_age_ms: i64,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl_ms: i64,
}

/// What was sent, as a hash: a repeated key must come with the same request.
fn fingerprint(draft: &HelpRequestDraft) -> String {
    use sha2::{Digest, Sha256};
    // The language is how to word the texts, not what was asked: a form sent again after a switch of language
    // is the same request.
    let what = HelpRequestDraft { language: None, ..draft.clone() };
    let bytes = serde_json::to_vec(&what).unwrap_or_default();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a request came from: the customer's page, a partner's system, or a dispatcher taking a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Web,
    /// A partner, by the key it called with.
    Partner(i64),
    /// A dispatcher typed it in for a caller.
    Phone {
        staff_id: i64,
    },
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Partner(_) => "api",
            Source::Phone { .. } => "phone",
        }
    }

    fn actor(self) -> Actor {
        match self {
            Source::Web => Actor::Customer,
            Source::Partner(_) => Actor::Partner,
            Source::Phone { .. } => Actor::Staff,
        }
    }

    /// Whose idempotency keys these are: a key never reaches another caller's request.
    fn caller(self) -> String {
        match self {
            Source::Web => "web".to_owned(),
            Source::Partner(id) => format!("partner:{id}"),
            Source::Phone { staff_id } => format!("staff:{staff_id}"),
        }
    }
}

/// A request as it was answered: new, or the first one again for a repeated key.
#[derive(Clone, Debug, PartialEq)]
pub struct Submitted {
    pub id: i64,
    pub number: String,
    pub token: String,
    pub replayed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the request is not valid")]
    Invalid(Vec<FieldRefusal>),
    #[error("the idempotency key was used for another request")]
    KeyReused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no request has this link")]
    UnknownToken,
    #[error("this request is closed")]
    Closed,
    #[error("refused: {0:?}")]
    FollowUp(FollowUpRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FollowUpRefusal> for ActionError {
    fn from(refusal: FollowUpRefusal) -> ActionError {
        ActionError::FollowUp(refusal)
    }
}

/// What a customer can do on their status page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerAction {
    Cancel,
    CallMeBack,
}

impl Services {
    /// A person's language from its stored tag: the server's default when they have none (or one we no longer ship).
    pub fn locale_of(&self, tag: Option<&str>) -> crate::Locale {
        tag.and_then(|t| t.parse().ok()).unwrap_or(self.settings.default_locale)
    }

    /// The one way a request enters the system, whoever sends it. A repeated idempotency key returns the first
    /// request, once its caller and body match; keys expire after the configured time.
    pub async fn submit(
        &self,
        draft: &HelpRequestDraft,
        source: Source,
        idempotency_key: Option<&str>,
    ) -> Result<Submitted, SubmitError> {
        let request = draft.validate(self.settings.default_region).map_err(SubmitError::Invalid)?;
        let caller = source.caller();
        let fingerprint = fingerprint(draft);
        let idempotency = idempotency_key.filter(|k| !k.is_empty()).map(|key| Idempotency {
            caller,
            key: key.to_owned(),
            fingerprint,
            not_before_ms: crate::store::now_ms() - self.settings.idempotency_ttl_ms,
        });
        let (partner_id, staff_id) = match source {
            Source::Partner(id) => (Some(id), None),
            Source::Phone { staff_id } => (None, Some(staff_id)),
            Source::Web => (None, None),
        };
        let queue = self.queue_for(&crate::domain::Progress::default(), &crate::domain::Event::Received, None);
        let record = NewRecord {
            request,
            source: source.as_str(),
            idempotency,
            actor: source.actor(),
            staff_id,
            partner_id,
            queue,
        };
        // In a task of its own: a caller that hangs up while the commit syncs must not leave a request stored but
        // never announced to the boards and the technicians' phones.
        let services = self.clone();
        let stored = tokio::spawn(async move {
            let creation = services.store.create_request(record).await?;
            if let Creation::New(created) = &creation {
                services.live.publish(Changed::Request(created.id));
                services.wake_sender();
                services.alert_waiting(created.id);
            }
            Ok::<_, StoreError>(creation)
        });
        let (created, replayed) = match stored.await.map_err(|_| StoreError::WriterStopped)?? {
            Creation::New(created) => (created, false),
            Creation::Replayed(created) => (created, true),
            Creation::KeyReused => return Err(SubmitError::KeyReused),
        };
        Ok(Submitted { id: created.id, number: created.number, token: created.token, replayed })
    }

    /// The customer's view of the request behind a status link.
    pub async fn status_by_token(&self, token: &str) -> Result<Option<(i64, StatusView)>, StoreError> {
        let Some(token) = StatusToken::parse(token) else { return Ok(None) };
        let Some(id) = self.store.request_id_by_token(token.as_str()).await? else { return Ok(None) };
        Ok(self.store.load(id).await?.map(|loaded| (id, loaded.view.for_customer())))
    }

    /// Records the customer's cancel or callback. Repeating one is harmless: a second "call me back" while the
    /// first is pending adds nothing.
    pub async fn customer_action(&self, token: &str, action: CustomerAction) -> Result<(), ActionError> {
        self.as_customer(token, |loaded| {
            if !loaded.view.status.is_open() {
                return Err(ActionError::Closed);
            }
            Ok(Some(match action {
                CustomerAction::Cancel => Event::Cancelled { reason: None },
                CustomerAction::CallMeBack if loaded.view.callback_requested => return Ok(None),
                CustomerAction::CallMeBack => Event::CallbackRequested,
            }))
        })
        .await
    }

    /// The customer's answer to "Are you satisfied?" after Done: recorded once, as an event.
    pub async fn follow_up(&self, token: &str, rating: Option<&str>, comment: Option<&str>) -> Result<(), ActionError> {
        self.as_customer(token, |loaded| Ok(Some(loaded.progress.decide_follow_up(rating, comment)?))).await
    }

    /// What a customer does on the status page: the request behind the link, a decision on its latest timeline
    /// (`None`: nothing to record), and an append only if nothing changed meanwhile, since a technician may
    /// append at the same moment; otherwise read and decide again.
    async fn as_customer(
        &self,
        token: &str,
        decide: impl Fn(&Loaded) -> Result<Option<Event>, ActionError>,
    ) -> Result<(), ActionError> {
        let token = StatusToken::parse(token).ok_or(ActionError::UnknownToken)?;
        let id = self.store.request_id_by_token(token.as_str()).await?.ok_or(ActionError::UnknownToken)?;
        loop {
            let loaded = self.store.load(id).await?.ok_or(ActionError::UnknownToken)?;
            let Some(event) = decide(&loaded)? else { return Ok(()) };
            if self.record(&loaded, Actor::Customer, None, &event).await? {
                return Ok(());
            }
        }
    }
}
