//! Texts and calls beside Web Push: what each event queues (in its own transaction), the sender that works the
//! outbox with retries, and what the provider tells us back (receipts, a technician's reply, a key pressed in a
//! call, a customer's STOP).

use std::time::Duration;

use super::{JobError, Services, StaffMember};
use crate::{
    domain::{
        Actor, Channel, Event, JobAction, Outgoing, Progress, Purpose, Refusal, Reply, RequestNumber, RequestStatus,
        SendNote, SendState, opt_out_word, read_reply,
    },
    live::Changed,
    paths,
    store::{Claimed, Loaded, Queue, Receipt, StoreError, now_ms},
    texts::Wording,
    twilio::{OPTED_OUT, Sent, Twilio, gather_twiml, reply_twiml},
};

/// When a member alerted by push is texted, then called, if nobody has taken the request by then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub sms_after_ms: i64,
    pub call_after_ms: i64,
}

/// The provider and the sender's state: present only when texts and calls are configured.
pub struct Messaging {
    twilio: Twilio,
    paging: Paging,
    /// Rung by every append that queued something, so a text due now goes now, not at the next look.
    wake: tokio::sync::Notify,
    sending: tokio_util::task::TaskTracker,
}

impl Messaging {
    pub fn new(twilio: Twilio, paging: Paging) -> Messaging {
        Messaging { twilio, paging, wake: tokio::sync::Notify::new(), sending: tokio_util::task::TaskTracker::new() }
    }

    pub fn twilio(&self) -> &Twilio {
        &self.twilio
    }

    /// The server's delays for the text and the call after a push (ms).
    pub fn paging(&self) -> (i64, i64) {
        (self.paging.sms_after_ms, self.paging.call_after_ms)
    }
}

/// How long a claimed text or call is ours: far longer than the provider's answer may take.
const LEASE_MS: i64 = 60_000;
/// Attempts before a text or call is given up: with the backoff below, about an hour and a half of trouble.
const MAX_ATTEMPTS: i64 = 12;
/// After this many failed attempts the provider is said to be in trouble, on every dispatch board.
pub const TROUBLE_AFTER_ATTEMPTS: i64 = 3;

/// The wait before attempt `attempt + 1`: 2 s, 4 s, 8 s … up to 15 min, give or take a tenth so that rows that
/// failed together are not all tried again together.
fn backoff_ms(attempt: i64, jitter: f64) -> i64 {
    let base = 2_000_i64.saturating_mul(1 << attempt.clamp(0, 20)).min(15 * 60_000);
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let spread = (base as f64 * 0.1 * (jitter * 2.0 - 1.0)) as i64;
    base + spread
}

/// What a claimed row sends.
enum Message {
    Text(String),
    /// What the call says, and the TwiML that says it.
    Call {
        said: String,
        twiml: String,
    },
}

impl Message {
    /// What dispatch reads of it.
    fn said(&self) -> &str {
        match self {
            Message::Text(text) => text,
            Message::Call { said, .. } => said,
        }
    }
}

/// What became of a webhook's answer from a member of staff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answered {
    Took(String),
    Passed(String),
    /// Refused, with the reason in words.
    Refused(String),
}

impl Services {
    /// Whether texts and calls are on, and whether the provider is taking them.
    pub(crate) async fn texting(&self) -> Result<crate::domain::Texting, StoreError> {
        let Some(messaging) = &self.messaging else { return Ok(crate::domain::Texting::default()) };
        Ok(crate::domain::Texting {
            after_ms: Some((messaging.paging.sms_after_ms, messaging.paging.call_after_ms)),
            trouble: self.store.sending_trouble(TROUBLE_AFTER_ATTEMPTS).await?,
        })
    }

    /// Who is on duty, and how alerts reach them: texts count only when they are on.
    pub(crate) async fn crew(&self) -> Result<Vec<crate::domain::CrewMember>, StoreError> {
        let mut crew = self.store.crew().await?;
        if self.messaging.is_none() {
            crew.iter_mut().for_each(|c| c.texts = false);
        }
        Ok(crew)
    }

