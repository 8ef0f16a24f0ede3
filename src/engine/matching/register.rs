//! A machine-readable description of the matcher for the public algorithm register
//! (algoritmeregister.overheid.nl) and AI Act transparency (Annex III 4(a): high-risk, employment).
//! Built from the code's own factor list and the weights in force, so it cannot drift from them.

use crate::domain::settings::Settings;
use serde_json::{json, Value};

pub fn describe(s: &Settings, settings_version: i32) -> Value {
    let w = &s.weights;
    let factor = |code: &str, weight: f64, what: &str| json!({"factor": code, "name": crate::engine::matching::explain::factor_label(code), "weight": weight, "description": what});
    json!({
        "name": "Opstap matcher",
        "organisation_type": "gemeente (Participatiewet, Werk)",
        "purpose": "Stelt een klantmanager Werk passende plekken voor bij een kandidaat, en kandidaten bij een plek, met uitleg per factor. De klantmanager beslist; de matcher neemt geen besluit.",
        "legal_basis": ["Participatiewet art. 7 (arbeidsinschakeling)", "AVG art. 6 lid 1 sub e", "UAVG art. 30 (gezondheidsgegevens, alleen klantmanager)"],
        "ai_act": {"classification": "hoog risico (bijlage III, punt 4(a): werkgelegenheid)", "type": "regelgebaseerd, gewogen scoremodel; geen machine learning, geen training op persoonsgegevens"},
        "human_oversight": "Elk voorstel toont de bijdrage en uitleg van elke factor. Alleen een klantmanager kan een kandidaat voorstellen; de kandidaat geeft toestemming voor een kennismaking; de werkgever ziet een anoniem profiel tot kandidaat en klantmanager toestemming gaven.",
        "hard_rules": [
            {"rule": "open", "description": "Alleen open plekken van gecontroleerde werkgevers."},
            {"rule": "status", "description": "Alleen actieve kandidaten."},
            {"rule": "consent", "description": "Alleen kandidaten die toestemming gaven voor matching."},
            {"rule": "beschut_werk", "description": "Beschut werk alleen met een indicatie beschut werk (Pw art. 10b)."},
            {"rule": "language", "description": "Het vereiste taalniveau Nederlands."},
            {"rule": "hours", "description": "De uren van kandidaat en plek moeten overlappen."},
            {"rule": "distance", "description": format!("De reisafstand van de kandidaat; zonder eigen vervoer hoogstens {} km.", s.no_transport_max_km)},
            {"rule": "ladder_step", "description": "De plek moet passen bij de trede op de participatieladder."}
        ],
        "factors": [
            factor("skills", w.skills, "Overlap van beroepen en ESCO-vaardigheden (ook verwante beroepen via gedeelde essentiële vaardigheden)."),
            factor("ladder", w.ladder, "Past de plek bij de huidige trede en de volgende stap op de participatieladder."),
            factor("distance", w.distance, "Afstand tussen de postcodegebieden (PC4) van woonplaats en werkplek."),
            factor("hours", w.hours, "Hoe goed de uren aansluiten bij de wens."),
            factor("language", w.language, "Taalniveau ten opzichte van de eis."),
            factor("support", w.support, "Begeleiding die de werkplek biedt tegenover wat de kandidaat nodig heeft."),
            factor("start_date", w.start_date, "Beschikbaarheid ten opzichte van de startdatum."),
            factor("under_27", w.under_27, "Jongeren onder 27: opleiding en BBL gaan voor (de enige plek waar leeftijd meetelt)."),
            factor("statushouder", w.statushouder, "Statushouders: plekken die werk en Nederlands leren combineren."),
            factor("instruments", w.instruments, "Regelingen die de plek mogelijk maken (loonkostensubsidie, jobcoach, no-riskpolis, social return)."),
            factor("wishes", w.wishes, "De eigen wensen van de kandidaat: sector en soort werk (geen wens opgegeven telt niet tegen).")
        ],
        "weights_total": w.total(),
        "settings_version": settings_version,
        "data_used": ["ESCO-beroepen en -vaardigheden", "trede participatieladder", "uren", "reisafstand en vervoer", "PC4 (geen adres)", "taalniveau", "ondersteuningsbehoefte (ja/nee, jobcoach)", "loonwaarde (voor loonkostensubsidie)", "beschikbaarheid", "leeftijd onder 27 (ja/nee)", "statushouder (ja/nee)", "doelgroepregister (voor regelingen)", "eigen wensen: sector en soort werk"],
        "data_not_used": ["naam, contactgegevens, adres, geboortedatum (alleen 'onder 27')", "geslacht", "nationaliteit, afkomst", "religie", "diagnose en medische details", "BSN (wordt niet vastgelegd)"],
        "logging": {
            "proposals": "Elke vraag aan de matcher wordt vastgelegd: wie, rol, wanneer, versie van de instellingen, resultaten met bijdrage per factor (proposal_logs).",
            "decisions": "Elke stap van een voorstel (voorstel, toestemming, interesse, kennismaking, uitkomst) met wie en wanneer (match_events).",
            "access": "Elke inzage of wijziging van persoonsgegevens (audit_log), voor de kandidaat zelf in te zien."
        },
        "retention": {"audit_log_min_days": 183},
        "fairness_test": "Een test zorgt dat naam, contactgegevens en gezondheidsnotities geen invloed hebben op de score.",
        "source": "Opstap, src/engine/matching/ (open source, EUPL-1.2)"
    })
}
