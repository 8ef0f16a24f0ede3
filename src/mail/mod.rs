//! E-mail: messages are rendered from Dutch templates (plain text and HTML, `templates/email/`)
//! and written to the `outbox` table in the same transaction as the change that causes them.
//! A background worker (`deliver_due`) sends them: through SMTP when `OPSTAP_SMTP_URL` is set,
//! into a mail folder otherwise. A failed send is retried with exponential backoff; a message is
//! marked sent only after the server accepted it, and claimed with a lease, renewed while it is
//! being sent, so that two workers never send the same message. Every SMTP step has a deadline
//! (`smtp`).

pub mod smtp;
pub mod templates;

use crate::config::Config;
use crate::db::models::OutboxMessage;
use crate::db::schema::outbox;
use crate::db::{new_id, now, DbConnection};
use crate::state::AppState;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use lettre::message::{header::ContentTransferEncoding, header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use std::path::PathBuf;
use std::time::Duration;

pub use templates::Mail;

/// Where mail goes.
pub enum Transport {
    /// One `.eml` file per message, named after its outbox id.
    Folder(PathBuf),
    Smtp(smtp::Target, smtp::Timeouts),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// How long a claim on a message lasts without renewal.
    lease: Duration,
}

impl Mailer {
    /// Builds the transport from the configuration; a bad SMTP URL or sender is an error at start.
    pub fn from_config(c: &Config) -> anyhow::Result<Mailer> {
        let from: Mailbox = c.mail_from.parse().map_err(|e| anyhow::anyhow!("OPSTAP_MAIL_FROM {:?}: {e}", c.mail_from))?;
        let transport = match &c.smtp_url {
            Some(url) => {
                let target = smtp::Target::parse(url).map_err(|e| anyhow::anyhow!("OPSTAP_SMTP_URL {}: {e}", crate::db::redact_url(url)))?;
                let timeouts = smtp::Timeouts {
                    step: Duration::from_secs(c.smtp_timeout_secs.max(1)),
                    data_end: Duration::from_secs(c.smtp_data_timeout_secs.max(1)),
                };
                Transport::Smtp(target, timeouts)
            }
            None => {
                std::fs::create_dir_all(&c.mail_dir).map_err(|e| anyhow::anyhow!("mail folder {}: {e}", c.mail_dir.display()))?;
                Transport::Folder(c.mail_dir.clone())
            }
        };
        Ok(Mailer { transport, from, lease: Duration::from_secs(c.mail_lease_secs.max(3)) })
    }

    async fn send(&self, m: &OutboxMessage) -> Result<(), SendError> {
        let to: Mailbox = match format!("{} <{}>", m.to_name.replace(['<', '>', '"'], ""), m.to_address).parse() {
            Ok(t) => t,
            Err(_) => m.to_address.parse().map_err(|e| SendError::Permanent(format!("adres {:?}: {e}", m.to_address)))?,
        };
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            // A stable Message-ID: should a message ever be delivered twice (crash between the
            // server's acceptance and our bookkeeping), receivers can tell it is the same one.
            .message_id(Some(format!("<{}@opstap>", m.id)))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .header(ContentTransferEncoding::QuotedPrintable)
                            .body(m.body_text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .header(ContentTransferEncoding::QuotedPrintable)
                            .body(m.body_html.clone()),
                    ),
            )
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        match &self.transport {
            Transport::Folder(dir) => {
                let (dir, name, bytes) = (dir.clone(), format!("{}.eml", m.id), msg.formatted());
                tokio::task::spawn_blocking(move || write_file(&dir, &name, &bytes))
                    .await
                    .map_err(|e| SendError::Transient(e.to_string()))?
                    .map_err(|e| SendError::Transient(format!("schrijven naar de mailmap: {e}")))
            }
            Transport::Smtp(target, timeouts) => smtp::send(target, *timeouts, msg.envelope(), &msg.formatted()).await.map_err(|e| match e {
                smtp::Failure::Transient(e) => SendError::Transient(e),
                smtp::Failure::Permanent(e) => SendError::Permanent(e),
            }),
        }
    }
}

/// Writes a message file under a temporary name, syncs it and renames it into place: a failed
/// write (a full disk) leaves no empty or partial `.eml` behind, and a reader of the folder sees
/// whole messages only. Writing the same message again replaces it.
fn write_file(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(name))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[derive(Debug)]
enum SendError {
    /// The server is down or busy: try again later.
    Transient(String),
    /// The server refused this message for good (e.g. unknown mailbox).
    Permanent(String),
}

/// Who receives a message.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub address: String,
    pub name: String,
    pub role: &'static str,
}

/// Renders `mail` and writes it to the outbox (call inside the transaction of the change).
/// `candidate_id` is the candidate the message is about: erasing the candidate deletes it.
pub fn enqueue(conn: &mut DbConnection, to: &Recipient, mail: &dyn Mail, candidate_id: Option<&str>) -> Result<(), crate::error::AppError> {
    let (text, html) = mail.render().map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("mail template {}: {e}", mail.kind())))?;
    let t = now();
    let row = OutboxMessage {
        id: new_id(),
        kind: mail.kind().into(),
        to_address: to.address.clone(),
        to_name: to.name.clone(),
        recipient_role: to.role.into(),
        subject: mail.subject(),
        body_text: text,
        body_html: html,
        candidate_id: candidate_id.map(String::from),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: t,
        claimed_until: None,
        last_error: None,
        created_at: t,
        sent_at: None,
    };
    diesel::insert_into(outbox::table).values(&row).execute(conn)?;
    Ok(())
}

/// Seconds to wait before attempt `attempts + 1`: 30 s, 1, 2, 4 ... minutes, at most an hour.
pub fn backoff_secs(attempts: i32) -> i64 {
    let a = attempts.clamp(1, 12) as u32;
    (30i64 << (a - 1)).min(3600)
}

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

/// Deletes sent messages older than `days` (their content is personal data too).
pub fn purge_sent(conn: &mut DbConnection, days: i64) -> QueryResult<usize> {
    let cutoff = now() - chrono::Duration::days(days);
    diesel::delete(outbox::table.filter(outbox::status.eq("sent")).filter(outbox::sent_at.lt(cutoff))).execute(conn)
}
