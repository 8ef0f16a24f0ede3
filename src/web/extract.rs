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
        parse_json_strict(&bytes)
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

/// Parses one JSON value and nothing after it (whitespace aside): `{...}xyz` is refused, not
/// stored with the tail ignored.
pub fn parse_json_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v: T = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
    de.end().map_err(|e| AppError::BadRequest(format!("Ongeldige JSON: na het JSON-object volgt nog tekst ({e}).")))?;
    Ok(v)
}

/// The query parameter a serde_urlencoded / serde error message names, if any.
fn query_param_of(msg: &str) -> Option<String> {
    // "missing field `x`", "unknown field `x`", "x: invalid digit found in string" (serde_path_to_error style)
    if let Some(rest) = msg.split("field `").nth(1) {
        return rest.split('`').next().map(String::from);
    }
    None
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_BODY).error_handler(|err, _| AppError::BadRequest(format!("Ongeldige JSON: {err}")).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, req| {
        let msg = err.to_string();
        let field = query_param_of(&msg).or_else(|| bad_query_param(req.query_string())).unwrap_or_else(|| "query".into());
        AppError::Validation(vec![FieldError::new(field.clone(), format!("Ongeldige waarde voor '{field}': {msg}"))]).into()
    })
}

/// serde_urlencoded does not say which parameter failed to parse ("invalid digit found in
/// string"): find the first parameter whose value is not what a number, boolean or date of the
/// usual parameters would be. Used only to name the field in the error.
fn bad_query_param(qs: &str) -> Option<String> {
    for pair in qs.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = urldecode(v);
        let numeric = ["limit", "offset", "max_km", "hours", "ladder_step", "ladder_min", "ladder_max", "radius_km", "step"];
        let boolean = ["mine", "open", "with_support", "include_excluded"];
        let date = ["from", "to", "due_before"];
        let bad = (numeric.contains(&k) && v.parse::<f64>().is_err())
            || (boolean.contains(&k) && v.parse::<bool>().is_err())
            || (date.contains(&k) && chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d").is_err());
        if bad {
            return Some(k.to_string());
        }
    }
    None
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into())
}

/// Decodes `+` and `%XX` of a query-string value (invalid escapes stay as they are).
fn urldecode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                Ok(x) => {
                    out.push(x);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_json_refuses_trailing_data() {
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[allow(dead_code)]
            a: i32,
        }
        assert!(parse_json_strict::<T>(br#"{"a":1}"#).is_ok());
        assert!(parse_json_strict::<T>(b"{\"a\":1}  \n").is_ok());
        assert!(matches!(parse_json_strict::<T>(br#"{"a":1}xyz"#), Err(AppError::BadRequest(_))));
        assert!(matches!(parse_json_strict::<T>(br#"{"a":1}{"a":2}"#), Err(AppError::BadRequest(_))));
    }

    #[test]
    fn the_bad_query_parameter_is_named() {
        assert_eq!(bad_query_param("q=kok&limit=abc").as_deref(), Some("limit"));
        assert_eq!(bad_query_param("mine=ja").as_deref(), Some("mine"));
        assert_eq!(bad_query_param("from=2026-13-01").as_deref(), Some("from"));
        assert_eq!(bad_query_param("limit=5&from=2026-01-01"), None);
        assert_eq!(urldecode("a%20b+c%zz"), "a b c%zz");
    }
}
