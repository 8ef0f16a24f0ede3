//! Index schemas. Bump `SCHEMA_VERSION` whenever a field changes: the index is then rebuilt
//! from the database at start.

use tantivy::schema::*;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, NgramTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenStream, Tokenizer,
};

pub const SCHEMA_VERSION: u32 = 6;
pub const NL_TOKENIZER: &str = "nl_stem";
/// Parts of words (`NGRAM_MIN`..=`NGRAM_MAX` characters), so that a part of a Dutch compound
/// finds the whole: `fiets` finds "fietsenmaker", `zorg` "verzorgende". Each word of a
/// placement's title is indexed as its own value; the labels' words are looked up at query time
/// (`refdata::labels`).
pub const NGRAM_TOKENIZER: &str = "nl_ngram";
pub use crate::text::{nl_analyzer, NGRAM_MAX, NGRAM_MIN};

pub fn ngram_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(NgramTokenizer::new(NGRAM_MIN, NGRAM_MAX, false).expect("valid n-gram sizes"))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers the project's tokenizers on an index.
pub fn register_tokenizers(index: &tantivy::Index) {
    index.tokenizers().register(NL_TOKENIZER, TextAnalyzer::from(Memo::dutch()));
    index.tokenizers().register(NGRAM_TOKENIZER, ngram_analyzer());
}

fn gram_text() -> TextOptions {
    TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(NGRAM_TOKENIZER).set_index_option(IndexRecordOption::WithFreqs))
}

/// `nl_analyzer` up to its stemmer.
fn nl_words() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(40)).filter(LowerCaser).filter(AsciiFoldingFilter).build()
}

/// Texts of at most this many bytes are remembered by [`Memo`].
const MEMO_TEXT_MAX: usize = 160;
/// At most this many texts are remembered by one [`Memo`] (a few MB).
const MEMO_ENTRIES_MAX: usize = 60_000;
/// At most this many words' stems are remembered by one [`Memo`] (a few MB).
const MEMO_STEMS_MAX: usize = 200_000;

/// `nl_analyzer` that remembers what it has done: the tokens of the short texts (thousands of
/// documents share a title) and the stem of every word (descriptions share their words), so
/// each indexing thread analyses a shared title once per segment and stems a word once. The
/// tokens are exactly `nl_analyzer`'s. A clone starts with an empty memory, so the clone the
/// query side takes per query costs nothing, and each segment writer fills its own.
pub struct Memo {
    words: TextAnalyzer,
    stemmer: rust_stemmers::Stemmer,
    stems: rustc_hash::FxHashMap<String, String>,
    seen: rustc_hash::FxHashMap<String, Vec<Token>>,
}

impl Memo {
    pub fn dutch() -> Memo {
        Memo {
            words: nl_words(),
            stemmer: rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::Dutch),
            stems: Default::default(),
            seen: Default::default(),
        }
    }

    /// The tokens of `text`: its words, each with its (remembered) stem as text.
    fn analyse(&mut self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        let mut ts = self.words.token_stream(text);
        while ts.advance() {
            let mut t = ts.token().clone();
            match self.stems.get(&t.text) {
                Some(stem) => stem.clone_into(&mut t.text),
                None => {
                    let stem = self.stemmer.stem(&t.text).into_owned();
                    if self.stems.len() < MEMO_STEMS_MAX {
                        self.stems.insert(std::mem::replace(&mut t.text, stem.clone()), stem);
                    } else {
                        t.text = stem;
                    }
                }
            }
            out.push(t);
        }
        out
    }
}

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::dutch()
    }
}

/// The tokens of one remembered text. A consumer that changes a token changes its own copy.
pub struct MemoStream<'a> {
    tokens: std::borrow::Cow<'a, [Token]>,
    next: usize,
    own: Option<Token>,
}

impl TokenStream for MemoStream<'_> {
    fn advance(&mut self) -> bool {
        self.own = None;
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    /// The current token; like tantivy's own streams, only valid after `advance` returned true.
    fn token(&self) -> &Token {
        match &self.own {
            Some(t) => t,
            None => &self.tokens[self.next - 1],
        }
    }

    fn token_mut(&mut self) -> &mut Token {
        let current = &self.tokens[self.next - 1];
        self.own.get_or_insert_with(|| current.clone())
    }
}

impl Tokenizer for Memo {
    type TokenStream<'a> = MemoStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> MemoStream<'a> {
        let known = self.seen.contains_key(text);
        if !known && (text.len() > MEMO_TEXT_MAX || self.seen.len() >= MEMO_ENTRIES_MAX) {
            return MemoStream { tokens: std::borrow::Cow::Owned(self.analyse(text)), next: 0, own: None };
        }
        if !known {
            let tokens = self.analyse(text);
            self.seen.insert(text.to_string(), tokens);
        }
        let tokens = std::borrow::Cow::Borrowed(self.seen[text].as_slice());
        MemoStream { tokens, next: 0, own: None }
    }
}

/// Text ranked by BM25: frequencies, no positions (no query looks for phrases).
fn nl_text() -> TextOptions {
    TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(NL_TOKENIZER).set_index_option(IndexRecordOption::WithFreqs))
}

/// A number that queries only compare (ranges, sets): a column of values per document. Range
/// queries on fast fields read the column (tantivy's `FastFieldRangeWeight`), and proposals check
/// it per document (`query::Check`), so no posting lists are written for it.
fn num() -> NumericOptions {
    NumericOptions::default().set_fast()
}

/// A number also looked up as a term (`published`: its documents as a bitset, `query::Check::Has`).
fn num_term() -> NumericOptions {
    NumericOptions::default().set_indexed().set_fast()
}

