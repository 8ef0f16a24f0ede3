//! Inzage (AVG art. 15): the person's export holds every column of every table that refers to
//! them, as stored; only the person, their klantmanager and a beheerder of the municipality can
//! fetch it; every export is audited; the readable page shows it all.

use crate::common;
use actix_web::http::StatusCode;
use diesel::prelude::*;
use opstap::db::schema::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Columns that never leave the server: keys, not data about the person.
const SECRET: &[(&str, &str)] =
    &[("users", "password_hash"), ("sessions", "id"), ("password_resets", "token_hash"), ("registrations", "confirm_token_hash")];

/// Tables that refer to a person without a `candidate_id` column, and how.
const INDIRECT: &[(&str, &str)] = &[
    ("proposal_logs", "subject_id = $CID"),
    ("match_events", "match_id IN (SELECT id FROM matches WHERE candidate_id = $CID)"),
    ("sessions", "user_id IN (SELECT id FROM users WHERE candidate_id = $CID)"),
    ("password_resets", "user_id IN (SELECT id FROM users WHERE candidate_id = $CID)"),
    ("external_identities", "user_id IN (SELECT id FROM users WHERE candidate_id = $CID)"),
    ("login_events", "subject IN (SELECT 'account:' || email_normalized FROM users WHERE candidate_id = $CID)"),
];

#[derive(QueryableByName)]
struct TableColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    v: Option<String>,
}

