//! Loading whole aggregates, one query per table (never a query per row).

use super::models::*;
use super::schema::*;
use super::DbConnection;
use diesel::prelude::*;
use std::collections::HashMap;

/// A placement with its skills and its organisation.
#[derive(Debug, Clone)]
pub struct PlacementFull {
    pub placement: Placement,
    pub skills: Vec<PlacementSkill>,
    pub organisation: Organisation,
}

impl PlacementFull {
    /// Published = open and the organisation is verified.
    pub fn is_published(&self) -> bool {
        crate::domain::placement_published(self.placement.status, self.organisation.verified)
    }
}

/// A candidate with occupations, skills and the latest ladder measurement.
#[derive(Debug, Clone)]
pub struct CandidateFull {
    pub candidate: Candidate,
    pub occupations: Vec<CandidateOccupation>,
    pub skills: Vec<CandidateSkill>,
    pub ladder: Option<LadderMeasurement>,
    pub last_contact: Option<chrono::NaiveDate>,
}

/// Maps keyed by ids read in bulk (a rebuild groups millions of child rows): FxHash, not SipHash
/// (the keys are our own ids, not chosen by a client to collide).
type IdMap<V> = rustc_hash::FxHashMap<String, V>;

/// Whose child rows to read.
#[derive(Clone, Copy)]
pub enum Parents<'a> {
    /// These ids, in any order.
    Ids(&'a [&'a String]),
    /// A keyset page of a full pass: the ids in id order, holding every parent with an id in
    /// `(after, last id]`. Their child rows are read as that id range (one index range scan,
    /// not one look-up per id).
    Page { ids: &'a [&'a String], after: &'a str },
}

impl<'a> Parents<'a> {
    fn ids(&self) -> &'a [&'a String] {
        match *self {
            Parents::Ids(ids) | Parents::Page { ids, .. } => ids,
        }
    }

    /// The rows of `column`'s table that belong to these parents, read by `load` with the filter
    /// (in chunks of ids, or one range).
    fn rows<C: Copy, T>(
        &self,
        conn: &mut DbConnection,
        column: C,
        mut load: impl FnMut(&mut DbConnection, crate::db::IdIn<C>) -> QueryResult<Vec<T>>,
    ) -> QueryResult<Vec<T>> {
        match *self {
            Parents::Page { ids, after } => match ids.last() {
                Some(last) => load(conn, crate::db::id_range(column, after, last)),
                None => Ok(vec![]),
            },
            Parents::Ids(ids) => {
                let mut out = Vec::new();
                for chunk in ids.chunks(5000) {
                    let f = crate::db::id_in(conn, column, chunk);
                    out.extend(load(conn, f)?);
                }
                Ok(out)
            }
        }
    }

    /// `rows` cut into one group per parent, in the parents' order. Rows of a page mostly come
    /// in parent order (the database reads them along its index): each is then found a few
    /// steps after the previous row's parent, without hashing or copying an id; others are
    /// looked up. Rows of no parent (one inserted after its page was read) are left out.
    fn group<T>(&self, rows: Vec<T>, key: impl Fn(&T) -> &str) -> Vec<Vec<T>> {
        const STEPS: usize = 16;
        let ids = self.ids();
        let mut out: Vec<Vec<T>> = std::iter::repeat_with(Vec::new).take(ids.len()).collect();
        let mut at: Option<rustc_hash::FxHashMap<&str, usize>> = None;
        let mut i = 0;
        for r in rows {
            let k = key(&r);
            let near = ids[i..].iter().take(STEPS).position(|id| id.as_str() == k).map(|d| i + d);
            let pos = near.or_else(|| at.get_or_insert_with(|| ids.iter().enumerate().map(|(n, id)| (id.as_str(), n)).collect()).get(k).copied());
            if let Some(p) = pos {
                i = p;
                out[p].push(r);
            }
        }
        out
    }
}

pub fn placements_full(conn: &mut DbConnection, ps: Vec<Placement>) -> QueryResult<Vec<PlacementFull>> {
    placements_with(conn, ps, None)
}

/// `placements_full` of a keyset page of a full pass: `ps` in id order, every placement with an
/// id in `(after, last id]` (see `Parents::Page`).
pub fn placements_page_full(conn: &mut DbConnection, ps: Vec<Placement>, after: &str) -> QueryResult<Vec<PlacementFull>> {
    placements_with(conn, ps, Some(after))
}

