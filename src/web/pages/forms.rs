//! Form handling for pages: the posted fields are turned into the same input types the JSON API
//! takes and checked by the same code, so a rule lives in one place. A rejected form comes back
//! with the input kept, an error summary, and a message beside each wrong field.

use crate::domain::FieldError;
use crate::error::AppError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// What a form shows: the values typed and the errors found.
#[derive(Debug, Default, Clone)]
pub struct FormState {
    pub values: HashMap<String, Vec<String>>,
    pub errors: Vec<FieldError>,
}

impl FormState {
    pub fn from_pairs(pairs: &[(String, String)]) -> FormState {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            values.entry(k.clone()).or_default().push(v.clone());
        }
        FormState { values, errors: vec![] }
    }
    /// The value of a field as typed ("" if none).
    pub fn v(&self, name: &str) -> &str {
        self.values.get(name).and_then(|v| v.first()).map(String::as_str).unwrap_or("")
    }
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.values.insert(name.to_string(), vec![value.into()]);
    }
    /// Sets every value of a multi-value field (checkboxes with one name).
    pub fn set_all(&mut self, name: &str, values: Vec<String>) {
        self.values.insert(name.to_string(), values);
    }
    /// Every value of a field.
    pub fn values_of(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }
    /// Whether a checkbox is ticked (or a multi-value field holds `value`).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.values.get(name).map(|v| v.iter().any(|x| x == value)).unwrap_or(false)
    }
    pub fn checked(&self, name: &str) -> bool {
        self.values.get(name).map(|v| v.iter().any(|x| x == "on" || x == "true" || x == "1")).unwrap_or(false)
    }
    pub fn selected(&self, name: &str, value: &str) -> bool {
        self.v(name) == value
    }
    /// The message for a field, or "".
    pub fn e(&self, name: &str) -> &str {
        self.errors.iter().find(|f| f.field == name || f.field.starts_with(&format!("{name}."))).map(|f| f.message.as_str()).unwrap_or("")
    }
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    /// `aria-describedby`/`aria-invalid` attributes for a field.
    pub fn aria(&self, name: &str) -> String {
        if self.e(name).is_empty() {
            String::new()
        } else {
            format!("aria-invalid=\"true\" aria-describedby=\"{name}-fout\"")
        }
    }
}

/// How to read a field into JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Left out when empty (an optional field).
    Text,
    /// Sent as "" when empty, so the API's own check names it.
    ReqText,
    Int,
    /// Required number: empty or not a number is reported here, and a placeholder 0 lets the
    /// other fields be checked too (the first message per field wins, see `merge`).
    ReqInt,
    /// A decimal in euros, given to the API in cents.
    EuroCents,
    Bool,
    /// Several values, or one value split on commas.
    List,
    IntList,
}