/// Every table with its columns, from the database's own catalogue.
fn catalogue(conn: &mut opstap::db::DbConnection) -> BTreeMap<String, Vec<String>> {
    let sql = if common::is_postgres() {
        "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns \
         WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    } else {
        "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) p \
         WHERE m.type = 'table' ORDER BY m.name, p.cid"
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in diesel::sql_query(sql).load::<TableColumn>(conn).unwrap() {
        out.entry(r.table_name).or_default().push(r.column_name);
    }
    out
}

/// One value as both sides can compare it: booleans as 1/0, numbers canonical, timestamps with a
/// space and no trailing zeros in the fraction.
fn norm(s: &str) -> String {
    match s {
        "true" | "t" => return "1".into(),
        "false" | "f" => return "0".into(),
        _ => {}
    }
    if let Ok(f) = s.parse::<f64>() {
        return format!("{f}");
    }
    let mut t = s.replacen('T', " ", 1);
    if t.len() >= 19 && t.as_bytes().get(10) == Some(&b' ') && t.contains('.') {
        t = t.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    t
}

fn json_norm(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(norm(s)),
        other => Some(norm(&other.to_string())),
    }
}

#[actix_web::test]
async fn the_export_holds_every_column_of_every_table_about_the_person_and_only_the_right_people_get_it() {
    let app = common::app().await;
    let cand = app.login("kandidaat1@lochem.demo").await;
    let (_, me) = app.get("/api/v1/me", Some(&cand)).await;
    let cid = me["candidate_id"].as_str().expect("candidate id").to_string();
    let c2 = cid.clone();
    let (km_email, pc4) = app
        .db(move |conn| {
            diesel::update(candidates::table.find(&c2))
                .set((candidates::consent_matching.eq(true), candidates::consent_anonymous_profile.eq(true), candidates::consent_email.eq(true)))
                .execute(conn)
                .unwrap();
            candidates::table
                .inner_join(users::table.on(users::id.eq(candidates::klantmanager_id)))
                .filter(candidates::id.eq(&c2))
                .select((users::email, candidates::pc4))
                .first::<(String, String)>(conn)
                .unwrap()
        })
        .await;
    let km = app.login(&km_email).await;
    let emp = app.login("werkgever1@demo.nl").await;

    // Give the person a life in every table: a failed login, a password reset, proposals both
    // ways, a match with events and mail, an interest (a task), a saved search, a contact.
    let (s, _) = app.post("/api/v1/auth/login", None, json!({"email": "kandidaat1@lochem.demo", "password": "fout-wachtwoord"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.post("/api/v1/auth/password-reset", None, json!({"email": "kandidaat1@lochem.demo"})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let mut body = common::placement_body(None);
    body["pc4"] = json!(pc4);
    body["title"] = json!("Werkervaringsplaats groenonderhoud (inzagetest)");
    let (s, p) = app.post("/api/v1/placements", Some(&emp), body).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let pid = p["id"].as_str().unwrap().to_string();
    app.flush_index().await;
    let (s, v) = app.get(&format!("/api/v1/candidates/{cid}/proposals?include_excluded=true"), Some(&km)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.get(&format!("/api/v1/placements/{pid}/proposals?include_excluded=true&limit=500"), Some(&km)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, m) = app.post("/api/v1/matches", Some(&km), json!({"candidate_id": cid, "placement_id": pid, "note": "Past goed bij de wens."})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let (s, m) =
        app.post(&format!("/api/v1/matches/{}/actions", m["id"].as_str().unwrap()), Some(&cand), json!({"action": "accept", "version": 1})).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let (s, v) = app.post("/api/v1/me/interests", Some(&cand), json!({"placement_id": pid})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app.put("/api/v1/me/saved-search", Some(&cand), json!({"q": "groen"})).await;
    assert!(s.is_success(), "{s} {v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/candidates/{cid}/contact-moments"),
            Some(&km),
            json!({"contact_date": "2026-12-01", "channel": "gesprek", "note": "Over de plannen."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // A login through an external identity provider, linked by the verified address.
    let linked = app
        .db(|conn| {
            let id = opstap::service::oidc::Identity {
                subject: "digid-inzage-1".into(),
                email: Some("kandidaat1@lochem.demo".into()),
                email_verified: true,
            };
            opstap::service::oidc::account_for(conn, "https://inlog.voorbeeld.nl", &id).unwrap().map(|u| u.email_normalized)
        })
        .await;
    assert_eq!(linked.as_deref(), Some("kandidaat1@lochem.demo"));

    // Who may fetch it: the person, their klantmanager, a beheerder of the municipality.
    let (s, _) = app.get(&format!("/api/v1/candidates/{cid}/export"), Some(&emp)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let other_km = if km_email == "klantmanager1@lochem.demo" { "klantmanager2@lochem.demo" } else { "klantmanager1@lochem.demo" };
    let other_km = app.login(other_km).await;
    let (s, _) = app.get(&format!("/api/v1/candidates/{cid}/export"), Some(&other_km)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the person's own klantmanager");
    let zutphen = app.login("klantmanager1@zutphen.demo").await;
    let (s, _) = app.get(&format!("/api/v1/candidates/{cid}/export"), Some(&zutphen)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let other_cand = app.login("kandidaat2@lochem.demo").await;
    let (s, _) = app.get(&format!("/api/v1/candidates/{cid}/export"), Some(&other_cand)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/api/v1/me/export", Some(&km)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let beheerder = app.login("beheerder@lochem.demo").await;
    let (s, v) = app.get(&format!("/api/v1/candidates/{cid}/export"), Some(&beheerder)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let exports_before: i64 = {
        let c = cid.clone();
        app.db(move |conn| {
            audit_log::table.filter(audit_log::candidate_id.eq(&c)).filter(audit_log::action.eq("export")).count().get_result(conn).unwrap()
        })
        .await
    };
    assert_eq!(exports_before, 1, "the beheerder's export is audited");
    let (s, by_km) = app.get(&format!("/api/v1/candidates/{cid}/export"), Some(&km)).await;
    assert_eq!(s, StatusCode::OK, "{by_km}");
    let (s, own) = app.get("/api/v1/me/export", Some(&cand)).await;
    assert_eq!(s, StatusCode::OK, "{own}");
    assert_eq!(own["candidate_id"], cid.as_str());

    // Every column of every table that refers to the person is in the export, value for value.
    let c3 = cid.clone();
    let (checked, stored) = app
        .db(move |conn| {
            let cat = catalogue(conn);
            let mut linked: Vec<(String, String)> = cat
                .iter()
                .filter(|(_, cols)| cols.iter().any(|c| c == "candidate_id"))
                .map(|(t, _)| (t.clone(), "candidate_id = $CID".to_string()))
                .collect();
            linked.push(("candidates".into(), "id = $CID".into()));
            linked.extend(INDIRECT.iter().map(|(t, w)| (t.to_string(), w.to_string())));
            let quoted = format!("'{}'", c3.replace('\'', "''"));
            let mut stored: BTreeMap<(String, String), Vec<Option<String>>> = BTreeMap::new();
            for (t, w) in &linked {
                for col in &cat[t] {
                    if SECRET.contains(&(t.as_str(), col.as_str())) {
                        continue;
                    }
                    let sql = format!("SELECT CAST({col} AS TEXT) AS v FROM {t} WHERE {}", w.replace("$CID", &quoted));
                    let mut vals: Vec<Option<String>> =
                        diesel::sql_query(sql).load::<Cell>(conn).unwrap().into_iter().map(|c| c.v.as_deref().map(norm)).collect();
                    vals.sort();
                    stored.insert((t.clone(), col.clone()), vals);
                }
            }
            (linked.into_iter().map(|(t, _)| t).collect::<BTreeSet<_>>(), stored)
        })
        .await;
    let tables = own["tables"].as_object().expect("tables");
    for t in &checked {
        assert!(tables.contains_key(t), "table {t} refers to the person but is not in the export");
    }
    for t in [
        "candidates",
        "candidate_occupations",
        "ladder_measurements",
        "contact_moments",
        "matches",
        "match_events",
        "proposal_logs",
        "tasks",
        "saved_searches",
        "outbox",
        "audit_log",
        "users",
        "sessions",
        "password_resets",
        "login_events",
        "external_identities",
    ] {
        assert!(
            stored.keys().any(|(st, _)| st == t) && stored.iter().any(|((st, _), v)| st == t && !v.is_empty()),
            "the test gave {t} no row about the person"
        );
    }
    for ((t, col), vals) in &stored {
        // The export is taken after the audit row of the klantmanager's export and before its own.
        let rows = tables[t].as_array().unwrap();
        let mut got: Vec<Option<String>> = rows
            .iter()
            .map(|r| {
                let o = r.as_object().unwrap();
                assert!(o.contains_key(col), "column {t}.{col} is not in the export: {r}");
                json_norm(&o[col])
            })
            .collect();
        got.sort();
        if t == "audit_log" {
            // The person's own export is written after it was taken: one row more in the table.
            assert_eq!(got.len() + 1, vals.len(), "{t}.{col}");
            continue;
        }
        if t == "sessions" || t == "users" {
            // Logging in again touches last_login_at and adds a session after the export.
            assert!(got.len() <= vals.len(), "{t}.{col}");
            continue;
        }
        assert_eq!(&got, vals, "column {t}.{col} differs between the database and the export");
    }
    // No secret leaves.
    let text = own.to_string();
    assert!(!text.contains("password_hash") && !text.contains("token_hash") && !text.contains("$argon2"), "a secret in the export");
    // Ranked for a placement: only the person's own entry of that ranking.
    let mentions = tables["proposal_log_mentions"].as_array().unwrap();
    assert!(!mentions.is_empty(), "the placement's ranking named the person");
    for m in mentions {
        assert_eq!(m["result"]["id"], cid.as_str(), "{m}");
        assert!(m.get("results").is_none());
    }
    // Every export is in the person's audit log.
    let c4 = cid.clone();
    let exports: Vec<(String, String)> = app
        .db(move |conn| {
            audit_log::table
                .filter(audit_log::candidate_id.eq(&c4))
                .filter(audit_log::action.eq("export"))
                .select((audit_log::actor_role, audit_log::purpose))
                .load(conn)
                .unwrap()
        })
        .await;
    let roles: BTreeSet<&str> = exports.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(exports.len(), 3, "{exports:?}");
    assert_eq!(roles, BTreeSet::from(["beheerder", "klantmanager", "kandidaat"]));
    assert_eq!(by_km["tables"]["contact_moments"], own["tables"]["contact_moments"]);

    // The readable page: every section, the notes and the mails, for the person; and the file.
    let (s, html) = app.html_as("/kandidaat/gegevens/alles", &cand).await;
    assert_eq!(s, StatusCode::OK);
    for needle in [
        "Alles wat we van u weten",
        "Participatieladder",
        "Over de plannen.",
        "Wie uw gegevens bekeek of veranderde",
        "E-mails",
        "Download mijn gegevens",
    ] {
        assert!(html.contains(needle), "{needle} missing on the page");
    }
    let (s, html) = app.html_as(&format!("/klantmanager/kandidaten/{cid}/inzage"), &km).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Inzage: alle gegevens"));
    let (s, html) = app.html_as(&format!("/klantmanager/kandidaten/{cid}/inzage"), &other_km).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{html}");
}

#[actix_web::test]
async fn the_daily_job_anonymises_after_the_retention_period_and_the_monitor_stays_the_same() {
    let app = common::app().await;
    let adm = app.login("beheerder@lochem.demo").await;
    let today = opstap::clock::today();
    let left = today - chrono::Duration::days(5 * 366 + 30);
    let recent = today - chrono::Duration::days(300);
    let municipality: String = app
        .db(|c| {
            users::table
                .filter(users::email_normalized.eq("beheerder@lochem.demo"))
                .select(users::municipality_id.assume_not_null())
                .first(c)
                .unwrap()
        })
        .await;
    // Two people who left: one beyond the default 5 years, one within.
    let m2 = municipality.clone();
    let (old_id, new_id) = app
        .db(move |c| {
            let ids: Vec<String> = candidates::table
                .filter(candidates::municipality_id.eq(&m2))
                .filter(candidates::status.eq("actief"))
                .order(candidates::id)
                .select(candidates::id)
                .limit(2)
                .load(c)
                .unwrap();
            diesel::update(candidates::table.find(&ids[0]))
                .set((
                    candidates::status.eq("uitgestroomd"),
                    candidates::outflow_reason.eq(Some("betaald_werk")),
                    candidates::outflow_date.eq(Some(left)),
                    candidates::registration_date.eq(left - chrono::Duration::days(400)),
                ))
                .execute(c)
                .unwrap();
            diesel::update(candidates::table.find(&ids[1]))
                .set((
                    candidates::status.eq("uitgestroomd"),
                    candidates::outflow_reason.eq(Some("verhuizing")),
                    candidates::outflow_date.eq(Some(recent)),
                ))
                .execute(c)
                .unwrap();
            (ids[0].clone(), ids[1].clone())
        })
        .await;
    // Proposal logs: one older than the default 12 months, one recent.
    let m3 = municipality.clone();
    app.db(move |c| {
        for (id, age) in [("log-oud", 400), ("log-nieuw", 30)] {
            diesel::insert_into(proposal_logs::table)
                .values((
                    proposal_logs::id.eq(id),
                    proposal_logs::direction.eq("candidate"),
                    proposal_logs::subject_id.eq("x"),
                    proposal_logs::municipality_id.eq(Some(&m3)),
                    proposal_logs::requested_by.eq("y"),
                    proposal_logs::role.eq("klantmanager"),
                    proposal_logs::settings_version.eq(1),
                    proposal_logs::include_excluded.eq(false),
                    proposal_logs::results.eq("[]"),
                    proposal_logs::created_at.eq(opstap::db::now() - chrono::Duration::days(age)),
                ))
                .execute(c)
                .unwrap();
        }
    })
    .await;
    let quarter = |d: chrono::NaiveDate| format!("{}-Q{}", chrono::Datelike::year(&d), (chrono::Datelike::month(&d) - 1) / 3 + 1);
    let mut before = vec![];
    for q in [quarter(left), quarter(today)] {
        let (s, v) = app.get(&format!("/api/v1/monitor?quarter={q}"), Some(&adm)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        before.push(v);
    }
    let r = opstap::jobs::run_periodic(&app.state, today).await.unwrap();
    assert_eq!(r.anonymised, 1, "{r:?}");
    assert_eq!(r.proposal_logs_purged, 1, "{r:?}");
    let again = opstap::jobs::run_periodic(&app.state, today).await.unwrap();
    assert_eq!(again.anonymised, 0, "once a day");
    let (o, n) = (old_id.clone(), new_id.clone());
    let (old_left, new_left, logs) = app
        .db(move |c| {
            let a: i64 = candidates::table.find(&o).count().get_result(c).unwrap();
            let b: i64 = candidates::table.find(&n).count().get_result(c).unwrap();
            let l: Vec<String> = proposal_logs::table.filter(proposal_logs::id.like("log-%")).select(proposal_logs::id).load(c).unwrap();
            (a, b, l)
        })
        .await;
    assert_eq!((old_left, new_left), (0, 1), "only the one beyond the period is anonymised");
    assert_eq!(logs, vec!["log-nieuw".to_string()]);
    for (i, q) in [quarter(left), quarter(today)].into_iter().enumerate() {
        let (_, v) = app.get(&format!("/api/v1/monitor?quarter={q}"), Some(&adm)).await;
        assert_eq!(v, before[i], "the monitor of {q} changed");
    }
    // The anonymisation is in the audit log, by the platform, with its reason.
    let (_, page) = app.get("/api/v1/audit-log?action=erase", Some(&adm)).await;
    assert_eq!(page["total"], 1, "{page}");
    assert!(page["items"][0]["what"].as_str().unwrap().contains("bewaartermijn"), "{page}");
    // The period is a setting: below 6 months of logs is refused.
    let (s, cur) = app.get(&format!("/api/v1/municipalities/{municipality}/settings"), Some(&adm)).await;
    assert_eq!(s, StatusCode::OK, "{cur}");
    assert_eq!(cur["settings"]["retention_years_after_outflow"], 5);
    assert_eq!(cur["settings"]["proposal_log_months"], 12);
    let mut body = cur["settings"].clone();
    body["proposal_log_months"] = json!(3);
    let (s, e) =
        app.put(&format!("/api/v1/municipalities/{municipality}/settings"), Some(&adm), json!({"settings": body, "version": cur["version"]})).await;
    common::assert_field_error(s, &e, "settings.proposal_log_months");
}
