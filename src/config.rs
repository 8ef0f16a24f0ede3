//! Typed configuration, read once from the command line and `OPSTAP_*` environment variables,
//! validated, and passed in the app state (no globals).

use std::path::PathBuf;

pub const DEFAULT_SMTP_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_SMTP_DATA_TIMEOUT_SECS: u64 = 600;
pub const DEFAULT_MAIL_LEASE_SECS: u64 = 60;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    pub index_dir: PathBuf,
    pub refdata_dir: PathBuf,
    pub demo: bool,
    pub mail_dir: PathBuf,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// HS256 secret for session tokens; if None one is generated and kept in the database.
    pub jwt_secret: Option<String>,
    pub token_ttl_minutes: i64,
    pub public_url: String,
    /// Pool size of database connections.
    pub db_pool_size: u32,
    /// How long audit-log entries are kept, in days (never less than 183: six months).
    pub audit_retention_days: i64,
    /// Anonymous candidate profiles an employer account may view per hour.
    pub employer_profile_views_per_hour: u32,
    /// How often the background worker looks for mail to send and jobs to run, in seconds.
    pub worker_interval_secs: u64,
    /// SMTP: the most one step may take before the message is handed over (connect, greeting,
    /// EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA), in seconds. A stalled step fails the attempt,
    /// which is retried later; nothing was accepted yet, so nothing is sent twice.
    pub smtp_timeout_secs: u64,
    /// SMTP: the most the server may take to confirm a message after its last line, in seconds
    /// (RFC 5321 4.5.3.2.6 advises 10 minutes). Giving up earlier risks a second copy when the
    /// server delivers after all, so this one is long; the claim on the message is renewed
    /// meanwhile.
    pub smtp_data_timeout_secs: u64,
    /// How long a worker's claim on an outbox message lasts without renewal, in seconds; it is
    /// renewed every third of that while the message is being sent.
    pub mail_lease_secs: u64,
    /// Reverse proxies whose `X-Forwarded-For` is believed (addresses or networks). A request
    /// from any other peer is taken to come from that peer, whatever it claims.
    pub trusted_proxies: TrustedProxies,
    /// Where the Prometheus metrics are served (`/metrics`); None: not at all. Never on `bind`.
    pub metrics_bind: Option<String>,
    /// Login through an external identity provider (OpenID Connect); None: password login only.
    pub oidc: Option<OidcConfig>,
}

/// An OpenID Connect provider to log in with (`OPSTAP_OIDC_*`), next to the password: for
/// example a DigiD or eHerkenning broker, or the municipality's own staff directory.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The provider's issuer URL exactly as its discovery document names it (https; http only
    /// on a loopback address, for a provider on the same machine).
    pub issuer: String,
    pub client_id: String,
    /// Sent with HTTP Basic to the token endpoint; without it the client is public (PKCE alone).
    pub client_secret: Option<String>,
    /// The text of the login button ("Inloggen met DigiD").
    pub label: String,
    /// Scopes asked for; `openid` is always among them.
    pub scopes: String,
}

impl OidcConfig {
    /// The configuration from its parts, or why it cannot be used. None when no issuer is set.
    pub fn from_parts(
        issuer: Option<&str>,
        client_id: Option<&str>,
        client_secret: Option<&str>,
        label: &str,
        scopes: &str,
    ) -> Result<Option<OidcConfig>, String> {
        let Some(issuer) = issuer.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
        let url = url::Url::parse(issuer).map_err(|e| format!("OPSTAP_OIDC_ISSUER {issuer:?} is not a URL: {e}"))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(format!("OPSTAP_OIDC_ISSUER must be an https URL (http only on a loopback address), not {issuer:?}"));
        }
        let client_id = client_id.map(str::trim).filter(|s| !s.is_empty()).ok_or("OPSTAP_OIDC_CLIENT_ID is required with OPSTAP_OIDC_ISSUER")?;
        let mut scopes: Vec<&str> = scopes.split_whitespace().collect();
        if !scopes.contains(&"openid") {
            scopes.insert(0, "openid");
        }
        Ok(Some(OidcConfig {
            issuer: issuer.to_string(),
            client_id: client_id.to_string(),
            client_secret: client_secret.map(str::to_string).filter(|s| !s.is_empty()),
            label: if label.trim().is_empty() { "Inloggen met een extern account".into() } else { label.trim().to_string() },
            scopes: scopes.join(" "),
        }))
    }
}

