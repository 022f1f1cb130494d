//! The truck checklist templates. An edited list retires the lines it drops instead of deleting them: ticks
//! already made on a job keep pointing at what was ticked.

use sqlx::Row;

use super::{Cells, Store, StoreError, now_ms, on};
use crate::domain::{ChecklistTemplate, TemplateLine};

const CURRENT_LINES: &str =
    "SELECT problem, kind, label FROM checklist_items WHERE retired_at IS NULL ORDER BY position, id";

/// Rows of `CURRENT_LINES` as every list, each in order.
fn templates(rows: &[impl Cells]) -> Result<Vec<ChecklistTemplate>, StoreError> {
    let mut templates: Vec<ChecklistTemplate> =
        ChecklistTemplate::keys().map(|k| ChecklistTemplate { problem: k.to_owned(), lines: Vec::new() }).collect();
    for r in rows {
        let problem: String = r.cell("problem")?;
        if let Some(t) = templates.iter_mut().find(|t| t.problem == problem) {
            t.lines.push(TemplateLine { question: r.cell::<String>("kind")? == "question", label: r.cell("label")? });
        }
    }
    Ok(templates)
}

impl Store {
    /// Every list (every job first, then each problem) with its current lines in order.
    pub async fn checklist_templates(&self) -> Result<Vec<ChecklistTemplate>, StoreError> {
        on!(&self.pool, |pool| {
            let rows = sqlx::query(CURRENT_LINES).fetch_all(pool).await?;
            templates(&rows)
        })
    }

    /// Puts `to`'s lines in the place of `from`'s, if the lists are exactly `from` and nobody ever edited them (no
    /// line retired): a new service's seeded lists in its own language. The lines keep their ids, so ticks made
    /// meanwhile stay with them. Whether it did.
    pub async fn translate_untouched_checklists(
        &self,
        from: &[ChecklistTemplate],
        to: &[ChecklistTemplate],
    ) -> Result<bool, StoreError> {
        on!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            super::lock_for_writing((&mut *tx).into(), "checklist_items").await?;
            // Written first, to hold the write lock before reading (see `replace_checklist`).
            sqlx::query("UPDATE checklist_items SET position = position").execute(&mut *tx).await?;
            let edited = sqlx::query("SELECT 1 FROM checklist_items WHERE retired_at IS NOT NULL LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
            let current = templates(&sqlx::query(CURRENT_LINES).fetch_all(&mut *tx).await?)?;
            if edited.is_some() || current != from {
                return Ok(false);
            }
            for (old, new) in from.iter().zip(to).filter(|(old, new)| old.problem == new.problem) {
                for (old_line, new_line) in old.lines.iter().zip(&new.lines) {
                    sqlx::query(
                        "UPDATE checklist_items SET label = $3 WHERE problem = $1 AND label = $2 AND retired_at IS NULL",
                    )
                    .bind(&old.problem)
                    .bind(&old_line.label)
                    .bind(&new_line.label)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Makes a problem's list exactly `template`, in one transaction: kept lines take their new place, dropped
    /// ones are retired, new ones added.
    pub async fn replace_checklist(&self, template: &ChecklistTemplate) -> Result<(), StoreError> {
        on!(&self.pool, |pool| {
            let mut tx = pool.begin().await?;
            super::lock_for_writing((&mut *tx).into(), "checklist_items").await?;
            // Written first, so the transaction holds SQLite's write lock (waiting its turn) before it reads: a read
            // first and a write after fails at once ("database is locked") when another write came in between.
            sqlx::query("UPDATE checklist_items SET position = position WHERE problem = $1 AND retired_at IS NULL")
                .bind(&template.problem)
                .execute(&mut *tx)
                .await?;
            let current =
                sqlx::query("SELECT id, label FROM checklist_items WHERE problem = $1 AND retired_at IS NULL")
                    .bind(&template.problem)
                    .fetch_all(&mut *tx)
                    .await?;
            let now = now_ms();
            for row in &current {
                let label: String = row.try_get("label")?;
                if !template.lines.iter().any(|l| l.label == label) {
                    sqlx::query("UPDATE checklist_items SET retired_at = $2 WHERE id = $1")
                        .bind(row.try_get::<i64, _>("id")?)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for (position, line) in (1_i64..).zip(&template.lines) {
                let kind = if line.question { "question" } else { "item" };
                let kept = sqlx::query(
                    "UPDATE checklist_items SET position = $3, kind = $4 \
                     WHERE problem = $1 AND label = $2 AND retired_at IS NULL",
                )
                .bind(&template.problem)
                .bind(&line.label)
                .bind(position)
                .bind(kind)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if kept == 0 {
                    sqlx::query("INSERT INTO checklist_items (problem, kind, label, position) VALUES ($1, $2, $3, $4)")
                        .bind(&template.problem)
                        .bind(kind)
                        .bind(&line.label)
                        .bind(position)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
