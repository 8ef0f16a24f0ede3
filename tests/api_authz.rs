//! Every endpoint walked with every role: allowed, 401, 403 (role never allowed) or 404
//! (the record exists but is out of this user's reach, so it answers as if it did not exist).

use crate::common;
use actix_web::http::{Method, StatusCode};
use diesel::prelude::*;
use opstap::db::schema::{candidates, municipalities, organisations, placements, sroi_contracts, users};
use serde_json::{json, Value};

const OK: u16 = 200;
const CREATED: u16 = 201;
const NOCONTENT: u16 = 204;
const UNAUTH: u16 = 401;
const FORBID: u16 = 403;
const NOTFOUND: u16 = 404;

#[actix_web::test]
async fn every_endpoint_with_every_role() {
    let app = common::app().await;
    let roles = [
        ("anon", None),
        ("beheerder_l", Some("beheerder@lochem.demo")),
        ("km1_l", Some("klantmanager1@lochem.demo")),
        ("km2_l", Some("klantmanager2@lochem.demo")),
        ("km1_z", Some("klantmanager1@zutphen.demo")),
        ("werkgever1", Some("werkgever1@demo.nl")),
        ("werkgever3", Some("werkgever3@demo.nl")),
        ("kandidaat1_l", Some("kandidaat1@lochem.demo")),
        ("kandidaat2_l", Some("kandidaat2@lochem.demo")),
    ];
    let mut tokens = std::collections::HashMap::new();
    for (name, email) in roles {
        if let Some(e) = email {
            tokens.insert(name, app.login(e).await);
        }
    }
    let tok = |r: &str| tokens.get(r).cloned();

    // Records to probe.
    let (_, me_k1) = app.get("/api/v1/me", tok("kandidaat1_l").as_deref()).await;
    let cand_a = me_k1["candidate_id"].as_str().unwrap().to_string(); // Lochem, caseload of km1_l
    let (cand_z, lochem_id) = app
        .db(|c| {
            let z: String = municipalities::table.filter(municipalities::cbs_code.eq("0301")).select(municipalities::id).first(c).unwrap();
            let l: String = municipalities::table.filter(municipalities::cbs_code.eq("0262")).select(municipalities::id).first(c).unwrap();
            let cz: String = candidates::table.filter(candidates::municipality_id.eq(&z)).select(candidates::id).first(c).unwrap();
            (cz, l)
        })
        .await;
    let (_, me_w1) = app.get("/api/v1/me", tok("werkgever1").as_deref()).await;
    let org1 = me_w1["organisation_id"].as_str().unwrap().to_string();
    let (_, me_w3) = app.get("/api/v1/me", tok("werkgever3").as_deref()).await;
    let org3 = me_w3["organisation_id"].as_str().unwrap().to_string();
    let (pub_p3, draft_p) = {
        let o3 = org3.clone();
        app.db(move |c| {
            let p3: String = placements::table
                .filter(placements::organisation_id.eq(&o3))
                .filter(placements::status.eq("open"))
                .select(placements::id)
                .first(c)
                .unwrap();
            let d: String = placements::table.filter(placements::status.eq("draft")).select(placements::id).first(c).unwrap();
            (p3, d)
        })
        .await
    };
    let draft_org: String = {
        let d = draft_p.clone();
        app.db(move |c| placements::table.find(&d).select(placements::organisation_id).first(c).unwrap()).await
    };
    assert_ne!(draft_org, org1, "fixture: the draft belongs to another employer than werkgever1");
    let sroi_id: String = app.db(|c| sroi_contracts::table.select(sroi_contracts::id).first(c).unwrap()).await;
    let sroi_org: String = {
        let s = sroi_id.clone();
        app.db(move |c| sroi_contracts::table.find(&s).select(sroi_contracts::organisation_id).first(c).unwrap()).await
    };
    assert_eq!(sroi_org, org3);

    let cand_update = {
        let mut b = common::candidate_body();
        b.as_object_mut().unwrap().remove("ladder_step");
        b
    };
    let ladder = json!({"measured_on": "2026-10-01", "step": 4});
    let contact = json!({"contact_date": "2026-10-01", "channel": "gesprek", "note": "Gesprek"});
    let user_km = |email: &str| json!({"email": email, "password": "wachtwoord-van-tien", "role": "klantmanager", "name": "Nieuw"});

    type Case<'a> = (&'a str, Method, String, Option<Value>, Vec<(&'a str, u16)>);
    let all = |code: u16| -> Vec<(&str, u16)> { roles.iter().map(|(r, _)| (*r, code)).collect() };
    let _ = all;
    let cases: Vec<Case> = vec![
        (
            "list candidates",
            Method::GET,
            "/api/v1/candidates".into(),
            None,
            vec![("anon", UNAUTH), ("beheerder_l", OK), ("km1_l", OK), ("km1_z", OK), ("werkgever1", FORBID), ("kandidaat1_l", FORBID)],
        ),
        (
            "get own-caseload candidate",
            Method::GET,
            format!("/api/v1/candidates/{cand_a}"),
            None,
            vec![
                ("anon", UNAUTH),
                ("beheerder_l", OK),
                ("km1_l", OK),
                ("km2_l", OK),
                ("km1_z", NOTFOUND),
                ("werkgever1", FORBID),
                ("kandidaat1_l", OK),
                ("kandidaat2_l", NOTFOUND),
            ],
        ),
        (
            "get candidate of other municipality",
            Method::GET,
            format!("/api/v1/candidates/{cand_z}"),
            None,
            vec![("km1_l", NOTFOUND), ("beheerder_l", NOTFOUND), ("km1_z", OK)],
        ),
        (
            "get unknown candidate",
            Method::GET,
            "/api/v1/candidates/00000000-0000-7000-8000-000000000000".into(),
            None,
            vec![("km1_l", NOTFOUND), ("werkgever1", FORBID), ("kandidaat1_l", NOTFOUND)],
        ),
        (
            "update candidate",
            Method::PUT,
            format!("/api/v1/candidates/{cand_a}"),
            Some(cand_update.clone()),
            vec![
                ("anon", UNAUTH),
                ("beheerder_l", FORBID),
                ("km2_l", FORBID),
                ("km1_z", NOTFOUND),
                ("werkgever1", FORBID),
                ("kandidaat1_l", FORBID),
                ("km1_l", OK),
            ],
        ),
        (
            "ladder list",
            Method::GET,
            format!("/api/v1/candidates/{cand_a}/ladder-measurements"),
            None,
            vec![("anon", UNAUTH), ("kandidaat1_l", OK), ("kandidaat2_l", NOTFOUND), ("km1_z", NOTFOUND), ("werkgever1", FORBID), ("km2_l", OK)],
        ),
        (
            "ladder create",
            Method::POST,
            format!("/api/v1/candidates/{cand_a}/ladder-measurements"),
            Some(ladder.clone()),
            vec![
                ("km2_l", FORBID),
                ("km1_z", NOTFOUND),
                ("kandidaat1_l", FORBID),
                ("werkgever1", FORBID),
                ("beheerder_l", FORBID),
                ("km1_l", CREATED),
            ],
        ),
        (
            "contacts list",
            Method::GET,
            format!("/api/v1/candidates/{cand_a}/contact-moments"),
            None,
            vec![("kandidaat1_l", FORBID), ("werkgever1", FORBID), ("km1_z", NOTFOUND), ("km2_l", OK), ("km1_l", OK)],
        ),
        (
            "contact create",
            Method::POST,
            format!("/api/v1/candidates/{cand_a}/contact-moments"),
            Some(contact.clone()),
            vec![("km2_l", FORBID), ("km1_z", NOTFOUND), ("werkgever1", FORBID), ("km1_l", CREATED)],
        ),
        (
            "create candidate",
            Method::POST,
            "/api/v1/candidates".into(),
            Some(common::candidate_body()),
            vec![("anon", UNAUTH), ("beheerder_l", FORBID), ("werkgever1", FORBID), ("kandidaat1_l", FORBID), ("km1_l", CREATED)],
        ),
        (
            "search candidates",
            Method::GET,
            "/api/v1/search/candidates".into(),
            None,
            vec![("anon", UNAUTH), ("beheerder_l", FORBID), ("werkgever1", FORBID), ("kandidaat1_l", FORBID), ("km1_l", OK)],
        ),
        (
            "search placements",
            Method::GET,
            "/api/v1/search/placements".into(),
            None,
            vec![("anon", OK), ("werkgever1", OK), ("kandidaat1_l", OK), ("km1_l", OK)],
        ),
        (
            "list organisations",
            Method::GET,
            "/api/v1/organisations".into(),
            None,
            vec![("anon", UNAUTH), ("kandidaat1_l", FORBID), ("werkgever1", OK), ("km1_z", OK), ("beheerder_l", OK)],
        ),
        (
            "get other organisation",
            Method::GET,
            format!("/api/v1/organisations/{org3}"),
            None,
            vec![("werkgever1", NOTFOUND), ("werkgever3", OK), ("km1_l", OK), ("kandidaat1_l", FORBID)],
        ),
        (
            "create organisation",
            Method::POST,
            "/api/v1/organisations".into(),
            Some(
                json!({"name": "Nieuw BV", "kvk_number": "55555555", "sector": "Bouw", "pc4": "7201", "contact_name": "B", "contact_email": "b@c.nl"}),
            ),
            vec![("werkgever1", FORBID), ("kandidaat1_l", FORBID), ("anon", UNAUTH), ("km1_z", CREATED)],
        ),
        (
            "get published placement of other employer",
            Method::GET,
            format!("/api/v1/placements/{pub_p3}"),
            None,
            vec![("anon", OK), ("werkgever1", OK), ("kandidaat1_l", OK)],
        ),
        (
            "edit placement of other employer",
            Method::PUT,
            format!("/api/v1/placements/{pub_p3}"),
            Some(common::placement_body(None)),
            vec![("anon", UNAUTH), ("werkgever1", FORBID), ("kandidaat1_l", FORBID)],
        ),
        (
            "get draft placement of other employer",
            Method::GET,
            format!("/api/v1/placements/{draft_p}"),
            None,
            vec![("anon", NOTFOUND), ("werkgever1", NOTFOUND), ("kandidaat1_l", NOTFOUND), ("km1_l", OK)],
        ),
        (
            "delete draft of other employer",
            Method::DELETE,
            format!("/api/v1/placements/{draft_p}"),
            None,
            vec![("werkgever1", NOTFOUND), ("kandidaat1_l", FORBID)],
        ),
        (
            "create placement",
            Method::POST,
            "/api/v1/placements".into(),
            Some(common::placement_body(Some(&org1))),
            vec![("anon", UNAUTH), ("kandidaat1_l", FORBID), ("werkgever1", CREATED)],
        ),
        (
            "employer posting for another organisation",
            Method::POST,
            "/api/v1/placements".into(),
            Some(common::placement_body(Some(&org3))),
            vec![("werkgever1", 422)],
        ),
        (
            "list users",
            Method::GET,
            "/api/v1/users".into(),
            None,
            vec![("anon", UNAUTH), ("km1_l", FORBID), ("werkgever1", FORBID), ("kandidaat1_l", FORBID), ("beheerder_l", OK)],
        ),
        (
            "create klantmanager",
            Method::POST,
            "/api/v1/users".into(),
            Some(user_km("nieuw.km@lochem.demo")),
            vec![("km1_l", FORBID), ("werkgever1", FORBID), ("kandidaat1_l", FORBID), ("beheerder_l", CREATED)],
        ),
        (
            "sroi list",
            Method::GET,
            "/api/v1/sroi-contracts".into(),
            None,
            vec![("anon", UNAUTH), ("kandidaat1_l", FORBID), ("werkgever1", OK), ("werkgever3", OK), ("km1_z", OK)],
        ),
        (
            "sroi get",
            Method::GET,
            format!("/api/v1/sroi-contracts/{sroi_id}"),
            None,
            vec![("werkgever1", NOTFOUND), ("werkgever3", OK), ("km1_l", NOTFOUND), ("km1_z", OK), ("kandidaat1_l", FORBID)],
        ),
        (
            "reindex",
            Method::POST,
            "/api/v1/admin/reindex".into(),
            Some(json!({})),
            vec![("anon", UNAUTH), ("km1_l", FORBID), ("werkgever1", FORBID), ("beheerder_l", OK)],
        ),
        (
            "delete candidate",
            Method::DELETE,
            format!("/api/v1/candidates/{cand_a}?reason=verzoek%20van%20betrokkene"),
            None,
            vec![("anon", UNAUTH), ("werkgever1", FORBID), ("kandidaat1_l", FORBID), ("km1_z", NOTFOUND), ("km2_l", FORBID), ("km1_l", NOCONTENT)],
        ),
    ];
    let mut failures = Vec::new();
    for (what, method, path, body, expect) in &cases {
        for (role, code) in expect {
            let (s, v) = app.call(method.clone(), path, tok(role).as_deref(), body.clone()).await;
            if s.as_u16() != *code {
                failures.push(format!("{what}: {role} {method} {path} -> {s}, expected {code}: {v}"));
            } else if s.as_u16() >= 400 {
                assert!(v["code"].is_string(), "{what}: error without JSON body: {v}");
            }
        }
    }
    assert!(failures.is_empty(), "authorisation mismatches:\n{}", failures.join("\n"));

    // What each role sees of a candidate: health data only for klantmanagers.
    let (s, mine) = app.get(&format!("/api/v1/candidates/{cand_z}"), tok("km1_z").as_deref()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(mine.get("support_needs").is_some() && mine.get("zrm_scores").is_some());
    let (_, me_k2) = app.get("/api/v1/me", tok("kandidaat2_l").as_deref()).await;
    let cand_b = me_k2["candidate_id"].as_str().unwrap().to_string();
    for role in ["beheerder_l", "kandidaat2_l"] {
        let (s, v) = app.get(&format!("/api/v1/candidates/{cand_b}"), tok(role).as_deref()).await;
        assert_eq!(s, StatusCode::OK, "{role}");
        for f in ["support_needs", "work_capacity_limits", "zrm_scores"] {
            assert!(v.get(f).is_none(), "{role} sees {f}");
        }
    }
    // A werkgever's organisation list holds only its own organisation.
    let (_, orgs) = app.get("/api/v1/organisations", tok("werkgever1").as_deref()).await;
    assert_eq!(orgs.as_array().unwrap().len(), 1);
    assert_eq!(orgs[0]["id"], org1.as_str());
    // Candidate lists hold only the user's own municipality.
    let (_, list) = app.get("/api/v1/candidates?limit=500", tok("km1_l").as_deref()).await;
    assert!(list["items"].as_array().unwrap().iter().all(|c| c["municipality_id"] == lochem_id.as_str()));
    // A beheerder's user list holds only its own municipality.
    let (_, ul) = app.get("/api/v1/users", tok("beheerder_l").as_deref()).await;
    assert!(ul.as_array().unwrap().iter().all(|u| u["municipality_id"] == lochem_id.as_str()));
    let n: i64 = app.db(|c| users::table.filter(users::email_normalized.eq("nieuw.km@lochem.demo")).count().get_result(c).unwrap()).await;
    assert_eq!(n, 1);
    let _ = organisations::table;
}
