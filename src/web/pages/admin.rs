//! Beheerder pages: users of the municipality, municipality settings (matcher weights, the WML
//! table, SROI bouwblokken, job-coach norms and the other numbers), and the audit log.

use super::forms::{self, FormState, Posted};
use super::{check_csrf, render, render_status, see_other, CheckedForm, Ctx, PageError, PageUser};
use crate::db::models::User;
use crate::domain::settings::Settings;
use crate::domain::{FieldError, Role};
use crate::error::AppError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde_json::{Map, Value};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/beheer", web::get().to(overview))
        .route("/beheer/instellingen", web::get().to(settings_form))
        .route("/beheer/instellingen", web::post().to(save))
        .route("/beheer/audit", web::get().to(audit))
        .route("/beheer/vaardigheden", web::get().to(skills))
        .route("/beheer/vaardigheden/{id}", web::get().to(skill_form))
        .route("/beheer/vaardigheden/{id}", web::post().to(skill_save))
        .route("/beheer/gebruikers", web::post().to(create_user))
        .route("/beheer/organisaties/{id}/verifieren", web::post().to(verify));
}

fn admin(u: &crate::auth::CurrentUser) -> Result<String, PageError> {
    u.require(&[Role::Beheerder])?;
    Ok(u.municipality()?.to_string())
}

#[derive(Template)]
#[template(path = "pages/admin_users.html")]
struct UsersPage {
    ctx: Ctx,
    municipality: String,
    users: Vec<User>,
    unverified: Vec<crate::db::models::Organisation>,
    form: FormState,
    notice: Option<&'static str>,
}

/// One number of the settings form.
pub struct SettingField {
    pub key: String,
    pub label: &'static str,
    pub value: String,
}

pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub fields: Vec<SettingField>,
}

/// A table of dated rows (WML) or age rows (youth rates).
pub struct RowTable {
    pub title: &'static str,
    pub name: &'static str,
    pub columns: Vec<(&'static str, &'static str)>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "pages/admin_settings.html")]
struct SettingsPage {
    ctx: Ctx,
    version: i32,
    /// The sum of the matcher weights in force (the score is scaled to 100).
    weights_total: f64,
    sections: Vec<Section>,
    tables: Vec<RowTable>,
    form: FormState,
    saved: bool,
}

pub struct AuditRow {
    pub at: String,
    pub who: String,
    pub role: String,
    pub candidate: String,
    /// The first characters of the id, enough to tell rows apart.
    /// The person as the beheerder knows them: name and client number.
    pub subject: String,
    pub action: String,
    pub what: String,
    pub purpose: String,
    pub channel: String,
}

#[derive(Template)]
#[template(path = "pages/admin_audit.html")]
struct AuditPage {
    ctx: Ctx,
    rows: Vec<AuditRow>,
    total: i64,
    form: FormState,
}
#[derive(Template)]
#[template(path = "pages/admin_skills.html")]
struct SkillsPage {
    ctx: Ctx,
    q: String,
    rows: Vec<crate::service::esco::SkillRow>,
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/admin_skill_form.html")]
struct SkillFormPage {
    ctx: Ctx,
    skill: crate::service::esco::SkillRow,
    form: FormState,
}
crate::page!(UsersPage, SettingsPage, AuditPage, SkillsPage, SkillFormPage);

async fn overview(req: HttpRequest, state: web::Data<AppState>, user: PageUser) -> Result<HttpResponse, PageError> {
    overview_with(req, state, user.0, FormState::default(), StatusCode::OK).await
}

/// The confirmation after a redirect to the overview.
fn notice_of(req: &HttpRequest) -> Option<&'static str> {
    let q = req.query_string();
    if q.contains("geverifieerd=1") {
        Some("De werkgever is gecontroleerd. Zijn open plekken zijn nu te zien voor inwoners en klantmanagers.")
    } else if q.contains("aangemaakt=1") {
        Some("De medewerker is toegevoegd en kan nu inloggen.")
    } else {
        None
    }
}

async fn overview_with(
    req: HttpRequest,
    state: web::Data<AppState>,
    u: crate::auth::CurrentUser,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    admin(&u)?;
    let (u2, rd) = (u.clone(), state.env());
    let (name, list, unverified) = state.db(move |conn| crate::service::accounts::admin_overview(conn, &crate::service::Ctx::new(&u2, &rd))).await?;
    let notice = notice_of(&req);
    render_status(status, &UsersPage { ctx: Ctx::new(&req, Some(&u)), municipality: name, users: list, unverified, form, notice })
}

