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
    pub lease: Duration,
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

    pub async fn send(&self, m: &OutboxMessage) -> Result<(), SendError> {
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
pub enum SendError {
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

/// A staff member (a klantmanager) as the recipient of a message; None when the account is
/// gone or inactive.
pub fn user_recipient(conn: &mut DbConnection, id: Option<&str>) -> QueryResult<Option<(crate::db::models::User, Recipient)>> {
    let Some(id) = id else { return Ok(None) };
    let u: Option<crate::db::models::User> =
        crate::db::schema::users::table.find(id).select(crate::db::models::User::as_select()).first(conn).optional()?;
    Ok(u.filter(|u| u.active).map(|u| {
        let r = Recipient { address: u.email.clone(), name: u.name.clone(), role: "klantmanager" };
        (u, r)
    }))
}

/// Seconds to wait before attempt `attempts + 1`: 30 s, 1, 2, 4 ... minutes, at most an hour.
pub fn backoff_secs(attempts: i32) -> i64 {
    let a = attempts.clamp(1, 12) as u32;
    (30i64 << (a - 1)).min(3600)
}

/// Deletes sent messages older than `days` (their content is personal data too).
pub fn purge_sent(conn: &mut DbConnection, days: i64) -> QueryResult<usize> {
    let cutoff = now() - chrono::Duration::days(days);
    diesel::delete(outbox::table.filter(outbox::status.eq("sent")).filter(outbox::sent_at.lt(cutoff))).execute(conn)
}

/// Messages waiting to be sent (for the metrics).
pub fn backlog(conn: &mut DbConnection) -> QueryResult<i64> {
    outbox::table.filter(outbox::status.eq("pending")).count().get_result(conn)
}