/// Builds the JSON the API would receive, and the errors of fields that are not numbers.
/// Empty optional fields are left out (None).
pub fn to_json(f: &FormState, fields: &[(&str, Kind)]) -> (Value, Vec<FieldError>) {
    let mut m = Map::new();
    let mut errs = Vec::new();
    let not_a_number = |name: &str, errs: &mut Vec<FieldError>| errs.push(FieldError::new(name, "Vul hier een heel getal in."));
    for (name, kind) in fields {
        let raw: Vec<&str> = f.values.get(*name).map(|v| v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect()).unwrap_or_default();
        let first = raw.first().copied();
        // The API's rule for text (`extract::parse_json_strict`): no control characters.
        if raw.iter().any(|s| s.chars().any(crate::web::extract::is_forbidden_char)) {
            errs.push(FieldError::new(*name, "Hier staat een teken in dat niet mag (een stuurteken). Haal het weg."));
            continue;
        }
        let v = match kind {
            Kind::Bool => Some(Value::Bool(f.checked(name))),
            Kind::Text => first.map(|s| Value::String(s.to_string())),
            Kind::ReqText => Some(Value::String(first.unwrap_or("").to_string())),
            Kind::Int => first.and_then(|s| match s.parse::<i64>() {
                Ok(n) => Some(Value::from(n)),
                Err(_) => {
                    not_a_number(name, &mut errs);
                    None
                }
            }),
            Kind::ReqInt => Some(match first.map(|s| s.parse::<i64>()) {
                Some(Ok(n)) => Value::from(n),
                Some(Err(_)) => {
                    not_a_number(name, &mut errs);
                    Value::from(0)
                }
                None => {
                    errs.push(FieldError::new(*name, "Vul dit veld in."));
                    Value::from(0)
                }
            }),
            Kind::EuroCents => first.and_then(|s| match crate::domain::nl::parse_euro_cents(s) {
                Ok(c) if c.abs() < 100_000_000_000 => Some(Value::from(c)),
                Ok(_) => {
                    errs.push(FieldError::new(*name, "Dit bedrag is te groot."));
                    None
                }
                Err(m) => {
                    errs.push(FieldError::new(*name, m));
                    None
                }
            }),
            Kind::List | Kind::IntList => {
                let items: Vec<&str> = raw.iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()).collect();
                if items.is_empty() {
                    None
                } else if *kind == Kind::IntList {
                    let mut out = vec![];
                    for s in &items {
                        match s.parse::<i64>() {
                            Ok(n) => out.push(Value::from(n)),
                            Err(_) => not_a_number(name, &mut errs),
                        }
                    }
                    Some(Value::Array(out))
                } else {
                    Some(Value::Array(items.iter().map(|s| Value::String(s.to_string())).collect()))
                }
            }
        };
        if let Some(v) = v {
            m.insert(name.to_string(), v);
        }
    }
    (Value::Object(m), errs)
}

/// Reads form fields into the API's input type, every wrong field in one round: the field
/// errors of `to_json` (not a number, a forbidden character) and of the types (a date that is not
/// one) together, first message per field.
pub fn read<T: DeserializeOwned>(fs: &FormState, fields: &[(&str, Kind)]) -> Result<T, Vec<FieldError>> {
    let (json, errs) = to_json(fs, fields);
    read_json(json, errs, |_| vec![])
}

/// Like `read`, for a form whose JSON needed more than `to_json` (a looked-up occupation, kept
/// skills): `errs` are the messages found while building it. When something is wrong already,
/// `checks` (the service's own checks of the input) run too, so the rest is reported in the same
/// round rather than after the first fix.
pub fn read_json<T: DeserializeOwned>(
    json: Value,
    mut errs: Vec<FieldError>,
    checks: impl FnOnce(&T) -> Vec<FieldError>,
) -> Result<T, Vec<FieldError>> {
    let (input, type_errs) = parse_all::<T>(json);
    errs.extend(type_errs);
    match input {
        Some(t) if errs.is_empty() => Ok(t),
        Some(t) => {
            errs.extend(checks(&t));
            Err(merge(errs))
        }
        None => Err(merge(errs)),
    }
}

/// What became of a posted form.
pub enum Posted<R> {
    /// The service did it; the handler redirects.
    Done(R),
    /// The form to show again (HTTP 422), with the input kept and the messages beside the fields.
    Again(FormState),
}

/// The one path of a posted form once it is read: call the service with the input; its
/// validation and conflict answers come back as the form with messages, so no rule is written in
/// a handler. Any other error (403, 404, a failed database) passes up as the error page.
pub async fn submit<T, R, Fut>(mut fs: FormState, input: Result<T, Vec<FieldError>>, call: impl FnOnce(T) -> Fut) -> Result<Posted<R>, AppError>
where
    Fut: std::future::Future<Output = Result<R, AppError>>,
{
    let errs = match input {
        Ok(t) => match call(t).await {
            Ok(r) => return Ok(Posted::Done(r)),
            Err(e) => field_errors(e)?,
        },
        Err(errs) => errs,
    };
    fs.errors = merge(errs);
    Ok(Posted::Again(fs))
}

/// Keeps the first message per field, in order.
pub fn merge(errs: Vec<FieldError>) -> Vec<FieldError> {
    let mut seen = std::collections::HashSet::new();
    errs.into_iter().filter(|e| seen.insert(e.field.clone())).collect()
}