fn placements_with(conn: &mut DbConnection, ps: Vec<Placement>, page_after: Option<&str>) -> QueryResult<Vec<PlacementFull>> {
    if ps.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<&String> = ps.iter().map(|p| &p.id).collect();
    let parents = match page_after {
        Some(after) => Parents::Page { ids: &ids, after },
        None => Parents::Ids(&ids),
    };
    let skills = parents.rows(
        conn,
        placement_skills::placement_id,
        |c, f| crate::native!(c, c => placement_skills::table.filter(f).select(PlacementSkill::as_select()).load(c)),
    )?;
    let skills = parents.group(skills, |s| &s.placement_id);
    let mut org_ids: Vec<&String> = ps.iter().map(|p| &p.organisation_id).collect();
    org_ids.sort();
    org_ids.dedup();
    let org_ids = crate::db::id_in(conn, organisations::id, &org_ids);
    let orgs: Vec<Organisation> = crate::native!(conn, c => organisations::table.filter(org_ids).select(Organisation::as_select()).load(c))?;
    let orgs: HashMap<String, Organisation> = orgs.into_iter().map(|o| (o.id.clone(), o)).collect();
    let mut out = Vec::with_capacity(ps.len());
    for (p, mut sk) in ps.into_iter().zip(skills) {
        let Some(org) = orgs.get(&p.organisation_id).cloned() else { continue };
        sk.sort_by(|a, b| b.required.cmp(&a.required).then(a.skill_id.cmp(&b.skill_id)));
        out.push(PlacementFull { placement: p, skills: sk, organisation: org });
    }
    Ok(out)
}