async fn create_user(req: HttpRequest, state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let fs = form.0;
    let input = crate::web::api::users::UserInput {
        email: fs.v("email").trim().to_string(),
        password: fs.v("password").to_string(),
        role: fs.v("role").to_string(),
        name: fs.v("name").trim().to_string(),
        organisation_id: None,
        candidate_id: None,
    };
    let mut errs = crate::web::extract::validation_errors_of(&input);
    if !matches!(input.role.as_str(), "klantmanager" | "beheerder") {
        errs.push(FieldError::new("role", "Kies klantmanager of beheerder."));
    }
    let input = if errs.is_empty() { Ok(input) } else { Err(errs) };
    let u2 = u.clone();
    let call = |input| state.tx(move |conn| crate::service::accounts::create_user_in(conn, &input, Some(&u2), None).map(|_| ()));
    match forms::submit(fs, input, call).await? {
        Posted::Done(()) => Ok(see_other("/beheer?aangemaakt=1")),
        Posted::Again(mut fs) => {
            fs.set("password", "");
            overview_with(req, state, u, fs, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(serde::Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    check_csrf(&req, &form.csrf)?;
    crate::service::organisations::verify_organisation(&state, &u, path.into_inner()).await?;
    Ok(see_other("/beheer?geverifieerd=1#organisaties"))
}

const LABELS: &[(&str, &str)] = &[
    ("weights.skills", "Beroep en vaardigheden"),
    ("weights.ladder", "Trede participatieladder"),
    ("weights.distance", "Afstand"),
    ("weights.hours", "Uren"),
    ("weights.language", "Taal"),
    ("weights.support", "Begeleiding"),
    ("weights.start_date", "Startdatum"),
    ("weights.under_27", "Jonger dan 27"),
    ("weights.statushouder", "Statushouder: werken en taal leren"),
    ("weights.instruments", "Regelingen"),
    ("weights.wishes", "Eigen wensen (sector, soort werk)"),
    ("bouwblokken.participatiewet", "Participatiewet (euro per persoonsjaar)"),
    ("bouwblokken.doelgroepregister", "Doelgroepregister (euro)"),
    ("bouwblokken.wia_wao", "WIA/WAO (euro)"),
    ("bouwblokken.ww", "WW (euro)"),
    ("bouwblokken.bbl", "BBL (euro)"),
    ("bouwblokken.nug", "NUG (euro)"),
    ("bouwblokken.bonus", "Bonus 50+, statushouder, vast contract (euro)"),
    ("bouwblokken.threshold_cents", "Drempel contractwaarde (euro)"),
    ("bouwblokken.default_pct", "Standaard SROI-percentage"),
    ("job_coach.year1_pct", "Jobcoach jaar 1 (% van de uren)"),
    ("job_coach.year2_pct", "Jobcoach jaar 2 (%)"),
    ("job_coach.later_pct", "Jobcoach daarna (%)"),
    ("job_coach.external_hour_cents", "Tarief externe jobcoach (euro per uur)"),
    ("job_coach.internal_hour_cents", "Tarief interne jobcoach (euro per uur)"),
    ("holiday_allowance_pct", "Vakantiegeld (%)"),
    ("employer_costs_pct", "Werkgeverslasten (%)"),
    ("lks_cap_pct", "Maximum loonkostensubsidie (% van WML + vakantiegeld)"),
    ("lks_forfaitair_pct", "Forfaitaire loonwaarde (%)"),
    ("lks_forfaitair_months", "Forfaitaire loonwaarde: maanden"),
    ("fulltime_hours", "Voltijd uren per week"),
    ("lkv_hour_cents", "LKV banenafspraak (euro per uur)"),
    ("lkv_max_year_cents", "LKV maximum per jaar (euro)"),
    ("banenafspraak_hours", "Uren per baan banenafspraak"),
    ("no_transport_max_km", "Maximale afstand zonder eigen vervoer (km)"),
    ("werkervaringsplaats_max_months", "Werkervaringsplaats: maximaal maanden"),
    ("youth_age", "Leeftijdsgrens jongeren"),
    ("retrieval_size", "Aantal plekken dat de matcher bekijkt"),
    ("candidate_retrieval_size", "Aantal kandidaten dat de matcher bekijkt"),
    ("candidate_search_radius_km", "Zoekstraal kandidaten (km)"),
    ("retention_years_after_outflow", "Bewaartermijn na uitstroom (jaren)"),
    ("proposal_log_months", "Bewaartermijn voorstellenlog (maanden, minstens 6)"),
];

/// The Dutch label of a settings field ("weights.skills" → "Beroep en vaardigheden").
pub fn setting_label(key: &str) -> &'static str {
    label(key)
}

fn label(key: &str) -> &'static str {
    LABELS.iter().find(|(k, _)| *k == key).map(|(_, l)| *l).unwrap_or("")
}

/// Amounts the settings keep in cents and the form shows in euros.
fn is_cents(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    last.ends_with("_cents") || (key.starts_with("bouwblokken.") && key != "bouwblokken.default_pct")
}

/// A form value: cents as euros, other numbers with a decimal comma.
fn shown(key: &str, v: &Value) -> String {
    match v.as_i64() {
        Some(c) if is_cents(key) => crate::domain::nl::euro_input(c),
        _ if v.is_number() => scalar(v).replace('.', ","),
        _ => scalar(v),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn build(settings: &Settings, form: Option<&FormState>) -> (Vec<Section>, Vec<RowTable>) {
    let v = serde_json::to_value(settings).unwrap_or(Value::Null);
    let value_of = |key: &str, current: String| form.map(|f| f.v(key).to_string()).unwrap_or(current);
    let section = |title: &'static str, prefix: &'static str| Section {
        id: prefix,
        title,
        fields: v[prefix]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, x)| {
                        let key = format!("{prefix}.{k}");
                        SettingField { label: label(&key), value: value_of(&key, shown(&key, x)), key }
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut sections =
        vec![section("Gewichten van de matcher", "weights"), section("Social return: bouwblokken", "bouwblokken"), section("Jobcoach", "job_coach")];
    let other = v
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, x)| !x.is_object() && !x.is_array())
                .map(|(k, x)| SettingField { label: label(k), value: value_of(k, shown(k, x)), key: k.clone() })
                .collect()
        })
        .unwrap_or_default();
    sections.push(Section { id: "overig", title: "Overige regels en getallen", fields: other });
    let table = |title, name: &'static str, columns: Vec<(&'static str, &'static str)>| {
        let mut rows: Vec<Vec<String>> =
            v[name].as_array().map(|a| a.iter().map(|r| columns.iter().map(|(c, _)| shown(c, &r[*c])).collect()).collect()).unwrap_or_default();
        rows.push(vec![String::new(); columns.len()]);
        if let Some(f) = form {
            // Show what was typed.
            let n = f
                .values
                .keys()
                .filter(|k| k.starts_with(&format!("{name}.")))
                .filter_map(|k| k.split('.').nth(1)?.parse::<usize>().ok())
                .max()
                .map(|m| m + 1)
                .unwrap_or(0);
            rows = (0..n).map(|i| columns.iter().map(|(c, _)| f.v(&format!("{name}.{i}.{c}")).to_string()).collect()).collect();
            rows.push(vec![String::new(); columns.len()]);
        }
        RowTable { title, name, columns, rows }
    };
    let tables = vec![
        table(
            "Wettelijk minimumloon (WML), per ingangsdatum",
            "wml",
            vec![("from", "Vanaf (jjjj-mm-dd)"), ("month_cents", "Per maand (euro)"), ("hour_cents", "Per uur (euro)")],
        ),
        table("Jeugdlonen (% van het WML)", "youth_rates", vec![("age", "Leeftijd"), ("pct", "Percentage")]),
    ];
    (sections, tables)
}

