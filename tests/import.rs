//! The caseload import as a municipality runs it: `opstap import-caseload` on a CSV file written
//! the way Excel writes it (Windows-1252, semicolons).

use crate::cli::opstap;
use crate::common;
use diesel::prelude::*;

fn import(db: &common::TestDb, file: &std::path::Path, extra: &[&str]) -> (bool, String) {
    let mut c = opstap(db);
    c.arg("import-caseload").arg(file).args(["--municipality", "Lochem"]).args(extra);
    let out = c.output().expect("run opstap");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// The file as Excel saves "CSV (puntkomma)": Windows-1252.
fn write_1252(path: &std::path::Path, text: &str) {
    let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!bad);
    std::fs::write(path, bytes).unwrap();
}

const HEADER: &str = "klantnummer;voornaam;achternaam;geboortedatum;postcode;uitkering;aanmelddatum;klantmanager;trede;beroepen;toestemming_matching";

fn caseload(last_name_of_7: &str) -> String {
    let mut s = format!("{HEADER}\r\n");
    for i in 0..500 {
        let birth = if i == 9 { "31-02-1990" } else { "17-05-1990" };
        let km = if i == 199 { "onbekend@elders.nl" } else { "klantmanager1@lochem.demo" };
        let pc = if i == 399 { "0000" } else { "7241 AB" };
        let last = if i == 7 { last_name_of_7.to_string() } else { format!("Import{i}") };
        let benefit = ["participatiewet", "geen", "IOAW"][i % 3];
        s.push_str(&format!("L{i:05};René;{last};{birth};{pc};{benefit};10-02-2025;{km};3;magazijnmedewerker;ja\r\n"));
    }
    s
}

fn imported(db: &common::TestDb) -> Vec<(String, i32, String, chrono::NaiveDate)> {
    use opstap::db::schema::candidates;
    let mut conn = opstap::db::connect(&db.url, 1).unwrap().get().unwrap();
    candidates::table
        .filter(candidates::client_number.like("L%"))
        .select((candidates::client_number.assume_not_null(), candidates::version, candidates::first_name, candidates::registration_date))
        .order(candidates::client_number)
        .load(&mut conn)
        .unwrap()
}

#[actix_web::test]
async fn a_caseload_comes_in_from_a_client_system_file_once() {
    let db = common::fresh_db();
    let file = db.dir.path().join("caseload.csv");
    write_1252(&file, &caseload("Import7"));

    // A dry run: the three rows that cannot be taken are named; nothing is written.
    let (ok, out) = import(&db, &file, &[]);
    assert!(ok, "{out}");
    assert!(out.contains("500 rijen gelezen: 497 goed (497 nieuw, 0 bekend), 3 niet over te nemen"), "{out}");
    assert!(out.contains("Proefrun"), "{out}");
    assert!(out.contains("regel 11, geboortedatum") && out.contains("regel 201, klantmanager") && out.contains("regel 401, postcode"), "{out}");
    assert!(imported(&db).is_empty());

    // Applied: 497 people, with the file's registration date and the name as written (é).
    let report = db.dir.path().join("verslag.csv");
    let (ok, out) = import(&db, &file, &["--apply", "--report", report.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("Ingelezen: 497 aangemaakt, 0 gewijzigd, 0 ongewijzigd"), "{out}");
    let rows = imported(&db);
    assert_eq!(rows.len(), 497);
    assert!(rows.iter().all(|(_, v, first, reg)| *v == 1 && first == "René" && reg.to_string() == "2025-02-10"), "{:?}", &rows[..2]);
    let csv = std::fs::read_to_string(&report).unwrap();
    assert!(csv.starts_with("\u{feff}rij;kolom;waarde;reden"), "{csv}");
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains("11;geboortedatum;31-02-1990;"), "{csv}");

    // The same file again: nothing new, nothing changed.
    let (ok, out) = import(&db, &file, &["--apply"]);
    assert!(ok, "{out}");
    assert!(out.contains("(0 nieuw, 497 bekend)") && out.contains("0 aangemaakt, 0 gewijzigd, 497 ongewijzigd"), "{out}");
    // One changed row raises that person's version, and only hers.
    write_1252(&file, &caseload("Getrouwd-Import7"));
    let (ok, out) = import(&db, &file, &["--apply"]);
    assert!(ok, "{out}");
    assert!(out.contains("0 aangemaakt, 1 gewijzigd, 496 ongewijzigd"), "{out}");
    let rows = imported(&db);
    let changed: Vec<&String> = rows.iter().filter(|(_, v, _, _)| *v == 2).map(|(n, _, _, _)| n).collect();
    assert_eq!(changed, ["L00007"]);

    // Never a BSN: a column named so, or a value passing the elfproef, refuses the whole file.
    let bsn = db.dir.path().join("bsn.csv");
    write_1252(&bsn, &format!("{HEADER};BSN\r\nL90001;Anna;Bsn;17-05-1990;7241;geen;10-02-2025;klantmanager1@lochem.demo;3;;ja;111222333\r\n"));
    let (ok, out) = import(&db, &bsn, &["--apply"]);
    assert!(!ok && out.contains("BSN"), "{out}");
    let hidden = db.dir.path().join("verstopt.csv");
    write_1252(
        &hidden,
        &format!("{HEADER};notitie\r\nL90002;Anna;Elf;17-05-1990;7241;geen;10-02-2025;klantmanager1@lochem.demo;3;;ja;111222333\r\n"),
    );
    let (ok, out) = import(&db, &hidden, &["--apply"]);
    assert!(!ok && out.contains("elfproef"), "{out}");
    assert_eq!(imported(&db).len(), 497, "nothing of a refused file is written");

    // The template explains every column.
    let mut c = opstap(&db);
    c.args(["import-caseload", "--template"]);
    let out = String::from_utf8_lossy(&c.output().unwrap().stdout).to_string();
    assert!(out.contains("klantnummer;voornaam;achternaam;geboortedatum") && out.contains("nooit een BSN"), "{out}");
}

