//! The words of the occupation and skill labels (reference data), for free-text search.
//!
//! Documents carry the ids of their occupation and skills, not the labels' texts: thousands of
//! documents share each label, and analysing and indexing its words per document was about
//! half the cost of a rebuild. A word typed into a search is looked up here instead, and
//! becomes "has one of these occupation or skill ids": the same documents, found at query time
//! from the labels as they are now (a label that changes needs no reindex).
//!
//! Three look-ups, each the same rule the index applied to the texts before:
//! - `exact`: the labels with the word's Dutch stem (the analyser of the text fields);
//! - `near`: the labels with a stem at most one edit away (insert, delete, substitute or swap
//!   two neighbours: tantivy's `FuzzyTermQuery` with distance 1 and transpositions);
//! - `containing`: the labels with a word that holds every part of the typed word
//!   (`NGRAM_MIN`..=`NGRAM_MAX` characters): "fiets" finds "fietsenmaker".

use super::{fold, OccupationInfo, SkillInfo};
use crate::text::{nl_analyzer, NGRAM_MAX, NGRAM_MIN};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};

/// Occupations and skills (indexes into `RefData::occupations` / `skills`), ascending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labelled {
    pub occupations: Vec<u32>,
    pub skills: Vec<u32>,
}

impl Labelled {
    pub fn is_empty(&self) -> bool {
        self.occupations.is_empty() && self.skills.is_empty()
    }

    fn extend(&mut self, other: &Labelled) {
        self.occupations.extend_from_slice(&other.occupations);
        self.skills.extend_from_slice(&other.skills);
    }

    fn tidy(&mut self) {
        self.occupations.sort_unstable();
        self.occupations.dedup();
        self.skills.sort_unstable();
        self.skills.dedup();
    }
}

#[derive(Default)]
pub struct LabelIndex {
    /// Each distinct stem of the labels and where it occurs.
    stems: Vec<(String, Labelled)>,
    stem_ids: FxHashMap<String, u32>,
    /// (hash of a stem, or of a stem with one character left out; stem), sorted: candidates for
    /// `near`, checked with the edit distance.
    near_keys: Vec<(u64, u32)>,
    /// Each distinct folded word (`NGRAM_MIN` characters or more) of the labels.
    words: Vec<(String, Labelled)>,
    /// (hash of a word part; word), sorted: candidates for `containing`, checked on the word.
    parts: Vec<(u64, u32)>,
}

impl std::fmt::Debug for LabelIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelIndex").field("stems", &self.stems.len()).field("words", &self.words.len()).finish()
    }
}

fn hash(s: &str) -> u64 {
    let mut h = FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// The text with the character at `skip` (a char index) left out.
fn without(chars: &[char], skip: usize) -> String {
    chars.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, c)| c).collect()
}

/// The folded words of a text that word parts are looked for in.
pub fn part_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= NGRAM_MIN).map(fold)
}

/// The parts of a folded word that must all be in a word that contains it (none: too short).
pub fn word_parts(folded: &str) -> Vec<String> {
    let chars: Vec<char> = folded.chars().collect();
    if chars.len() < NGRAM_MIN {
        return Vec::new();
    }
    let n = chars.len().min(NGRAM_MAX);
    (0..=chars.len() - n).map(|i| chars[i..i + n].iter().collect()).collect()
}

fn range(keys: &[(u64, u32)], key: u64) -> &[(u64, u32)] {
    let lo = keys.partition_point(|(k, _)| *k < key);
    let hi = keys.partition_point(|(k, _)| *k <= key);
    &keys[lo..hi]
}

#[derive(Clone, Copy)]
enum Of {
    Occupation(u32),
    Skill(u32),
}

fn put(map: &mut FxHashMap<String, u32>, list: &mut Vec<(String, Labelled)>, key: &str, of: Of) {
    let i = match map.get(key) {
        Some(&i) => i,
        None => {
            let i = list.len() as u32;
            map.insert(key.to_string(), i);
            list.push((key.to_string(), Labelled::default()));
            i
        }
    };
    let l = &mut list[i as usize].1;
    match of {
        Of::Occupation(o) => l.occupations.push(o),
        Of::Skill(s) => l.skills.push(s),
    }
}

