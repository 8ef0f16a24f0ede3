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