/// A multipart/form-data body: (part name, file name, content).
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let b = "opstap-grens-7241";
    let mut body = vec![];
    for (name, file, data) in parts {
        let file = file.map(|f| format!("; filename=\"{f}\"")).unwrap_or_default();
        body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

async fn upload<S, B>(app: &common::TestApp<S>, tok: &str, name: &str, file: &[u8], apply: bool) -> (actix_web::http::StatusCode, serde_json::Value)
where
    S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let apply = if apply { "true" } else { "false" };
    let (ct, body) = multipart(&[("file", Some(name), file), ("apply", None, apply.as_bytes())]);
    let req = actix_web::test::TestRequest::post()
        .uri("/api/v1/import-caseload")
        .insert_header(("Authorization", format!("Bearer {tok}")))
        .insert_header(("Content-Type", ct))
        .set_payload(body);
    let (s, _, v) = app.raw(req).await;
    (s, v)
}

#[actix_web::test]
async fn a_beheerder_imports_over_the_api_and_search_matcher_and_monitor_know_the_people() {
    let app = common::app().await;
    let adm = app.login("beheerder@lochem.demo").await;
    let km = app.login("klantmanager1@lochem.demo").await;
    let text = caseload("Import7");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    let found = |v: &serde_json::Value| v["total"].as_u64().unwrap_or(0);
    let (_, before) = app.get("/api/v1/search/candidates?q=magazijnmedewerker&limit=1", Some(&km)).await;
    let inflow = |m: &serde_json::Value| m["total"]["flow"]["instroom"].as_u64().unwrap();
    let (_, q1_before) = app.get("/api/v1/monitor?quarter=2025-Q1", Some(&adm)).await;

    // Only the beheerder imports.
    assert_eq!(upload(&app, &km, "export.csv", &bytes, true).await.0, actix_web::http::StatusCode::FORBIDDEN);
    // A dry run names the three rows and writes nothing.
    let (s, v) = upload(&app, &adm, "export.csv", &bytes, false).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["rows"].as_u64(), v["valid"].as_u64(), v["applied"].as_bool()), (Some(500), Some(497), Some(false)), "{v}");
    let rows: Vec<u64> = v["issues"].as_array().unwrap().iter().map(|i| i["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, [11, 201, 401], "{v}");
    // Applied.
    let (s, v) = upload(&app, &adm, "export.csv", &bytes, true).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["created"].as_u64(), v["changed"].as_u64()), (Some(497), Some(0)), "{v}");
    let run = v["id"].as_str().unwrap().to_string();
    let req = actix_web::test::TestRequest::get()
        .uri(&format!("/api/v1/import-runs/{run}/report.csv"))
        .insert_header(("Authorization", format!("Bearer {adm}")));
    let resp = actix_web::test::call_service(&app.svc, req.to_request()).await;
    assert_eq!(resp.status(), 200);
    let csv = String::from_utf8(actix_web::test::read_body(resp).await.to_vec()).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains("201;klantmanager;onbekend@elders.nl;"), "{csv}");
    // Another municipality's beheerder does not see the run.
    let zutphen = app.login("beheerder@zutphen.demo").await;
    assert_eq!(app.get(&format!("/api/v1/import-runs/{run}/report.csv"), Some(&zutphen)).await.0, 404);
    // The same file again: nothing created, nothing changed; both runs are listed.
    let (_, v) = upload(&app, &adm, "export.csv", &bytes, true).await;
    assert_eq!((v["created"].as_u64(), v["changed"].as_u64(), v["unchanged"].as_u64()), (Some(0), Some(0), Some(497)), "{v}");
    let (_, runs) = app.get("/api/v1/import-runs", Some(&adm)).await;
    assert_eq!(runs.as_array().map(Vec::len), Some(3), "{runs}");

    // Search finds the 497, the matcher knows them, and the quarter's instroom follows the file's
    // registration date (10-02-2025), not today.
    app.flush_index().await;
    let (_, after) = app.get("/api/v1/search/candidates?q=magazijnmedewerker&limit=1", Some(&km)).await;
    assert_eq!(found(&after), found(&before) + 497, "{after}");
    let id: String = app
        .db(|c| {
            use opstap::db::schema::candidates;
            candidates::table.filter(candidates::client_number.eq("L00001")).select(candidates::id).first(c).unwrap()
        })
        .await;
    let (s, p) = app.get(&format!("/api/v1/candidates/{id}/proposals?include_excluded=true&limit=50"), Some(&km)).await;
    assert_eq!(s, 200, "{p}");
    assert!(!p["proposals"].as_array().unwrap().is_empty(), "{p}");
    let (_, q1) = app.get("/api/v1/monitor?quarter=2025-Q1", Some(&adm)).await;
    assert_eq!(inflow(&q1), inflow(&q1_before) + 497, "{q1}");

    // A file with a BSN is refused with the reason, as a 422 on the file.
    let bsn = format!("{HEADER};BSN\r\nL90001;Anna;Bsn;17-05-1990;7241;geen;10-02-2025;klantmanager1@lochem.demo;3;;ja;111222333\r\n");
    let (s, v) = upload(&app, &adm, "bsn.csv", bsn.as_bytes(), true).await;
    common::assert_field_error(s, &v, "file");
    assert!(v.to_string().contains("BSN"), "{v}");

    // An Excel workbook: numbers and dates as Excel keeps them.
    let path = app.db.dir.path().join("export.xlsx");
    {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["klantnummer", "voornaam", "achternaam", "geboortedatum", "postcode", "uitkering", "aanmelddatum", "klantmanager", "trede"]
            .iter()
            .enumerate()
        {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        let date = rust_xlsxwriter::Format::new().set_num_format("dd-mm-yyyy");
        for r in 1..=2u32 {
            sheet.write_number(r, 0, 880000.0 + r as f64).unwrap();
            sheet.write_string(r, 1, "Excel").unwrap();
            sheet.write_string(r, 2, format!("Werkboek{r}")).unwrap();
            sheet.write_datetime_with_format(r, 3, rust_xlsxwriter::ExcelDateTime::from_ymd(1991, 3, r as u8).unwrap(), &date).unwrap();
            sheet.write_number(r, 4, 7241.0).unwrap();
            sheet.write_string(r, 5, "ioaw").unwrap();
            sheet.write_datetime_with_format(r, 6, rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 4, 1).unwrap(), &date).unwrap();
            sheet.write_string(r, 7, "klantmanager1@lochem.demo").unwrap();
            sheet.write_number(r, 8, 2.0).unwrap();
        }
        book.save(&path).unwrap();
    }
    let (s, v) = upload(&app, &adm, "export.xlsx", &std::fs::read(&path).unwrap(), true).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["created"].as_u64(), Some(2), "{v}");
    let excel: Vec<(String, chrono::NaiveDate, chrono::NaiveDate)> = app
        .db(|c| {
            use opstap::db::schema::candidates;
            candidates::table
                .filter(candidates::first_name.eq("Excel"))
                .select((candidates::client_number.assume_not_null(), candidates::birth_date, candidates::registration_date))
                .order(candidates::client_number)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(excel[0].0, "880001");
    assert_eq!((excel[0].1.to_string(), excel[1].2.to_string()), ("1991-03-01".into(), "2025-04-01".into()));
}

/// The example mappings in docs/import are valid mappings.
#[test]
fn the_documented_example_mappings_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/import");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let m = opstap::service::import::Mapping::parse(&std::fs::read_to_string(&p).unwrap());
            assert!(m.is_ok(), "{}: {:?}", p.display(), m.err());
            n += 1;
        }
    }
    assert!(n >= 2, "examples found: {n}");
    assert!(opstap::service::import::Mapping::parse(r#"{"columns": {"bsn": "BSN"}}"#).unwrap_err().contains("Onbekend veld"));
}
