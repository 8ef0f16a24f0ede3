//! The quarterly monitor on a fixture with known history (a municipality of its own, so the demo
//! data does not count), against values computed by hand in the comments.

use crate::common;
use actix_web::http::StatusCode;
use chrono::NaiveDate;
use diesel::prelude::*;
use opstap::db::models::{ContactMoment, ErasedSubject, LadderMeasurement, Match};
use opstap::db::schema::*;
use opstap::db::{new_id, now};
use serde_json::{json, Value};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn at(s: &str) -> chrono::NaiveDateTime {
    d(s).and_hms_opt(10, 0, 0).unwrap()
}

struct M<'a> {
    kind: &'a str,
    placement: &'a str,
    candidate: &'a str,
    proposed: &'a str,
    status: &'a str,
    consented: bool,
    interested: bool,
    introduced: bool,
    start: Option<&'a str>,
    granted: &'a [&'a str],
    hours: Option<f64>,
    retention_6: Option<&'a str>,
    sroi: Option<(&'a str, i64)>,
}

fn row(municipality: &str, km: &str, org: &str, m: &M) -> Match {
    let package = json!({
        "hours_per_week": 32.0, "paid": true,
        "loonkostensubsidie": {"amount_cents": 100000, "forfaitair": false, "loonwaarde_used": 60.0, "not_in_target_group": false,
            "wml_from": "2026-01-01", "wml_month_cents": 229440, "youth_pct": 100.0, "hours_counted": 32.0, "formula": ""},
        "employer_accepts_lks": true,
        "job_coach": {"applicable": true, "workplace_welcomes_job_coach": true, "internal_supervisor": false, "year1_hours": 187.2, "year2_hours": 93.6, "later_hours_per_year": 74.9, "year1_external_cost_cents": 1404000},
        "trial_placement_possible": true, "trial_placement_max_months": 6, "no_risk_polis": false, "no_risk_polis_note": "",
        "lkv_per_year_cents": null, "banenafspraak_jobs": null, "sroi": null, "gross_monthly_wage_costs_cents": null, "employer_net_monthly_cost_cents": null
    });
    Match {
        id: new_id(),
        candidate_id: Some(m.candidate.into()),
        erased_subject_id: None,
        municipality_id: municipality.into(),
        klantmanager_id: Some(km.into()),
        placement_id: Some(m.placement.into()),
        organisation_id: Some(org.into()),
        placement_kind: m.kind.parse().expect("a placement kind"),
        placement_title: "fixture".into(),
        status: m.status.parse().expect("a match status"),
        version: 1,
        instruments: "{}".into(),
        package: package.to_string(),
        employer_net_cost_cents: None,
        note: String::new(),
        proposed_at: at(m.proposed),
        candidate_decided_at: (m.consented || m.status == "declined").then(|| at(m.proposed)),
        candidate_reason: None,
        klantmanager_consent_at: m.introduced.then(|| at(m.proposed)),
        employer_decided_at: m.interested.then(|| at(m.proposed)),
        employer_reason: None,
        disclosed_at: m.introduced.then(|| at(m.proposed)),
        consent_withdrawn_at: None,
        introduction_date: None,
        start_date: m.start.map(d),
        trial_end_date: None,
        contract_type: m.start.map(|_| "onbepaalde_tijd".to_string()),
        hours_per_week: m.hours,
        hourly_wage_cents: None,
        instruments_granted: Some(serde_json::to_string(m.granted).unwrap()),
        not_started_reason: None,
        sroi_contract_id: m.sroi.map(|(c, _)| c.to_string()),
        sroi_value_cents: m.sroi.map(|(_, v)| v),
        retention_6: m.retention_6.map(String::from),
        retention_12: None,
        introduction_time: None,
        introduction_place: None,
        introduction_contact: None,
        closed_at: None,
        updated_at: now(),
    }
}