    /// The texts and calls `event`, done by the member `by` if staff, sets going, `before` being the request's
    /// state before it.
    pub(crate) fn queue_for(&self, before: &Progress, event: &Event, by: Option<i64>) -> Vec<Queue> {
        let Some(messaging) = &self.messaging else { return Vec::new() };
        let paging = messaging.paging;
        // Who passed on it, or handed it back, is not paged about it again for this wait.
        let passed = match (event, by) {
            (Event::Declined { .. } | Event::Released { .. }, Some(id)) => Some(Queue::StopPagingMember(id)),
            _ => None,
        };
        Outgoing::after(before, event)
            .into_iter()
            .flat_map(|out| match out {
                Outgoing::Page { audience, wait_began } => vec![
                    Queue::Page { audience, wait_began, channel: Channel::Sms, after_ms: paging.sms_after_ms },
                    Queue::Page { audience, wait_began, channel: Channel::Call, after_ms: paging.call_after_ms },
                ],
                Outgoing::Customer(purpose) => vec![Queue::Customer { purpose }],
                Outgoing::StopPaging => vec![Queue::StopPaging],
            })
            .chain(passed)
            .collect()
    }

    /// Appends `event` to a request as read, with the texts and calls it sets going, unless something was
    /// appended since the read (then `Ok(false)`: read and decide again). Boards and the sender hear of it.
    pub(crate) async fn record(
        &self,
        loaded: &Loaded,
        actor: Actor,
        by: Option<i64>,
        event: &Event,
    ) -> Result<bool, StoreError> {
        let queue = self.queue_for(&loaded.progress, event, by);
        if !self.store.append_event(loaded.id, loaded.version, actor, by, event, &queue).await? {
            return Ok(false);
        }
        self.live.publish(Changed::Request(loaded.id));
        if !queue.is_empty() {
            self.wake_sender();
        }
        Ok(true)
    }

    pub(crate) fn wake_sender(&self) {
        if let Some(messaging) = &self.messaging {
            messaging.wake.notify_one();
        }
    }

