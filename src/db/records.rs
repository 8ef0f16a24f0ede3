//! Queries of ladder measurements and contact moments.

use super::models::{ContactMoment, LadderMeasurement};
use super::schema::{contact_moments, ladder_measurements};
use super::DbConnection;
use diesel::prelude::*;

pub fn ladder_of(conn: &mut DbConnection, cid: &str) -> QueryResult<Vec<LadderMeasurement>> {
    ladder_measurements::table
        .filter(ladder_measurements::candidate_id.eq(cid))
        .order((ladder_measurements::measured_on.desc(), ladder_measurements::created_at.desc()))
        .select(LadderMeasurement::as_select())
        .load(conn)
}

pub fn ladder_one(conn: &mut DbConnection, cid: &str, id: &str) -> QueryResult<Option<LadderMeasurement>> {
    ladder_measurements::table
        .find(id)
        .filter(ladder_measurements::candidate_id.eq(cid))
        .select(LadderMeasurement::as_select())
        .first(conn)
        .optional()
}

pub fn insert_ladder(conn: &mut DbConnection, m: &LadderMeasurement) -> QueryResult<usize> {
    diesel::insert_into(ladder_measurements::table).values(m).execute(conn)
}

pub fn update_ladder(conn: &mut DbConnection, m: &LadderMeasurement) -> QueryResult<usize> {
    diesel::update(ladder_measurements::table.find(&m.id)).set(m).execute(conn)
}

pub fn delete_ladder(conn: &mut DbConnection, cid: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(ladder_measurements::table.find(id).filter(ladder_measurements::candidate_id.eq(cid))).execute(conn)
}

pub fn contacts_of(conn: &mut DbConnection, cid: &str) -> QueryResult<Vec<ContactMoment>> {
    contact_moments::table
        .filter(contact_moments::candidate_id.eq(cid))
        .order((contact_moments::contact_date.desc(), contact_moments::created_at.desc()))
        .select(ContactMoment::as_select())
        .load(conn)
}

pub fn contact_one(conn: &mut DbConnection, cid: &str, id: &str) -> QueryResult<Option<ContactMoment>> {
    contact_moments::table.find(id).filter(contact_moments::candidate_id.eq(cid)).select(ContactMoment::as_select()).first(conn).optional()
}

pub fn insert_contact(conn: &mut DbConnection, c: &ContactMoment) -> QueryResult<usize> {
    diesel::insert_into(contact_moments::table).values(c).execute(conn)
}

pub fn update_contact(conn: &mut DbConnection, c: &ContactMoment) -> QueryResult<usize> {
    diesel::update(contact_moments::table.find(&c.id)).set(c).execute(conn)
}

pub fn delete_contact(conn: &mut DbConnection, cid: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(contact_moments::table.find(id).filter(contact_moments::candidate_id.eq(cid))).execute(conn)
}

/// What the last caseload import took over for a person (see `service::import`).
pub fn set_import_fingerprint(conn: &mut DbConnection, cid: &str, fingerprint: &str) -> QueryResult<()> {
    use super::schema::import_fingerprints as f;
    diesel::delete(f::table.find(cid)).execute(conn)?;
    diesel::insert_into(f::table).values((f::candidate_id.eq(cid), f::fingerprint.eq(fingerprint))).execute(conn)?;
    Ok(())
}

/// Fingerprints of people written for the first time (none exists yet).
pub fn insert_import_fingerprints(conn: &mut DbConnection, rows: &[(String, String)]) -> QueryResult<()> {
    use super::schema::import_fingerprints as f;
    for chunk in rows.chunks(5000) {
        let values: Vec<_> = chunk.iter().map(|(c, fp)| (f::candidate_id.eq(c), f::fingerprint.eq(fp))).collect();
        crate::insert_all!(conn, f::table, &values)?;
    }
    Ok(())
}
