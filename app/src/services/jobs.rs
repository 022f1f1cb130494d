//! The technician's side of a request: the board, the job screen, the steps and the checklist ticks.
//! Every check of who may see or do what is here, on the server, whatever page or API asked.

use super::{Services, StaffMember};
use crate::{
    domain::{Actor, Board, Channel, Event, JobAction, JobCard, JobView, Ladder, Refusal, RequestStatus},
    live::Changed,
    store::{Loaded, StoreError},
};

/// What a technician was refused; `texts` says it in their language, the messages here are for logs.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("no request {0}")]
    NotFound(String),
    /// Technicians see open requests and their own jobs, nothing else.
    #[error("{0}'s job")]
    Hidden(String),
    #[error("not a technician")]
    NotTechnician,
    #[error("refused: {0:?}")]
    Refused(Refusal),
    #[error("no such checklist item")]
    UnknownItem,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Refusal> for JobError {
    fn from(refusal: Refusal) -> JobError {
        JobError::Refused(refusal)
    }
}

/// May `who` see this request? Open requests nobody has yet, and their own jobs (open or closed).
fn visible_to(who: &StaffMember, loaded: &Loaded) -> Result<(), JobError> {
    // Dispatchers and admins watch everything.
    if !who.role.works_jobs() {
        return Ok(());
    }
    let progress = &loaded.progress;
    match &progress.owner {
        _ if progress.status() == RequestStatus::Received => Ok(()),
        Some((id, _)) if *id == who.id => Ok(()),
        Some((_, name)) => Err(JobError::Hidden(name.clone())),
        None => Err(Refusal::Closed(RequestStatus::Cancelled).into()),
    }
}

pub(super) fn card(loaded: &Loaded, who: &StaffMember, ladder: &Ladder) -> JobCard {
    let (v, progress) = (&loaded.view, &loaded.progress);
    JobCard {
        number: v.number.clone(),
        status: v.status,
        problem: v.problem,
        place: v.place.clone(),
        lat: v.lat,
        lon: v.lon,
        created_at: loaded.created_at,
        technician: v.technician.clone(),
        eta_at: v.eta_at,
        mine: progress.owner.as_ref().is_some_and(|(id, _)| *id == who.id),
        phone: v.phone.clone(),
        phone_display: v.phone_display.clone(),
        callback_requested: progress.callback_requested,
        arrival_confirmed: progress.arrival_confirmed,
        escalation: progress.escalation,
        next_escalation_at: ladder.next_at(progress),
        alarm: v.alarm(progress),
        someone_inside: v.someone_inside,
    }
}

fn is_mine(loaded: &Loaded, who: &StaffMember) -> bool {
    loaded.progress.owner.as_ref().is_some_and(|(id, _)| *id == who.id)
}

impl Services {
    /// Open requests nobody has yet, oldest first, and the technician's own open jobs.
    pub async fn board(&self, who: &StaffMember) -> Result<Board, StoreError> {
        let mut board = Board { on_duty: who.on_duty, crew: self.crew().await?, ..Board::default() };
        for loaded in self.store.open_requests().await?.requests {
            if loaded.view.status == RequestStatus::Received {
                board.open.push(card(&loaded, who, &self.settings.ladder));
            } else if is_mine(&loaded, who) {
                board.mine.push(card(&loaded, who, &self.settings.ladder));
            }
        }
        crate::domain::waiting_order(&mut board.open);
        Ok(board)
    }

    async fn visible(&self, who: &StaffMember, number: &str) -> Result<Loaded, JobError> {
        let not_found = || JobError::NotFound(number.chars().take(12).collect());
        let id = self.store.request_id_by_number(&number.trim().to_uppercase()).await?.ok_or_else(not_found)?;
        let loaded = self.store.load(id).await?.ok_or_else(not_found)?;
        visible_to(who, &loaded)?;
        Ok(loaded)
    }