/// A value of the `facets` field: `root/value` (`kind/bbl`, `flag/support`, `place/Den Haag`).
/// The field is a plain string field with a column: one term per value to filter on, and the
/// column to count values with (`query::FacetCount`). A tantivy facet field would also index
/// every value's ancestors (the root `/` and `/kind`), three terms per value, that no query
/// asks for. Roots hold no `/`; values may.
pub fn facet_value(root: &str, value: &str) -> String {
    format!("{root}/{value}")
}

/// The facet value of a flag. Flags are filtered on through this term, so each flag is
/// indexed once, not again in a field of its own.
pub fn flag_facet(name: &str) -> String {
    facet_value("flag", name)
}

#[derive(Clone)]
pub struct PlacementFields {
    pub schema: Schema,
    pub id: Field,
    pub kind: Field,
    pub title: Field,
    pub description: Field,
    /// Word parts of the title (see `NGRAM_TOKENIZER`).
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
        let grams = b.add_text_field("grams", gram_text());
        let occupation_id = b.add_text_field("occupation_id", STRING);
        let skill_ids = b.add_text_field("skill_ids", STRING);
        let required_skill_ids = b.add_text_field("required_skill_ids", STRING);
        let organisation_id = b.add_text_field("organisation_id", STRING);
        let status = b.add_text_field("status", STRING);
        let published = b.add_u64_field("published", num_term());
        let hours_min = b.add_u64_field("hours_min", num());
        let hours_max = b.add_u64_field("hours_max", num());
        let ladder_steps = b.add_u64_field("ladder_steps", num());
        let language_rank = b.add_u64_field("language_rank", num());
        let lat = b.add_f64_field("lat", num());
        let lon = b.add_f64_field("lon", num());
        let pc4 = b.add_text_field("pc4", STRING);
        let created_ts = b.add_u64_field("created_ts", NumericOptions::default().set_fast());
        let facets = b.add_text_field("facets", STRING | FAST);
        PlacementFields {
            schema: b.build(),
            id,
            kind,
            title,
            description,
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
            created_ts,
            facets,
        }
    }
}

/// Candidate documents carry no name, contact data or birth date: only what matching needs.
/// Occupations and skills are there as ids (their labels are looked up at query time); the
/// text field holds only skills described in the candidate's own words.
#[derive(Clone)]
pub struct CandidateFields {
    pub schema: Schema,
    pub id: Field,
    pub municipality_id: Field,
    pub klantmanager_id: Field,
    pub status: Field,
    pub occupation_ids: Field,
    pub skill_ids: Field,
    pub skills_text: Field,
    pub ladder_step: Field,
    pub hours_min: Field,
    pub hours_max: Field,
    pub language_rank: Field,
    pub max_travel_km: Field,
    pub lat: Field,
    pub lon: Field,
    pub pc4: Field,
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
        let skills_text = b.add_text_field("skills_text", nl_text());
        let ladder_step = b.add_u64_field("ladder_step", num());
        let hours_min = b.add_u64_field("hours_min", num());
        let hours_max = b.add_u64_field("hours_max", num());
        let language_rank = b.add_u64_field("language_rank", num());
        let max_travel_km = b.add_u64_field("max_travel_km", num());
        let lat = b.add_f64_field("lat", num());
        let lon = b.add_f64_field("lon", num());
        let pc4 = b.add_text_field("pc4", STRING);
        let created_ts = b.add_u64_field("created_ts", NumericOptions::default().set_fast());
        let facets = b.add_text_field("facets", STRING | FAST);
        CandidateFields {
            schema: b.build(),
            id,
            municipality_id,
            klantmanager_id,
            status,
            occupation_ids,
            skill_ids,
            skills_text,
            ladder_step,
            hours_min,
            hours_max,
            language_rank,
            max_travel_km,
            lat,
            lon,
            pc4,
            created_ts,
            facets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(a: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut out = Vec::new();
        a.token_stream(text).process(&mut |t| out.push((t.text.clone(), t.position, t.offset_from, t.offset_to)));
        out
    }

    #[test]
    fn the_memo_gives_the_analysers_own_tokens_first_time_and_after() {
        let mut plain = nl_analyzer();
        let mut memo = TextAnalyzer::from(Memo::dutch());
        let long = "Medewerker schoonmaak in de zorg, ".repeat(10);
        let other = "Verzorgende in de thuiszorg: ouderen helpen, medewerkers begeleiden en schoonmaken. ".repeat(3);
        let texts = [
            "Fietsenmaker",
            "verzorgende IG",
            "Fietsenmaker",
            "",
            "  ",
            "Café-medewerker (m/v)",
            long.as_str(),
            long.as_str(),
            other.as_str(),
            "medewerkers",
        ];
        for text in texts {
            assert_eq!(tokens(&mut memo, text), tokens(&mut plain, text), "{text:?}");
        }
        assert_eq!(tokens(&mut memo, "verzorgende IG")[0].0, "verzorg");
    }

    #[test]
    fn a_consumer_that_changes_a_token_does_not_change_the_memo() {
        let mut memo = Memo::dutch();
        {
            let mut ts = memo.token_stream("Fietsenmaker");
            assert!(ts.advance());
            ts.token_mut().text = "anders".into();
            assert_eq!(ts.token().text, "anders");
            assert!(!ts.advance());
        }
        let mut ts = memo.token_stream("Fietsenmaker");
        assert!(ts.advance());
        assert_eq!(ts.token().text, "fietsenmaker");
    }
}