impl LabelIndex {
    /// Every label of every occupation (the Dutch label and the alternative ones) and the label
    /// of every skill (`SkillInfo::label`): what the documents carried before.
    pub fn build(occupations: &[OccupationInfo], skills: &[SkillInfo]) -> LabelIndex {
        let mut analyser = nl_analyzer();
        let mut ix = LabelIndex::default();
        let mut word_ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut add = |ix: &mut LabelIndex, text: &str, of: Of| {
            let mut stems = Vec::new();
            analyser.token_stream(text).process(&mut |t| stems.push(t.text.clone()));
            for st in stems {
                put(&mut ix.stem_ids, &mut ix.stems, &st, of);
            }
            for w in part_words(text) {
                put(&mut word_ids, &mut ix.words, &w, of);
            }
        };
        for (i, o) in occupations.iter().enumerate() {
            for label in std::iter::once(&o.label_nl).chain(&o.alt_labels) {
                add(&mut ix, label, Of::Occupation(i as u32));
            }
        }
        for (i, s) in skills.iter().enumerate() {
            add(&mut ix, s.label(), Of::Skill(i as u32));
        }
        for (i, (stem, l)) in ix.stems.iter_mut().enumerate() {
            l.tidy();
            let chars: Vec<char> = stem.chars().collect();
            ix.near_keys.push((hash(stem), i as u32));
            for skip in 0..chars.len() {
                ix.near_keys.push((hash(&without(&chars, skip)), i as u32));
            }
        }
        ix.near_keys.sort_unstable();
        ix.near_keys.dedup();
        for (i, (word, l)) in ix.words.iter_mut().enumerate() {
            l.tidy();
            let chars: Vec<char> = word.chars().collect();
            for n in NGRAM_MIN..=NGRAM_MAX.min(chars.len()) {
                for start in 0..=chars.len() - n {
                    let part: String = chars[start..start + n].iter().collect();
                    ix.parts.push((hash(&part), i as u32));
                }
            }
        }
        ix.parts.sort_unstable();
        ix.parts.dedup();
        ix
    }

    /// The labels with this stem (a token of the text fields' analyser).
    pub fn exact(&self, stem: &str) -> Option<&Labelled> {
        self.stem_ids.get(stem).map(|&i| &self.stems[i as usize].1)
    }

    /// The labels with a stem at most one edit from this one (itself included).
    pub fn near(&self, stem: &str) -> Labelled {
        let chars: Vec<char> = stem.chars().collect();
        let mut keys = vec![hash(stem)];
        keys.extend((0..chars.len()).map(|skip| hash(&without(&chars, skip))));
        let mut found: Vec<u32> = keys.into_iter().flat_map(|k| range(&self.near_keys, k).iter().map(|(_, s)| *s)).collect();
        found.sort_unstable();
        found.dedup();
        let mut out = Labelled::default();
        for s in found {
            let (text, l) = &self.stems[s as usize];
            if strsim::osa_distance(text, stem) <= 1 {
                out.extend(l);
            }
        }
        out.tidy();
        out
    }