    /// Works the outbox until `stop`: texts and calls due are sent, each once, those the provider did not take
    /// are tried again later. `None` when texts and calls are off.
    pub fn start_outbox(&self, stop: tokio_util::sync::CancellationToken) -> Option<tokio::task::JoinHandle<()>> {
        let messaging = self.messaging.clone()?;
        let services = self.clone();
        Some(tokio::spawn(async move {
            loop {
                let next = match services.send_due().await {
                    Ok(next) => next,
                    Err(e) => {
                        tracing::error!(error = %e, "the outbox could not be read; trying again");
                        Some(now_ms() + 1_000)
                    }
                };
                // Another instance may queue too: look at least every few seconds.
                let wait = next.map_or(5_000, |at| (at - now_ms()).clamp(0, 5_000));
                tokio::select! {
                    biased;
                    () = stop.cancelled() => break,
                    () = messaging.wake.notified() => {}
                    () = tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())) => {}
                }
            }
            messaging.sending.close();
            messaging.sending.wait().await;
        }))
    }

    /// Claims what is due and sends it, each in a task of its own; returns when the next is due.
    async fn send_due(&self) -> Result<Option<i64>, StoreError> {
        let Some(messaging) = &self.messaging else { return Ok(None) };
        loop {
            let claimed = self.store.claim_due(now_ms(), LEASE_MS, 50).await?;
            if claimed.is_empty() {
                break;
            }
            for row in claimed {
                let services = self.clone();
                messaging.sending.spawn(async move {
                    let (id, request_id, attempt) = (row.id, row.request_id, row.attempt);
                    if let Err(e) = services.send_one(row).await {
                        // Our own trouble (the database busy, say): the row is tried again, not lost.
                        tracing::error!(error = %e, outbox = id, "a text or call could not be sent; trying again");
                        let at = now_ms() + backoff_ms(attempt - 1, rand::random::<f64>());
                        if let Err(e) = services.store.retry_at(id, at, &SendNote::ServerBusy).await {
                            tracing::error!(error = %e, outbox = id, "a text or call could not be put back");
                        }
                    }
                    services.live.publish(Changed::Request(request_id));
                });
            }
        }
        self.store.next_due().await
    }

    /// Sends one claimed text or call, if it is still needed, and records what the provider said.
    async fn send_one(&self, row: Claimed) -> Result<(), StoreError> {
        let Some(messaging) = &self.messaging else { return Ok(()) };
        let cancel = |why: SendNote| async move { self.store.settle(row.id, SendState::Cancelled, &why, None).await };
        let Some(loaded) = self.store.load(row.request_id).await? else { return cancel(SendNote::RequestGone).await };
        let (v, p) = (&loaded.view, &loaded.progress);
        let status_callback = format!("{}{}", self.settings.public_url, paths::TWILIO_STATUS);
        let message = match row.purpose {
            Purpose::Page => {
                if p.status() != RequestStatus::Received || Some(p.since) != row.wait_began {
                    return cancel(SendNote::NoLongerWaiting).await;
                }
                let member = match row.staff_id {
                    Some(id) => self.store.staff_by_id(id).await?,
                    None => None,
                };
                let Some(member) = member.filter(|m| !m.disabled) else {
                    return cancel(SendNote::AccountDisabled).await;
                };
                let works_jobs = member.role.works_jobs();
                if works_jobs && member.on_duty_since.is_none() && !member.backup {
                    return cancel(SendNote::OffDuty).await;
                }
                let job = paths::at(if works_jobs { paths::TECH_JOB } else { paths::DISPATCH_REQUEST }, &v.number);
                let words = self.wording(member.locale.as_deref());
                match (row.channel, works_jobs) {
                    (Channel::Call, true) => {
                        let action = paths::at(paths::TWILIO_CALL, &row.id.to_string());
                        let action = format!("{}{action}", self.settings.public_url);
                        let speech = words.page_speech(v);
                        let twiml = gather_twiml(words.speech(&speech), &action, words.no_key());
                        Message::Call { said: speech, twiml }
                    }
                    (Channel::Call, false) => {
                        let speech = words.alarm_speech(v);
                        let twiml = reply_twiml(Some(words.speech(&speech)), None);
                        Message::Call { twiml, said: speech }
                    }
                    (_, true) => Message::Text(words.page_text(v, &job)),
                    (_, false) => Message::Text(words.alarm_text(v, &job)),
                }
            }
            purpose => {
                if self.store.opted_out(&row.to_phone).await? {
                    return cancel(SendNote::OptedOut).await;
                }
                if !crate::domain::Phone::from_stored(row.to_phone.clone()).takes_texts() {
                    return cancel(SendNote::NotMobile).await;
                }
                // News that is already old is not sent: "on the way" once they are there, say.
                let still_true = match purpose {
                    Purpose::OnTheWay | Purpose::Late => p.status() == RequestStatus::OnTheWay,
                    Purpose::FollowUp => p.status() == RequestStatus::Done && p.rating.is_none(),
                    Purpose::Page | Purpose::Received | Purpose::Cancelled => true,
                };
                let status_path = paths::at(paths::STATUS, &loaded.token);
                let words = self.wording(loaded.locale.as_deref());
                match words.customer_text(purpose, v, &status_path, now_ms()).filter(|_| still_true) {
                    Some(text) => Message::Text(text),
                    None => return cancel(SendNote::Overtaken).await,
                }
            }
        };
        self.store.mark_sending(row.id, message.said()).await?;
        let sent = match &message {
            Message::Text(text) => messaging.twilio.send_sms(&row.to_phone, text, &status_callback).await,
            Message::Call { twiml, .. } => messaging.twilio.place_call(&row.to_phone, twiml, &status_callback).await,
        };
        let body = Some(message.said());
        // What the provider said stays with the row for dispatch; the log gets no more than the row's id, as the
        // provider's words may quote the number.
        match sent {
            Sent::Accepted(sid) => self.store.mark_sent(row.id, &sid, message.said()).await,
            Sent::Refused { status, code, message } => {
                if code == Some(OPTED_OUT) && row.staff_id.is_none() {
                    self.store.set_opt_out(&row.to_phone, true).await?;
                }
                tracing::warn!(outbox = row.id, ?code, "the provider refused a text or call");
                self.store.settle(row.id, SendState::Failed, &SendNote::Refused { status, code, message }, body).await
            }
            // A customer is not texted twice; a page may be, as a second text beats a missed job.
            Sent::Unclear(trouble) if row.purpose != Purpose::Page => {
                tracing::warn!(outbox = row.id, "a text may or may not have gone out; not sent again");
                self.store.settle(row.id, SendState::Failed, &SendNote::MaybeSent { trouble }, body).await
            }
            Sent::Retry(trouble) | Sent::Unclear(trouble) if row.attempt >= MAX_ATTEMPTS => {
                let why = SendNote::GaveUp { attempts: row.attempt, trouble };
                self.store.settle(row.id, SendState::Failed, &why, body).await
            }
            Sent::Retry(trouble) | Sent::Unclear(trouble) => {
                tracing::warn!(outbox = row.id, attempt = row.attempt, "a text or call will be tried again");
                let at = now_ms() + backoff_ms(row.attempt - 1, rand::random::<f64>());
                self.store.retry_at(row.id, at, &SendNote::Retrying { trouble }).await
            }
        }
    }

    /// A receipt from the provider, by its id for the text or call (`MessageSid` / `CallSid`) and its status.
    pub async fn receipt(&self, sid: &str, status: &str, error_code: Option<&str>) -> Result<(), StoreError> {
        let state = match status {
            "delivered" | "read" | "in-progress" | "answered" | "completed" => SendState::Delivered,
            "failed" | "undelivered" | "busy" | "no-answer" | "canceled" => SendState::Failed,
            // queued, sending, sent, initiated, ringing: nothing new for dispatch.
            _ => return Ok(()),
        };
        let detail = (state == SendState::Failed)
            .then(|| SendNote::Reported { status: status.to_owned(), code: error_code.map(str::to_owned) });
        // A receipt can overtake the provider's answer to the send, which tells us the id: wait for it a little.
        for _ in 0..30 {
            match self.store.receipt(sid, state, detail.as_ref()).await? {
                Receipt::Applied(request_id) => {
                    self.live.publish(Changed::Request(request_id));
                    return Ok(());
                }
                Receipt::Stale => return Ok(()),
                Receipt::Unknown => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        Ok(())
    }

    /// Words for a reader whose language is this tag (`None`: the server's default).
    pub fn wording(&self, language: Option<&str>) -> Wording<'_> {
        Wording {
            public_url: &self.settings.public_url,
            call_us: &self.settings.call_us,
            locale: self.locale_of(language),
        }
    }

    /// A text to our number. A member of staff answers a page ("7K3Q" takes it, "NO 7K3Q" passes); a customer
    /// stops or starts our texts. What to text back, if anything.
    pub async fn text_received(&self, from: &str, body: &str) -> Result<Option<String>, StoreError> {
        if let Some(member) = self.store.staff_by_phone(from).await? {
            let member = super::staff::member(member);
            let words = self.wording(member.locale.as_deref());
            let answer = match read_reply(body) {
                Some(Reply::Take(number)) => self.answer_page(&member, &number, true, Channel::Sms).await?,
                Some(Reply::Pass(number)) => self.answer_page(&member, &number, false, Channel::Sms).await?,
                None => return Ok(Some(words.reply_help().to_owned())),
            };
            return Ok(Some(match answer {
                Answered::Took(number) => words.took_by_text(&number, &paths::at(paths::TECH_JOB, &number)),
                Answered::Passed(number) => words.passed_by_text(&number),
                Answered::Refused(why) => why,
            }));
        }
        // The provider answers STOP and START itself; we only stop sending.
        if let Some(out) = opt_out_word(body) {
            self.store.set_opt_out(from, out).await?;
        }
        Ok(None)
    }

    /// A key pressed in a page's call (`outbox_id`): 1 takes the job, 2 passes. What the call says back (TwiML),
    /// in the member's language and voice.
    pub async fn call_answered(&self, outbox_id: i64, digits: &str) -> Result<String, StoreError> {
        let said = |words: Wording, speech: String| reply_twiml(Some(words.speech(&speech)), None);
        let Some((request_id, Some(staff_id))) = self.store.outbox_page(outbox_id).await? else {
            let words = self.wording(None);
            return Ok(said(words, words.no_such_call().into()));
        };
        let member = self.store.staff_by_id(staff_id).await?.filter(|m| !m.disabled);
        let words = self.wording(member.as_ref().and_then(|m| m.locale.as_deref()));
        let (Some(loaded), Some(member)) = (self.store.load(request_id).await?, member) else {
            return Ok(said(words, words.job_gone().into()));
        };
        let Some(number) = RequestNumber::parse(&loaded.view.number) else {
            return Ok(said(words, words.job_gone().into()));
        };
        let member = super::staff::member(member);
        let answer = match digits.trim() {
            "1" => self.answer_page(&member, &number, true, Channel::Call).await?,
            "2" => self.answer_page(&member, &number, false, Channel::Call).await?,
            _ => return Ok(said(words, words.press_a_key().into())),
        };
        Ok(said(
            words,
            match answer {
                Answered::Took(_) => words.took_by_call(number.as_str()),
                Answered::Passed(_) => words.passed_by_call().into(),
                Answered::Refused(why) => words.refused_by_call(&why),
            },
        ))
    }

    /// A member answers a page through `via`: takes the job (as "Accept" in the app would) or passes on it.
    async fn answer_page(
        &self,
        who: &StaffMember,
        number: &RequestNumber,
        take: bool,
        via: Channel,
    ) -> Result<Answered, StoreError> {
        use crate::texts::Say;
        let number = number.as_str().to_owned();
        let l = self.locale_of(who.locale.as_deref());
        if !who.role.works_jobs() {
            return Ok(Answered::Refused(JobError::NotTechnician.say(l)));
        }
        if take {
            return match self.job_step_via(who, &number, JobAction::Accept, via).await {
                Ok(()) => Ok(Answered::Took(number)),
                Err(JobError::Store(e)) => Err(e),
                Err(refused) => Ok(Answered::Refused(refused.say(l))),
            };
        }
        loop {
            let loaded = match self.store.request_id_by_number(&number).await? {
                Some(id) => self.store.load(id).await?,
                None => None,
            };
            let Some(loaded) = loaded else {
                return Ok(Answered::Refused(JobError::NotFound(number).say(l)));
            };
            if loaded.progress.status() != RequestStatus::Received {
                let why = match &loaded.progress.owner {
                    Some((_, name)) => Refusal::TakenBy(name.clone()).say(l),
                    None => Refusal::Closed(loaded.progress.status()).say(l),
                };
                return Ok(Answered::Refused(why));
            }
            if self.record(&loaded, Actor::Staff, Some(who.id), &Event::Declined { via }).await? {
                return Ok(Answered::Passed(number));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_a_ceiling_with_a_little_spread() {
        assert_eq!(backoff_ms(0, 0.5), 2_000);
        assert_eq!(backoff_ms(3, 0.5), 16_000);
        assert_eq!(backoff_ms(30, 0.5), 15 * 60_000);
        assert_eq!(backoff_ms(0, 0.0), 1_800);
        assert_eq!(backoff_ms(0, 1.0), 2_200);
    }
}
