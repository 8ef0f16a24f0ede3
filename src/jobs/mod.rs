//! The background worker: sends the mail outbox, writes reminders and digests, purges what is
//! kept no longer than needed. Each periodic job records its period in `job_runs`, so that it
//! runs once per period even with several workers or after a restart.

pub mod outbox;

use crate::audit::{self, Actor};
use crate::db::models::{Candidate, Organisation, Placement, SavedSearch, Task, User};
use crate::db::schema::{candidates, contact_moments, matches, organisations, placements, saved_searches, tasks, users};
use crate::db::{now, DbConnection};
use crate::domain::workflow::TaskKind;
use crate::error::AppError;
use crate::mail::{self, templates as mt, Recipient};
use crate::service::search::{placement_query, PlacementSearchParams};
use crate::state::AppState;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;

/// Starts the worker on the current runtime: two loops, so that reminders, digests and purges
/// never wait on a slow or stalled mail server, and mail never waits on them.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    let every = std::time::Duration::from_secs(state.config.worker_interval_secs.max(1));
    let mail_state = state.clone();
    actix_web::rt::spawn(async move {
        loop {
            if let Err(e) = outbox::deliver_due(&mail_state, now()).await {
                log::error!("mail worker: {e:#}");
            }
            tokio::time::sleep(every).await;
        }
    });
    actix_web::rt::spawn(async move {
        loop {
            // Reminders and digests: every 10 minutes is plenty (each runs once per period).
            match run_periodic(&state, crate::clock::today()).await {
                Ok(r) if r != Periodic::default() => log::info!("jobs: {r:?}"),
                Ok(_) => {}
                Err(e) => log::error!("jobs: {e:#}"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(600).max(every)).await;
        }
    })
}

/// Days the change feed is kept: an instance that was down longer rebuilds its index at start.
pub const CHANGE_FEED_KEEP_DAYS: i64 = 7;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Periodic {
    pub retention_reminders: usize,
    pub contact_digests: usize,
    pub placement_digests: usize,
    pub audit_purged: usize,
    pub mail_purged: usize,
    /// Candidates anonymised and proposal logs deleted by the retention periods.
    pub anonymised: usize,
    pub proposal_logs_purged: usize,
    /// Plan goals for the klantmanager that came due and became tasks.
    pub plan_tasks: usize,
}

