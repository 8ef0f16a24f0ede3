//! ESCO items as references with the label to show (Dutch where ESCO has one), for every view
//! that names an occupation or a skill.

use serde::Serialize;

/// A reference to an ESCO item with the label to show.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LabelRef {
    pub id: String,
    pub label: String,
    /// `nl`, or `en` where ESCO has no Dutch label.
    pub language: String,
}

pub fn occupation_ref(rd: &crate::refdata::RefData, id: &str) -> LabelRef {
    match rd.occupation(id) {
        Some(o) => LabelRef { id: id.into(), label: o.label_nl.clone(), language: "nl".into() },
        None => LabelRef { id: id.into(), label: id.into(), language: "nl".into() },
    }
}

pub fn skill_ref(rd: &crate::refdata::RefData, id: &str) -> LabelRef {
    match rd.skill(id) {
        Some(s) => LabelRef { id: id.into(), label: s.label().into(), language: s.label_language().into() },
        None => LabelRef { id: id.into(), label: id.into(), language: "nl".into() },
    }
}

/// A skill a placement asks that the candidate lacks, named.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SkillGap {
    pub skill: LabelRef,
    /// Required by the placement (else desired).
    pub required: bool,
}

/// The missing skills of an evaluation with their labels, required first.
pub fn skill_gaps(rd: &crate::refdata::RefData, missing: &[crate::engine::matching::MissingSkill]) -> Vec<SkillGap> {
    missing.iter().map(|m| SkillGap { skill: skill_ref(rd, &m.skill_id), required: m.required }).collect()
}

/// The gap in plain words (B1): "Dit leert u nog: a, b en c." None when nothing is missing.
pub fn to_learn_b1(gaps: &[SkillGap]) -> Option<String> {
    let names: Vec<&str> = gaps.iter().map(|g| g.skill.label.as_str()).collect();
    match names.as_slice() {
        [] => None,
        [one] => Some(format!("Dit leert u nog: {one}.")),
        [init @ .., last] => Some(format!("Dit leert u nog: {} en {last}.", init.join(", "))),
    }
}

/// The gap for staff: "Ontbreekt nog: a (vereist), b (gewenst)." None when nothing is missing.
pub fn gaps_text(gaps: &[SkillGap]) -> Option<String> {
    (!gaps.is_empty()).then(|| {
        let parts: Vec<String> = gaps.iter().map(|g| format!("{} ({})", g.skill.label, if g.required { "vereist" } else { "gewenst" })).collect();
        format!("Ontbreekt nog: {}.", parts.join(", "))
    })
}
