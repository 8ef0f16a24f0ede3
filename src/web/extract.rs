//! Request extractors with errors that name the field.

use crate::domain::FieldError;
// The validation helpers live with the rules (services use them too); re-exported for handlers.
pub use crate::domain::validation::{validation_errors, validation_errors_of};
use crate::error::AppError;
pub use crate::service::validate_with;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// JSON body, deserialised with the path of any bad field and then checked with `validator`.
/// Malformed JSON -> 400; a wrong type or a missing field -> 422 naming the field.
pub struct ValidJson<T>(pub T);

const MAX_BODY: usize = 1024 * 1024;

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
/// stored with the tail ignored. Strict besides: a field the type does not know, and a text
/// with a control character (NUL, escape, ...; line breaks and tabs are text), are refused with
/// 422 naming the field, so that a typo or a stray byte is never silently dropped or stored.
pub fn parse_json_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut unknown: Vec<String> = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(&mut de, &mut |path: serde_ignored::Path| unknown.push(field_path(&path))));
    let unknown_error = |f: String| FieldError::new(f, "Dit veld bestaat niet; laat het weg of controleer de spelling.");
    let v = match parsed {
        Ok(v) => v,
        // Name the unknown fields met before the error too (a misspelt required field is both).
        Err(e) => {
            return Err(match json_error(e) {
                AppError::Validation(mut f) => {
                    f.extend(unknown.into_iter().map(unknown_error));
                    AppError::Validation(f)
                }
                other => other,
            })
        }
    };
    de.end().map_err(|e| AppError::BadRequest(format!("Ongeldige JSON: na het JSON-object volgt nog tekst ({e}).")))?;
    let mut errors: Vec<FieldError> = unknown.into_iter().map(unknown_error).collect();
    // Well-formed JSON (the type parsed it): read it once more to name the field of a control
    // character, only when there can be one (serde_json refuses raw ones below U+0020, so it is
    // an escape (`\u`, `\b`, `\f`), a raw DEL or a raw C1 character).
    if may_hold_control_characters(bytes) {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
            control_characters("", &value, &mut errors);
        }
    }
    AppError::check(errors)?;
    Ok(v)
}

/// A field's path as the other field errors name it: `a.b`, `list[2].c` (serde_ignored's own
/// form adds `?` for an `Option` and a number for a list item).
fn field_path(p: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    match p {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", field_path(parent)),
        Path::Map { parent, key } => {
            let base = field_path(parent);
            if base.is_empty() {
                key.clone()
            } else {
                format!("{base}.{key}")
            }
        }
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => field_path(parent),
    }
}

/// Whether `c` may not appear in text sent to the platform: control characters except line
/// breaks and tabs.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

fn may_hold_control_characters(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| w == b"\\u" || w == b"\\b" || w == b"\\f" || w[0] == 0x7f || (w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1])))
        || bytes.last() == Some(&0x7f)
}

fn control_characters(path: &str, v: &serde_json::Value, out: &mut Vec<FieldError>) {
    use serde_json::Value;
    let field = |p: &str| if p.is_empty() { "body".to_string() } else { p.to_string() };
    match v {
        Value::String(t) if t.chars().any(is_forbidden_char) => {
            out.push(FieldError::new(field(path), "Bevat een stuurteken (zoals een NUL-teken) dat in tekst niet mag."))
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                control_characters(&format!("{path}[{i}]"), item, out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                if k.chars().any(is_forbidden_char) {
                    out.push(FieldError::new(field(path), "Een veldnaam bevat een stuurteken."));
                }
                control_characters(&p, item, out);
            }
        }
        _ => {}
    }
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
    web::QueryConfig::default().error_handler(|err, req| query_error(&err.to_string(), req.query_string()).into())
}

/// A query-string error as a 422 that names the parameter and says in Dutch what is wrong.
pub fn query_error(msg: &str, qs: &str) -> AppError {
    let field = query_param_of(msg).or_else(|| variant_param(msg, qs)).or_else(|| bad_query_param(qs));
    let what = query_problem_nl(msg);
    match field {
        Some(f) => AppError::Validation(vec![FieldError::new(f.clone(), format!("Ongeldige waarde voor '{f}': {what}."))]),
        None => AppError::Validation(vec![FieldError::new("zoekparameters", format!("Een zoekparameter klopt niet: {what}."))]),
    }
}

