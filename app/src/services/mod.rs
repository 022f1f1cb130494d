//! What every request handler and server function reaches for: the store, the live feed and the settings.
//! Built once at start-up; cheap to clone.

mod alerts;
mod dispatch;
mod escalation;
mod jobs;
mod staff;

use std::sync::Arc;

use crate::{
    domain::{
        Actor, EventKind, FieldError, FollowUpRefusal, HelpRequestDraft, Ladder, Progress, Region, StatusToken,
        StatusView, Step,
    },
    live::{Changed, LiveFeed},
    store::{Created, Loaded, NewEvent, NewRecord, Store, StoreError},
};

pub use crate::domain::StaffMember;
pub use alerts::{
    AlertReport, AlertSettings, Alerts, AlertsError, DeviceSubscription, SubscribeError, SubscriptionKeys,
};
pub use dispatch::{DispatchError, PhoneInError, require_dispatch};
pub use jobs::JobError;
pub use staff::{LoginError, StaffError};

#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub live: Arc<dyn LiveFeed>,
    pub settings: Arc<Settings>,
    pub alerts: Arc<Alerts>,
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// Numbers typed without a country code are read as this country's.
    pub default_region: Region,
    /// The number behind every "Call us" button.
    pub call_us: String,
    /// How long each rung of the escalation ladder waits.
    pub ladder: Ladder,
}

/// Where a request came from: the customer's page, a partner's system, or a dispatcher taking a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Web,
    Api,
    /// A dispatcher typed it in for a caller.
    Phone,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Api => "api",
            Source::Phone => "phone",
        }
    }

    fn actor(self) -> Actor {
        match self {
            Source::Web => Actor::Customer,
            Source::Api => Actor::Partner,
            Source::Phone => Actor::Staff,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the request is not valid")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no request has this link")]
    UnknownToken,
    #[error("this request is closed")]
    Closed,
    #[error("{0}")]
    FollowUp(#[from] FollowUpRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a customer can do on their status page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerAction {
    Cancel,
    CallMeBack,
}

impl Services {
    /// The one way a request enters the system, whoever sends it.
    pub async fn submit(
        &self,
        draft: &HelpRequestDraft,
        source: Source,
        idempotency_key: Option<&str>,
    ) -> Result<Created, SubmitError> {
        self.submit_by(draft, source, idempotency_key, None).await
    }

    /// `submit`, naming the member of staff who typed it in for a caller.
    async fn submit_by(
        &self,
        draft: &HelpRequestDraft,
        source: Source,
        idempotency_key: Option<&str>,
        staff_id: Option<i64>,
    ) -> Result<Created, SubmitError> {
        let request = draft.validate(self.settings.default_region).map_err(SubmitError::Invalid)?;
        let created = self
            .store
            .create_request(NewRecord {
                request: &request,
                source: source.as_str(),
                idempotency_key: idempotency_key.filter(|k| !k.is_empty()),
                actor: source.actor(),
                staff_id,
            })
            .await?;
        if !created.replayed {
            self.live.publish(Changed::Request(created.id));
            self.alert_waiting(created.id);
        }
        Ok(created)
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
            let kind = match action {
                CustomerAction::Cancel => EventKind::Cancelled,
                CustomerAction::CallMeBack if loaded.view.callback_requested => return Ok(None),
                CustomerAction::CallMeBack => EventKind::CallbackRequested,
            };
            Ok(Some(Step::new(kind, None, None)))
        })
        .await
    }

    /// The customer's answer to "Are you satisfied?" after Done: recorded once, as an event.
    pub async fn follow_up(&self, token: &str, rating: Option<&str>, comment: Option<&str>) -> Result<(), ActionError> {
        self.as_customer(token, |loaded| {
            Ok(Some(Progress::from_timeline(&loaded.view.timeline).decide_follow_up(rating, comment)?))
        })
        .await
    }

    /// What a customer does on the status page: the request behind the link, a decision on its latest timeline
    /// (`None`: nothing to record), and an append only if nothing changed meanwhile, since a technician may
    /// append at the same moment; otherwise read and decide again.
    async fn as_customer(
        &self,
        token: &str,
        decide: impl Fn(&Loaded) -> Result<Option<Step>, ActionError>,
    ) -> Result<(), ActionError> {
        let token = StatusToken::parse(token).ok_or(ActionError::UnknownToken)?;
        let id = self.store.request_id_by_token(token.as_str()).await?.ok_or(ActionError::UnknownToken)?;
        loop {
            let loaded = self.store.load(id).await?.ok_or(ActionError::UnknownToken)?;
            let Some(step) = decide(&loaded)? else { return Ok(()) };
            if self.store.append_event(id, loaded.version, &NewEvent::step(step, Actor::Customer, None)).await? {
                self.live.publish(Changed::Request(id));
                return Ok(());
            }
        }
    }
}