/// Parses the JSON into the API's input type; type errors come back as field errors in Dutch.
pub fn parse<T: DeserializeOwned>(v: Value) -> Result<T, Vec<FieldError>> {
    let s = v.to_string();
    let mut de = serde_json::Deserializer::from_str(&s);
    serde_path_to_error::deserialize(&mut de).map_err(|e| match crate::web::extract::json_error(e) {
        AppError::Validation(mut f) => {
            for x in f.iter_mut() {
                if x.message.starts_with("Ongeldige waarde") {
                    x.message = if x.field.contains("date") || x.field.ends_with("_on") {
                        "Vul een geldige datum in.".into()
                    } else {
                        "Kies of vul hier een geldige waarde in.".into()
                    };
                }
            }
            f
        }
        other => vec![FieldError::new("form", other.to_string())],
    })
}

/// Parses like `parse`, but does not stop at the first wrong field: a top-level field that does
/// not parse is reported and replaced by a harmless placeholder, so the input can still be built
/// and every other field checked in the same round. Returns the input (None when it cannot be
/// built) and the type errors.
pub fn parse_all<T: DeserializeOwned>(mut v: Value) -> (Option<T>, Vec<FieldError>) {
    let placeholders = [Value::Null, Value::from(0), Value::from("1970-01-01"), Value::from(""), Value::from(false), Value::Array(vec![])];
    let mut errs: Vec<FieldError> = vec![];
    for _ in 0..16 {
        match parse::<T>(v.clone()) {
            Ok(t) => return (Some(t), errs),
            Err(e) => {
                let mut progressed = false;
                for fe in e {
                    if !errs.iter().any(|x| x.field == fe.field) {
                        errs.push(fe.clone());
                    }
                    let top = !fe.field.contains(['.', '[']) && fe.field != "form";
                    if !top || !v.is_object() {
                        continue;
                    }
                    for p in &placeholders {
                        v[fe.field.as_str()] = p.clone();
                        match parse::<T>(v.clone()) {
                            Ok(_) => {
                                progressed = true;
                                break;
                            }
                            Err(again) if !again.iter().any(|x| x.field == fe.field) => {
                                progressed = true;
                                break;
                            }
                            Err(_) => {}
                        }
                    }
                }
                if !progressed {
                    return (None, errs);
                }
            }
        }
    }
    (None, errs)
}

/// Field errors of an `AppError` (for showing beside the fields), or the error itself.
pub fn field_errors(e: AppError) -> Result<Vec<FieldError>, AppError> {
    match e {
        AppError::Validation(f) => Ok(f),
        AppError::Conflict { message, fields, .. } if fields.is_empty() => Ok(vec![FieldError::new("form", message)]),
        AppError::Conflict { fields, .. } => Ok(fields),
        other => Err(other),
    }
}

