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
    let mut errs = crate::web::extract::validation_errors_of(&input);
    errs.extend(crate::domain::check_text_list("alt_labels_nl", &input.alt_labels_nl, 20, 200));
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
    let mut errs = crate::web::extract::validation_errors_of(&input);
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
