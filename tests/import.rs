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