/// What serde_urlencoded's (English) message means, in Dutch.
fn query_problem_nl(msg: &str) -> String {
    if let Some(rest) = msg.split("unknown variant `").nth(1) {
        let value = rest.split('`').next().unwrap_or("");
        let options = msg.split("expected one of ").nth(1).or_else(|| msg.split("expected ").nth(1)).unwrap_or("").replace('`', "");
        return format!("'{value}' is geen bekende waarde (kies uit: {options})");
    }
    if msg.contains("missing field") {
        return "deze parameter is verplicht".into();
    }
    if msg.contains("invalid digit") || msg.contains("cannot parse integer") || msg.contains("number too large") || msg.contains("number too small") {
        return "dit moet een geheel getal zijn".into();
    }
    if msg.contains("invalid float") {
        return "dit moet een getal zijn".into();
    }
    if msg.contains("`true` or `false`") {
        return "dit moet true of false zijn".into();
    }
    if msg.contains("input contains invalid characters") || msg.contains("premature end of input") || msg.contains("input is out of range") {
        return "dit is geen geldige datum (JJJJ-MM-DD)".into();
    }
    "deze waarde kan niet worden gelezen".into()
}

/// For "unknown variant `x`": the parameter whose value is x.
fn variant_param(msg: &str, qs: &str) -> Option<String> {
    let value = msg.split("unknown variant `").nth(1)?.split('`').next()?;
    qs.split('&').filter_map(|p| p.split_once('=')).find(|(_, v)| urldecode(v) == value).map(|(k, _)| urldecode(k))
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

    #[test]
    fn the_pre_scan_misses_no_control_character() {
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32).filter(|c| is_forbidden_char(*c)) {
            let escaped = serde_json::to_vec(&serde_json::json!({"a": format!("x{c}y")})).unwrap();
            assert!(may_hold_control_characters(&escaped), "{:?} as {:?}", c, String::from_utf8_lossy(&escaped));
            let raw = format!("{{\"a\":\"x{c}\"}}").into_bytes();
            assert!(c < ' ' || may_hold_control_characters(&raw), "raw {c:?}");
        }
        assert!(!may_hold_control_characters(br#"{"a":"Kok in de keuken, regel 1\nregel 2"}"#));
    }

    #[test]
    fn query_errors_name_the_parameter_in_dutch() {
        let e = query_error("invalid digit found in string", "q=kok&limit=abc");
        let AppError::Validation(f) = e else { panic!() };
        assert_eq!(f[0].field, "limit");
        assert!(f[0].message.contains("geheel getal"), "{}", f[0].message);
        let e = query_error("unknown variant `zomaar`, expected one of `a`, `b`", "kind=zomaar");
        let AppError::Validation(f) = e else { panic!() };
        assert_eq!(f[0].field, "kind");
        assert!(f[0].message.contains("kies uit: a, b"), "{}", f[0].message);
        let e = query_error("something else", "");
        let AppError::Validation(f) = e else { panic!() };
        assert_eq!(f[0].field, "zoekparameters");
        assert!(!f[0].message.contains("something"), "no English: {}", f[0].message);
    }

    #[test]
    fn unknown_fields_and_control_characters_are_refused_by_name() {
        #[derive(serde::Deserialize, Debug)]
        struct Inner {
            #[allow(dead_code)]
            b: Option<String>,
        }
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[allow(dead_code)]
            a: Option<String>,
            #[allow(dead_code)]
            inner: Option<Inner>,
        }
        let fields = |body: &str| match parse_json_strict::<T>(body.as_bytes()) {
            Err(AppError::Validation(f)) => f.into_iter().map(|f| f.field).collect::<Vec<_>>(),
            other => panic!("{body}: {other:?}"),
        };
        assert_eq!(fields(r#"{"a":"x","tpyo":1}"#), vec!["tpyo"]);
        assert_eq!(fields(r#"{"inner":{"b":"x","c":2}}"#), vec!["inner.c"]);
        assert_eq!(fields(r#"{"a":"x\u0000y"}"#), vec!["a"]);
        assert_eq!(fields(r#"{"inner":{"b":"\u001b[31m"}}"#), vec!["inner.b"]);
        assert!(parse_json_strict::<T>(br#"{"a":"regel 1\nregel 2\tmet tab"}"#).is_ok());
    }
}
