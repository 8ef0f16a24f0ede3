//! The Dutch text analysis shared by the search index and the label lookup of the reference
//! data: words, lowercased, accents folded, Dutch stems; and the lengths of word parts.

use tantivy::tokenizer::{AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer};

/// The gram length the query side uses for a word of 5 characters or more.
pub const NGRAM_MAX: usize = 5;
pub const NGRAM_MIN: usize = 4;

/// The analyser of the text fields: words, lowercased, accents folded, Dutch stems.
pub fn nl_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::Dutch))
        .build()
}