pub fn placement_full(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PlacementFull>> {
    let p = placements::table.find(id).select(Placement::as_select()).first(conn).optional()?;
    Ok(match p {
        Some(p) => placements_full(conn, vec![p])?.pop(),
        None => None,
    })
}

/// The latest of ladder measurements (by date, then creation time; of equals the first).
fn latest(ms: Vec<LadderMeasurement>) -> Option<LadderMeasurement> {
    let mut best: Option<LadderMeasurement> = None;
    for m in ms {
        if best.as_ref().is_none_or(|b| (m.measured_on, m.created_at) > (b.measured_on, b.created_at)) {
            best = Some(m);
        }
    }
    best
}

fn ladder_rows(conn: &mut DbConnection, parents: Parents) -> QueryResult<Vec<Vec<LadderMeasurement>>> {
    let rows = parents
        .rows(conn, ladder_measurements::candidate_id, |c, f| ladder_measurements::table.filter(f).select(LadderMeasurement::as_select()).load(c))?;
    Ok(parents.group(rows, |m| &m.candidate_id))
}

/// Latest ladder measurement per candidate (by date, then creation time).
pub fn latest_ladder(conn: &mut DbConnection, ids: &[&String]) -> QueryResult<IdMap<LadderMeasurement>> {
    let groups = ladder_rows(conn, Parents::Ids(ids))?;
    Ok(ids.iter().zip(groups).filter_map(|(id, ms)| latest(ms).map(|m| (id.to_string(), m))).collect())
}

/// Date of the latest contact moment per candidate.
pub fn last_contacts(conn: &mut DbConnection, ids: &[&String]) -> QueryResult<IdMap<chrono::NaiveDate>> {
    let mut out: IdMap<chrono::NaiveDate> = IdMap::default();
    for chunk in ids.chunks(5000) {
        let rows: Vec<(String, chrono::NaiveDate)> = contact_moments::table
            .filter(crate::db::id_in(conn, contact_moments::candidate_id, chunk))
            .select((contact_moments::candidate_id, contact_moments::contact_date))
            .load(conn)?;
        for (cid, d) in rows {
            let e = out.entry(cid).or_insert(d);
            if d > *e {
                *e = d;
            }
        }
    }
    Ok(out)
}

pub fn candidates_full(conn: &mut DbConnection, cs: Vec<Candidate>) -> QueryResult<Vec<CandidateFull>> {
    candidates_with(conn, cs, true, None)
}

/// Like `candidates_full` without the last contact date (the matcher does not use it).
pub fn candidates_for_matching(conn: &mut DbConnection, cs: Vec<Candidate>) -> QueryResult<Vec<CandidateFull>> {
    candidates_with(conn, cs, false, None)
}

/// `candidates_for_matching` of a keyset page of a full pass: `cs` in id order, every candidate
/// with an id in `(after, last id]` (see `Parents::Page`).
pub fn candidates_page_for_matching(conn: &mut DbConnection, cs: Vec<Candidate>, after: &str) -> QueryResult<Vec<CandidateFull>> {
    candidates_with(conn, cs, false, Some(after))
}

fn candidates_with(conn: &mut DbConnection, cs: Vec<Candidate>, with_contacts: bool, page_after: Option<&str>) -> QueryResult<Vec<CandidateFull>> {
    if cs.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<&String> = cs.iter().map(|c| &c.id).collect();
    let parents = match page_after {
        Some(after) => Parents::Page { ids: &ids, after },
        None => Parents::Ids(&ids),
    };
    let occ = parents.rows(conn, candidate_occupations::candidate_id, |c, f| {
        candidate_occupations::table.filter(f).select(CandidateOccupation::as_select()).load(c)
    })?;
    let occ = parents.group(occ, |r| &r.candidate_id);
    let sk =
        parents.rows(conn, candidate_skills::candidate_id, |c, f| candidate_skills::table.filter(f).select(CandidateSkill::as_select()).load(c))?;
    let sk = parents.group(sk, |r| &r.candidate_id);
    let ladder = ladder_rows(conn, parents)?;
    let mut contacts = if with_contacts { last_contacts(conn, &ids)? } else { IdMap::default() };
    Ok(cs
        .into_iter()
        .zip(occ.into_iter().zip(sk).zip(ladder))
        .map(|(c, ((mut occupations, mut skills), ladder))| {
            occupations.sort_by(|a, b| a.occupation_id.cmp(&b.occupation_id));
            skills.sort_by(|a, b| a.id.cmp(&b.id));
            CandidateFull { ladder: latest(ladder), last_contact: contacts.remove(&c.id), occupations, skills, candidate: c }
        })
        .collect())
}

pub fn candidate_full(conn: &mut DbConnection, id: &str) -> QueryResult<Option<CandidateFull>> {
    let c = candidates::table.find(id).select(Candidate::as_select()).first(conn).optional()?;
    Ok(match c {
        Some(c) => candidates_full(conn, vec![c])?.pop(),
        None => None,
    })
}

/// Realised SROI value per contract: the bouwblok values recorded on started matches.
pub fn sroi_realised(conn: &mut DbConnection, contract_ids: &[&String]) -> QueryResult<HashMap<String, i64>> {
    use crate::db::schema::matches;
    if contract_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Option<String>, Option<i64>)> = matches::table
        .filter(matches::sroi_contract_id.eq_any(contract_ids))
        .filter(matches::status.eq("started"))
        .select((matches::sroi_contract_id, matches::sroi_value_cents))
        .load(conn)?;
    let mut out = HashMap::new();
    for (c, v) in rows {
        if let (Some(c), Some(v)) = (c, v) {
            *out.entry(c).or_insert(0) += v;
        }
    }
    Ok(out)
}

pub fn get_setting(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    app_settings::table.find(key).select(app_settings::value).first(conn).optional()
}

pub fn put_setting(conn: &mut DbConnection, key: &str, value: &str) -> QueryResult<()> {
    let n = diesel::update(app_settings::table.find(key)).set(app_settings::value.eq(value)).execute(conn)?;
    if n == 0 {
        diesel::insert_into(app_settings::table).values((app_settings::key.eq(key), app_settings::value.eq(value))).execute(conn)?;
    }
    Ok(())
}

/// The statuses in which an employer may know of a match the candidate consented to: the SQL
/// form of `MatchStatus::visible_to_employer`, derived from it.
pub fn employer_visible_statuses() -> Vec<&'static str> {
    crate::domain::workflow::MatchStatus::ALL.into_iter().filter(|s| s.visible_to_employer(true)).map(|s| s.as_str()).collect()
}

/// A filter on `matches`: the matches the employer `organisation_id` may see (the candidate
/// consented, and the status is one the employer may know of). The one SQL form of
/// `MatchStatus::visible_to_employer`, used by the API, the pages and the employer's lists.
pub fn employer_may_see(
    organisation_id: &str,
) -> Box<
    dyn BoxableExpression<
        matches::table,
        <DbConnection as diesel::Connection>::Backend,
        SqlType = diesel::sql_types::Nullable<diesel::sql_types::Bool>,
    >,
