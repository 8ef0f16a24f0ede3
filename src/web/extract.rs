//! Request extractors with errors that name the field.

use crate::domain::FieldError;
use crate::error::AppError;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// JSON body, deserialised with the path of any bad field and then checked with `validator`.
/// Malformed JSON -> 400; a wrong type or a missing field -> 422 naming the field.
pub struct ValidJson<T>(pub T);

const MAX_BODY: usize = 1024 * 1024;

/// The `validator` errors of a value, as field errors (empty when valid).
pub fn validation_errors_of<T: validator::Validate>(v: &T) -> Vec<FieldError> {
    match v.validate() {
        Ok(()) => vec![],
        Err(e) => validation_errors(&e),
    }
}

pub fn validation_errors(e: &validator::ValidationErrors) -> Vec<FieldError> {
    fn walk(prefix: &str, e: &validator::ValidationErrors, out: &mut Vec<FieldError>) {
        for (field, kind) in e.errors() {
            let name = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
            match kind {
                validator::ValidationErrorsKind::Field(errs) => {
                    for err in errs {
                        let msg = err.message.as_ref().map(|m| m.to_string()).unwrap_or_else(|| default_message(err));
                        out.push(FieldError::new(name.clone(), msg));
                    }
                }
                validator::ValidationErrorsKind::Struct(inner) => walk(&name, inner, out),
                validator::ValidationErrorsKind::List(items) => {
                    for (i, inner) in items {
                        walk(&format!("{name}[{i}]"), inner, out);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk("", e, &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn default_message(err: &validator::ValidationError) -> String {
    let p = |k: &str| err.params.get(k).map(|v| v.to_string());
    match err.code.as_ref() {
        "length" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("Lengte moet tussen {min} en {max} tekens liggen."),
            (Some(min), None) => format!("Minstens {min} teken(s)."),
            (None, Some(max)) => format!("Hoogstens {max} tekens."),
            _ => "Ongeldige lengte.".into(),
        },
        "range" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("Waarde moet tussen {min} en {max} liggen."),
            (Some(min), None) => format!("Waarde moet minstens {min} zijn."),
            (None, Some(max)) => format!("Waarde mag hoogstens {max} zijn."),
            _ => "Waarde buiten bereik.".into(),
        },
        "email" => "Dit is geen geldig e-mailadres.".into(),
        other => format!("Ongeldige waarde ({other})."),
    }
}

/// Turns a serde error into a 400 (syntax) or a 422 naming the field (data).
pub fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    use serde_json::error::Category;
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => AppError::BadRequest(format!("Ongeldige JSON: {inner}")),
        Category::Data => {
            let msg = inner.to_string();
            // "missing field `x`" sits at the parent path: name the field itself.
            let (field, message) = if let Some(rest) = msg.strip_prefix("missing field `") {
                let name = rest.split('`').next().unwrap_or("");
                let f = if path == "." || path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
                (f, "Dit veld is verplicht.".to_string())
            } else {
                let clean = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                (if path == "." { "body".into() } else { path }, format!("Ongeldige waarde: {clean}."))
            };
            AppError::Validation(vec![FieldError::new(field, message)])
        }
    }
}

/// JSON body, deserialised with the path of any bad field, not yet validated: for handlers
/// that add domain checks and report every field error at once with [`validate_with`].
pub struct JsonBody<T>(pub T);

/// Runs the `validator` rules and merges their errors with `extra` (domain checks).
pub fn validate_with<T: validator::Validate>(value: &T, mut extra: Vec<FieldError>) -> Result<(), AppError> {
    if let Err(e) = value.validate() {
        extra.extend(validation_errors(&e));
    }
    extra.sort_by(|a, b| a.field.cmp(&b.field).then(a.message.cmp(&b.message)));
    extra.dedup();
    AppError::check(extra)
}

fn read_json<T: DeserializeOwned + 'static>(req: &HttpRequest, payload: &mut Payload) -> Pin<Box<dyn Future<Output = Result<T, AppError>>>> {
    let ct_ok = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.starts_with("application/json") || v.ends_with("+json"))
        .unwrap_or(false);
    let body = web::Bytes::from_request(req, payload);
    Box::pin(async move {
        if !ct_ok {
            return Err(AppError::BadRequest("Verwacht een JSON-body (Content-Type: application/json).".into()));
        }
        let bytes = body.await.map_err(|e| AppError::BadRequest(format!("Kan de body niet lezen: {e}")))?;
        if bytes.len() > MAX_BODY {
            return Err(AppError::BadRequest("De body is te groot.".into()));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map_err(json_error)
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = read_json::<T>(req, payload);
        Box::pin(async move { fut.await.map(JsonBody) })
    }
}

impl<T: DeserializeOwned + validator::Validate + 'static> FromRequest for ValidJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = read_json::<T>(req, payload);
        Box::pin(async move {
            let value = fut.await?;
            validate_with(&value, vec![])?;
            Ok(ValidJson(value))
        })
    }
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_BODY).error_handler(|err, _| AppError::BadRequest(format!("Ongeldige JSON: {err}")).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        let msg = err.to_string();
        // serde_urlencoded names the field in most messages; keep the text as it is.
        AppError::Validation(vec![FieldError::new("query", format!("Ongeldige zoekparameter: {msg}"))]).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into())
}
