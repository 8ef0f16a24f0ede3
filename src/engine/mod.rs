//! The matching engine: what turns a candidate or a placement into ranked, explained proposals.
//!
//! - `matching`: the rules of one pair (hard exclusions, factors, score, explanation, the
//!   instruments LKS, job coach and SROI), pure functions of the features;
//! - `features`: the in-memory features of every placement and candidate, fed from the change
//!   feed at the index's position;
//! - `relatedness`: how near two ESCO occupations are (computed from ESCO and stored);
//! - `ranking`: retrieval from the search index, the features, the rules and the ranking of
//!   both directions.
//!
//! Below it: `domain` (the rules of the Participatiewet), `refdata`, `search` (the tantivy
//! index) and `db`. Above it: the services.

pub mod features;
pub mod follow;
pub mod matching;
pub mod ranking;
pub mod relatedness;

/// The engine's handle: the search index it retrieves from and the features it scores with,
/// both at the same position of the change feed (see `follow`). Derefs to the index.
#[derive(Clone)]
pub struct Engine {
    pub index: crate::search::SearchIndex,
    pub features: crate::engine::features::FeatureStore,
}

impl std::ops::Deref for Engine {
    type Target = crate::search::SearchIndex;
    fn deref(&self) -> &crate::search::SearchIndex {
        &self.index
    }
}
