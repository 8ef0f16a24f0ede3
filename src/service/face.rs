//! The municipality's face on its pages (name, logo, house colour, contact details, privacy and
//! accessibility statements): the beheerder's form and API share `save`. Recorded in the change
//! feed, so every instance reloads it with the reference data.

use super::Ctx;
use crate::db::models::MunicipalityProfile;
use crate::db::schema::municipality_profiles;
use crate::db::DbConnection;
use crate::domain::face::contrast_with_white;
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaceInput {
    /// As residents know it, e.g. "Gemeente Lochem".
    #[validate(length(min = 2, max = 100, message = "Vul de naam in (2 tot 100 tekens)."))]
    pub display_name: String,
    /// A logo as a data URL (PNG, JPEG or SVG, at most 200 kB) or a path on this site.
    #[serde(default)]
    pub logo_url: Option<String>,
    /// "#RRGGBB", dark enough for white text.
    pub colour: String,
    #[validate(length(min = 1, max = 50, message = "Vul een telefoonnummer in (hoogstens 50 tekens)."))]
    pub contact_phone: String,
    #[validate(email(message = "Vul een geldig e-mailadres in."), length(max = 254, message = "Hoogstens 254 tekens."))]
    pub contact_email: String,
    #[validate(length(max = 300, message = "Hoogstens 300 tekens."))]
    #[serde(default)]
    pub contact_address: String,
    #[validate(length(max = 200, message = "Hoogstens 200 tekens."))]
    #[serde(default)]
    pub contact_hours: String,
    #[validate(length(min = 50, max = 20000, message = "Schrijf de privacyverklaring (50 tot 20.000 tekens)."))]
    pub privacy_statement: String,
    #[validate(length(min = 50, max = 20000, message = "Schrijf de toegankelijkheidsverklaring (50 tot 20.000 tekens)."))]
    pub accessibility_statement: String,
}

const LOGO_PREFIXES: [&str; 3] = ["data:image/png;base64,", "data:image/jpeg;base64,", "data:image/svg+xml;base64,"];

/// The checks beyond lengths: logo and colour.
pub fn check(input: &FaceInput) -> Vec<FieldError> {
    let mut errs = crate::domain::validation::validation_errors_of(input);
    if let Some(l) = input.logo_url.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        let data = LOGO_PREFIXES.iter().any(|p| l.starts_with(p));
        let path = l.starts_with('/') && !l.starts_with("//") && !l.contains(['"', '\'', '<', '>', ' ', '\\']);
        if !(data || path) {
            errs.push(FieldError::new("logo_url", "Geef het logo als data-URL (PNG, JPEG of SVG) of als pad op deze site, zoals /static/logo.svg."));
        } else if l.len() > 280_000 {
            errs.push(FieldError::new("logo_url", "Het logo is te groot: hoogstens 200 kB."));
        }
    }
    match contrast_with_white(input.colour.trim()) {
        None => errs.push(FieldError::new("colour", "Geef de kleur als #RRGGBB, bijvoorbeeld #00558c.")),
        Some(c) if c < 4.5 => errs.push(FieldError::new(
            "colour",
            format!("Deze kleur is te licht voor witte tekst (contrast {} : 1, minstens 4,5 : 1 nodig).", crate::domain::nl::number(c, 1)),
        )),
        Some(_) => {}
    }
    errs
}

/// Saves the beheerder's municipality face.
pub fn save(conn: &mut DbConnection, ctx: &Ctx, input: &FaceInput) -> AppResult<()> {
    ctx.user.require(&[Role::Beheerder])?;
    let m = ctx.user.municipality()?.to_string();
    AppError::check(check(input))?;
    let row = MunicipalityProfile {
        municipality_id: m.clone(),
        display_name: input.display_name.trim().into(),
        logo_url: input.logo_url.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(String::from),
        colour: input.colour.trim().to_ascii_lowercase(),
        contact_phone: input.contact_phone.trim().into(),
        contact_email: input.contact_email.trim().into(),
        contact_address: input.contact_address.trim().into(),
        contact_hours: input.contact_hours.trim().into(),
        privacy_statement: input.privacy_statement.trim().replace("\r\n", "\n"),
        accessibility_statement: input.accessibility_statement.trim().replace("\r\n", "\n"),
        updated_at: crate::db::now(),
    };
    diesel::delete(municipality_profiles::table.find(&m)).execute(conn)?;
    diesel::insert_into(municipality_profiles::table).values(&row).execute(conn)?;
    crate::db::changes::record(conn, crate::db::changes::Entity::Refdata, &format!("municipality:{m}"))?;
    Ok(())
}
