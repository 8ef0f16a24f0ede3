//! The beheerder's additions to the ESCO reference data: a Dutch label for any skill (most ESCO
//! skills have none) and the municipality's own skills. Recorded in the change feed, so every
//! instance reloads its reference data.

use super::Ctx;
use crate::db::models::EscoSkill;
use crate::db::schema::esco_skills;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct SkillLabelInput {
    #[validate(length(min = 1, max = 200, message = "Vul een Nederlandse naam in."))]
    pub label_nl: String,
    /// Synonyms
    #[serde(default)]
    pub alt_labels_nl: Vec<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct LocalSkillInput {
    #[validate(length(min = 1, max = 200, message = "Vul een naam in."))]
    pub label_nl: String,
    #[serde(default)]
    pub alt_labels_nl: Vec<String>,
    #[validate(length(max = 2000, message = "Hoogstens 2000 tekens."))]
    #[serde(default)]
    pub description: String,
}

/// Gives a skill a Dutch label and synonyms (a municipality's own skill only by that municipality).
pub fn label_skill(conn: &mut DbConnection, ctx: &Ctx, id: &str, input: SkillLabelInput) -> AppResult<EscoSkill> {
    ctx.user.require(&[Role::Beheerder])?;
    let mut s: EscoSkill = esco_skills::table.find(id).select(EscoSkill::as_select()).first(conn).optional()?.ok_or(AppError::NotFound)?;
    if s.municipality_id.is_some() && s.municipality_id != ctx.user.municipality_id {
        return Err(AppError::NotFound);
    }
    let mut errs = crate::domain::validation::validation_errors_of(&input);
    errs.extend(crate::domain::check_text_list("alt_labels_nl", &input.alt_labels_nl, 20, 200));
    if input.alt_labels_nl.iter().any(|a| a.contains('|')) {
        errs.push(crate::domain::FieldError::new("alt_labels_nl", "Een synoniem mag geen | bevatten."));
    }
    AppError::check(errs)?;
    s.label_nl = Some(input.label_nl.trim().to_string());
    s.alt_labels_nl = input.alt_labels_nl.iter().map(|a| a.trim()).filter(|a| !a.is_empty()).collect::<Vec<_>>().join("|");
    diesel::update(esco_skills::table.find(id)).set(&s).execute(conn)?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Refdata, id)?;
    Ok(s)
}

/// Adds a skill of the beheerder's own municipality.
pub fn create_skill(conn: &mut DbConnection, ctx: &Ctx, input: LocalSkillInput) -> AppResult<EscoSkill> {
    ctx.user.require(&[Role::Beheerder])?;
    let m = ctx.user.municipality()?.to_string();
    let mut errs = crate::domain::validation::validation_errors_of(&input);
    errs.extend(crate::domain::check_text_list("alt_labels_nl", &input.alt_labels_nl, 20, 200));
    AppError::check(errs)?;
    let s = EscoSkill {
        id: format!("local-{}", crate::db::new_id()),
        skill_type: "skill/competence".into(),
        reuse_level: "local".into(),
        label_nl: Some(input.label_nl.trim().into()),
        alt_labels_nl: input.alt_labels_nl.iter().map(|a| a.trim()).filter(|a| !a.is_empty()).collect::<Vec<_>>().join("|"),
        label_en: input.label_nl.trim().into(),
        group_code: "LOCAL".into(),
        group_nl: "eigen vaardigheden gemeente".into(),
        description_nl: input.description,
        municipality_id: Some(m),
    };
    diesel::insert_into(esco_skills::table).values(&s).execute(conn)?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Refdata, &s.id)?;
    Ok(s)
}

/// One row of the beheerder's skill-label list.
#[derive(Debug, Clone)]
pub struct SkillRow {
    pub id: String,
    pub label_en: String,
    pub label_nl: Option<String>,
    pub alt_labels_nl: Vec<String>,
    /// Open placements and candidates of this municipality that name the skill.
    pub used: i64,
}

/// The skills a beheerder can give a Dutch label: without a search, the skills people of this
/// municipality actually see (on open placements and on its candidates' profiles) that have no
/// Dutch label yet, most used first; with a search, skills whose Dutch or English label or
/// synonym contains the words.
pub fn skills_to_label(conn: &mut DbConnection, ctx: &Ctx, q: &str, limit: usize) -> AppResult<Vec<SkillRow>> {
    ctx.user.require(&[Role::Beheerder])?;
    let m = ctx.user.municipality()?.to_string();
    let usage = crate::db::queries::skill_usage(conn, &m)?;
    let row = |s: &crate::refdata::SkillInfo| SkillRow {
        id: s.id.clone(),
        label_en: s.label_en.clone(),
        label_nl: s.label_nl.clone(),
        alt_labels_nl: s.alt_labels.clone(),
        used: usage.get(&s.id).copied().unwrap_or(0),
    };
    let visible = |s: &crate::refdata::SkillInfo| s.municipality_id.is_none() || s.municipality_id.as_deref() == Some(m.as_str());
    let words: Vec<String> = crate::refdata::fold(q.trim()).split_whitespace().map(String::from).collect();
    let mut rows: Vec<SkillRow> = if words.is_empty() {
        ctx.refdata.skills.iter().filter(|s| s.label_nl.is_none() && usage.contains_key(&s.id) && visible(s)).map(row).collect()
    } else {
        ctx.refdata
            .skills
            .iter()
            .filter(|s| visible(s))
            .filter(|s| {
                let hay = crate::refdata::fold(&format!("{} | {} | {}", s.label_en, s.label_nl.as_deref().unwrap_or(""), s.alt_labels.join(" | ")));
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .map(row)
            .collect()
    };
    rows.sort_by(|a, b| b.used.cmp(&a.used).then(a.label_nl.is_some().cmp(&b.label_nl.is_some())).then(a.label_en.cmp(&b.label_en)));
    rows.truncate(limit);
    Ok(rows)
}

/// One skill for the beheerder's label form.
pub fn skill_for_label(conn: &mut DbConnection, ctx: &Ctx, id: &str) -> AppResult<SkillRow> {
    ctx.user.require(&[Role::Beheerder])?;
    let m = ctx.user.municipality()?;
    let s = ctx.refdata.skill(id).filter(|s| s.municipality_id.is_none() || s.municipality_id.as_deref() == Some(m)).ok_or(AppError::NotFound)?;
    let used = crate::db::queries::skill_usage(conn, m)?.get(id).copied().unwrap_or(0);
    Ok(SkillRow { id: s.id.clone(), label_en: s.label_en.clone(), label_nl: s.label_nl.clone(), alt_labels_nl: s.alt_labels.clone(), used })
}
