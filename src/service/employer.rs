//! The employer's own overview: its organisation, placements and the matches it may see, with a
//! name only where the candidate was introduced and the consent stands.

use super::Ctx;
use crate::db::models::{Match, Organisation, Placement};
use crate::db::schema::{matches, placements};
use crate::db::DbConnection;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use diesel::prelude::*;

pub struct MatchRow {
    pub id: String,
    pub reference: String,
    pub placement_title: String,
    pub status: String,
    pub name: Option<String>,
}

/// The werkgever's organisation, its placements (newest first) and up to 100 matches it may see.
pub fn dashboard(conn: &mut DbConnection, ctx: &Ctx) -> AppResult<(Organisation, Vec<Placement>, Vec<MatchRow>)> {
    ctx.user.require(&[Role::Werkgever])?;
    let org_id = ctx.user.organisation_id.clone().ok_or(AppError::Forbidden)?;
    let org: Organisation = crate::db::queries::organisation(conn, &org_id)?.ok_or(AppError::NotFound)?;
    let ps: Vec<Placement> = placements::table
        .filter(placements::organisation_id.eq(&org_id))
        .order(placements::created_at.desc())
        .select(Placement::as_select())
        .load(conn)?;
    let ms: Vec<Match> = if org.verified {
        matches::table
            .filter(crate::db::queries::employer_may_see(&org_id))
            .order(matches::updated_at.desc())
            .limit(100)
            .select(Match::as_select())
            .load(conn)?
    } else {
        vec![]
    };
    // Names only where disclosed and consent stands.
    let mut rows = Vec::new();
    for m in &ms {
        let disclosed = crate::domain::workflow::disclosed(m.disclosed_at.is_some(), m.consent_withdrawn_at.is_some());
        let name = match (&m.candidate_id, disclosed) {
            (Some(c), true) => {
                let (f, l) = crate::db::queries::candidate_name(conn, c)?;
                crate::audit::one(
                    conn,
                    &crate::audit::Actor::from(ctx.user),
                    c,
                    &m.municipality_id,
                    crate::audit::Access {
                        act: crate::audit::Act::View,
                        what: "naam (overzicht)",
                        purpose: crate::audit::purpose::BEMIDDELING,
                        channel: None,
                    },
                )?;
                Some(format!("{f} {l}"))
            }
            _ => None,
        };
        rows.push(MatchRow {
            id: m.id.clone(),
            reference: m
                .candidate_id
                .as_deref()
                .map(|c| ctx.keys.pseudonym(m.placement_id.as_deref().unwrap_or(""), c))
                .unwrap_or_else(|| "verwijderd".into()),
            placement_title: m.placement_title.clone(),
            status: m.status.label_nl().to_string(),
            name,
        });
    }
    Ok((org, ps, rows))
}
