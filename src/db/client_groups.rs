//! Queries of klantgroepen and their yearly targets.

use super::models::{ClientGroup, ClientGroupTarget};
use super::schema::{candidates, client_group_targets, client_groups};
use super::DbConnection;
use crate::domain::klantgroep::TargetIndicator;
use diesel::prelude::*;
use std::collections::HashMap;

/// The municipality's groups, the default one first, then by name.
pub fn of_municipality(conn: &mut DbConnection, municipality: &str) -> QueryResult<Vec<ClientGroup>> {
    let mut gs: Vec<ClientGroup> =
        client_groups::table.filter(client_groups::municipality_id.eq(municipality)).select(ClientGroup::as_select()).load(conn)?;
    gs.sort_by_cached_key(|g| (!g.is_default, g.name.to_lowercase()));
    Ok(gs)
}

pub fn one(conn: &mut DbConnection, municipality: &str, id: &str) -> QueryResult<Option<ClientGroup>> {
    client_groups::table.find(id).filter(client_groups::municipality_id.eq(municipality)).select(ClientGroup::as_select()).first(conn).optional()
}

pub fn named(conn: &mut DbConnection, municipality: &str, name: &str) -> QueryResult<Option<ClientGroup>> {
    client_groups::table
        .filter(client_groups::municipality_id.eq(municipality))
        .filter(client_groups::name.eq(name.trim()))
        .select(ClientGroup::as_select())
        .first(conn)
        .optional()
}

/// The municipality's default group ("Alle klanten", a year's norm), made when it has none yet.
/// Call inside a write transaction.
pub fn default_for(conn: &mut DbConnection, municipality: &str) -> QueryResult<ClientGroup> {
    let found = client_groups::table
        .filter(client_groups::municipality_id.eq(municipality))
        .filter(client_groups::is_default.eq(true))
        .select(ClientGroup::as_select())
        .first(conn)
        .optional()?;
    if let Some(g) = found {
        return Ok(g);
    }
    let t = super::now();
    let g = ClientGroup {
        id: format!("kg-{municipality}"),
        municipality_id: municipality.into(),
        name: "Alle klanten".into(),
        description: "Iedereen die nog niet in een andere klantgroep staat.".into(),
        contact_norm_days: 365,
        default_target_step: None,
        is_default: true,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    diesel::insert_into(client_groups::table).values(&g).execute(conn)?;
    Ok(g)
}

pub fn insert(conn: &mut DbConnection, g: &ClientGroup) -> QueryResult<usize> {
    diesel::insert_into(client_groups::table).values(g).execute(conn)
}

/// Writes `g` if its stored version is `version`; the rows changed (0: stale).
pub fn update(conn: &mut DbConnection, g: &ClientGroup, version: i32) -> QueryResult<usize> {
    diesel::update(client_groups::table.find(&g.id).filter(client_groups::version.eq(version))).set(g).execute(conn)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(client_groups::table.find(id)).execute(conn)
}

/// People (of any status) in each group of the municipality.
pub fn member_counts(conn: &mut DbConnection, municipality: &str) -> QueryResult<HashMap<String, i64>> {
    let rows: Vec<(Option<String>, i64)> = candidates::table
        .filter(candidates::municipality_id.eq(municipality))
        .filter(candidates::status.eq(crate::domain::ACTIEF))
        .group_by(candidates::client_group_id)
        .select((candidates::client_group_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(g, n)| g.map(|g| (g, n))).collect())
}

/// The contact norm in days of every group of the municipality.
pub fn norms(conn: &mut DbConnection, municipality: &str) -> QueryResult<HashMap<String, i32>> {
    let rows: Vec<(String, i32)> = client_groups::table
        .filter(client_groups::municipality_id.eq(municipality))
        .select((client_groups::id, client_groups::contact_norm_days))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The targets of the municipality's groups for `year`.
pub fn targets(conn: &mut DbConnection, municipality: &str, year: i32) -> QueryResult<Vec<ClientGroupTarget>> {
    client_group_targets::table
        .inner_join(client_groups::table)
        .filter(client_groups::municipality_id.eq(municipality))
        .filter(client_group_targets::year.eq(year))
        .select(ClientGroupTarget::as_select())
        .load(conn)
}

/// Sets (or with `None` removes) one target.
pub fn set_target(conn: &mut DbConnection, group: &str, year: i32, indicator: TargetIndicator, target: Option<i32>) -> QueryResult<()> {
    diesel::delete(
        client_group_targets::table
            .filter(client_group_targets::client_group_id.eq(group))
            .filter(client_group_targets::year.eq(year))
            .filter(client_group_targets::indicator.eq(indicator)),
    )
    .execute(conn)?;
    if let Some(t) = target {
        diesel::insert_into(client_group_targets::table)
            .values(&ClientGroupTarget { client_group_id: group.into(), year, indicator, target: t })
            .execute(conn)?;
    }
    Ok(())
}

/// Moves the members of one group to another (when a group is removed).
pub fn move_members(conn: &mut DbConnection, from: &str, to: &str) -> QueryResult<usize> {
    diesel::update(candidates::table.filter(candidates::client_group_id.eq(from))).set(candidates::client_group_id.eq(to)).execute(conn)
}

/// The contact norm of a candidate's group among `norms` (None: a year).
pub fn norm_of(norms: &HashMap<String, i32>, group: Option<&String>) -> Option<i32> {
    group.and_then(|g| norms.get(g)).copied()
}

/// The ids of the candidates in a group (any status).
pub fn members(conn: &mut DbConnection, group: &str) -> QueryResult<Vec<String>> {
    candidates::table.filter(candidates::client_group_id.eq(group)).select(candidates::id).load(conn)
}
