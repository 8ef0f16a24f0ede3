//! A municipality's settings (matcher weights, WML table, youth rates, SROI bouwblokken,
//! job-coach norms, maxima): stored with an optimistic version.

use crate::db::schema::municipalities;
use crate::db::DbConnection;
use crate::domain::settings::Settings;
use crate::error::{AppError, AppResult};
use diesel::prelude::*;

/// Stores checked settings; a stale `version` is a conflict. Returns the new version. The
/// change is recorded in the feed, so every instance sees the new settings.
pub fn save(conn: &mut DbConnection, municipality_id: &str, settings: &Settings, version: Option<i32>) -> AppResult<i32> {
    AppError::check(settings.check().into_iter().map(|e| crate::domain::FieldError::new(format!("settings.{}", e.field), e.message)).collect())?;
    let json = serde_json::to_string(settings).map_err(|e| AppError::Internal(e.into()))?;
    crate::db::lock_row(conn, "municipalities", municipality_id)?;
    let cur: i32 =
        municipalities::table.find(municipality_id).select(municipalities::settings_version).first(conn).optional()?.ok_or(AppError::NotFound)?;
    if version.is_some_and(|v| v != cur) {
        return Err(AppError::conflict(
            crate::error::ConflictCode::StaleVersion,
            format!("De instellingen zijn intussen gewijzigd (versie {cur}). Laad ze opnieuw."),
        ));
    }
    let n = diesel::update(municipalities::table.find(municipality_id).filter(municipalities::settings_version.eq(cur)))
        .set((municipalities::settings.eq(&json), municipalities::settings_version.eq(cur + 1)))
        .execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict(crate::error::ConflictCode::StaleVersion, "De instellingen zijn intussen gewijzigd. Laad ze opnieuw."));
    }
    crate::db::changes::record(conn, crate::db::changes::Entity::Municipality, municipality_id)?;
    Ok(cur + 1)
}

/// Stores checked settings in one transaction; returns the new version (API and pages).
pub async fn save_settings(
    state: &crate::state::AppState,
    id: &str,
    settings: &crate::domain::settings::Settings,
    version: Option<i32>,
) -> AppResult<i32> {
    let (mid, settings) = (id.to_string(), settings.clone());
    let v = state.tx(move |conn| save(conn, &mid, &settings, version)).await?;
    // The matcher reads settings from its in-memory store: the next proposal asked of this
    // instance uses the new ones (other instances follow the feed within a moment).
    state.caught_up().await?;
    Ok(v)
}