#[actix_web::test]
async fn indicators_equal_hand_computed_values_and_exports_suppress_small_counts() {
    let app = common::app().await;
    // A municipality of its own with one klantmanager and one beheerder.
    let (mid, km_id) = app
        .db(|conn| {
            let mid = opstap::demo::find_or_create_municipality(conn, "Deventer").unwrap();
            let mk = |conn: &mut opstap::db::DbConnection, email: &str, role: &str| {
                let input = opstap::web::api::users::UserInput {
                    email: email.into(),
                    password: common::PW.into(),
                    role: role.into(),
                    name: format!("Fixture {role}"),
                    organisation_id: None,
                    candidate_id: None,
                };
                opstap::web::api::users::create_user_in(conn, &input, None, Some(mid.clone())).unwrap().id
            };
            let km = mk(conn, "km@deventer.test", "klantmanager");
            mk(conn, "beheer@deventer.test", "beheerder");
            (mid, km)
        })
        .await;
    let km = app.login("km@deventer.test").await;
    let adm = app.login("beheer@deventer.test").await;
    // Candidates A..F through the API, then their history set directly.
    let mut ids = std::collections::HashMap::new();
    for name in ["A", "B", "C", "D", "E", "F"] {
        let mut body = common::candidate_body();
        body["first_name"] = json!(format!("Fixture{name}"));
        body.as_object_mut().unwrap().remove("ladder_step");
        let (s, c) = app.post("/api/v1/candidates", Some(&km), body).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        ids.insert(name, c["id"].as_str().unwrap().to_string());
    }
    // Two placements of a verified employer: one counting for the banenafspraak.
    let emp = app.login("werkgever1@demo.nl").await;
    let mut pb = common::placement_body(None);
    pb["kind"] = json!("reguliere_baan");
    pb["hourly_wage_cents"] = json!(1600);
    pb["counts_banenafspraak"] = json!(true);
    pb.as_object_mut().unwrap().remove("duration_months");
    let (s, p1) = app.post("/api/v1/placements", Some(&emp), pb).await;
    assert_eq!(s, StatusCode::CREATED, "{p1}");
    let (_, p2) = app.post("/api/v1/placements", Some(&emp), common::placement_body(None)).await;
    let (p_banen, p_other, org) =
        (p1["id"].as_str().unwrap().to_string(), p2["id"].as_str().unwrap().to_string(), p1["organisation_id"].as_str().unwrap().to_string());
    let ids2 = ids.clone();
    let (mid2, km2) = (mid.clone(), km_id.clone());
    app.db(move |conn| {
        let id = |n: &str| ids2[n].clone();
        let set = |conn: &mut opstap::db::DbConnection, n: &str, reg: &str| {
            // Registered with the municipality on `reg` (instroom counts from it; the record may be younger).
            let on: chrono::NaiveDate = reg.parse().unwrap();
            diesel::update(candidates::table.find(id(n))).set(candidates::registration_date.eq(on)).execute(conn).unwrap();
        };
        set(conn, "A", "2025-06-01");
        set(conn, "B", "2025-03-01");
        set(conn, "C", "2026-02-15");
        set(conn, "D", "2024-01-01");
        set(conn, "E", "2024-05-01");
        set(conn, "F", "2026-04-10");
        diesel::update(candidates::table.find(id("D")))
            .set((
                candidates::status.eq("uitgestroomd"),
                candidates::outflow_reason.eq(Some("betaald_werk")),
                candidates::outflow_date.eq(Some(d("2026-03-01"))),
            ))
            .execute(conn)
            .unwrap();
        let ladder = |conn: &mut opstap::db::DbConnection, n: &str, on: &str, step: i32| {
            diesel::insert_into(ladder_measurements::table)
                .values(&LadderMeasurement {
                    id: new_id(),
                    candidate_id: id(n),
                    measured_on: d(on),
                    step,
                    target_step: None,
                    measured_by: None,
                    note: String::new(),
                    created_at: now(),
                })
                .execute(conn)
                .unwrap();
        };
        ladder(conn, "A", "2025-06-10", 2);
        ladder(conn, "A", "2026-02-01", 3);
        ladder(conn, "B", "2025-03-05", 4);
        ladder(conn, "C", "2026-02-16", 1);
        ladder(conn, "D", "2025-11-01", 5);
        ladder(conn, "E", "2025-10-01", 4);
        ladder(conn, "E", "2026-03-15", 3);
        let contact = |conn: &mut opstap::db::DbConnection, n: &str, on: &str, channel: &str| {
            diesel::insert_into(contact_moments::table)
                .values(&ContactMoment {
                    id: new_id(),
                    candidate_id: id(n),
                    contact_date: d(on),
                    channel: channel.parse().expect("a contact channel"),
                    by_user_id: None,
                    note: String::new(),
                    created_at: now(),
                })
                .execute(conn)
                .unwrap();
        };
        contact(conn, "A", "2026-02-01", "gesprek");
        contact(conn, "B", "2025-03-05", "telefoon");
        contact(conn, "B", "2026-01-10", "email"); // not personal: does not count
        contact(conn, "E", "2025-06-01", "huisbezoek");
        // G: the remainder of an erased candidate, erased after the quarter.
        diesel::insert_into(erased_subjects::table)
            .values(&ErasedSubject {
                id: new_id(),
                municipality_id: mid2.clone(),
                klantmanager_id: Some(km2.clone()),
                registered_on: d("2025-01-01"),
                erased_on: d("2026-04-15"),
                status: "actief".into(),
                outflow_reason: None,
                outflow_date: None,
                ladder_history: r#"[["2025-12-01",2],["2026-03-01",4]]"#.into(),
                contact_dates: r#"["2026-03-01"]"#.into(),
                client_group_id: None,
            })
            .execute(conn)
            .unwrap();
        // An SROI contract of € 100.000 at 5%: obligation € 5.000.
        let sroi_id = new_id();
        diesel::insert_into(sroi_contracts::table)
            .values(&opstap::db::models::SroiContract {
                id: sroi_id.clone(),
                organisation_id: org.clone(),
                municipality_id: mid2.clone(),
                reference: "DEV-1".into(),
                description: "fixture".into(),
                contract_value_cents: 10_000_000,
                percentage: 5.0,
                period_start: d("2026-01-01"),
                period_end: d("2027-12-31"),
                created_at: now(),
                updated_at: now(),
            })
            .execute(conn)
            .unwrap();
        let none: &[&str] = &[];
        let ms = [
            M {
                kind: "reguliere_baan",
                placement: &p_banen,
                candidate: &id("A"),
                proposed: "2026-01-05",
                status: "started",
                consented: true,
                interested: true,
                introduced: true,
                start: Some("2026-02-04"),
                granted: &["loonkostensubsidie", "job_coach"],
                hours: Some(32.0),
                retention_6: None,
                sroi: None,
            },
            M {
                kind: "werkervaringsplaats",
                placement: &p_other,
                candidate: &id("B"),
                proposed: "2026-02-01",
                status: "interested",
                consented: true,
                interested: true,
                introduced: false,
                start: None,
                granted: none,
                hours: None,
                retention_6: None,
                sroi: None,
            },
            M {
                kind: "vrijwilligerswerk",
                placement: &p_other,
                candidate: &id("C"),
                proposed: "2026-03-01",
                status: "declined",
                consented: false,
                interested: false,
                introduced: false,
                start: None,
                granted: none,
                hours: None,
                retention_6: None,
                sroi: None,
            },
            M {
                kind: "reguliere_baan",
                placement: &p_other,
                candidate: &id("E"),
                proposed: "2025-11-01",
                status: "started",
                consented: true,
                interested: true,
                introduced: true,
                start: Some("2026-01-10"),
                granted: none,
                hours: Some(20.0),
                retention_6: None,
                sroi: Some((&sroi_id, 250_000)),
            },
            M {
                kind: "reguliere_baan",
                placement: &p_other,
                candidate: &id("B"),
                proposed: "2025-05-01",
                status: "started",
                consented: true,
                interested: true,
                introduced: true,
                start: Some("2025-08-15"),
                granted: none,
                hours: Some(24.0),
                retention_6: Some("in_dienst"),
                sroi: None,
            },
            M {
                kind: "werkervaringsplaats",
                placement: &p_other,
                candidate: &id("E"),
                proposed: "2026-03-10",
                status: "proposed",
                consented: false,
                interested: false,
                introduced: false,
                start: None,
                granted: none,
                hours: None,
                retention_6: None,
                sroi: None,
            },
        ];
        let rows: Vec<Match> = ms.iter().map(|m| row(&mid2, &km2, &org, m)).collect();
        opstap::insert_all!(conn, matches::table, &rows).unwrap();
    })
    .await;

    let (s, m) = app.get("/api/v1/monitor?quarter=2026-Q1", Some(&km)).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let t = &m["total"];
    // Caseload at 2026-03-31: A, B, C, E, G (D flowed out, F registered later); in view: A, C, E, G.
    assert_eq!(t["in_view"], json!({"caseload": 5, "in_view": 4, "share_pct": 80.0}));
    // Steps at quarter end: A 3, B 4, C 1, E 3, G 4.
    assert_eq!(t["ladder"]["distribution"], json!([1, 0, 2, 2, 0, 0]));
    assert_eq!(t["ladder"]["unknown"], 0);
    // Against 2025-12-31: A 2->3 up, B 4->4 same, E 4->3 down, G 2->4 up; C was not there yet.
    assert_eq!((t["ladder"]["up"].as_u64(), t["ladder"]["same"].as_u64(), t["ladder"]["down"].as_u64()), (Some(2), Some(1), Some(1)));
    let tr = &t["ladder"]["transitions"];
    assert_eq!((tr[1][2].as_u64(), tr[3][3].as_u64(), tr[3][2].as_u64(), tr[1][3].as_u64()), (Some(1), Some(1), Some(1), Some(1)));
    let total: u64 = tr.as_array().unwrap().iter().flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_u64().unwrap())).sum();
    assert_eq!(total, 4);
    // Flow: C in, two up, D out to work.
    assert_eq!(t["flow"], json!({"instroom": 1, "doorstroom": 2, "uitstroom": 1, "uitstroom_work": 1, "uitstroom_by_reason": {"betaald_werk": 1}}));
    // Contact: A, E, G had a personal contact in the last 12 months; B (only an e-mail) and C did not.
    assert_eq!(t["contact"], json!({"caseload": 5, "with_contact": 3, "share_pct": 60.0, "overdue": 2}));
    // Funnel of the matches proposed in Q1 (M1, M2, M3, M6): M1 and M2 consented and interested,
    // M1 introduced and started 30 days after the proposal.
    assert_eq!(t["funnel"], json!({"proposed": 4, "consented": 2, "interested": 2, "introduced": 1, "started": 1, "median_days_to_start": 30.0}));
    // Started in Q1: M1 and M4, both regular jobs; M5's 6-month check falls in Q1 and was positive.
    assert_eq!(m["started_by_kind"], json!({"reguliere_baan": 2}));
    assert_eq!(m["retention"], json!({"due_6": 1, "working_6": 1, "due_12": 0, "working_12": 0}));
    // Instruments of the starts: M1 with LKS € 1.000 a month and a job coach (187.2 h), 32 hours at a
    // placement that counts for the banenafspraak: 32 / 25.5 = 1.25 jobs.
    assert_eq!(
        m["instruments"],
        json!({"lks_starts": 1, "lks_month_cents": 100000, "lks_year_cents": 1200000, "job_coach_starts": 1, "job_coach_hours_year1": 187.2, "lkv_year_cents": 0, "banenafspraak_jobs": 1.25})
    );
    // SROI: € 2.500 of € 5.000.
    assert_eq!(m["sroi"], json!([{"reference": "DEV-1", "obligation_cents": 500000, "realised_cents": 250000, "met_pct": 50.0}]));
    // Per klantmanager: all of it is this klantmanager's.
    assert_eq!(m["per_klantmanager"][&km_id]["in_view"], t["in_view"]);
    assert_eq!(m["klantmanagers"][&km_id], "Fixture klantmanager");
    // Per kind of placement.
    let kinds: Vec<(String, u64)> = m["per_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kind"].as_str().unwrap().to_string(), k["funnel"]["proposed"].as_u64().unwrap()))
        .collect();
    assert_eq!(kinds, vec![("reguliere_baan".into(), 1), ("vrijwilligerswerk".into(), 1), ("werkervaringsplaats".into(), 2)]);
    // The klantmanager gets its overdue list (B and C); the beheerder gets no names.
    let overdue: Vec<&str> = m["overdue"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(overdue.len(), 2, "{overdue:?}");
    assert!(overdue.iter().any(|n| n.starts_with("FixtureB")) && overdue.iter().any(|n| n.starts_with("FixtureC")));
    let (s, mb) = app.get("/api/v1/monitor?quarter=2026-Q1", Some(&adm)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(mb.get("overdue").is_none());
    assert!(["FixtureA", "FixtureB", "FixtureC"].iter().all(|n| !mb.to_string().contains(n)), "no candidate names for the beheerder");
    assert_eq!(mb["total"], m["total"]);
    // Bad quarter: 422 naming the field; employers and candidates: 403.
    let (s, e) = app.get("/api/v1/monitor?quarter=2026-Q9", Some(&km)).await;
    common::assert_field_error(s, &e, "quarter");
    let (s, _) = app.get("/api/v1/monitor?quarter=2026-Q1", Some(&emp)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The CSV export parses back, holds no names, and shows small counts as "<5".
    let req = actix_web::test::TestRequest::get()
        .uri("/api/v1/monitor/export.csv?quarter=2026-Q1")
        .insert_header(("Authorization", format!("Bearer {adm}")));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/csv"));
    let body = actix_web::test::read_body(resp).await;
    // For Dutch Excel: byte-order mark, semicolons, decimal commas.
    assert!(body.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM");
    let mut r = csv::ReaderBuilder::new().delimiter(b';').from_reader(&body[3..]);
    assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), vec!["onderdeel", "indicator", "uitsplitsing", "waarde"]);
    let rows: Vec<Vec<String>> = r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect();
    let value = |ind: &str, who: &str| {
        rows.iter().find(|x| x[1] == ind && x[2] == who).map(|x| x[3].clone()).unwrap_or_else(|| panic!("{ind} / {who} missing"))
    };
    assert_eq!(value("caseload", "gemeente"), "5");
    assert_eq!(value("in beeld (laddermeting < 12 maanden)", "gemeente"), "<5");
    assert_eq!(value("instroom", "gemeente"), "<5");
    assert_eq!(value("aandeel in beeld (%)", "gemeente"), "80,0");
    assert_eq!(value("percentage gehaald", "contract DEV-1"), "50,0");
    assert!(
        rows.iter().all(|x| !x.iter().any(|c| ["FixtureA", "FixtureB", "FixtureC", "Zoekmij", "Fixture klantmanager"].iter().any(|n| c.contains(n)))),
        "no names in the export"
    );
    assert_eq!(value("caseload", "klantmanager 1"), "5");
    // The XLSX export opens and holds the same rows.
    let req = actix_web::test::TestRequest::get()
        .uri("/api/v1/monitor/export.xlsx?quarter=2026-Q1")
        .insert_header(("Authorization", format!("Bearer {adm}")));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = actix_web::test::read_body(resp).await.to_vec();
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a valid xlsx");
    let range = wb.worksheet_range("Monitor").expect("sheet Monitor");
    let xrows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(xrows[0], vec!["onderdeel", "indicator", "uitsplitsing", "waarde"]);
    assert_eq!(xrows.len(), rows.len() + 1, "same rows as the CSV");
    let xvalue = |ind: &str| xrows.iter().find(|x| x[1] == ind && x[2] == "gemeente").map(|x| x[3].clone()).unwrap();
    assert_eq!(xvalue("caseload"), "5");
    assert_eq!(xvalue("instroom"), "<5");
    let _ = Value::Null;
}

#[actix_web::test]
async fn algorithm_register_describes_the_weights_in_force() {
    let app = common::app().await;
    let adm = app.login("beheerder@lochem.demo").await;
    let (s, r) = app.get("/api/v1/monitor/algorithm-register", Some(&adm)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let factors = r["factors"].as_array().unwrap();
    assert_eq!(factors.len(), 11);
    assert_eq!(factors.iter().map(|f| f["weight"].as_f64().unwrap()).sum::<f64>(), 100.0, "the default weights sum to 100");
    let weight = |f: &str| factors.iter().find(|x| x["factor"] == f).unwrap()["weight"].as_f64().unwrap();
    assert_eq!(weight("skills"), 35.0);
    assert!(r["data_not_used"].to_string().contains("geslacht"));
    assert!(r["human_oversight"].as_str().unwrap().contains("klantmanager"));
    // A change of the weights shows at once.
    let (_, me) = app.get("/api/v1/me", Some(&adm)).await;
    let mid = me["municipality_id"].as_str().unwrap();
    let (_, cur) = app.get(&format!("/api/v1/municipalities/{mid}/settings"), Some(&adm)).await;
    let mut settings = cur["settings"].clone();
    settings["weights"]["skills"] = json!(40.0);
    settings["weights"]["distance"] = json!(5.0);
    let (s, e) =
        app.put(&format!("/api/v1/municipalities/{mid}/settings"), Some(&adm), json!({"settings": settings, "version": cur["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (_, r) = app.get("/api/v1/monitor/algorithm-register", Some(&adm)).await;
    assert_eq!(r["factors"].as_array().unwrap().iter().find(|x| x["factor"] == "skills").unwrap()["weight"], 40.0);
    assert_eq!(r["settings_version"], cur["version"].as_i64().unwrap() + 1);
    // Public without a session: the default weights.
    let (s, r) = app.get("/api/v1/monitor/algorithm-register", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["settings_version"], 0);
}
