//! Sending the outbox: claim a due message with a lease, send it (renewing the claim while the
//! server takes its time), record the outcome; retried with backoff. Safe from several workers
//! and instances at once.

use crate::db::models::OutboxMessage;
use crate::db::now;
use crate::db::schema::outbox;
use crate::mail::{backoff_secs, SendError};
use crate::state::AppState;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::time::Duration;

/// What one delivery round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Messages claimed per step: one, so a worker that dies (a crash, `kill -9`) holds at most one
/// message, for at most the lease (config `mail_lease_secs`), before another worker or its own
/// restart sends it. While a message is being sent its lease is renewed every third of that.
const CLAIM_BATCH: i64 = 1;

/// Sends every message that is due at `at`. Safe to run from several workers at once.
pub async fn deliver_due(state: &AppState, at: NaiveDateTime) -> anyhow::Result<Delivery> {
    let mut report = Delivery::default();
    loop {
        let lease = state.mailer.lease;
        let batch = claim(state, at, CLAIM_BATCH, lease).await?;
        if batch.is_empty() {
            return Ok(report);
        }
        let mut rest: Vec<String> = batch.iter().map(|m| m.id.clone()).collect();
        for m in batch {
            rest.retain(|id| *id != m.id);
            let result = send_renewing(state, &m, lease).await;
            let id = m.id.clone();
            let attempts = m.attempts + 1;
            let outcome = match &result {
                Ok(()) => {
                    report.sent += 1;
                    None
                }
                Err(SendError::Transient(e)) => {
                    report.retried += 1;
                    log::warn!("mail {id} ({}) not sent, attempt {attempts}: {e}", m.kind);
                    Some(("pending", e.clone(), now() + chrono::Duration::seconds(backoff_secs(attempts))))
                }
                Err(SendError::Permanent(e)) => {
                    report.failed += 1;
                    log::error!("mail {id} ({}) refused for good: {e}", m.kind);
                    Some(("failed", e.clone(), now()))
                }
            };
            state
                .tx(move |conn| {
                    let q = outbox::table.find(&id);
                    match outcome {
                        None => diesel::update(q)
                            .set((
                                outbox::status.eq("sent"),
                                outbox::sent_at.eq(Some(now())),
                                outbox::attempts.eq(attempts),
                                outbox::claimed_until.eq(None::<NaiveDateTime>),
                            ))
                            .execute(conn)?,
                        Some((status, err, next)) => diesel::update(q)
                            .set((
                                outbox::status.eq(status),
                                outbox::attempts.eq(attempts),
                                outbox::last_error.eq(Some(err)),
                                outbox::next_attempt_at.eq(next),
                                outbox::claimed_until.eq(None::<NaiveDateTime>),
                            ))
                            .execute(conn)?,
                    };
                    Ok(())
                })
                .await?;
            if matches!(result, Err(SendError::Transient(_))) {
                // The server is probably down: release the rest of the batch for the next round.
                state
                    .tx(move |conn| {
                        diesel::update(outbox::table.filter(outbox::id.eq_any(&rest)).filter(outbox::status.eq("pending")))
                            .set(outbox::claimed_until.eq(None::<NaiveDateTime>))
                            .execute(conn)?;
                        Ok(())
                    })
                    .await?;
                return Ok(report);
            }
        }
    }
}

/// Claims up to `n` due messages with a lease (a conditional update per row, so that it is
/// atomic on both backends without `SKIP LOCKED`).
async fn claim(state: &AppState, at: NaiveDateTime, n: i64, lease: Duration) -> anyhow::Result<Vec<OutboxMessage>> {
    let lease = chrono::Duration::from_std(lease)?;
    let rows = state
        .tx(move |conn| {
            let t = now();
            let candidates: Vec<OutboxMessage> = outbox::table
                .filter(outbox::status.eq("pending"))
                .filter(outbox::next_attempt_at.le(at))
                .filter(outbox::claimed_until.is_null().or(outbox::claimed_until.lt(t)))
                .order((outbox::next_attempt_at, outbox::id))
                .limit(n)
                .select(OutboxMessage::as_select())
                .load(conn)?;
            let mut claimed = Vec::new();
            for m in candidates {
                let k = diesel::update(
                    outbox::table
                        .find(&m.id)
                        .filter(outbox::status.eq("pending"))
                        .filter(outbox::claimed_until.is_null().or(outbox::claimed_until.lt(t))),
                )
                .set(outbox::claimed_until.eq(Some(t + lease)))
                .execute(conn)?;
                if k == 1 {
                    claimed.push(m);
                }
            }
            Ok(claimed)
        })
        .await?;
    Ok(rows)
}

/// Sends `m`, renewing its claim every third of the lease while the attempt runs (an SMTP server
/// may take minutes to confirm a message: without renewal another worker would claim and send it
/// again meanwhile). A renewal that finds the claim gone, or cannot reach the database, is
/// logged; the attempt goes on, since stopping half-way through the data phase is what risks a
/// second copy.
async fn send_renewing(state: &AppState, m: &OutboxMessage, lease: Duration) -> Result<(), SendError> {
    let send = state.mailer.send(m);
    tokio::pin!(send);
    let every = lease / 3;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            r = &mut send => return r,
            _ = tick.tick() => {
                let id = m.id.clone();
                let until = now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
                let renewed = state
                    .db(move |conn| {
                        Ok(diesel::update(outbox::table.find(&id).filter(outbox::status.eq("pending")))
                            .set(outbox::claimed_until.eq(Some(until)))
                            .execute(conn)?)
                    })
                    .await;
                match renewed {
                    Ok(1) => {}
                    Ok(_) => log::warn!("mail {}: claim gone while sending", m.id),
                    Err(e) => log::warn!("mail {}: claim not renewed: {e}", m.id),
                }
            }
        }
    }
}
