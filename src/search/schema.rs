//! Index schemas. Bump `SCHEMA_VERSION` whenever a field changes: the index is then rebuilt
//! from the database at start.

use tantivy::schema::*;
use tantivy::tokenizer::{AsciiFoldingFilter, Language, LowerCaser, NgramTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer};

pub const SCHEMA_VERSION: u32 = 4;
pub const NL_TOKENIZER: &str = "nl_stem";
/// Parts of words (4 and 5 characters), so that a part of a Dutch compound finds the whole:
/// `fiets` finds "fietsenmaker", `zorg` "verzorgende". Each word is indexed as its own value.
pub const NGRAM_TOKENIZER: &str = "nl_ngram";
/// The gram length the query side uses for a word of 5 characters or more.
pub const NGRAM_MAX: usize = 5;
pub const NGRAM_MIN: usize = 4;

pub fn ngram_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(NgramTokenizer::new(NGRAM_MIN, NGRAM_MAX, false).expect("valid n-gram sizes"))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers the project's tokenizers on an index.
pub fn register_tokenizers(index: &tantivy::Index) {
    index.tokenizers().register(NL_TOKENIZER, nl_analyzer());
    index.tokenizers().register(NGRAM_TOKENIZER, ngram_analyzer());
}

fn gram_text() -> TextOptions {
    TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(NGRAM_TOKENIZER).set_index_option(IndexRecordOption::WithFreqs))
}

pub fn nl_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::Dutch))
        .build()
}

fn nl_text() -> TextOptions {
    TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(NL_TOKENIZER).set_index_option(IndexRecordOption::WithFreqsAndPositions))
}

fn num() -> NumericOptions {
    NumericOptions::default().set_indexed().set_fast()
}

#[derive(Clone)]
pub struct PlacementFields {
    pub schema: Schema,
    pub id: Field,
    pub kind: Field,
    pub title: Field,
    pub description: Field,
    pub occupation: Field,
    pub skills_text: Field,
    /// Word parts of the title, occupation labels and skill labels (see `NGRAM_TOKENIZER`).
    pub grams: Field,
    pub occupation_id: Field,
    pub skill_ids: Field,
    pub required_skill_ids: Field,
    pub organisation_id: Field,
    pub status: Field,
    pub published: Field,
    pub hours_min: Field,
    pub hours_max: Field,
    pub ladder_steps: Field,
    pub language_rank: Field,
    pub lat: Field,
    pub lon: Field,
    pub pc4: Field,
    pub flags: Field,
    pub created_ts: Field,
    pub facets: Field,
}

impl PlacementFields {
    pub fn build() -> Self {
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING | STORED);
        let kind = b.add_text_field("kind", STRING);
        let title = b.add_text_field("title", nl_text());
        let description = b.add_text_field("description", nl_text());
        let occupation = b.add_text_field("occupation", nl_text());
        let skills_text = b.add_text_field("skills_text", nl_text());
        let grams = b.add_text_field("grams", gram_text());
        let occupation_id = b.add_text_field("occupation_id", STRING);
        let skill_ids = b.add_text_field("skill_ids", STRING);
        let required_skill_ids = b.add_text_field("required_skill_ids", STRING);
        let organisation_id = b.add_text_field("organisation_id", STRING);
        let status = b.add_text_field("status", STRING);
        let published = b.add_u64_field("published", num());
        let hours_min = b.add_u64_field("hours_min", num());
        let hours_max = b.add_u64_field("hours_max", num());
        let ladder_steps = b.add_u64_field("ladder_steps", num());
        let language_rank = b.add_u64_field("language_rank", num());
        let lat = b.add_f64_field("lat", num());
        let lon = b.add_f64_field("lon", num());
        let pc4 = b.add_text_field("pc4", STRING);
        let flags = b.add_text_field("flags", STRING);
        let created_ts = b.add_u64_field("created_ts", NumericOptions::default().set_fast());
        let facets = b.add_facet_field("facets", FacetOptions::default());
        PlacementFields {
            schema: b.build(),
            id,
            kind,
            title,
            description,
            occupation,
            skills_text,
            grams,
            occupation_id,
            skill_ids,
            required_skill_ids,
            organisation_id,
            status,
            published,
            hours_min,
            hours_max,
            ladder_steps,
            language_rank,
            lat,
            lon,
            pc4,
            flags,
            created_ts,
            facets,
        }
    }
}

/// Candidate documents carry no name, contact data or birth date: only what matching needs.
#[derive(Clone)]
pub struct CandidateFields {
    pub schema: Schema,
    pub id: Field,
    pub municipality_id: Field,
    pub klantmanager_id: Field,
    pub status: Field,
    pub occupation_ids: Field,
    pub skill_ids: Field,
    pub occupations_text: Field,
    pub skills_text: Field,
    pub ladder_step: Field,
    pub hours_min: Field,
    pub hours_max: Field,
    pub language_rank: Field,
    pub max_travel_km: Field,
    pub lat: Field,
    pub lon: Field,
    pub pc4: Field,
    pub flags: Field,
    pub created_ts: Field,
    pub facets: Field,
}

impl CandidateFields {
    pub fn build() -> Self {
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING | STORED);
        let municipality_id = b.add_text_field("municipality_id", STRING);
        let klantmanager_id = b.add_text_field("klantmanager_id", STRING);
        let status = b.add_text_field("status", STRING);
        let occupation_ids = b.add_text_field("occupation_ids", STRING);
        let skill_ids = b.add_text_field("skill_ids", STRING);
        let occupations_text = b.add_text_field("occupations_text", nl_text());
        let skills_text = b.add_text_field("skills_text", nl_text());
        let ladder_step = b.add_u64_field("ladder_step", num());
        let hours_min = b.add_u64_field("hours_min", num());
        let hours_max = b.add_u64_field("hours_max", num());
        let language_rank = b.add_u64_field("language_rank", num());
        let max_travel_km = b.add_u64_field("max_travel_km", num());
        let lat = b.add_f64_field("lat", num());
        let lon = b.add_f64_field("lon", num());
        let pc4 = b.add_text_field("pc4", STRING);
        let flags = b.add_text_field("flags", STRING);
        let created_ts = b.add_u64_field("created_ts", NumericOptions::default().set_fast());
        let facets = b.add_facet_field("facets", FacetOptions::default());
        CandidateFields {
            schema: b.build(),
            id,
            municipality_id,
            klantmanager_id,
            status,
            occupation_ids,
            skill_ids,
            occupations_text,
            skills_text,
            ladder_step,
            hours_min,
            hours_max,
            language_rank,
            max_travel_km,
            lat,
            lon,
            pc4,
            flags,
            created_ts,
            facets,
        }
    }
}