async fn load(state: &AppState, m: String) -> Result<(Settings, i32), AppError> {
    state.db(move |conn| Ok(crate::engine::ranking::load_settings(conn, &m)?)).await
}

async fn settings_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let m = admin(&u)?;
    let (s, version) = load(&state, m).await?;
    let (sections, tables) = build(&s, None);
    render(&SettingsPage {
        ctx: Ctx::new(&req, Some(&u)),
        weights_total: s.weights.total(),
        version,
        sections,
        tables,
        form: FormState::default(),
        saved: q.contains_key("opgeslagen"),
    })
}

/// Rebuilds the settings from the form: each field keeps the JSON type of the current value;
/// table rows that are entirely empty are dropped.
fn from_form(current: &Settings, f: &FormState) -> (Value, Vec<FieldError>) {
    let mut v = serde_json::to_value(current).unwrap_or(Value::Null);
    let mut errs = vec![];
    let typed = |old: &Value, s: &str, key: &str, errs: &mut Vec<FieldError>| -> Value {
        if old.is_number() && is_cents(key) {
            // The one Dutch money reader of the forms: "14.40" is refused, not read as 14,40 or 1.440.
            return match crate::domain::nl::parse_euro_cents(s) {
                Ok(c) => Value::from(c),
                Err(m) => {
                    errs.push(FieldError::new(key, m));
                    old.clone()
                }
            };
        }
        match old {
            Value::Number(_) => match s.trim().replace(',', ".").parse::<f64>() {
                Ok(n) if old.is_i64() || old.is_u64() => {
                    if n.fract() != 0.0 {
                        errs.push(FieldError::new(key, "Vul een heel getal in."));
                    }
                    Value::from(n as i64)
                }
                Ok(n) => Value::from(n),
                Err(_) => {
                    errs.push(FieldError::new(key, "Vul een getal in."));
                    old.clone()
                }
            },
            _ => Value::String(s.trim().to_string()),
        }
    };
    if let Some(obj) = v.as_object_mut() {
        let keys: Vec<String> = obj.keys().cloned().collect();
        for k in keys {
            let old = obj[&k].clone();
            match &old {
                Value::Object(inner) => {
                    let mut m = Map::new();
                    for (ik, iv) in inner {
                        let key = format!("{k}.{ik}");
                        let nv = if f.values.contains_key(&key) { typed(iv, f.v(&key), &key, &mut errs) } else { iv.clone() };
                        m.insert(ik.clone(), nv);
                    }
                    obj.insert(k, Value::Object(m));
                }
                Value::Array(rows) => {
                    let template = rows.first().cloned().unwrap_or(Value::Null);
                    let Some(cols) = template.as_object().map(|o| o.iter().map(|(c, x)| (c.clone(), x.clone())).collect::<Vec<_>>()) else {
                        continue;
                    };
                    let mut out = vec![];
                    for i in 0.. {
                        let present = cols.iter().any(|(c, _)| f.values.contains_key(&format!("{k}.{i}.{c}")));
                        if !present {
                            break;
                        }
                        if cols.iter().all(|(c, _)| f.v(&format!("{k}.{i}.{c}")).trim().is_empty()) {
                            continue;
                        }
                        let mut row = Map::new();
                        for (c, example) in &cols {
                            let key = format!("{k}.{i}.{c}");
                            row.insert(c.clone(), typed(example, f.v(&key), &key, &mut errs));
                        }
                        out.push(Value::Object(row));
                    }
                    obj.insert(k, Value::Array(out));
                }
                _ => {
                    if f.values.contains_key(&k) {
                        let nv = typed(&old, f.v(&k), &k, &mut errs);
                        obj.insert(k, nv);
                    }
                }
            }
        }
    }
    (v, errs)
}