    /// The labels with a word that holds every part of this folded word (empty when the word
    /// is shorter than `NGRAM_MIN`).
    pub fn containing(&self, folded: &str) -> Labelled {
        let parts = word_parts(folded);
        let mut out = Labelled::default();
        // Candidates from the rarest part; each checked for every part.
        let Some(rarest) = parts.iter().map(|p| range(&self.parts, hash(p))).min_by_key(|r| r.len()) else { return out };
        for &(_, w) in rarest {
            let (word, l) = &self.words[w as usize];
            if parts.iter().all(|p| word.contains(p.as_str())) {
                out.extend(l);
            }
        }
        out.tidy();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::TokenStream;

    fn occupation(label: &str, alts: &[&str]) -> OccupationInfo {
        OccupationInfo::for_test(label, alts)
    }

    fn skill(label: &str) -> SkillInfo {
        SkillInfo::for_test(label)
    }

    fn index() -> (Vec<OccupationInfo>, Vec<SkillInfo>, LabelIndex) {
        let occupations = vec![
            occupation("fietsenmaker", &["rijwielhersteller", "fietsreparateur"]),
            occupation("verzorgende IG", &["verzorgende in de thuiszorg"]),
            occupation("kok", &["zelfstandig werkend kok", "café-medewerker"]),
        ];
        let skills = vec![skill("fietsen repareren"), skill("klanten helpen"), skill("zorg verlenen aan ouderen"), skill("koken")];
        let ix = LabelIndex::build(&occupations, &skills);
        (occupations, skills, ix)
    }

    /// What the index did per document before: the analyser's stems of every label.
    fn stems_of(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        nl_analyzer().token_stream(text).process(&mut |t| out.push(t.text.clone()));
        out
    }

    fn all_labels<'a>(occupations: &'a [OccupationInfo], skills: &'a [SkillInfo]) -> Vec<(Of, &'a str)> {
        let mut out = Vec::new();
        for (i, o) in occupations.iter().enumerate() {
            for l in std::iter::once(&o.label_nl).chain(&o.alt_labels) {
                out.push((Of::Occupation(i as u32), l.as_str()));
            }
        }
        for (i, s) in skills.iter().enumerate() {
            out.push((Of::Skill(i as u32), s.label()));
        }
        out
    }

    /// The labels for which `keep` holds, by brute force over every label.
    fn brute(occupations: &[OccupationInfo], skills: &[SkillInfo], keep: impl Fn(&str) -> bool) -> Labelled {
        let mut out = Labelled::default();
        for (of, label) in all_labels(occupations, skills) {
            if keep(label) {
                match of {
                    Of::Occupation(i) => out.occupations.push(i),
                    Of::Skill(i) => out.skills.push(i),
                }
            }
        }
        out.tidy();
        out
    }

    #[test]
    fn exact_finds_the_labels_with_the_stem_as_the_analyser_makes_it() {
        let (o, s, ix) = index();
        for word in ["fietsenmaker", "verzorgende", "kok", "koken", "ouderen", "cafe", "medewerker", "klanten", "thuiszorg"] {
            let stem = stems_of(word).remove(0);
            let want = brute(&o, &s, |label| stems_of(label).contains(&stem));
            assert!(!want.is_empty(), "{word}");
            assert_eq!(ix.exact(&stem), Some(&want), "{word} ({stem})");
        }
        assert_eq!(ix.exact("xylofoon"), None);
    }

    #[test]
    fn near_finds_every_stem_within_one_edit_and_no_other() {
        let (o, s, ix) = index();
        for typo in ["fietsenmakr", "fietsenmakre", "fietssenmaker", "fietzenmaker", "verzorgnd", "thuizorg", "ouderne", "rijwielherstel"] {
            let stem = stems_of(typo).remove(0);
            let want = brute(&o, &s, |label| stems_of(label).iter().any(|t| strsim::osa_distance(t, &stem) <= 1));
            assert_eq!(ix.near(&stem), want, "{typo} ({stem})");
        }
        assert!(!ix.near(&stems_of("fietsenmakr").remove(0)).occupations.is_empty());
        assert!(ix.near("xylofoonstemmer").is_empty());
    }

    #[test]
    fn containing_finds_the_labels_with_a_word_holding_every_part() {
        let (o, s, ix) = index();
        for typed in ["fiets", "zorg", "wiel", "herstel", "repar", "medewerk", "ouderen", "cafe", "thuiszorg"] {
            let parts = word_parts(typed);
            let want = brute(&o, &s, |label| part_words(label).any(|w| parts.iter().all(|p| w.contains(p.as_str()))));
            assert!(!want.is_empty(), "{typed}");
            assert_eq!(ix.containing(typed), want, "{typed}");
        }
        assert!(ix.containing("kok").is_empty(), "shorter than a part");
        assert!(ix.containing("xylofoon").is_empty());
        // "fiets" is a part of "fietsenmaker" and of the skill "fietsen repareren", not of "kok".
        let f = ix.containing("fiets");
        assert_eq!(f.occupations, vec![0]);
        assert_eq!(f.skills, vec![0]);
    }
}