    /// The job screen: the request, the customer's details and the truck checklist with this job's ticks.
    pub async fn job(&self, who: &StaffMember, number: &str) -> Result<JobView, JobError> {
        let loaded = self.visible(who, number).await?;
        let checklist = self.store.checklist(loaded.id, loaded.view.problem).await?;
        Ok(JobView {
            mine: is_mine(&loaded, who),
            customer_name: loaded.customer_name,
            notes: loaded.notes,
            created_at: loaded.created_at,
            checklist,
            sent: self.store.sent_for(loaded.id, Some(who.id)).await?,
            request: loaded.view,
        })
    }

    /// One step on a job. Decided on the latest timeline and appended only if nothing changed in between, so
    /// of two technicians pressing Accept together exactly one wins and the other is told who.
    pub async fn job_step(&self, who: &StaffMember, number: &str, action: JobAction) -> Result<(), JobError> {
        self.job_step_via(who, number, action, Channel::App).await
    }

    /// A step taken through `via`: the app, or an answer to a text or a call.
    pub(crate) async fn job_step_via(
        &self,
        who: &StaffMember,
        number: &str,
        action: JobAction,
        via: Channel,
    ) -> Result<(), JobError> {
        if !who.role.works_jobs() {
            return Err(JobError::NotTechnician);
        }
        loop {
            let loaded = match self.visible(who, number).await {
                // Someone else was quicker: say who, as the domain would.
                Err(JobError::Hidden(name)) if action == JobAction::Accept => return Err(Refusal::TakenBy(name).into()),
                other => other?,
            };
            let trip = match action {
                JobAction::OnMyWay { .. } => self.trip_under_way(who, loaded.id).await?,
                _ => None,
            };
            let mut event = loaded.progress.decide(who.id, action.clone(), trip.as_deref())?;
            if let Event::Accepted { via: how } = &mut event {
                *how = via;
            }
            if self.record(&loaded, Actor::Staff, Some(who.id), &event).await? {
                // Handed back: it waits for someone again, so everyone on duty hears of it again.
                if let Event::Released { .. } = event {
                    self.alert_waiting(loaded.id);
                }
                return Ok(());
            }
        }
    }

    /// `who` opened the job from an alert that came `via` push: recorded once for them in the request's present
    /// state, so dispatch knows the alert woke someone.
    pub async fn job_seen(&self, who: &StaffMember, number: &str, via: Channel) -> Result<(), JobError> {
        loop {
            let loaded = self.visible(who, number).await?;
            let since = loaded.progress.since;
            let seen_already = loaded.view.timeline.iter().any(|e| {
                e.at >= since && matches!(e.event, Event::Seen { .. }) && e.by.as_ref().is_some_and(|b| b.id == who.id)
            });
            if seen_already || !loaded.progress.status().is_open() {
                return Ok(());
            }
            if self.record(&loaded, Actor::Staff, Some(who.id), &Event::Seen { via }).await? {
                return Ok(());
            }
        }
    }

    /// The number of `who`'s job under way (on the way or arrived) other than `except`, if any.
    async fn trip_under_way(&self, who: &StaffMember, except: i64) -> Result<Option<String>, StoreError> {
        let open = self.store.open_requests().await?.requests;
        Ok(open
            .into_iter()
            .find(|l| {
                l.id != except
                    && matches!(l.view.status, RequestStatus::OnTheWay | RequestStatus::Arrived)
                    && is_mine(l, who)
            })
            .map(|l| l.view.number))
    }

    /// Ticks or unticks a checklist line; only the technician who has the job.
    pub async fn tick(&self, who: &StaffMember, number: &str, item: i64, checked: bool) -> Result<(), JobError> {
        if !who.role.works_jobs() {
            return Err(JobError::NotTechnician);
        }
        let loaded = self.visible(who, number).await?;
        if !is_mine(&loaded, who) {
            return Err(Refusal::NotAccepted.into());
        }
        if !self.store.set_check(loaded.id, loaded.view.problem, item, who.id, checked).await? {
            return Err(JobError::UnknownItem);
        }
        self.live.publish(Changed::Request(loaded.id));
        Ok(())
    }
}