async fn save(req: HttpRequest, state: web::Data<AppState>, user: PageUser, form: CheckedForm) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let m = admin(&u)?;
    let fs = form.0;
    let (current, cur_version) = load(&state, m.clone()).await?;
    let (json, errs) = from_form(&current, &fs);
    // The settings' own checks name the form's fields (the service prefixes them for the API).
    let input = forms::read_json(json, errs, Settings::check).and_then(|s: Settings| match s.check() {
        c if c.is_empty() => Ok(s),
        c => Err(c),
    });
    let version: Option<i32> = fs.v("version").parse().ok();
    let call = |s: Settings| async move { crate::service::settings::save_settings(&state, &m, &s, version).await };
    let fs = match forms::submit(fs, input, call).await? {
        Posted::Done(_) => return Ok(see_other("/beheer/instellingen?opgeslagen=1")),
        Posted::Again(fs) => fs,
    };
    let (sections, tables) = build(&current, Some(&fs));
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &SettingsPage {
            ctx: Ctx::new(&req, Some(&u)),
            weights_total: current.weights.total(),
            version: cur_version,
            sections,
            tables,
            form: fs,
            saved: false,
        },
    )
}

async fn audit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let m = admin(&u)?;
    let fs = FormState::from_pairs(&q.into_inner());
    let candidate = Some(fs.v("kandidaat").trim().to_string()).filter(|s| !s.is_empty());
    let action = Some(fs.v("actie").trim().to_string()).filter(|s| !s.is_empty());
    let (total, rows) = state.db(move |conn| Ok(crate::service::me::audit_entries(conn, &m, candidate, None, action, 200, 0)?)).await?;
    let rows = rows
        .into_iter()
        .map(|r| AuditRow {
            at: crate::clock::local_datetime(r.at).format("%d-%m-%Y %H:%M:%S").to_string(),
            who: r.actor,
            role: crate::domain::Role::parse(&r.actor_role).map(|x| x.label_nl().to_string()).unwrap_or(r.actor_role),
            subject: match (&r.candidate_name, &r.client_number) {
                (Some(n), Some(k)) => format!("{n} ({k})"),
                (Some(n), None) => n.clone(),
                _ if r.candidate_id == crate::audit::LIST_SUBJECT => "een lijst".into(),
                _ => format!("gewist of onbekend ({})", r.candidate_id.chars().take(8).collect::<String>()),
            },
            candidate: r.candidate_id,
            action: crate::audit::act_label(&r.action).into(),
            what: r.what,
            purpose: r.purpose,
            channel: crate::audit::channel_label(&r.channel).into(),
        })
        .collect();
    render(&AuditPage { ctx: Ctx::new(&req, Some(&u)), rows, total, form: fs })
}

