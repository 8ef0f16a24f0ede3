//! Sending one message over SMTP with a deadline on every step.
//!
//! lettre's own transport bounds only the TCP connect: a server that accepts the connection and
//! then says nothing held the mail worker for ever. Here lettre's connection is driven step by
//! step (greeting and EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, the message), each under
//! `step` (config `smtp_timeout_secs`), except the server's answer to the message itself, which
//! gets `data_end` (config `smtp_data_timeout_secs`, RFC 5321 4.5.3.2.6: 10 minutes). Before
//! that answer the server has accepted nothing, so giving up early is safe; after the message
//! is sent, giving up early could make the server deliver a copy we then send again.

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use std::future::Future;
use std::time::Duration;

/// How to reach the server, read once from `OPSTAP_SMTP_URL`.
#[derive(Clone, Debug)]
pub struct Target {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<(String, String)>,
    hello: ClientId,
}

#[derive(Clone, Debug, PartialEq)]
enum Tls {
    None,
    /// STARTTLS when the server offers it.
    Opportunistic,
    /// STARTTLS, refused without it.
    Required,
    /// TLS from the first byte (smtps://).
    Wrapper,
}

/// The step timeouts.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub step: Duration,
    pub data_end: Duration,
}

/// Why an attempt failed.
#[derive(Debug)]
pub enum Failure {
    /// Try again later (server down, busy, stalled, a 4xx answer).
    Transient(String),
    /// The server refused this message for good (a 5xx answer).
    Permanent(String),
}

impl Target {
    /// Parses `smtp://[user:pass@]host[:port][?tls=required|opportunistic]` or
    /// `smtps://[user:pass@]host[:port]`; the path, if any, is the EHLO name (as lettre reads it).
    pub fn parse(url: &str) -> Result<Target, String> {
        let u = url::Url::parse(url).map_err(|e| e.to_string())?;
        let host = u.host_str().ok_or("no host")?.trim_start_matches('[').trim_end_matches(']').to_string();
        let tls_param = u.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.to_string());
        let (tls, default_port) = match (u.scheme(), tls_param.as_deref()) {
            ("smtp", None) => (Tls::None, 25),
            ("smtp", Some("required")) => (Tls::Required, 587),
            ("smtp", Some("opportunistic")) => (Tls::Opportunistic, 587),
            ("smtps", _) => (Tls::Wrapper, 465),
            (scheme, tls) => return Err(format!("unknown scheme {scheme:?} or tls parameter {tls:?}")),
        };
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let credentials = u.password().map(|p| (decode(u.username()), decode(p)));
        let hello = match u.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        Ok(Target { port: u.port().unwrap_or(default_port), host, tls, credentials, hello })
    }

    fn tls_parameters(&self) -> Result<TlsParameters, Failure> {
        TlsParameters::new(self.host.clone()).map_err(|e| Failure::Permanent(format!("TLS: {e}")))
    }
}

/// Runs one step under its deadline; a stalled step and a network error are transient, a 5xx
/// answer permanent.
async fn step<T>(what: &str, limit: Duration, f: impl Future<Output = Result<T, lettre::transport::smtp::Error>>) -> Result<T, Failure> {
    match tokio::time::timeout(limit, f).await {
        Err(_) => Err(Failure::Transient(format!("de SMTP-server antwoordde niet binnen {} s ({what})", limit.as_secs()))),
        Ok(Err(e)) if e.is_permanent() => Err(Failure::Permanent(format!("{what}: {e}"))),
        Ok(Err(e)) => Err(Failure::Transient(format!("{what}: {e}"))),
        Ok(Ok(v)) => Ok(v),
    }
}

/// Connects, sends one message and says goodbye. A new connection per message: mail is a
/// trickle here, and a connection whose step timed out is never used again by accident.
pub async fn send(target: &Target, t: Timeouts, envelope: &Envelope, email: &[u8]) -> Result<(), Failure> {
    let wrapper = if target.tls == Tls::Wrapper { Some(target.tls_parameters()?) } else { None };
    let mut conn = step(
        "verbinden, begroeting en EHLO",
        t.step,
        AsyncSmtpConnection::connect_tokio1((target.host.as_str(), target.port), Some(t.step), &target.hello, wrapper, None),
    )
    .await?;
    match target.tls {
        Tls::Required | Tls::Opportunistic if conn.can_starttls() => {
            let params = target.tls_parameters()?;
            step("STARTTLS", t.step, conn.starttls(params, &target.hello)).await?;
        }
        Tls::Required => return Err(Failure::Transient("de SMTP-server biedt geen STARTTLS aan".into())),
        _ => {}
    }
    if let Some((user, pass)) = &target.credentials {
        let creds = Credentials::new(user.clone(), pass.clone());
        step("AUTH", t.step, conn.auth(DEFAULT_MECHANISMS, &creds)).await?;
    }
    let mut options = vec![];
    let non_ascii = envelope.from().into_iter().chain(envelope.to()).any(|a| !AsRef::<str>::as_ref(a).is_ascii());
    if non_ascii {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(Failure::Permanent("het adres bevat tekens die de SMTP-server niet aanneemt (geen SMTPUTF8)".into()));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !email.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    step("MAIL FROM", t.step, conn.command(Mail::new(envelope.from().cloned(), options))).await?;
    for to in envelope.to() {
        step("RCPT TO", t.step, conn.command(Rcpt::new(to.clone(), vec![]))).await?;
    }
    step("DATA", t.step, conn.command(Data)).await?;
    step("bevestiging van het bericht", t.data_end, conn.message(email)).await?;
    // Accepted: a QUIT that stalls or fails changes nothing.
    let _ = tokio::time::timeout(t.step, conn.quit()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_as_lettre_reads_them() {
        let t = Target::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((t.host.as_str(), t.port, &t.tls, t.credentials.is_none()), ("127.0.0.1", 2525, &Tls::None, true));
        let t = Target::parse("smtp://u%40x:p%2Fw@mail.example.org?tls=required").unwrap();
        assert_eq!((t.port, &t.tls), (587, &Tls::Required));
        assert_eq!(t.credentials, Some(("u@x".to_string(), "p/w".to_string())));
        let t = Target::parse("smtps://mail.example.org/opstap.example.org").unwrap();
        assert_eq!((t.port, &t.tls), (465, &Tls::Wrapper));
        assert!(matches!(t.hello, ClientId::Domain(ref d) if d == "opstap.example.org"));
        assert!(Target::parse("http://x").is_err());
        assert!(Target::parse("smtp://x?tls=maybe").is_err());
    }
}
