//! One error type for the whole app, with a code table. The JSON API answers
//! `{code, message, fields}`; bad input never becomes a 500.

use crate::domain::FieldError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("De invoer is niet geldig.")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("U heeft geen toegang tot deze functie.")]
    Forbidden,
    #[error("Niet gevonden.")]
    NotFound,
    #[error("{message}")]
    Conflict { code: ConflictCode, message: String, fields: Vec<FieldError> },
    #[error("Dit kan niet vanuit de huidige status ({from}).")]
    IllegalTransition { from: String, action: String, allowed: Vec<(String, String)> },
    #[error("Te veel verzoeken; probeer het over {retry_after} seconden opnieuw.")]
    TooManyRequests { retry_after: u64 },
    #[error("{0}")]
    Unavailable(String),
    /// Another writer holds the database lock: try again shortly (503 with Retry-After).
    #[error("De database is even bezet. Probeer het over {retry_after} seconden opnieuw; er is niets opgeslagen.")]
    Busy { retry_after: u64 },
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// What a 409 is about: the `code` of the JSON error, so that a client can act on it without
/// reading the Dutch message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ConflictCode {
    /// The record changed since the client read it (its `version` is older).
    StaleVersion,
    /// The thing exists already (an e-mail address, a KvK number, a proposal of this pair).
    AlreadyExists,
    /// It was done already (a task completed, consent withdrawn).
    AlreadyDone,
    /// The record's state does not allow it (erased data, an unverified organisation).
    WrongStatus,
    /// Still referred to, or refers to something that does not exist.
    InUse,
}

/// The JSON body of every API error.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `validation_failed`, `not_found`; a 409 says what it is
    /// about: `stale_version`, `already_exists`, `already_done`, `wrong_status`, `in_use`.
    pub code: String,
    /// Human-readable message (Dutch).
    pub message: String,
    /// Field errors, for `validation_failed` (and some conflicts).
    #[serde(default)]
    pub fields: Vec<FieldError>,
    /// For `invalid_transition`: the current status and the actions allowed from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<AllowedStep>,
}

/// An action allowed from the current status, and the status it leads to.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AllowedStep {
    pub action: String,
    pub to: String,
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Validation(vec![FieldError::new(field, message)])
    }
    pub fn conflict(code: ConflictCode, message: impl Into<String>) -> AppError {
        AppError::Conflict { code, message: message.into(), fields: vec![] }
    }
    /// A conflict about one field (shown beside it on a form).
    pub fn conflict_on(code: ConflictCode, field: &str, message: impl Into<String>) -> AppError {
        let message = message.into();
        AppError::Conflict { code, fields: vec![FieldError::new(field, message.clone())], message }
    }
    pub fn unauthorized() -> AppError {
        AppError::Unauthorized("Log in om verder te gaan.".into())
    }
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation_failed",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict { code, .. } => code.into(),
            AppError::IllegalTransition { .. } => "invalid_transition",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Busy { .. } => "busy",
            AppError::Internal(_) => "internal_error",
        }
    }
    /// Returns Err(Validation) if the list is not empty.
    pub fn check(errors: Vec<FieldError>) -> Result<(), AppError> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } | AppError::IllegalTransition { .. } => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            AppError::Internal(e) => {
                log::error!("internal error: {e:#}");
                "Er ging iets mis aan onze kant. Probeer het later opnieuw.".to_string()
            }
            other => other.to_string(),
        };
        let fields = match self {
            AppError::Validation(f) => f.clone(),
            AppError::Conflict { fields, .. } => fields.clone(),
            _ => vec![],
        };
        let mut resp = HttpResponse::build(self.status_code());
        if let AppError::TooManyRequests { retry_after } | AppError::Busy { retry_after } = self {
            resp.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if let AppError::Unauthorized(_) = self {
            resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        let (status, allowed) = match self {
            AppError::IllegalTransition { from, allowed, .. } => {
                (Some(from.clone()), allowed.iter().map(|(a, t)| AllowedStep { action: a.clone(), to: t.clone() }).collect())
            }
            _ => (None, vec![]),
        };
        resp.json(ErrorBody { code: self.code().to_string(), message, fields, status, allowed })
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            ref busy if crate::db::is_busy(busy) => {
                log::warn!("database busy: {busy}");
                AppError::Busy { retry_after: 2 }
            }
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                AppError::conflict(ConflictCode::AlreadyExists, format!("Dit bestaat al ({}).", info.message()))
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                AppError::conflict(ConflictCode::InUse, "Dit gegeven wordt nog gebruikt of verwijst naar iets dat niet bestaat.")
            }
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// An error that travelled as `anyhow` keeps its meaning: an `AppError` inside stays itself, a
/// database error is classified as `From<diesel::result::Error>` does (a held lock is 503, not
/// 500); anything else is internal.
impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<AppError>() {
            Ok(a) => a,
            Err(e) => match e.downcast::<diesel::result::Error>() {
                Ok(d) => d.into(),
                Err(e) => AppError::Internal(e),
            },
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        log::error!("database pool: {e}");
        AppError::Unavailable("De database is tijdelijk niet bereikbaar.".into())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
