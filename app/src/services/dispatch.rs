//! Dispatch's side: the board of every open request, one request with its actions, the roster, phone-in
//! requests and the search of closed ones. Only dispatchers and admins; every check is here, on the server.

use super::{Services, SubmitError, alerts::Why, jobs::card};
use crate::{
    domain::{
        Actor, BOARD_PAGE, ChecklistRefusal, ChecklistTemplate, DelaysRefusal, DispatchAction, DispatchBoard,
        DispatchRefusal, DispatchView, Event, Found, HelpRequestDraft, JobCard, JobView, Phone, PhoneRefusal,
        RangeRefusal, Report, ReportRange, RequestFacts, RequestNumber, RequestStatus, Setup, StaffLine, StaffMember,
        UnreadableRequest, alert_delays, dispatch_order, parse_date,
    },
    live::Changed,
    store::{Audience, RequestSearch, StoreError},
};

/// What dispatch was refused; `texts` says it in the dispatcher's language, the messages here are for logs.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("not a dispatcher")]
    NotDispatcher,
    #[error("no request {0}")]
    NotFound(String),
    #[error("refused: {0:?}")]
    Refused(DispatchRefusal),
    #[error("not a technician on the roster")]
    UnknownTechnician,
    #[error("unreadable search")]
    BadSearch,
    #[error("refused days: {0:?}")]
    Range(RangeRefusal),
    #[error("refused checklist: {0:?}")]
    Checklist(ChecklistRefusal),
    #[error("refused mobile number: {0:?}")]
    BadPhone(PhoneRefusal),
    #[error("refused delays: {0:?}")]
    BadDelays(DelaysRefusal),
    #[error("no member {0}")]
    UnknownLogin(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

// The domain's refusals are reasons, not errors with words of their own: converted by hand, as thiserror's
// `#[from]` would want them to be `std::error::Error`.
impl From<DispatchRefusal> for DispatchError {
    fn from(refusal: DispatchRefusal) -> DispatchError {
        DispatchError::Refused(refusal)
    }
}

impl From<RangeRefusal> for DispatchError {
    fn from(refusal: RangeRefusal) -> DispatchError {
        DispatchError::Range(refusal)
    }
}

impl From<ChecklistRefusal> for DispatchError {
    fn from(refusal: ChecklistRefusal) -> DispatchError {
        DispatchError::Checklist(refusal)
    }
}

/// The most closed requests one search shows.
const SEARCH_LIMIT: i64 = 50;
/// The most requests one report reads.
const REPORT_LIMIT: i64 = 20_000;

/// Only dispatchers and admins: every dispatch page and action asks here.
pub fn require_dispatch(who: &StaffMember) -> Result<(), DispatchError> {
    if who.role.dispatches() { Ok(()) } else { Err(DispatchError::NotDispatcher) }
}

impl Services {
    /// One page of the open requests (alarms, then unowned, then the rest; oldest first), with counts over all
    /// of them, the callback queue and the crew. The open requests are read in two queries, however many.
    pub async fn dispatch_board(&self, who: &StaffMember, page: usize) -> Result<DispatchBoard, DispatchError> {
        require_dispatch(who)?;
        let ladder = &self.settings.ladder;
        let batch = self.store.open_requests().await?;
        // The same board for every dispatcher and admin (their feeds share it): nothing on it is "mine".
        let mut open: Vec<JobCard> =
            batch.requests.iter().map(|loaded| JobCard { mine: false, ..card(loaded, who, ladder) }).collect();
        dispatch_order(&mut open);
        let unreadable: Vec<UnreadableRequest> = batch
            .unreadable
            .into_iter()
            .map(|bad| UnreadableRequest { number: bad.number, phone: bad.phone, reason: bad.reason })
            .collect();
        let pages = open.len().div_ceil(BOARD_PAGE).max(1);
        let page = page.clamp(1, pages);
        let mut callbacks: Vec<JobCard> = open.iter().filter(|c| c.callback_requested).cloned().collect();
        callbacks.sort_by_key(|c| c.created_at);
        let callbacks_total = callbacks.len();
        callbacks.truncate(BOARD_PAGE);
        Ok(DispatchBoard {
            open_total: open.len(),
            waiting_total: open.iter().filter(|c| c.status == RequestStatus::Received).count(),
            alarm_total: open.iter().filter(|c| c.alarm).count() + unreadable.len(),
            page,
            pages,
            open: open.into_iter().skip((page - 1) * BOARD_PAGE).take(BOARD_PAGE).collect(),
            unreadable,
            callbacks,
            callbacks_total,
            crew: self.crew().await?,
            roster: self.store.roster().await?,
            escalate_every_ms: ladder.every_ms,
            texting: self.texting().await?,
        })
    }

    /// One request as dispatch sees it, with the status link to hand to a caller.
    pub async fn dispatch_request(&self, who: &StaffMember, number: &str) -> Result<DispatchView, DispatchError> {
        require_dispatch(who)?;
        let loaded = self.by_number(number).await?;
        let progress = &loaded.progress;
        let checklist = self.store.checklist(loaded.id, loaded.view.problem).await?;
        Ok(DispatchView {
            status_path: crate::paths::at(crate::paths::STATUS, &loaded.token),
            roster: self.store.roster().await?,
            source: loaded.source,
            partner: loaded.partner,
            language: leptos_i18n::Locale::as_str(self.locale_of(loaded.locale.as_deref())).to_owned(),
            alarm: loaded.view.alarm(progress),
            arrival_confirmed: progress.arrival_confirmed,
            job: JobView {
                mine: false,
                customer_name: loaded.customer_name,
                notes: loaded.notes,
                created_at: loaded.created_at,
                checklist,
                sent: self.store.sent_for(loaded.id, None).await?,
                request: loaded.view,
            },
        })
    }

    async fn by_number(&self, number: &str) -> Result<crate::store::Loaded, DispatchError> {
        let not_found = || DispatchError::NotFound(number.chars().take(12).collect());
        let id = self.store.request_id_by_number(&number.trim().to_uppercase()).await?.ok_or_else(not_found)?;
        self.store.load(id).await?.ok_or_else(not_found)
    }

    /// Assign, confirm arrival, cancel or mark a callback made. Decided on the latest timeline and appended only
    /// if nothing changed in between, like a technician's step.
    pub async fn dispatch_act(
        &self,
        who: &StaffMember,
        number: &str,
        action: DispatchAction,
    ) -> Result<(), DispatchError> {
        require_dispatch(who)?;
        if let DispatchAction::Assign { technician_id } = action
            && !self.store.roster().await?.iter().any(|t| t.id == technician_id)
        {
            return Err(DispatchError::UnknownTechnician);
        }
        loop {
            let loaded = self.by_number(number).await?;
            let event = loaded.progress.decide_dispatch(&action)?;
            if self.record(&loaded, Actor::Staff, Some(who.id), &event).await? {
                if let Event::Assigned { technician } = &event {
                    self.alert(loaded.id, Audience::Member(technician.id), Why::Assigned);
                }
                return Ok(());
            }
        }
    }

    /// Puts a technician on the backup list (alerted on the ladder's second rung) or takes them off.
    pub async fn set_backup(&self, who: &StaffMember, technician_id: i64, on: bool) -> Result<(), DispatchError> {
        require_dispatch(who)?;
        if !self.store.set_backup(technician_id, on).await? {
            return Err(DispatchError::UnknownTechnician);
        }
        self.live.publish(Changed::Crew);
        Ok(())
    }

    /// A request taken on the phone for a caller: the same validation as the customer's own, source "phone".
    pub async fn phone_in(
        &self,
        who: &StaffMember,
        draft: &HelpRequestDraft,
        idempotency_key: Option<&str>,
    ) -> Result<super::Submitted, PhoneInError> {
        require_dispatch(who)?;
        Ok(self.submit(draft, super::Source::Phone { staff_id: who.id }, idempotency_key).await?)
    }

    /// Requests (open or closed) by number, phone or day, newest first; says when there were more than it shows.
    pub async fn search(&self, who: &StaffMember, query: &str) -> Result<Found, DispatchError> {
        require_dispatch(who)?;
        let query = query.trim();
        let mut search = RequestSearch::default();
        if let Some(number) = RequestNumber::parse(query) {
            search.number = Some(number.as_str().to_owned());
        } else if let Some((from, to)) = parse_date(query).map(|day| self.settings.zone.day_span(day)) {
            (search.from_ms, search.to_ms) = (Some(from), Some(to));
        } else if let Ok(phone) = Phone::parse(query, self.settings.default_region) {
            search.phone = Some(phone.e164().to_owned());
        } else {
            return Err(DispatchError::BadSearch);
        }
        let ladder = &self.settings.ladder;
        // One more than shown: its presence says the list was cut short.
        let batch = self.store.find_requests(&search, SEARCH_LIMIT + 1).await?;
        log_unreadable(&batch.unreadable);
        let more = batch.requests.len() + batch.unreadable.len() > SEARCH_LIMIT as usize;
        let cards = batch.requests.iter().take(SEARCH_LIMIT as usize).map(|l| card(l, who, ladder)).collect();
        Ok(Found { cards, more })
    }
}

impl Services {
    /// Every request sent in the range (up to a limit; the flag says it cut the range short), reduced to what
    /// reports count.
    pub async fn report_facts(
        &self,
        who: &StaffMember,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(ReportRange, Vec<RequestFacts>, bool), DispatchError> {
        require_dispatch(who)?;
        let range = ReportRange::parse(from, to, crate::store::now_ms(), &self.settings.zone)?;
        let search = RequestSearch { from_ms: Some(range.from_ms), to_ms: Some(range.to_ms), ..Default::default() };
        let found = self.store.find_requests(&search, REPORT_LIMIT + 1).await?;
        log_unreadable(&found.unreadable);
        let cut_short = found.requests.len() + found.unreadable.len() > REPORT_LIMIT as usize;
        let facts = found
            .requests
            .iter()
            .take(REPORT_LIMIT as usize)
            .map(|l| RequestFacts::new(&l.view, &l.progress, l.created_at, &l.source));
        Ok((range, facts.collect(), cut_short))
    }

    /// Times to accept and to arrive by day and by technician, and the follow-ups.
    pub async fn report(
        &self,
        who: &StaffMember,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Report, DispatchError> {
        let (range, facts, cut_short) = self.report_facts(who, from, to).await?;
        Ok(Report { cut_short, ..Report::new(&range, facts, &self.settings.zone) })
    }

    /// The staff list and the truck checklists.
    pub async fn setup(&self, who: &StaffMember) -> Result<Setup, DispatchError> {
        require_dispatch(who)?;
        let roster = self.store.roster().await?;
        let staff = self
            .store
            .list_staff()
            .await?
            .into_iter()
            .map(|s| StaffLine {
                backup: roster.iter().any(|r| r.id == s.id && r.backup),
                name: s.name,
                login: s.login,
                role: s.role,
                on_duty_since: s.on_duty_since,
                disabled: s.disabled,
                phone: s.phone.map(|p| Phone::from_stored(p).international()),
                sms_after_min: s.sms_after_ms.map(|ms| ms / 60_000),
                call_after_min: s.call_after_ms.map(|ms| ms / 60_000),
                locale: s.locale,
            })
            .collect();
        Ok(Setup { staff, checklists: self.store.checklist_templates().await?, texting: self.texting().await? })
    }

    /// How texts and calls reach a member: their mobile number (empty removes it: alerts are then push only) and
    /// their own delays for the text and the call, in whole minutes (blank: the server's).
    pub async fn set_staff_alerts(
        &self,
        who: &StaffMember,
        login: &str,
        phone: &str,
        (sms_after, call_after): (&str, &str),
    ) -> Result<(), DispatchError> {
        require_dispatch(who)?;
        let phone = match phone.trim() {
            "" => None,
            typed => Some(Phone::parse(typed, self.settings.default_region).map_err(DispatchError::BadPhone)?),
        };
        let defaults = self.messaging.as_ref().map_or((60_000, 180_000), |m| m.paging());
        let delays = alert_delays(sms_after, call_after, defaults).map_err(DispatchError::BadDelays)?;
        let login = login.trim().to_lowercase();
        if !self.store.set_staff_alerts(&login, phone.as_ref().map(Phone::e164), delays).await? {
            return Err(DispatchError::UnknownLogin(login.chars().take(40).collect()));
        }
        self.live.publish(Changed::Crew);
        Ok(())
    }

    /// A member's language, set by dispatch.
    pub async fn set_staff_language(
        &self,
        who: &StaffMember,
        login: &str,
        locale: crate::Locale,
    ) -> Result<(), DispatchError> {
        require_dispatch(who)?;
        let login = login.trim().to_lowercase();
        if !self.store.set_staff_locale(&login, leptos_i18n::Locale::as_str(locale)).await? {
            return Err(DispatchError::UnknownLogin(login.chars().take(40).collect()));
        }
        Ok(())
    }

    /// Replaces one problem's truck checklist; jobs opened from now on (and open jobs, on their next load) show it.
    pub async fn set_checklist(&self, who: &StaffMember, problem: &str, text: &str) -> Result<(), DispatchError> {
        require_dispatch(who)?;
        let template = ChecklistTemplate::parse(problem, text)?;
        self.store.replace_checklist(&template).await?;
        Ok(())
    }
}

/// A request that cannot be read is left out of a search or report, and said in the log.
fn log_unreadable(unreadable: &[crate::store::Unreadable]) {
    for bad in unreadable {
        tracing::error!(request = %bad.number, reason = %bad.reason, "a request cannot be read; left out");
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PhoneInError {
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    #[error(transparent)]
    Submit(#[from] SubmitError),
}

impl From<StoreError> for PhoneInError {
    fn from(e: StoreError) -> Self {
        PhoneInError::Dispatch(e.into())
    }
}