/// The short Dutch name of a form field, for the error summary ("Voornaam: Vul dit veld in.").
/// Names shared by several forms get the wording that fits them all.
pub fn field_label(field: &str) -> &'static str {
    const LABELS: &[(&str, &str)] = &[
        ("first_name", "Voornaam"),
        ("outflow_reason", "Reden van uitstroom"),
        ("outflow_date", "Datum van uitstroom"),
        ("skill_add", "Vaardigheid toevoegen"),
        ("zrm_scores", "Zelfredzaamheid (ZRM)"),
        ("last_name", "Achternaam"),
        ("birth_date", "Geboortedatum"),
        ("email", "E-mailadres"),
        ("phone", "Telefoon"),
        ("password", "Wachtwoord"),
        ("name", "Naam"),
        ("description", "Omschrijving"),
        ("contact_norm_days", "Contactnorm in dagen"),
        ("default_target_step", "Doeltrede"),
        ("client_group_id", "Klantgroep"),
        ("from_klantmanager_id", "Van klantmanager"),
        ("to_klantmanager_id", "Naar klantmanager"),
        ("candidate_ids", "Kandidaten"),
        ("instroom", "Doel instroom"),
        ("uitstroom", "Doel uitstroom"),
        ("uitstroom_werk", "Doel uitstroom naar werk"),
        ("trede_omhoog", "Doel trede omhoog"),
        ("year", "Jaar"),
        ("doelgroepregister_route", "Route doelgroepregister"),
        ("doelgroepregister_date", "Datum doelgroepregister"),
        ("pc4", "Postcode"),
        ("hours_min", "Minimaal uren per week"),
        ("hours_max", "Maximaal uren per week"),
        ("max_travel_km", "Maximale reisafstand"),
        ("language_level", "Taalniveau Nederlands"),
        ("loonwaarde", "Loonwaarde"),
        ("loonwaarde_date", "Datum loonwaardemeting"),
        ("available_from", "Beschikbaar vanaf"),
        ("education_level", "Opleiding"),
        ("occupations", "Beroepen"),
        ("skills", "Vaardigheden"),
        ("ladder_step", "Trede"),
        ("step", "Trede"),
        ("measured_on", "Datum van de meting"),
        ("note", "Notitie"),
        ("contact_date", "Datum contact"),
        ("channel", "Hoe"),
        ("kind", "Soort plek"),
        ("title", "Titel"),
        ("description", "Wat is het werk?"),
        ("occupation_id", "Beroep"),
        ("hourly_wage_cents", "Bruto uurloon"),
        ("positions", "Aantal plaatsen"),
        ("start_date", "Startdatum"),
        ("duration_months", "Duur in maanden"),
        ("ladder_steps", "Treden"),
        ("kvk_number", "KvK-nummer"),
        ("sector", "Sector"),
        ("contact_name", "Contactpersoon"),
        ("contact_email", "E-mailadres"),
        ("contact_phone", "Telefoon"),
        ("organisation.name", "Naam van de organisatie"),
        ("organisation.kvk_number", "KvK-nummer"),
        ("organisation.pc4", "Postcode"),
        ("organisation.sector", "Sector"),
        ("organisation.contact_phone", "Telefoon"),
        ("introduction_date", "Datum kennismaking"),
        ("introduction_time", "Tijd"),
        ("introduction_place", "Waar"),
        ("introduction_contact", "Vraag naar"),
        ("trial_end_date", "Einddatum"),
        ("contract_type", "Soort contract"),
        ("hours_per_week", "Uren per week"),
        ("instruments_granted", "Toegekende regelingen"),
        ("reason", "Reden"),
        ("role", "Rol"),
        ("label_nl", "Nederlandse naam"),
        ("alt_labels_nl", "Synoniemen"),
        ("display_name", "Naam"),
        ("colour", "Huiskleur"),
        ("logo_url", "Logo"),
        ("contact_address", "Adres"),
        ("contact_hours", "Bereikbaar"),
        ("privacy_statement", "Privacyverklaring"),
        ("accessibility_statement", "Toegankelijkheidsverklaring"),
        ("weights", "Gewichten van de matcher"),
        ("version", "Versie"),
        ("client_number", "Klantnummer"),
        ("benefit_type", "Uitkering"),
        ("registration_date", "Aangemeld op"),
    ];
    let base = field.split(['[', '.']).next().unwrap_or(field);
    LABELS
        .iter()
        .find(|(k, _)| *k == field)
        .map(|(_, l)| *l)
        .or_else(|| Some(super::admin::setting_label(field)).filter(|l| !l.is_empty()))
        .or_else(|| LABELS.iter().find(|(k, _)| *k == base).map(|(_, l)| *l))
        .unwrap_or("")
}