/// Reads `OPSTAP_TRUSTED_PROXIES`: addresses or networks separated by commas
/// ("127.0.0.1, 10.0.0.0/8, ::1").
pub fn parse_trusted_proxies(s: &str) -> Result<TrustedProxies, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("'{p}' is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/8)"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(TrustedProxies)
}

/// The parsed `OPSTAP_TRUSTED_PROXIES`.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

impl TrustedProxies {
    pub fn contains(&self, ip: &std::net::IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }
}

impl Config {
    /// A configuration for tests: everything under one directory.
    pub fn for_dir(dir: &std::path::Path, database_url: String, refdata_dir: PathBuf) -> Config {
        Config {
            database_url,
            bind: "127.0.0.1:0".into(),
            index_dir: dir.join("index"),
            refdata_dir,
            demo: false,
            mail_dir: dir.join("mail"),
            smtp_url: None,
            mail_from: "Opstap <noreply@opstap.test>".into(),
            jwt_secret: Some("test-secret-test-secret-test-secret".into()),
            token_ttl_minutes: 60,
            public_url: "http://127.0.0.1:8080".into(),
            db_pool_size: 4,
            audit_retention_days: 365,
            employer_profile_views_per_hour: 100,
            worker_interval_secs: 5,
            smtp_timeout_secs: DEFAULT_SMTP_TIMEOUT_SECS,
            smtp_data_timeout_secs: DEFAULT_SMTP_DATA_TIMEOUT_SECS,
            mail_lease_secs: DEFAULT_MAIL_LEASE_SECS,
            trusted_proxies: TrustedProxies::default(),
            metrics_bind: None,
            oidc: None,
        }
    }
}

/// The embedded default database.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/opstap.sqlite";

/// Whether `serve` seeds the demo region into an empty database. The demo accounts share a
/// password printed in the README, so:
/// - `auto` (the default) seeds only for a trial run: bound to a loopback address, on the
///   embedded default database, without an https public URL;
/// - `true` seeds when asked, but never with an https public URL (that is a production start);
/// - `false` never seeds.
///
/// Returns the decision and, when it differs from what was asked or needs saying, a message.
pub fn demo_decision(mode: &str, bind: &str, database_url: &str, public_url: &str) -> Result<(bool, Option<String>), String> {
    let https = public_url.trim().to_ascii_lowercase().starts_with("https://");
    let host = bind.rsplit_once(':').map(|(h, _)| h).unwrap_or(bind).trim_matches(['[', ']']);
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match mode.trim().to_ascii_lowercase().as_str() {
        "auto" | "" => {
            let trial = loopback && database_url == DEFAULT_DATABASE_URL && !https;
            let why = (!trial).then(|| {
                "No demo data: OPSTAP_DEMO=auto seeds only on a loopback address with the default SQLite database and no https public URL."
                    .to_string()
            });
            Ok((trial, why))
        }
        "true" | "1" | "yes" | "on" | "y" => {
            if https {
                Ok((
                    false,
                    Some(
                        "No demo data: OPSTAP_DEMO=true is ignored with an https public URL (a production start); the demo password is public."
                            .into(),
                    ),
                ))
            } else {
                Ok((true, None))
            }
        }
        "false" | "0" | "no" | "off" | "n" => Ok((false, None)),
        other => Err(format!("OPSTAP_DEMO must be auto, true or false, not {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_only_for_a_local_trial_or_when_asked_and_never_behind_https() {
        let d = DEFAULT_DATABASE_URL;
        let http = "http://127.0.0.1:8080";
        assert!(demo_decision("auto", "127.0.0.1:8080", d, http).unwrap().0);
        assert!(demo_decision("auto", "[::1]:8080", d, http).unwrap().0);
        assert!(demo_decision("auto", "localhost:8080", d, http).unwrap().0);
        assert!(!demo_decision("auto", "0.0.0.0:8080", d, http).unwrap().0);
        assert!(!demo_decision("auto", "127.0.0.1:8080", "postgres://x@db/opstap", http).unwrap().0);
        assert!(!demo_decision("auto", "127.0.0.1:8080", d, "https://werk.gemeente.nl").unwrap().0);
        assert!(demo_decision("true", "0.0.0.0:8080", "postgres://x@db/opstap", http).unwrap().0);
        assert!(!demo_decision("true", "127.0.0.1:8080", d, "https://werk.gemeente.nl").unwrap().0);
        assert!(!demo_decision("false", "127.0.0.1:8080", d, http).unwrap().0);
        assert!(demo_decision("misschien", "127.0.0.1:8080", d, http).is_err());
    }
}