> {
    Box::new(
        matches::organisation_id
            .eq(organisation_id.to_string())
            .and(matches::candidate_decided_at.is_not_null())
            .and(matches::status.eq_any(employer_visible_statuses())),
    )
}

/// Whether the candidate allows e-mail.
pub fn consent_email(conn: &mut DbConnection, cid: &str) -> QueryResult<bool> {
    candidates::table.find(cid).select(candidates::consent_email).first(conn)
}

/// A candidate's matches, newest first.
pub fn matches_of_candidate(conn: &mut DbConnection, cid: &str) -> QueryResult<Vec<Match>> {
    matches::table.filter(matches::candidate_id.eq(cid)).order(matches::updated_at.desc()).select(Match::as_select()).load(conn)
}

/// The placements a candidate has a standing proposal for.
pub fn standing_placements_of(conn: &mut DbConnection, cid: &str) -> QueryResult<Vec<String>> {
    Ok(matches::table
        .filter(matches::candidate_id.eq(cid))
        .filter(matches::status.eq_any(crate::domain::workflow::MatchStatus::standing()))
        .select(matches::placement_id)
        .load::<Option<String>>(conn)?
        .into_iter()
        .flatten()
        .collect())
}

/// The candidates with a standing proposal for a placement.
pub fn standing_candidates_of(conn: &mut DbConnection, pid: &str) -> QueryResult<Vec<String>> {
    Ok(matches::table
        .filter(matches::placement_id.eq(pid))
        .filter(matches::status.eq_any(crate::domain::workflow::MatchStatus::standing()))
        .select(matches::candidate_id)
        .load::<Option<String>>(conn)?
        .into_iter()
        .flatten()
        .collect())
}

/// A candidate's own row.
pub fn candidate_row(conn: &mut DbConnection, cid: &str) -> QueryResult<Option<Candidate>> {
    candidates::table.find(cid).select(Candidate::as_select()).first(conn).optional()
}

/// Placements with skills and organisation, by id (in no particular order).
pub fn placements_full_by_ids(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<PlacementFull>> {
    let ids = crate::db::id_in(conn, placements::id, ids);
    let ps: Vec<Placement> = crate::native!(conn, c => placements::table.filter(ids).select(Placement::as_select()).load(c))?;
    placements_full(conn, ps)
}

/// What a search hit shows of a placement.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct PlacementHitRow {
    pub id: String,
    pub title: String,
    pub kind: crate::domain::PlacementKind,
    pub pc4: String,
    pub hours_min: i32,
    pub hours_max: i32,
    pub job_coach_welcome: bool,
    pub internal_supervisor: bool,
    pub adapted_workplace: bool,
    pub status: String,
    pub organisation_name: String,
    pub language_learning: bool,
}

impl From<&PlacementFull> for PlacementHitRow {
    fn from(p: &PlacementFull) -> Self {
        let pl = &p.placement;
        PlacementHitRow {
            id: pl.id.clone(),
            title: pl.title.clone(),
            kind: pl.kind,
            pc4: pl.pc4.clone(),
            hours_min: pl.hours_min,
            hours_max: pl.hours_max,
            job_coach_welcome: pl.job_coach_welcome,
            internal_supervisor: pl.internal_supervisor,
            adapted_workplace: pl.adapted_workplace,
            status: pl.status.as_str().into(),
            organisation_name: p.organisation.name.clone(),
            language_learning: pl.language_learning,
        }
    }
}