/// An error summary line: "Voornaam: Vul dit veld in." (the message alone when it names the
/// field already or the field has no name).
pub fn summary_line(e: &crate::domain::FieldError) -> String {
    let label = field_label(&e.field);
    if label.is_empty() || e.message.to_lowercase().contains(&label.to_lowercase()) {
        e.message.clone()
    } else {
        format!("{label}: {}", e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FieldError;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        born: chrono::NaiveDate,
        hours: i32,
    }

    #[test]
    fn every_wrong_field_is_reported_in_one_round() {
        let (input, errs) = parse_all::<Sample>(serde_json::json!({"name": "", "born": "gisteren", "hours": "veel"}));
        assert!(input.is_some(), "the input is built with placeholders, so the other checks can run");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["born", "hours"]);
        let (input, errs) = parse_all::<Sample>(serde_json::json!({"name": "x", "born": "2000-01-01"}));
        assert!(input.is_some() || !errs.is_empty());
    }

    #[test]
    fn a_form_is_read_with_every_wrong_field_at_once() {
        let fs = FormState::from_pairs(&[("name".into(), "".into()), ("born".into(), "gisteren".into()), ("hours".into(), "veel".into())]);
        let errs = read::<Sample>(&fs, &[("name", Kind::ReqText), ("born", Kind::ReqText), ("hours", Kind::ReqInt)]).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["hours", "born"], "the number first (to_json), then the date (the type), one message each");
        let fs = FormState::from_pairs(&[("name".into(), "Ali".into()), ("born".into(), "2000-02-29".into()), ("hours".into(), "24".into())]);
        let ok = read::<Sample>(&fs, &[("name", Kind::ReqText), ("born", Kind::ReqText), ("hours", Kind::ReqInt)]).unwrap();
        assert_eq!((ok.name.as_str(), ok.hours), ("Ali", 24));
        // The extra checks run only when something is wrong already, and add to the same round.
        let errs = read_json::<Sample>(serde_json::json!({"name": "", "born": "x", "hours": 1}), vec![], |s| {
            vec![FieldError::new("name", format!("te kort: {:?}", s.name))]
        })
        .unwrap_err();
        assert_eq!(errs.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["born", "name"]);
    }

    #[test]
    fn a_submitted_form_comes_back_with_the_services_messages_or_passes_the_error_up() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let fs = FormState::from_pairs(&[("name".into(), "Ali".into())]);
        // Done: the service's answer.
        let done = rt.block_on(submit(fs.clone(), Ok(7), |n: i32| async move { Ok::<_, AppError>(n * 2) })).unwrap();
        assert!(matches!(done, Posted::Done(14)));
        // A rule of the service: the form again, input kept, the message beside its field.
        let again = rt
            .block_on(submit(fs.clone(), Ok(7), |_n: i32| async { Err::<i32, _>(AppError::Validation(vec![FieldError::new("name", "Te kort.")])) }))
            .unwrap();
        let Posted::Again(f) = again else { panic!("expected the form again") };
        assert_eq!((f.v("name"), f.e("name")), ("Ali", "Te kort."));
        // A conflict: its message on the form.
        let again = rt
            .block_on(submit(fs.clone(), Ok(7), |_n: i32| async {
                Err::<i32, _>(AppError::conflict(crate::error::ConflictCode::StaleVersion, "Intussen gewijzigd."))
            }))
            .unwrap();
        let Posted::Again(f) = again else { panic!("expected the form again") };
        assert_eq!(f.e("form"), "Intussen gewijzigd.");
        // The input could not be read: the service is not called.
        let again = rt
            .block_on(submit(fs.clone(), Err(vec![FieldError::new("name", "Vul dit veld in.")]), |_n: i32| async {
                unreachable!("not called") as Result<i32, AppError>
            }))
            .unwrap();
        assert!(matches!(again, Posted::Again(ref f) if f.e("name") == "Vul dit veld in."));
        // Not a form matter (403): the error page.
        let err = rt.block_on(submit(fs, Ok(7), |_n: i32| async { Err::<i32, _>(AppError::Forbidden) }));
        assert!(matches!(err, Err(AppError::Forbidden)));
    }

    #[test]
    fn the_error_summary_names_each_field() {
        assert_eq!(summary_line(&FieldError::new("last_name", "Vul dit veld in.")), "Achternaam: Vul dit veld in.");
        assert_eq!(summary_line(&FieldError::new("skills[2].level", "Kies een niveau.")), "Vaardigheden: Kies een niveau.");
        assert_eq!(summary_line(&FieldError::new("weights.skills", "Vul een getal in.")), "Beroep en vaardigheden: Vul een getal in.");
        // A message that names its field already is left alone.
        assert_eq!(summary_line(&FieldError::new("kvk_number", "Het KvK-nummer heeft 8 cijfers.")), "Het KvK-nummer heeft 8 cijfers.");
        assert_eq!(summary_line(&FieldError::new("form", "Dat lukte niet.")), "Dat lukte niet.");
    }
}
