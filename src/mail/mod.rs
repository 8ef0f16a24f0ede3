//! E-mail: messages are rendered from Dutch templates (plain text and HTML, `templates/email/`)
//! and written to the `outbox` table in the same transaction as the change that causes them.
//! A background worker (`deliver_due`) sends them: through SMTP when `OPSTAP_SMTP_URL` is set,
//! into a mail folder otherwise. A failed send is retried with exponential backoff; a message is
//! marked sent only after the server accepted it, and claimed with a lease so that two workers
//! never send the same message.

pub mod templates;

use crate::config::Config;
use crate::db::models::OutboxMessage;
use crate::db::schema::outbox;
use crate::db::{new_id, now, DbConnection};
use crate::state::AppState;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use lettre::message::{header::ContentTransferEncoding, header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub use templates::Mail;

/// Where mail goes.
pub enum Transport {
    Folder(AsyncFileTransport<Tokio1Executor>),
    /// The URL is checked at start; the transport (with its connection pool, which spawns a
    /// task on the Tokio runtime) is built on first use, inside the runtime of `serve`.
    Smtp {
        url: String,
        transport: std::sync::OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
    },
}

fn smtp_builder(url: &str) -> anyhow::Result<lettre::transport::smtp::AsyncSmtpTransportBuilder> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| anyhow::anyhow!("OPSTAP_SMTP_URL {}: {e}", crate::db::redact_url(url)))?
        .timeout(Some(Duration::from_secs(15))))
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl Mailer {
    /// Builds the transport from the configuration; a bad SMTP URL or sender is an error at start.
    pub fn from_config(c: &Config) -> anyhow::Result<Mailer> {
        let from: Mailbox = c.mail_from.parse().map_err(|e| anyhow::anyhow!("OPSTAP_MAIL_FROM {:?}: {e}", c.mail_from))?;
        let transport = match &c.smtp_url {
            Some(url) => {
                smtp_builder(url)?;
                Transport::Smtp { url: url.clone(), transport: std::sync::OnceLock::new() }
            }
            None => {
                std::fs::create_dir_all(&c.mail_dir).map_err(|e| anyhow::anyhow!("mail folder {}: {e}", c.mail_dir.display()))?;
                Transport::Folder(AsyncFileTransport::new(&c.mail_dir))
            }
        };
        Ok(Mailer { transport, from })
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
            Transport::Folder(t) => t.send(msg).await.map(|_| ()).map_err(|e| SendError::Transient(e.to_string())),
            Transport::Smtp { url, transport } => {
                let t = match transport.get() {
                    Some(t) => t,
                    None => {
                        let built = smtp_builder(url).map_err(|e| SendError::Permanent(e.to_string()))?.build();
                        transport.get_or_init(|| built)
                    }
                };
                match t.send(msg).await {
                    Ok(_) => Ok(()),
                    Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
                    Err(e) => Err(SendError::Transient(e.to_string())),
                }
            }
        }
    }
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

/// A claimed message is leased for this long: four times the SMTP timeout. Messages are claimed
/// one at a time, so a worker that dies (a crash, `kill -9`) holds at most one message, for at
/// most this long, before another worker or its own restart sends it.
const LEASE_SECS: i64 = 60;
/// Messages claimed per step (one: see `LEASE_SECS`).
const CLAIM_BATCH: i64 = 1;

/// Sends every message that is due at `at`. Safe to run from several workers at once.
pub async fn deliver_due(state: &AppState, at: NaiveDateTime) -> anyhow::Result<Delivery> {
    let mut report = Delivery::default();
    loop {
        let batch = claim(state, at, CLAIM_BATCH).await?;
        if batch.is_empty() {
            return Ok(report);
        }
        let mut rest: Vec<String> = batch.iter().map(|m| m.id.clone()).collect();
        for m in batch {
            rest.retain(|id| *id != m.id);
            let result = state.mailer.send(&m).await;
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
async fn claim(state: &AppState, at: NaiveDateTime, n: i64) -> anyhow::Result<Vec<OutboxMessage>> {
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
                .set(outbox::claimed_until.eq(Some(t + chrono::Duration::seconds(LEASE_SECS))))
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

/// Deletes sent messages older than `days` (their content is personal data too).
pub fn purge_sent(conn: &mut DbConnection, days: i64) -> QueryResult<usize> {
    let cutoff = now() - chrono::Duration::days(days);
    diesel::delete(outbox::table.filter(outbox::status.eq("sent")).filter(outbox::sent_at.lt(cutoff))).execute(conn)
}