/// The hit rows of a page of search results, in one query (not the full placements with their
/// skills and organisations that `placements_full_by_ids` reads).
pub fn placement_hits(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<PlacementHitRow>> {
    let ids = crate::db::id_in(conn, placements::id, ids);
    // On the backend's own connection: the public search's hot read (see `crate::native`).
    crate::native!(conn, c => placements::table
        .inner_join(organisations::table)
        .filter(ids)
        .select((
            placements::id,
            placements::title,
            placements::kind,
            placements::pc4,
            placements::hours_min,
            placements::hours_max,
            placements::job_coach_welcome,
            placements::internal_supervisor,
            placements::adapted_workplace,
            placements::status,
            organisations::name,
            placements::language_learning,
        ))
        .load(c))
}

/// Whether the candidate said "I am interested" in this placement.
pub fn interest_shown(conn: &mut DbConnection, cid: &str, pid: &str) -> QueryResult<bool> {
    Ok(tasks::table.filter(tasks::candidate_id.eq(cid)).filter(tasks::placement_id.eq(pid)).count().get_result::<i64>(conn)? > 0)
}

/// A candidate's saved search, if any.
pub fn saved_search_of(conn: &mut DbConnection, cid: &str) -> QueryResult<Option<SavedSearch>> {
    saved_searches::table.find(cid).select(SavedSearch::as_select()).first(conn).optional()
}

/// An organisation by id.
pub fn organisation(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Organisation>> {
    organisations::table.find(id).select(Organisation::as_select()).first(conn).optional()
}

/// A placement's skills: (skill id, required).
pub fn placement_skill_ids(conn: &mut DbConnection, pid: &str) -> QueryResult<Vec<(String, bool)>> {
    placement_skills::table.filter(placement_skills::placement_id.eq(pid)).select((placement_skills::skill_id, placement_skills::required)).load(conn)
}

/// A candidate's first and last name (personal data: audit where it is shown).
pub fn candidate_name(conn: &mut DbConnection, cid: &str) -> QueryResult<(String, String)> {
    candidates::table.find(cid).select((candidates::first_name, candidates::last_name)).first(conn)
}

/// Placement titles by id.
pub fn placement_titles(conn: &mut DbConnection, ids: &[&String]) -> QueryResult<HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(placements::table.filter(placements::id.eq_any(ids)).select((placements::id, placements::title)).load(conn)?.into_iter().collect())
}

/// A municipality's name.
pub fn municipality_name(conn: &mut DbConnection, id: &str) -> QueryResult<String> {
    municipalities::table.find(id).select(municipalities::name).first(conn)
}

/// How often each skill is named on open placements and on the profiles of a municipality's
/// candidates (what its people see).
pub fn skill_usage(conn: &mut DbConnection, municipality_id: &str) -> QueryResult<HashMap<String, i64>> {
    let mut out: HashMap<String, i64> = HashMap::new();
    let on_placements: Vec<(String, i64)> = placement_skills::table
        .inner_join(placements::table)
        .filter(placements::status.eq("open"))
        .group_by(placement_skills::skill_id)
        .select((placement_skills::skill_id, diesel::dsl::count_star()))
        .load(conn)?;
    let on_candidates: Vec<(Option<String>, i64)> = candidate_skills::table
        .inner_join(candidates::table)
        .filter(candidates::municipality_id.eq(municipality_id))
        .filter(candidate_skills::skill_id.is_not_null())
        .group_by(candidate_skills::skill_id)
        .select((candidate_skills::skill_id, diesel::dsl::count_star()))
        .load(conn)?;
    for (id, n) in on_placements.into_iter().chain(on_candidates.into_iter().filter_map(|(id, n)| id.map(|id| (id, n)))) {
        *out.entry(id).or_default() += n;
    }
    Ok(out)
}

/// How many municipalities use this instance.
pub fn municipality_count(conn: &mut DbConnection) -> QueryResult<i64> {
    municipalities::table.count().get_result(conn)
}

/// How many placements are published (open, of a verified organisation).
pub fn published_count(conn: &mut DbConnection) -> QueryResult<i64> {
    placements::table
        .inner_join(organisations::table)
        .filter(placements::status.eq(crate::domain::PUBLISHED_STATUS))
        .filter(organisations::verified.eq(true))
        .count()
        .get_result(conn)
}

/// The candidates among `ids` that belong to municipality `m`.
/// The ids of a municipality's candidates younger than `age` on `today` (born after the day,
/// `age` years before, on which one turns `age`).
pub fn candidates_younger_than(conn: &mut DbConnection, m: &str, age: i32, today: chrono::NaiveDate) -> QueryResult<Vec<String>> {
    let born_after = today.checked_sub_months(chrono::Months::new(12 * age.max(0) as u32)).unwrap_or(today);
    candidates::table.filter(candidates::municipality_id.eq(m)).filter(candidates::birth_date.gt(born_after)).select(candidates::id).load(conn)
}

pub fn candidates_in_municipality(conn: &mut DbConnection, ids: &[String], m: &str) -> QueryResult<Vec<Candidate>> {
    candidates::table.filter(candidates::id.eq_any(ids)).filter(candidates::municipality_id.eq(m)).select(Candidate::as_select()).load(conn)
}
