//! The escalation ladder at work: a loop on the server that climbs every overdue request one rung, records the
//! rung as an event, and alerts whoever that rung calls. It keeps no state of its own: after a restart it reads
//! the timelines and carries on where they say it was.

use std::time::Duration;

use super::{Services, alerts::Why};
use crate::{
    domain::{Actor, Concern, Rung},
    store::{Audience, StoreError, now_ms},
};

impl Services {
    /// Runs the ladder until `stop` is cancelled; a round under way when it is finishes first (a rung recorded
    /// always has its alerts sent).
    pub fn start_escalation(&self, stop: tokio_util::sync::CancellationToken) -> tokio::task::JoinHandle<()> {
        let services = self.clone();
        // Look often enough that a rung is never much late: a tenth of the interval, within 0.2 to 5 s.
        let every = services.settings.ladder.every_ms / 10;
        let tick = Duration::from_millis(u64::try_from(every.clamp(200, 5_000)).unwrap_or(5_000));
        tokio::spawn(async move {
            // Every open request is looked at once: the interval may be another than the one its due time was
            // set with.
            if let Err(e) = services.store.all_open_due(now_ms()).await {
                tracing::error!(error = %e, "the ladder could not mark the open requests due");
            }
            let mut interval = tokio::time::interval(tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    () = stop.cancelled() => break,
                    _ = interval.tick() => {}
                }
                if let Err(e) = services.escalate_due(now_ms()).await {
                    tracing::error!(error = %e, "the escalation ladder could not run; trying again");
                }
            }
        })
    }

    /// Climbs one rung on every request that is due at `now`; returns how many climbed. Reads only the requests
    /// due (two queries however many are open), and writes back when each is next due.
    pub async fn escalate_due(&self, now: i64) -> Result<usize, StoreError> {
        let ladder = self.settings.ladder;
        let due = self.store.due_requests(now).await?;
        let mut next = Vec::new();
        for bad in &due.unreadable {
            // One request that cannot be read stops nothing else; dispatch sees it as an alarm on the board.
            tracing::error!(request = %bad.number, reason = %bad.reason, "a request cannot be read; the ladder skips it");
            next.push((bad.id, None, Some(now + ladder.every_ms)));
        }
        let mut climbed = 0;
        for loaded in due.requests {
            let progress = &loaded.progress;
            let Some((concern, rung, event)) = ladder.due(progress, now) else {
                next.push((loaded.id, Some(loaded.version), ladder.next_at(progress)));
                continue;
            };
            // Only if nothing happened since the read: an accept a moment ago wins over the ladder, and of two
            // instances running the ladder one records the rung. The rung's event makes the request due again.
            if !self.record(&loaded, Actor::System, None, &event).await? {
                continue;
            }
            climbed += 1;
            // No names in the log: the event says who, for dispatch.
            tracing::warn!(request = %loaded.view.number, ?concern, ?rung, "the ladder climbed");
            let owner = progress.owner.as_ref().map(|(id, _)| *id);
            match (concern, rung) {
                (Concern::Unowned, Rung::AlertAgain) => self.alert(loaded.id, Audience::OnDuty, Why::StillWaiting),
                (Concern::Unowned, Rung::Backups) => self.alert(loaded.id, Audience::Backups, Why::StillWaiting),
                (Concern::Late, Rung::AlertAgain) => {
                    if let Some(id) = owner {
                        self.alert(loaded.id, Audience::Member(id), Why::Late);
                    }
                }
                (Concern::Late, Rung::Backups) => self.alert(loaded.id, Audience::Backups, Why::Overdue),
                // The top rung pages people, not only screens: every dispatcher and admin on duty, and the alarm
                // stays on every dispatch board until someone owns the request.
                (_, Rung::DispatchAlarm) => self.alert(loaded.id, Audience::Dispatchers, Why::Alarm),
            }
        }
        self.store.set_due(&next).await?;
        Ok(climbed)
    }
}
