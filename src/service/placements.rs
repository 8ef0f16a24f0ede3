//! Rules for placements that need the database.

use crate::db::schema::municipalities;
use crate::db::DbConnection;
use crate::domain::{FieldError, PlacementKind};
use crate::error::AppError;
use crate::refdata::RefData;
use diesel::prelude::*;

/// DOMAIN.md: the municipality sets how long a werkervaringsplaats may last. A placement whose
/// PC4 lies in a municipality that uses Opstap may not be posted for longer than that
/// municipality's `werkervaringsplaats_max_months` (the matcher applies each candidate's own
/// municipality's maximum as well).
pub fn check_werkervaringsplaats_duration(
    conn: &mut DbConnection,
    rd: &RefData,
    kind: PlacementKind,
    pc4: &str,
    duration_months: Option<i32>,
) -> Result<(), AppError> {
    let (PlacementKind::Werkervaringsplaats, Some(months)) = (kind, duration_months) else { return Ok(()) };
    let Some(area) = rd.pc4.get(pc4.trim()) else { return Ok(()) };
    let m: Option<(String, String)> = municipalities::table
        .filter(municipalities::cbs_code.eq(&area.municipality_code))
        .select((municipalities::id, municipalities::name))
        .first(conn)
        .optional()?;
    let Some((id, name)) = m else { return Ok(()) };
    let (settings, _) = crate::proposals::load_settings(conn, &id)?;
    if months > settings.werkervaringsplaats_max_months {
        return Err(AppError::Validation(vec![FieldError::new(
            "duration_months",
            format!("Een werkervaringsplaats in {name} duurt hoogstens {} maanden.", settings.werkervaringsplaats_max_months),
        )]));
    }
    Ok(())
}