/// The skills people see without a Dutch label, or a search over all skills.
async fn skills(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let fs = FormState::from_pairs(&q.into_inner());
    let text: String = fs.v("q").trim().chars().take(200).collect();
    let (u2, rd, t) = (u.clone(), state.env(), text.clone());
    let rows = state.db(move |conn| crate::service::esco::skills_to_label(conn, &crate::service::Ctx::new(&u2, &rd), &t, 100)).await?;
    let rd = state.env();
    let saved = Some(fs.v("opgeslagen")).filter(|v| !v.is_empty()).and_then(|id| rd.skill(id)).map(|s| s.label().to_string());
    render(&SkillsPage { ctx: Ctx::new(&req, Some(&u)), q: text, rows, saved })
}

async fn skill_row(state: &AppState, u: &crate::auth::CurrentUser, id: String) -> Result<crate::service::esco::SkillRow, AppError> {
    let (u2, rd) = (u.clone(), state.env());
    state.db(move |conn| crate::service::esco::skill_for_label(conn, &crate::service::Ctx::new(&u2, &rd), &id)).await
}

async fn skill_form(req: HttpRequest, state: web::Data<AppState>, user: PageUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let skill = skill_row(&state, &u, path.into_inner()).await?;
    let mut form = FormState::default();
    form.set("label_nl", skill.label_nl.clone().unwrap_or_default());
    form.set("alt_labels_nl", skill.alt_labels_nl.join("\n"));
    render(&SkillFormPage { ctx: Ctx::new(&req, Some(&u)), skill, form })
}

/// Saves a Dutch label and synonyms (one per line); the same service as `PUT /api/v1/esco/skills/{id}`.
async fn skill_save(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    admin(&u)?;
    let id = path.into_inner();
    let fs = form.0;
    let input = crate::service::esco::SkillLabelInput {
        label_nl: fs.v("label_nl").trim().to_string(),
        alt_labels_nl: fs.v("alt_labels_nl").lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect(),
    };
    let (u2, rd, id2) = (u.clone(), state.env(), id.clone());
    let call = |input| state.tx(move |conn| crate::service::esco::label_skill(conn, &crate::service::Ctx::new(&u2, &rd), &id2, input).map(|_| ()));
    match forms::submit(fs, Ok(input), call).await? {
        Posted::Done(()) => {
            state.caught_up().await?;
            Ok(see_other(&format!("/beheer/vaardigheden?opgeslagen={}", id)))
        }
        Posted::Again(fs) => {
            let skill = skill_row(&state, &u, id).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &SkillFormPage { ctx: Ctx::new(&req, Some(&u)), skill, form: fs })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn euros_in_the_form_cents_in_the_settings() {
        assert!(is_cents("bouwblokken.bbl") && is_cents("wml.0.month_cents") && !is_cents("bouwblokken.default_pct") && !is_cents("weights.skills"));
        assert_eq!(shown("lkv_hour_cents", &Value::from(135)), "1,35");
        assert_eq!(shown("holiday_allowance_pct", &Value::from(8.5)), "8,5");
    }
}
