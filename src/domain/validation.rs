//! The `validator` rules of an input as field errors that name the field, in Dutch: used by
//! services (which check every input, whoever calls them) and by the web extractors. Pure: no
//! I/O, no HTTP; `service::validate_with` turns the errors into the request's answer.

use crate::domain::FieldError;

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

/// The `validator` errors of `value` merged with `extra` (domain checks), sorted by field, each
/// once (empty when valid).
pub fn merged_errors<T: validator::Validate>(value: &T, mut extra: Vec<FieldError>) -> Vec<FieldError> {
    if let Err(e) = value.validate() {
        extra.extend(validation_errors(&e));
    }
    extra.sort_by(|a, b| a.field.cmp(&b.field).then(a.message.cmp(&b.message)));
    extra.dedup();
    extra
}
