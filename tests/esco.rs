use crate::common;
use actix_web::http::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn suggestions_by_dutch_label_synonym_and_marked_english() {
    let app = common::app().await;
    let (s, v) = app.get("/api/v1/esco/occupations?q=schoonmaker", None).await;
    assert_eq!(s, StatusCode::OK);
    let labels: Vec<&str> = v["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"schoonmaker gebouwen"), "{labels:?}");
    // Diacritics and case do not matter.
    let (_, v2) = app.get("/api/v1/esco/occupations?q=SCHOONMAKER", None).await;
    assert_eq!(v["items"], v2["items"]);
    // A synonym finds its occupation and says which synonym matched.
    let (_, v) = app.get("/api/v1/esco/occupations?q=jachtvlieger", None).await;
    assert_eq!(v["items"][0]["label"], "officier luchtmacht", "{v}");
    assert_eq!(v["items"][0]["matched_synonym"], "jachtvlieger");
    // A skill without a Dutch label is offered in English, marked as such.
    let (_, v) = app.get("/api/v1/esco/skills?q=manage%20musical%20staff", None).await;
    let item = &v["items"][0];
    assert_eq!(item["label"], "manage musical staff", "{v}");
    assert_eq!(item["language"], "en");
    assert!(item["note"].as_str().unwrap().contains("Engels"));
    let skill_id = item["id"].as_str().unwrap().to_string();
    // A beheerder adds a Dutch label: it is found by that label from then on.
    let beh = app.login("beheerder@lochem.demo").await;
    let (s, _) = app.put(&format!("/api/v1/esco/skills/{skill_id}"), Some(&beh), json!({"label_nl": "muzikaal personeel aansturen"})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app.get("/api/v1/esco/skills?q=muzikaal%20personeel", None).await;
    assert_eq!(v["items"][0]["id"], skill_id.as_str());
    assert_eq!(v["items"][0]["language"], "nl");
    // And a municipality's own skill.
    let (s, own) = app.post("/api/v1/esco/skills", Some(&beh), json!({"label_nl": "Lochems fietsonderhoud"})).await;
    assert_eq!(s, StatusCode::CREATED, "{own}");
    let (_, v) = app.get("/api/v1/esco/skills?q=lochems", None).await;
    assert_eq!(v["items"][0]["id"], own["id"]);
    // A werkgever may not change ESCO.
    let w = app.login("werkgever1@demo.nl").await;
    assert_eq!(app.put(&format!("/api/v1/esco/skills/{skill_id}"), Some(&w), json!({"label_nl": "x"})).await.0, StatusCode::FORBIDDEN);
    // Occupation detail lists essential skills.
    let occ = app.get("/api/v1/esco/occupations?q=schoonmaker%20gebouwen&limit=1", None).await.1["items"][0]["id"].as_str().unwrap().to_string();
    let (s, d) = app.get(&format!("/api/v1/esco/occupations/{occ}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!d["essential_skills"].as_array().unwrap().is_empty());
    let (s, p) = app.get("/api/v1/pc4/7241", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["municipality"], "Lochem");
}