/// Claims a job for a period; false when it already ran. One statement that inserts or does
/// nothing, so two instances racing for the same period cannot both win, and a lost race does
/// not abort the caller's transaction (as a unique violation would on PostgreSQL).
fn claim(conn: &mut DbConnection, job: &str, period: &str) -> Result<bool, AppError> {
    use diesel::sql_types::{Text, Timestamp};
    let t = now();
    let n = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query("INSERT INTO job_runs (job, period, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            .bind::<Text, _>(job)
            .bind::<Text, _>(period)
            .bind::<Timestamp, _>(t)
            .execute(c)?,
        #[cfg(feature = "postgres")]
        DbConnection::Pg(c) => diesel::sql_query("INSERT INTO job_runs (job, period, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind::<Text, _>(job)
            .bind::<Text, _>(period)
            .bind::<Timestamp, _>(t)
            .execute(c)?,
    };
    Ok(n == 1)
}

fn url(st: &AppState, path: &str) -> String {
    format!("{}{}", st.config.public_url.trim_end_matches('/'), path)
}

/// Runs the periodic jobs for `today`.
pub async fn run_periodic(st: &AppState, today: NaiveDate) -> anyhow::Result<Periodic> {
    let mut r = Periodic::default();
    let s = st.clone();
    r.retention_reminders = st.tx(move |conn| retention_reminders(conn, &s, today)).await?;
    let s = st.clone();
    r.contact_digests = st.tx(move |conn| contact_digests(conn, &s, today)).await?;
    r.placement_digests = placement_digests(st, today).await?;
    let days = st.config.audit_retention_days;
    let (a, m) = st
        .tx(move |conn| {
            if !claim(conn, "purge", &today.to_string())? {
                return Ok((0, 0));
            }
            crate::db::changes::prune(conn, CHANGE_FEED_KEEP_DAYS)?;
            crate::service::profile_views::purge(conn)?;
            crate::service::sessions::prune(conn)?;
            crate::service::throttle::prune(conn)?;
            Ok((audit::purge(conn, days)?, mail::purge_sent(conn, 90)?))
        })
        .await?;
    r.audit_purged = a;
    r.mail_purged = m;
    let ret = st
        .tx(move |conn| {
            if !claim(conn, "retention", &today.to_string())? {
                return Ok(crate::service::retention::RetentionRun::default());
            }
            crate::service::retention::apply(conn, today)
        })
        .await?;
    if ret.anonymised > 0 {
        // The anonymised leave the search index too.
        st.caught_up().await?;
    }
    r.plan_tasks = st
        .tx(move |conn| {
            if !claim(conn, "plan_tasks", &today.to_string())? {
                return Ok(0);
            }
            Ok(crate::service::plan::due_tasks(conn, today, 7)?)
        })
        .await?;
    r.anonymised = ret.anonymised;
    r.proposal_logs_purged = ret.proposal_logs_purged;
    Ok(r)
}

/// Reminds the klantmanager of each retention check that has come due (once per task).
fn retention_reminders(conn: &mut DbConnection, st: &AppState, today: NaiveDate) -> Result<usize, AppError> {
    let due: Vec<Task> = tasks::table
        .filter(tasks::kind.eq_any([TaskKind::Retention6.as_str(), TaskKind::Retention12.as_str()]))
        .filter(tasks::done_at.is_null())
        .filter(tasks::reminded_at.is_null())
        .filter(tasks::due_on.le(today))
        .select(Task::as_select())
        .load(conn)?;
    let mut n = 0;
    for t in due {
        // Conditional: another instance that reminded first makes this a no-op.
        let claimed =
            diesel::update(tasks::table.find(&t.id).filter(tasks::reminded_at.is_null())).set(tasks::reminded_at.eq(Some(now()))).execute(conn)?;
        if claimed == 0 {
            continue;
        }
        let (Some(km), Some(cid)) = (&t.klantmanager_id, &t.candidate_id) else {
            continue;
        };
        let u: Option<User> = users::table.find(km).select(User::as_select()).first(conn).optional()?;
        let c: Option<Candidate> = candidates::table.find(cid).select(Candidate::as_select()).first(conn).optional()?;
        let (Some(u), Some(c)) = (u.filter(|u| u.active), c) else {
            continue;
        };
        let (title, org): (String, Option<String>) = match &t.match_id {
            Some(m) => {
                matches::table.find(m).select((matches::placement_title, matches::organisation_id)).first(conn).optional()?.unwrap_or_default()
            }
            None => Default::default(),
        };
        let employer = match org {
            Some(o) => organisations::table.find(o).select(Organisation::as_select()).first(conn).optional()?.map(|o| o.name).unwrap_or_default(),
            None => String::new(),
        };
        let mail = mt::RetentionReminder {
            name: u.name.clone(),
            candidate_name: format!("{} {}", c.first_name, c.last_name),
            placement_title: title,
            employer,
            check: if t.kind == TaskKind::Retention6 { "de controle na 6 maanden".into() } else { "de controle na 12 maanden".into() },
            due: t.due_on.format("%d-%m-%Y").to_string(),
            link: url(st, "/klantmanager"),
        };
        let to = Recipient { address: u.email.clone(), name: u.name.clone(), role: "klantmanager" };
        let what = "nazorgherinnering aan klantmanager";
        crate::service::mail_about(conn, &Actor::system(), (&c.id, &c.municipality_id), &to, &mail, what, audit::purpose::BEGELEIDING)?;
        n += 1;
    }
    Ok(n)
}

/// Once a week, to every klantmanager with overdue candidates: who had no personal contact within
/// the contact norm of their klantgroep (a year where the group sets none).
fn contact_digests(conn: &mut DbConnection, st: &AppState, today: NaiveDate) -> Result<usize, AppError> {
    let iso = today.iso_week();
    let week = format!("{}-W{:02}", iso.year(), iso.week());
    let kms: Vec<User> = users::table.filter(users::role.eq("klantmanager")).filter(users::active.eq(true)).select(User::as_select()).load(conn)?;
    let mut n = 0;
    for u in kms {
        let mut caseload: Vec<Candidate> = candidates::table
            .filter(candidates::klantmanager_id.eq(&u.id))
            .filter(candidates::status.eq(crate::domain::ACTIEF))
            .select(Candidate::as_select())
            .load(conn)?;
        caseload.sort_by_cached_key(|c| crate::domain::nl::name_sort_key(&c.last_name, &c.first_name));
        if caseload.is_empty() {
            continue;
        }
        let ids: Vec<&String> = caseload.iter().map(|c| &c.id).collect();
        let last: HashMap<String, Option<NaiveDate>> = contact_moments::table
            .filter(contact_moments::candidate_id.eq_any(&ids))
            // Only personal contact counts for the norm (not a letter or an e-mail).
            .filter(contact_moments::channel.eq_any(crate::domain::PERSONAL_CHANNELS))
            .group_by(contact_moments::candidate_id)
            .select((contact_moments::candidate_id, diesel::dsl::max(contact_moments::contact_date)))
            .load::<(String, Option<NaiveDate>)>(conn)?
            .into_iter()
            .collect();
        let norms = match u.municipality_id.as_deref() {
            Some(m) => crate::db::client_groups::norms(conn, m)?,
            None => HashMap::new(),
        };
        let overdue: Vec<&Candidate> = caseload
            .iter()
            .filter(|c| {
                let norm = crate::db::client_groups::norm_of(&norms, c.client_group_id.as_ref());
                !crate::domain::contact_norm_met(norm, last.get(&c.id).copied().flatten(), today)
            })
            .collect();
        if overdue.is_empty() || !claim(conn, &format!("contact_digest:{}", u.id), &week)? {
            continue;
        }
        let mail = mt::ContactDigest {
            name: u.name.clone(),
            rows: overdue
                .iter()
                .map(|c| {
                    (
                        format!("{} {}", c.first_name, c.last_name),
                        last.get(&c.id).copied().flatten().map(|d| d.format("%d-%m-%Y").to_string()).unwrap_or_else(|| "nooit".into()),
                        url(st, &format!("/klantmanager/kandidaten/{}", c.id)),
                    )
                })
                .collect(),
            week: week.clone(),
            link: url(st, "/klantmanager"),
        };
        mail::enqueue(conn, &Recipient { address: u.email.clone(), name: u.name.clone(), role: "klantmanager" }, &mail, None)?;
        let subjects: Vec<(&str, Option<&str>)> = overdue.iter().map(|c| (c.id.as_str(), Some(c.municipality_id.as_str()))).collect();
        audit::record(conn, &Actor::system(), &subjects, audit::emailed("naam in overzicht contactnorm", audit::purpose::BEGELEIDING))?;
        n += 1;
    }
    Ok(n)
}

/// Once a day, to each candidate with a saved search who allows e-mail: the placements published
/// since the last message that fit the search.
async fn placement_digests(st: &AppState, today: NaiveDate) -> anyhow::Result<usize> {
    let rows: Vec<(SavedSearch, Candidate)> = st
        .db(|conn| {
            Ok(saved_searches::table
                .inner_join(candidates::table)
                .filter(candidates::consent_email.eq(true))
                .filter(candidates::status.eq(crate::domain::ACTIEF))
                .select((SavedSearch::as_select(), Candidate::as_select()))
                .load(conn)?)
        })
        .await?;
    let mut n = 0;
    for (s, c) in rows {
        let Some(email) = c.email.clone().filter(|e| !e.trim().is_empty()) else {
            continue;
        };
        let mut q: PlacementSearchParams = serde_json::from_str(&s.query).unwrap_or_default();
        q.limit = Some(100);
        q.offset = None;
        let Ok(pq) = placement_query(st, &q, false) else {
            continue;
        };
        let search = st.engine.clone();
        let hits = actix_web::web::block(move || search.search_placements(&pq)).await??;
        let ids: Vec<String> = hits.hits.into_iter().map(|(id, _)| id).collect();
        let since: NaiveDateTime = s.last_sent_at;
        let st2 = st.clone();
        let cid = c.id.clone();
        let sent = st
            .tx(move |conn| {
                if !claim(conn, &format!("placement_digest:{cid}"), &today.to_string())? {
                    return Ok(false);
                }
                let fresh: Vec<(Placement, Organisation)> = placements::table
                    .inner_join(organisations::table)
                    .filter(placements::id.eq_any(&ids))
                    .filter(placements::created_at.gt(since))
                    .order(placements::created_at.desc())
                    .limit(20)
                    .select((Placement::as_select(), Organisation::as_select()))
                    .load(conn)?;
                if fresh.is_empty() {
                    return Ok(false);
                }
                let rd = st2.refdata();
                let mail = mt::PlacementDigest {
                    name: c.first_name.clone(),
                    rows: fresh
                        .iter()
                        .map(|(p, o)| mt::PlacementLine {
                            title: p.title.clone(),
                            kind: p.kind.label_nl().to_string(),
                            employer: o.name.clone(),
                            place: rd.pc4.get(&p.pc4).map(|x| x.place.clone()).unwrap_or_else(|| p.pc4.clone()),
                            hours: crate::domain::nl::hours(p.hours_min, p.hours_max),
                            link: url(&st2, &format!("/plekken/{}", p.id)),
                        })
                        .collect(),
                    link: url(&st2, "/plekken"),
                    stop_link: url(&st2, "/kandidaat/gegevens"),
                };
                let to = Recipient { address: email.clone(), name: format!("{} {}", c.first_name, c.last_name), role: "kandidaat" };
                let what = "nieuwe plekken (bewaarde zoekopdracht)";
                crate::service::mail_about(conn, &Actor::system(), (&c.id, &c.municipality_id), &to, &mail, what, audit::purpose::BERICHT)?;
                diesel::update(saved_searches::table.find(&c.id)).set(saved_searches::last_sent_at.eq(now())).execute(conn)?;
                Ok(true)
            })
            .await?;
        if sent {
            n += 1;
        }
    }
    Ok(n)
}
