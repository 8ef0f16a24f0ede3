//! Queries against the index: filters as constant-score clauses, free text ranked by BM25 (and
//! occupation and skill labels looked up in `super::labels`, at a constant score),
//! exact distance filtering in a collector (bounding box in the query narrows it first),
//! facet counts over all matching documents.

use super::SearchIndex;
use std::collections::BTreeMap;
use std::ops::Bound;
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::Column;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, DocId, Order, Score, Searcher, SegmentOrdinal, SegmentReader, TantivyDocument, Term};

/// A circle around a PC4 centroid.
#[derive(Debug, Clone, Copy)]
pub struct GeoCircle {
    pub lat: f64,
    pub lon: f64,
    pub km: f64,
}

impl GeoCircle {
    /// The exact distance rule, checked per document in the collector (`Checked`).
    fn check(&self) -> Check {
        Check::Within(crate::refdata::Reach::new(self.lat, self.lon, self.km))
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchResult {
    pub total: usize,
    pub hits: Vec<(String, f32)>,
    /// facet name -> value -> count
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

#[derive(Debug, Clone, Default)]
pub struct PlacementQuery {
    pub q: Option<String>,
    pub kinds: Vec<String>,
    pub geo: Option<GeoCircle>,
    pub hours: Option<u64>,
    pub ladder_step: Option<u64>,
    /// The searcher's own language rank: placements requiring more are left out.
    pub language_rank: Option<u64>,
    pub flags: Vec<String>,
    pub occupation_id: Option<String>,
    pub skill_ids: Vec<String>,
    pub organisation_id: Option<String>,
    pub published_only: bool,
    pub statuses: Vec<String>,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, Clone, Default)]
pub struct CandidateQuery {
    pub q: Option<String>,
    pub municipality_id: String,
    pub klantmanager_id: Option<String>,
    pub statuses: Vec<String>,
    pub ladder_min: Option<u64>,
    pub ladder_max: Option<u64>,
    pub geo: Option<GeoCircle>,
    pub hours: Option<u64>,
    /// Minimum language rank.
    pub language_rank: Option<u64>,
    pub flags: Vec<String>,
    pub occupation_ids: Vec<String>,
    pub skill_ids: Vec<String>,
    /// Only these candidates (a filter the index cannot answer itself, such as "under the
    /// municipality's youth age", which needs the birth date the index does not hold).
    pub only_ids: Option<Vec<String>>,
    pub limit: usize,
    pub offset: usize,
}

/// Documents of `f` with any of `vals` (one term set, however many).
fn any_of_set(f: Field, vals: &[String]) -> Box<dyn Query> {
    Box::new(tantivy::query::TermSetQuery::new(vals.iter().map(|v| Term::from_field_text(f, v))))
}

/// Documents with the flag `name` (a term of the facets field: `schema::flag_facet`).
fn flag_term(facets: Field, name: &str) -> Term {
    Term::from_field_text(facets, &super::schema::flag_facet(name))
}

fn flag(facets: Field, name: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(flag_term(facets, name), IndexRecordOption::Basic))
}

fn term(f: Field, v: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(f, v), IndexRecordOption::Basic))
}

fn any_of(f: Field, vals: &[String]) -> Box<dyn Query> {
    if vals.len() == 1 {
        return term(f, &vals[0]);
    }
    Box::new(BooleanQuery::new(vals.iter().map(|v| (Occur::Should, term(f, v))).collect()))
}

fn u64_range(f: Field, lo: Bound<u64>, hi: Bound<u64>) -> Box<dyn Query> {
    Box::new(RangeQuery::new(lo.map(|v| Term::from_field_u64(f, v)), hi.map(|v| Term::from_field_u64(f, v))))
}

fn f64_range(f: Field, lo: f64, hi: f64) -> Box<dyn Query> {
    Box::new(RangeQuery::new(Bound::Included(Term::from_field_f64(f, lo)), Bound::Included(Term::from_field_f64(f, hi))))
}

fn filter(q: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

fn bbox(clauses: &mut Vec<(Occur, Box<dyn Query>)>, lat_f: Field, lon_f: Field, g: &GeoCircle) {
    let dlat = g.km / 110.574 + 0.01;
    let dlon = g.km / (111.320 * g.lat.to_radians().cos().max(0.01)) + 0.01;
    clauses.push(filter(f64_range(lat_f, g.lat - dlat, g.lat + dlat)));
    clauses.push(filter(f64_range(lon_f, g.lon - dlon, g.lon + dlon)));
}

/// Facet counts: root (`kind`, `place`, ...) -> value -> number of documents.
pub type FacetMap = BTreeMap<String, BTreeMap<String, u64>>;

/// Counts the values `root/value` of the `facets` field (`schema::facet_value`) under `roots`
/// over the collected documents, from the field's column: each document's values as ordinals
/// of the segment's dictionary, which is walked once at the end (tantivy's `FacetCollector` looked
/// each counted value up again, decompressing a block each time: a third of a second per
/// unfiltered national search).
pub(crate) struct FacetCount {
    roots: Vec<String>,
}

impl FacetCount {
    pub(crate) fn new(roots: &[&str]) -> FacetCount {
        FacetCount { roots: roots.iter().map(|r| r.trim_start_matches('/').to_string()).collect() }
    }
}

pub(crate) struct FacetCountSegment {
    column: Option<tantivy::columnar::StrColumn>,
    counts: Vec<u64>,
    /// Per value, the last document (+1) it was counted for: a value counts once per document.
    last: Vec<DocId>,
    roots: Vec<String>,
}

impl Collector for FacetCount {
    type Fruit = FacetMap;
    type Child = FacetCountSegment;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<FacetCountSegment> {
        // A segment whose documents have no value at all has no column.
        let column = reader.fast_fields().str("facets")?;
        let n = column.as_ref().map(|c| c.num_terms()).unwrap_or(0);
        Ok(FacetCountSegment { column, counts: vec![0; n], last: vec![0; n], roots: self.roots.clone() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetMap>) -> tantivy::Result<FacetMap> {
        let mut out: FacetMap = self.roots.iter().map(|r| (r.clone(), BTreeMap::new())).collect();
        for fruit in fruits {
            for (root, values) in fruit {
                let m = out.entry(root).or_default();
                for (v, n) in values {
                    *m.entry(v).or_insert(0) += n;
                }
            }
        }
        Ok(out)
    }
}

impl SegmentCollector for FacetCountSegment {
    type Fruit = FacetMap;

    fn collect(&mut self, doc: DocId, _: Score) {
        let Some(column) = &self.column else { return };
        for ord in column.term_ords(doc) {
            let ord = ord as usize;
            if let (Some(n), Some(last)) = (self.counts.get_mut(ord), self.last.get_mut(ord)) {
                if *last != doc + 1 {
                    *last = doc + 1;
                    *n += 1;
                }
            }
        }
    }

    fn harvest(self) -> FacetMap {
        let mut out = FacetMap::new();
        let Some(column) = &self.column else { return out };
        if self.counts.iter().all(|&n| n == 0) {
            return out;
        }
        let mut terms = match column.dictionary().stream() {
            Ok(t) => t,
            Err(e) => {
                log::error!("cannot read the facet dictionary: {e}");
                return out;
            }
        };
        while terms.advance() {
            let n = self.counts.get(terms.term_ord() as usize).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let key = terms.key();
            let Some(slash) = key.iter().position(|&b| b == b'/') else { continue };
            let (head, value) = (&key[..slash], &key[slash + 1..]);
            let Some(root) = self.roots.iter().find(|r| str::as_bytes(r) == head) else { continue };
            *out.entry(root.clone()).or_default().entry(String::from_utf8_lossy(value).into_owned()).or_insert(0) += n;
        }
        out
    }
}

pub(crate) fn id_of(searcher: &Searcher, id_field: Field, addr: DocAddress) -> tantivy::Result<String> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    Ok(doc.get_first(id_field).and_then(|v| v.as_str()).unwrap_or_default().to_string())
}

#[allow(clippy::too_many_arguments)]
fn execute(
    searcher: &Searcher,
    query: &dyn Query,
    id_field: Field,
    geo: Option<GeoCircle>,
    roots: &[&str],
    by_relevance: bool,
    limit: usize,
    offset: usize,
) -> tantivy::Result<SearchResult> {
    let limit = limit.clamp(1, 1000);
    let fc = FacetCount::new(roots);
    let checks: std::sync::Arc<[Check]> = geo.map(|g| g.check()).into_iter().collect();
    let (hits, counts, total) = if by_relevance {
        let col = Checked { checks, inner: (TopDocs::with_limit(limit).and_offset(offset), fc, Count) };
        let (top, counts, total) = searcher.search(query, &col)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            hits.push((id_of(searcher, id_field, addr)?, score));
        }
        (hits, counts, total)
    } else if let Some(g) = geo {
        // A distance asked and no words: nearest first.
        let (la, lo) = (g.lat, g.lon);
        let top = TopDocs::with_limit(limit).and_offset(offset).custom_score(move |seg: &tantivy::SegmentReader| {
            let ff = seg.fast_fields();
            let (lat, lon, made) = (ff.f64("lat").ok(), ff.f64("lon").ok(), ff.u64("created_ts").ok());
            // Nearest first; at the same distance (one PC4 area) newest first, so the order is
            // the same in any index built from the same data.
            move |doc: tantivy::DocId| -> (f64, u64) {
                let d = match (lat.as_ref().and_then(|c| c.first(doc)), lon.as_ref().and_then(|c| c.first(doc))) {
                    (Some(a), Some(b)) => -crate::domain::geo::haversine_km(la, lo, a, b),
                    _ => f64::NEG_INFINITY,
                };
                (d, made.as_ref().and_then(|c| c.first(doc)).unwrap_or(0))
            }
        });
        let col = Checked { checks, inner: (top, fc, Count) };
        let (top, counts, total) = searcher.search(query, &col)?;
        let mut hits = Vec::with_capacity(top.len());
        for (_, addr) in top {
            hits.push((id_of(searcher, id_field, addr)?, 0.0));
        }
        (hits, counts, total)
    } else {
        let top = TopDocs::with_limit(limit).and_offset(offset).order_by_fast_field::<u64>("created_ts", Order::Desc);
        let col = Checked { checks, inner: (top, fc, Count) };
        let (top, counts, total) = searcher.search(query, &col)?;
        let mut hits = Vec::with_capacity(top.len());
        for (_, addr) in top {
            hits.push((id_of(searcher, id_field, addr)?, 0.0));
        }
        (hits, counts, total)
    };
    let facets = counts;
    Ok(SearchResult { total, hits, facets })
}

/// Where free text is looked for: the document's own tokenised texts, and its occupation and
/// skill ids, whose labels are looked up at query time (`super::labels`).
struct TextFields {
    texts: Vec<Field>,
    occupations: Field,
    skills: Field,
    /// Word parts of the document's own title (placements): parts of compounds and typos are
    /// looked for only where this is set.
    grams: Option<Field>,
}

/// "Has one of these occupations or skills", each scoring `boost` (constant: a label is a fact
/// of the document, not a text in it).
fn labelled(tf: &TextFields, rd: &crate::refdata::RefData, l: &crate::refdata::labels::Labelled, boost: f32, out: &mut Vec<(Occur, Box<dyn Query>)>) {
    if !l.occupations.is_empty() {
        let ids: Vec<String> = l.occupations.iter().filter_map(|&i| rd.occupations.get(i as usize)).map(|o| o.id.clone()).collect();
        out.push((Occur::Should, Box::new(tantivy::query::BoostQuery::new(any_text(tf.occupations, &ids), boost))));
    }
    if !l.skills.is_empty() {
        let ids: Vec<String> = l.skills.iter().filter_map(|&i| rd.skills.get(i as usize)).map(|s| s.id.clone()).collect();
        out.push((Occur::Should, Box::new(tantivy::query::BoostQuery::new(any_text(tf.skills, &ids), boost))));
    }
}

/// Free text: every word must be found, as typed (its Dutch stem in a text of the document or
/// in a label of its occupation or skills), ranked first; then, where the fields have word parts,
/// every word as a part of a compound (`grams`: "fiets" finds "fietsenmaker") or with a typo of
/// one letter (words of five letters or more), ranked below exact words.
fn text_clause(tf: &TextFields, rd: &crate::refdata::RefData, q: &str) -> Option<Box<dyn Query>> {
    let labels = rd.labels();
    let mut stem = super::schema::nl_analyzer();
    let mut exact: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut per_word: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let folded = crate::refdata::fold(word);
        let mut stems = Vec::new();
        stem.token_stream(&folded).process(&mut |t| stems.push(t.text.clone()));
        if stems.is_empty() {
            continue;
        }
        let mut as_typed: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut loose: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for st in &stems {
            for &f in &tf.texts {
                as_typed.push((Occur::Should, Box::new(TermQuery::new(Term::from_field_text(f, st), IndexRecordOption::WithFreqs))));
            }
            if let Some(l) = labels.exact(st) {
                labelled(tf, rd, l, 1.0, &mut as_typed);
            }
            if tf.grams.is_some() && st.chars().count() >= 5 {
                for &f in &tf.texts {
                    let fuzzy = tantivy::query::FuzzyTermQuery::new(Term::from_field_text(f, st), 1, true);
                    loose.push((Occur::Should, Box::new(tantivy::query::BoostQuery::new(Box::new(fuzzy), 0.5))));
                }
                labelled(tf, rd, &labels.near(st), 0.5, &mut loose);
            }
        }
        if let Some(grams) = tf.grams {
            let parts = crate::refdata::labels::word_parts(&folded);
            if !parts.is_empty() {
                let all: Vec<(Occur, Box<dyn Query>)> = parts
                    .iter()
                    .map(|g| (Occur::Must, Box::new(TermQuery::new(Term::from_field_text(grams, g), IndexRecordOption::Basic)) as Box<dyn Query>))
                    .collect();
                loose.push((Occur::Should, Box::new(tantivy::query::BoostQuery::new(Box::new(BooleanQuery::new(all)), 0.7))));
                labelled(tf, rd, &labels.containing(&folded), 0.7, &mut loose);
            }
        }
        if tf.grams.is_some() {
            loose.extend(as_typed.iter().map(|(o, q)| (*o, q.box_clone())));
            per_word.push((Occur::Must, Box::new(BooleanQuery::new(loose))));
        }
        exact.push((Occur::Must, Box::new(BooleanQuery::new(as_typed))));
    }
    if exact.is_empty() {
        return None;
    }
    let exact: Box<dyn Query> = Box::new(BooleanQuery::new(exact));
    if tf.grams.is_none() {
        return Some(exact);
    }
    Some(Box::new(BooleanQuery::new(vec![
        (Occur::Should, Box::new(tantivy::query::BoostQuery::new(exact, 4.0))),
        (Occur::Should, Box::new(BooleanQuery::new(per_word))),
    ])))
}

impl SearchIndex {
    pub(super) fn search_placements_unchecked(&self, pq: &PlacementQuery) -> anyhow::Result<SearchResult> {
        let part = &self.placements;
        let f = &part.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let rd = self.refdata();
        let tf = TextFields { texts: vec![f.title, f.description], occupations: f.occupation_id, skills: f.skill_ids, grams: Some(f.grams) };
        let text = pq.q.as_deref().and_then(|q| text_clause(&tf, &rd, q));
        let by_relevance = text.is_some();
        if let Some(tq) = text {
            clauses.push((Occur::Must, tq));
        }
        if pq.published_only {
            clauses.push(filter(u64_range(f.published, Bound::Included(1), Bound::Included(1))));
        }
        if !pq.statuses.is_empty() {
            clauses.push(filter(any_of(f.status, &pq.statuses)));
        }
        if !pq.kinds.is_empty() {
            clauses.push(filter(any_of(f.kind, &pq.kinds)));
        }
        if let Some(h) = pq.hours {
            clauses.push(filter(u64_range(f.hours_min, Bound::Unbounded, Bound::Included(h))));
            clauses.push(filter(u64_range(f.hours_max, Bound::Included(h), Bound::Unbounded)));
        }
        if let Some(s) = pq.ladder_step {
            clauses.push(filter(u64_range(f.ladder_steps, Bound::Included(s), Bound::Included(s))));
        }
        if let Some(r) = pq.language_rank {
            clauses.push(filter(u64_range(f.language_rank, Bound::Unbounded, Bound::Included(r))));
        }
        for fl in &pq.flags {
            clauses.push(filter(flag(f.facets, fl)));
        }
        if let Some(o) = &pq.occupation_id {
            clauses.push(filter(term(f.occupation_id, o)));
        }
        for s in &pq.skill_ids {
            clauses.push(filter(term(f.skill_ids, s)));
        }
        if let Some(o) = &pq.organisation_id {
            clauses.push(filter(term(f.organisation_id, o)));
        }
        if let Some(g) = &pq.geo {
            bbox(&mut clauses, f.lat, f.lon, g);
        }
        let query: Box<dyn Query> = if clauses.is_empty() { Box::new(AllQuery) } else { Box::new(BooleanQuery::new(clauses)) };
        let searcher = part.reader.searcher();
        Ok(execute(&searcher, query.as_ref(), f.id, pq.geo, &["/kind", "/flag", "/ladder", "/place"], by_relevance, pq.limit, pq.offset)?)
    }

    pub(super) fn search_candidates_unchecked(&self, cq: &CandidateQuery) -> anyhow::Result<SearchResult> {
        let part = &self.candidates;
        let f = &part.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let rd = self.refdata();
        let tf = TextFields { texts: vec![f.skills_text], occupations: f.occupation_ids, skills: f.skill_ids, grams: None };
        let text = cq.q.as_deref().and_then(|q| text_clause(&tf, &rd, q));
        let by_relevance = text.is_some();
        if let Some(tq) = text {
            clauses.push((Occur::Must, tq));
        }
        clauses.push(filter(term(f.municipality_id, &cq.municipality_id)));
        if let Some(k) = &cq.klantmanager_id {
            clauses.push(filter(term(f.klantmanager_id, k)));
        }
        if !cq.statuses.is_empty() {
            clauses.push(filter(any_of(f.status, &cq.statuses)));
        }
        if cq.ladder_min.is_some() || cq.ladder_max.is_some() {
            let lo = cq.ladder_min.map(Bound::Included).unwrap_or(Bound::Unbounded);
            let hi = cq.ladder_max.map(Bound::Included).unwrap_or(Bound::Unbounded);
            clauses.push(filter(u64_range(f.ladder_step, lo, hi)));
        }
        if let Some(h) = cq.hours {
            clauses.push(filter(u64_range(f.hours_min, Bound::Unbounded, Bound::Included(h))));
            clauses.push(filter(u64_range(f.hours_max, Bound::Included(h), Bound::Unbounded)));
        }
        if let Some(r) = cq.language_rank {
            clauses.push(filter(u64_range(f.language_rank, Bound::Included(r), Bound::Unbounded)));
        }
        for fl in &cq.flags {
            clauses.push(filter(flag(f.facets, fl)));
        }
        if let Some(ids) = &cq.only_ids {
            clauses.push(filter(any_of_set(f.id, ids)));
        }
        if !cq.occupation_ids.is_empty() {
            clauses.push(filter(any_of(f.occupation_ids, &cq.occupation_ids)));
        }
        for s in &cq.skill_ids {
            clauses.push(filter(term(f.skill_ids, s)));
        }
        if let Some(g) = &cq.geo {
            bbox(&mut clauses, f.lat, f.lon, g);
        }
        let query = BooleanQuery::new(clauses);
        let searcher = part.reader.searcher();
        Ok(execute(&searcher, &query, f.id, cq.geo, &["/ladder", "/language", "/flag", "/status"], by_relevance, cq.limit, cq.offset)?)
    }
}

/// Weighted terms for retrieval: (term, boost). Terms no document of `searcher` has are left
/// out: they add nothing to any score (a term's BM25 weight depends on its own statistics
/// only), while tantivy would still build a scorer for each in every segment, which was most
/// of a proposal's retrieval on a small region (dozens of related occupations and implied
/// skills, few of them offered there).
fn boosted(searcher: &Searcher, f: Field, terms: &[(String, f32)]) -> tantivy::Result<Vec<(Occur, Box<dyn Query>)>> {
    let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(terms.len());
    for (t, b) in terms {
        if searcher.doc_freq(&Term::from_field_text(f, t))? > 0 {
            out.push((Occur::Should, Box::new(tantivy::query::BoostQuery::new(term(f, t), *b))));
        }
    }
    Ok(out)
}

/// What the matcher asks of the index for one candidate.
#[derive(Debug, Clone, Default)]
pub struct PlacementRetrieval {
    pub occupations: Vec<(String, f32)>,
    pub skills: Vec<(String, f32)>,
    /// Apply the hard rules as pre-filters (off when excluded results are asked for).
    pub strict: bool,
    pub hours_min: u64,
    pub hours_max: u64,
    pub language_rank: u64,
    pub ladder_step: Option<u64>,
    pub beschut_indicatie: bool,
    /// The PC4 areas within reach (None: no distance filter). A set, not a `Reach` check: a
    /// candidate's reach is small, the set the most selective clause, and often fewer than `k`
    /// placements in it have a relevance term, so that every placement passing the filters is
    /// looked at (see `retrieve_placements_unchecked`).
    pub pc4s: Option<Vec<String>>,
    pub k: usize,
    /// Unused: placements are always retrieved in one query (see `retrieve_placements_unchecked`).
    pub single_pass: bool,
}

/// What the matcher asks of the index for one placement.
#[derive(Debug, Clone, Default)]
pub struct CandidateRetrieval {
    pub occupations: Vec<(String, f32)>,
    pub skills: Vec<(String, f32)>,
    pub strict: bool,
    /// Restrict to one municipality (klantmanager) or to all (None).
    pub municipality_id: Option<String>,
    /// Required flags (e.g. consent_anonymous_profile for employers).
    pub flags: Vec<String>,
    pub ladder_steps: Vec<u64>,
    pub hours_min: u64,
    pub hours_max: u64,
    pub language_rank: u64,
    pub beschut_only: bool,
    /// Candidates whose PC4 area lies within reach (None: everywhere).
    pub reach: Option<crate::refdata::Reach>,
    pub k: usize,
    /// Run the one full query only (see `relevant_first`; for tests).
    pub single_pass: bool,
}

/// A hard rule checked on a document's own values (fast fields), see `Checked`.
#[derive(Debug, Clone)]
pub(crate) enum Check {
    /// One of the field's values lies in `lo..=hi`.
    Between(Field, u64, u64),
    /// One of the field's values is in the (sorted) set.
    In(Field, std::sync::Arc<[u64]>),
    /// The document's place (`lat`, `lon`: its PC4 centroid) is within reach; documents
    /// without a place are not.
    Within(crate::refdata::Reach),
    /// The document has this term: for terms most documents have (active, consent given,
    /// published), whose posting lists an intersection would otherwise seek in for every
    /// document; read once per segment into a bitset kept in memory (`common_term_bits`).
    Has(Term),
}

type Entries<K, V> = std::collections::HashMap<K, (std::sync::Arc<V>, u64)>;

/// A process-wide cache of data read from index segments (a segment never changes, so an entry
/// keyed by its id stays true): least recently used out first once the entries' weights pass
/// `budget`. Built outside the lock, so two threads may build the same entry once each.
pub(crate) struct SegmentCache<K, V> {
    /// Entry -> (value, last use), and the use clock.
    entries: std::sync::Mutex<(Entries<K, V>, u64)>,
    budget: usize,
    weight: fn(&V) -> usize,
}

impl<K: std::hash::Hash + Eq + Clone, V> SegmentCache<K, V> {
    pub(crate) fn new(budget: usize, weight: fn(&V) -> usize) -> Self {
        SegmentCache { entries: Default::default(), budget, weight }
    }

    pub(crate) fn get_or_build(&self, key: K, build: impl FnOnce() -> tantivy::Result<V>) -> tantivy::Result<std::sync::Arc<V>> {
        {
            let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            let (map, clock) = &mut *guard;
            *clock += 1;
            let now = *clock;
            if let Some((v, used)) = map.get_mut(&key) {
                *used = now;
                return Ok(v.clone());
            }
        }
        let v = std::sync::Arc::new(build()?);
        let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (map, clock) = &mut *guard;
        map.insert(key.clone(), (v.clone(), *clock));
        let mut total: usize = map.values().map(|(v, _)| (self.weight)(v)).sum();
        while total > self.budget && map.len() > 1 {
            let Some(oldest) = map.iter().filter(|(k, _)| **k != key).min_by_key(|(_, (_, used))| *used).map(|(k, _)| k.clone()) else { break };
            if let Some((gone, _)) = map.remove(&oldest) {
                total -= (self.weight)(&gone);
            }
        }
        Ok(v)
    }
}

/// At most this many bitsets of common terms are kept (a few per index segment are used: each
/// is one bit per document of its segment).
const COMMON_TERM_BITS_KEPT: usize = 64;

type BitsKey = (tantivy::index::SegmentId, Vec<u8>);

static COMMON_TERM_BITS: std::sync::LazyLock<SegmentCache<BitsKey, tantivy_common::BitSet>> =
    std::sync::LazyLock::new(|| SegmentCache::new(COMMON_TERM_BITS_KEPT, |_| 1));

/// The documents of a segment that have `term`, as a bitset: read from the postings once per
/// segment and term (deleted documents are left out by the collector) and kept.
fn common_term_bits(reader: &SegmentReader, term: &Term) -> tantivy::Result<std::sync::Arc<tantivy_common::BitSet>> {
    COMMON_TERM_BITS.get_or_build((reader.segment_id(), term.serialized_term().to_vec()), || {
        let mut bits = tantivy_common::BitSet::with_max_value(reader.max_doc());
        if let Some(mut postings) = reader.inverted_index(term.field())?.read_postings(term, IndexRecordOption::Basic)? {
            let mut d = tantivy::DocSet::doc(&postings);
            while d != tantivy::TERMINATED {
                bits.insert(d);
                d = tantivy::DocSet::advance(&mut postings);
            }
        }
        Ok(bits)
    })
}

/// Keeps, of the documents the query yields, those that pass every check, read from their fast
/// fields: a look-up per document the selective clauses (a municipality, the relevance terms)
/// let through. As clauses of the query these rules cost far more: a set of areas in reach
/// meant reading hundreds of posting lists per query, a union of steps refilled a 4,096-document
/// window for every document it was asked about, a range scanned ahead at every seek; and a
/// clause that scans for the next passing document walks documents no other clause has.
struct Checked<C> {
    checks: std::sync::Arc<[Check]>,
    inner: C,
}

struct CheckedSegment<C> {
    checks: Vec<OpenCheck>,
    inner: C,
}

enum OpenCheck {
    Between(Column<u64>, u64, u64),
    In(Column<u64>, std::sync::Arc<[u64]>),
    Within(Column<f64>, Column<f64>, crate::refdata::Reach),
    Has(std::sync::Arc<tantivy_common::BitSet>),
}

impl OpenCheck {
    #[inline]
    fn passes(&self, doc: DocId) -> bool {
        match self {
            OpenCheck::Between(c, lo, hi) => c.values_for_doc(doc).any(|v| *lo <= v && v <= *hi),
            OpenCheck::In(c, set) => c.values_for_doc(doc).any(|v| set.binary_search(&v).is_ok()),
            OpenCheck::Within(lat, lon, reach) => match (lat.first(doc), lon.first(doc)) {
                (Some(la), Some(lo)) => reach.contains(la, lo),
                _ => false,
            },
            OpenCheck::Has(bits) => bits.contains(doc),
        }
    }
}

impl<C: Collector> Collector for Checked<C> {
    type Fruit = C::Fruit;
    type Child = CheckedSegment<C::Child>;

    fn for_segment(&self, ord: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        let ff = reader.fast_fields();
        let schema = reader.schema();
        let mut checks = Vec::with_capacity(self.checks.len());
        for c in self.checks.iter() {
            checks.push(match c {
                Check::Between(f, lo, hi) => OpenCheck::Between(ff.u64(schema.get_field_name(*f))?, *lo, *hi),
                Check::In(f, set) => OpenCheck::In(ff.u64(schema.get_field_name(*f))?, set.clone()),
                Check::Within(reach) => OpenCheck::Within(ff.f64("lat")?, ff.f64("lon")?, *reach),
                Check::Has(term) => OpenCheck::Has(common_term_bits(reader, term)?),
            });
        }
        Ok(CheckedSegment { checks, inner: self.inner.for_segment(ord, reader)? })
    }
    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }
    fn merge_fruits(&self, fruits: Vec<<Self::Child as SegmentCollector>::Fruit>) -> tantivy::Result<Self::Fruit> {
        self.inner.merge_fruits(fruits)
    }
}

impl<C: SegmentCollector> SegmentCollector for CheckedSegment<C> {
    type Fruit = C::Fruit;
    fn collect(&mut self, doc: DocId, score: Score) {
        if self.checks.iter().all(|c| c.passes(doc)) {
            self.inner.collect(doc, score);
        }
    }
    fn harvest(self) -> C::Fruit {
        self.inner.harvest()
    }
}

/// Any of a set of untokenized texts: PC4 areas (often hundreds, close together), occupation or
/// skill ids (those whose labels have a word: a few or thousands); see `AnyText`.
fn any_text(f: Field, vals: &[String]) -> Box<dyn Query> {
    let mut terms: Vec<Vec<u8>> = vals.iter().map(|v| v.as_bytes().to_vec()).collect();
    terms.sort_unstable();
    terms.dedup();
    Box::new(AnyText { field: f, terms: std::sync::Arc::new(terms) })
}

/// Documents with any of a sorted set of terms of one untokenized text field, unscored: the
/// wanted terms are found in the segment's dictionary of that field as kept in memory
/// (`SegmentTerms`), and the postings of those found fill a bitset. What `TermSetQuery` does,
/// without building a finite-state automaton for every query, and without walking the
/// compressed dictionary again for every query (that walk was 10% of the CPU of a public search).
#[derive(Debug, Clone)]
struct AnyText {
    field: Field,
    /// Sorted, without duplicates.
    terms: std::sync::Arc<Vec<Vec<u8>>>,
}

impl Query for AnyText {
    fn weight(&self, _: tantivy::query::EnableScoring<'_>) -> tantivy::Result<Box<dyn tantivy::query::Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl tantivy::query::Weight for AnyText {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn tantivy::query::Scorer>> {
        let mut docs = tantivy_common::BitSet::with_max_value(reader.max_doc());
        let inverted = reader.inverted_index(self.field)?;
        let dict = SegmentTerms::of(reader, self.field, &inverted)?;
        let mut from = 0;
        for t in self.terms.iter() {
            // Both lists are sorted: each search starts where the previous one ended.
            let (found, at) = dict.find(t, from);
            from = at;
            if let Some(info) = found {
                let mut postings = inverted.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)?;
                while !postings.docs().is_empty() {
                    for &d in postings.docs() {
                        docs.insert(d);
                    }
                    postings.advance();
                }
            }
        }
        Ok(Box::new(tantivy::query::ConstScorer::new(tantivy::query::BitSetDocSet::from(docs), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<tantivy::query::Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if tantivy::DocSet::seek(&mut scorer, doc) == doc {
            Ok(tantivy::query::Explanation::new("AnyText", 1.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")))
        }
    }
}

/// The term dictionary of one untokenized field of one segment in memory: its terms in order
/// (one buffer) with their postings' places. Segments never change, so it is read once per
/// segment and field and kept in a process-wide cache, bounded by its size in bytes (least
/// recently used out first; segments merged away are dropped that way too).
struct SegmentTerms {
    bytes: Vec<u8>,
    /// Where term i ends in `bytes` (it starts where term i-1 ends).
    ends: Vec<u32>,
    infos: Vec<tantivy::postings::TermInfo>,
}

/// At most this many bytes of dictionaries are kept (national data: a few MB are used).
const SEGMENT_TERMS_BUDGET: usize = 64 << 20;

static SEGMENT_TERMS: std::sync::LazyLock<SegmentCache<(tantivy::index::SegmentId, Field), SegmentTerms>> =
    std::sync::LazyLock::new(|| SegmentCache::new(SEGMENT_TERMS_BUDGET, SegmentTerms::size));

impl SegmentTerms {
    fn of(reader: &SegmentReader, field: Field, inverted: &tantivy::InvertedIndexReader) -> tantivy::Result<std::sync::Arc<SegmentTerms>> {
        SEGMENT_TERMS.get_or_build((reader.segment_id(), field), || {
            let dict = inverted.terms();
            let n = dict.num_terms();
            let mut t = SegmentTerms { bytes: Vec::new(), ends: Vec::with_capacity(n), infos: Vec::with_capacity(n) };
            let mut stream = dict.stream()?;
            while stream.advance() {
                t.bytes.extend_from_slice(stream.key());
                t.ends.push(t.bytes.len() as u32);
                t.infos.push(stream.value().clone());
            }
            Ok(t)
        })
    }

    fn size(&self) -> usize {
        self.bytes.len() + self.ends.len() * 4 + self.infos.len() * std::mem::size_of::<tantivy::postings::TermInfo>()
    }

    fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// The term's postings if the segment has it, searching from position `from` on; and the
    /// position to search the next (larger) term from.
    fn find(&self, term: &[u8], from: usize) -> (Option<&tantivy::postings::TermInfo>, usize) {
        let (mut lo, mut hi) = (from, self.ends.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.key(mid) < term {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo < self.ends.len() && self.key(lo) == term {
            (Some(&self.infos[lo]), lo + 1)
        } else {
            (None, lo)
        }
    }
}

fn top_ids(
    searcher: &Searcher,
    query: &dyn Query,
    id_field: Field,
    checks: &std::sync::Arc<[Check]>,
    k: usize,
) -> tantivy::Result<Vec<(String, f32)>> {
    let col = Checked { checks: checks.clone(), inner: TopDocs::with_limit(k.max(1)) };
    let top = searcher.search(query, &col)?;
    let mut out = Vec::with_capacity(top.len());
    for (score, addr) in top {
        out.push((id_of(searcher, id_field, addr)?, score));
    }
    Ok(out)
}

impl SearchIndex {
    /// Candidate -> placements: the most relevant placements by occupation (own and hidden
    /// matches) and skills, pre-filtered by the hard rules when strict.
    pub(super) fn retrieve_placements_unchecked(&self, r: &PlacementRetrieval) -> anyhow::Result<Vec<(String, f32)>> {
        let part = &self.placements;
        let f = &part.fields;
        let searcher = part.reader.searcher();
        let mut should = boosted(&searcher, f.occupation_id, &r.occupations)?;
        should.extend(boosted(&searcher, f.skill_ids, &r.skills)?);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut list: Vec<Check> = Vec::new();
        // Asked-for terms that no document has still make a (never matching) relevance query:
        // without one, every document passing the filters would count as relevant.
        let asked = !r.occupations.is_empty() || !r.skills.is_empty();
        let relevance: Option<Box<dyn Query>> = asked.then(|| Box::new(BooleanQuery::new(should)) as Box<dyn Query>);
        if r.strict {
            // The hard rules are checked per document on the documents the selective clauses
            // (relevance, the PC4 set) let through; only `beschut_werk` is excluded by a clause.
            list = vec![
                Check::Has(Term::from_field_u64(f.published, 1)),
                Check::Between(f.hours_min, 0, r.hours_max),
                Check::Between(f.hours_max, r.hours_min.max(1), u64::MAX),
                Check::Between(f.language_rank, 0, r.language_rank),
            ];
            if let Some(s) = r.ladder_step {
                list.push(Check::In(f.ladder_steps, [s].into()));
            }
            if !r.beschut_indicatie {
                clauses.push((Occur::MustNot, term(f.kind, "beschut_werk")));
            }
            if let Some(pc4s) = &r.pc4s {
                clauses.push(filter(any_text(f.pc4, pc4s)));
            }
        }
        // Within a candidate's travel distance the full query is cheap and often fewer than k
        // placements have a relevance term, so it runs as one query.
        Ok(relevant_first(&searcher, relevance, clauses, list, f.id, r.k, true)?)
    }

    /// Placement -> candidates.
    pub(super) fn retrieve_candidates_unchecked(&self, r: &CandidateRetrieval) -> anyhow::Result<Vec<(String, f32)>> {
        let part = &self.candidates;
        let f = &part.fields;
        let searcher = part.reader.searcher();
        let mut should = boosted(&searcher, f.occupation_ids, &r.occupations)?;
        should.extend(boosted(&searcher, f.skill_ids, &r.skills)?);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut list: Vec<Check> = Vec::new();
        // Asked-for terms that no document has still make a (never matching) relevance query:
        // without one, every document passing the filters would count as relevant.
        let asked = !r.occupations.is_empty() || !r.skills.is_empty();
        let relevance: Option<Box<dyn Query>> = asked.then(|| Box::new(BooleanQuery::new(should)) as Box<dyn Query>);
        if let Some(m) = &r.municipality_id {
            clauses.push(filter(term(f.municipality_id, m)));
        }
        list.extend(r.flags.iter().map(|fl| Check::Has(flag_term(f.facets, fl))));
        if r.strict {
            list.push(Check::Has(Term::from_field_text(f.status, crate::domain::ACTIEF)));
            list.push(Check::Has(flag_term(f.facets, "consent_matching")));
            list.push(Check::Between(f.hours_min, 0, r.hours_max));
            list.push(Check::Between(f.hours_max, r.hours_min.max(1), u64::MAX));
            if !r.ladder_steps.is_empty() {
                // Step 0 = no ladder measurement yet: `matching::evaluate` keeps such a candidate
                // (the ladder rule needs a known step), so the pre-filter must too.
                let mut steps: Vec<u64> = r.ladder_steps.iter().copied().chain([0]).collect();
                steps.sort_unstable();
                steps.dedup();
                list.push(Check::In(f.ladder_step, steps.into()));
            }
            if r.language_rank > 0 {
                list.push(Check::Between(f.language_rank, r.language_rank, 6));
            }
            if let Some(reach) = r.reach {
                list.push(Check::Within(reach));
            }
            if r.beschut_only {
                clauses.push(filter(flag(f.facets, "beschut_werk_indicatie")));
            }
        }
        // Candidates of one municipality are few: one query. The whole country (an employer's
        // view) holds many that match no relevance term: those are skipped when it can be.
        Ok(relevant_first(&searcher, relevance, clauses, list, f.id, r.k, r.single_pass || r.municipality_id.is_some())?)
    }
}

/// The top `k` of `filters` ranked by `relevance` (weighted occupation and skill terms, optional:
/// with filters, a document that matches none of them still counts, with score 0). Every
/// document that matches a relevance term scores above 0 and so ranks above every one that
/// matches none; so when at least `k` documents match a relevance term, the top `k` are found by
/// requiring one, which lets the index skip the documents that match no term (usually most of
/// the country). Only when fewer match does the full query run. Scores and their ties are the
/// same either way (the filters score 0). `single_pass` runs the full query only (for tests).
fn relevant_first(
    searcher: &Searcher,
    relevance: Option<Box<dyn Query>>,
    filters: Vec<(Occur, Box<dyn Query>)>,
    checks: Vec<Check>,
    id_field: Field,
    k: usize,
    single_pass: bool,
) -> tantivy::Result<Vec<(String, f32)>> {
    let checks: std::sync::Arc<[Check]> = checks.into();
    let with = |occur: Occur| {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = filters.iter().map(|(o, q)| (*o, q.box_clone())).collect();
        if let Some(r) = &relevance {
            clauses.push((occur, r.box_clone()));
        }
        if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        } else if !checks.is_empty() && !clauses.iter().any(|(o, _)| *o == Occur::Must) {
            // Checks are required filters too (applied by the collector, scoring nothing): with
            // them and no required clause, the relevance terms stay optional.
            clauses.push(filter(Box::new(AllQuery)));
        }
        BooleanQuery::new(clauses)
    };
    if relevance.is_some() && !single_pass {
        let top = top_ids(searcher, &with(Occur::Must), id_field, &checks, k)?;
        if top.len() >= k.max(1) {
            return Ok(top);
        }
    }
    top_ids(searcher, &with(Occur::Should), id_field, &checks, k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::Schema;

    /// `AnyText` (the segment's dictionary in memory) finds the same documents as tantivy's own
    /// `TermSetQuery`, over several segments, for random sets with terms some or no segment has,
    /// and again once the dictionaries are cached.
    #[test]
    fn any_text_finds_what_tantivys_term_set_query_finds() {
        let mut sb = Schema::builder();
        let code = sb.add_text_field("code", tantivy::schema::STRING);
        let index = tantivy::Index::create_in_ram(sb.build());
        let mut w: tantivy::IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut rng = fastrand::Rng::with_seed(11);
        for segment in 0..3u32 {
            for _ in 0..400 {
                let mut d = TantivyDocument::default();
                for _ in 0..rng.usize(0..3) {
                    // Segment 1 has no codes from 7000 on.
                    d.add_text(code, format!("{}", rng.u32(1000..(if segment == 1 { 7000 } else { 9999 }))));
                }
                w.add_document(d).unwrap();
            }
            w.commit().unwrap();
        }
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() >= 2);
        for round in 0..40 {
            let mut vals: Vec<String> = (0..rng.usize(0..300)).map(|_| format!("{}", rng.u32(900..10_100))).collect();
            if round % 5 == 0 {
                vals.push("7241".into());
                vals.push("7241".into());
                vals.push("geen-code".into());
            }
            let ours = searcher.search(&*any_text(code, &vals), &tantivy::collector::DocSetCollector).unwrap();
            let theirs = tantivy::query::TermSetQuery::new(vals.iter().map(|v| Term::from_field_text(code, v)));
            let theirs = searcher.search(&theirs, &tantivy::collector::DocSetCollector).unwrap();
            assert_eq!(ours, theirs, "round {round}: {} codes", vals.len());
            assert_eq!(searcher.search(&*any_text(code, &vals), &Count).unwrap(), theirs.len());
        }
    }

    /// `Checked` keeps, over several segments, exactly the documents tantivy's own range and
    /// term queries keep, and for `Within` those a haversine scan of the documents' places
    /// keeps (documents without a place or value never pass).
    #[test]
    fn checked_keeps_what_the_equivalent_queries_keep() {
        let mut sb = Schema::builder();
        let num = tantivy::schema::NumericOptions::default().set_indexed().set_fast();
        let hours = sb.add_u64_field("hours", num.clone());
        let steps = sb.add_u64_field("steps", num.clone());
        let lat = sb.add_f64_field("lat", num.clone());
        let lon = sb.add_f64_field("lon", num.clone());
        let i = sb.add_u64_field("i", num);
        let index = tantivy::Index::create_in_ram(sb.build());
        let mut w: tantivy::IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut rng = fastrand::Rng::with_seed(5);
        let mut places = Vec::new();
        for _ in 0..3 {
            for _ in 0..500 {
                let mut d = TantivyDocument::default();
                d.add_u64(i, places.len() as u64);
                if rng.u8(..10) > 0 {
                    d.add_u64(hours, rng.u64(0..41));
                }
                for _ in 0..rng.usize(0..3) {
                    d.add_u64(steps, rng.u64(0..7));
                }
                let place = (rng.u8(..10) > 0).then(|| (52.0 + rng.f64() * 0.6, 5.8 + rng.f64() * 0.9));
                if let Some((la, lo)) = place {
                    d.add_f64(lat, la);
                    d.add_f64(lon, lo);
                }
                places.push(place);
                w.add_document(d).unwrap();
            }
            w.commit().unwrap();
        }
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 1, "several segments");
        let kept = |checks: Vec<Check>| {
            let col = Checked { checks: checks.into(), inner: tantivy::collector::DocSetCollector };
            searcher.search(&AllQuery, &col).unwrap()
        };
        let docs = |q: &dyn Query| searcher.search(q, &tantivy::collector::DocSetCollector).unwrap();
        for (lo, hi) in [(0, 40), (8, 24), (24, 24), (1, u64::MAX), (41, 50)] {
            let theirs = docs(&*u64_range(hours, Bound::Included(lo), Bound::Included(hi)));
            assert_eq!(kept(vec![Check::Between(hours, lo, hi)]), theirs, "hours {lo}..={hi}");
        }
        for set in [vec![0u64], vec![2, 3], vec![0, 4, 6], vec![9]] {
            let theirs = BooleanQuery::new(
                set.iter()
                    .map(|v| (Occur::Should, Box::new(TermQuery::new(Term::from_field_u64(steps, *v), IndexRecordOption::Basic)) as Box<dyn Query>))
                    .collect(),
            );
            assert_eq!(kept(vec![Check::In(steps, set.clone().into())]), docs(&theirs), "steps {set:?}");
        }
        for step in [0u64, 3, 9] {
            let term = Term::from_field_u64(steps, step);
            let theirs = docs(&TermQuery::new(term.clone(), IndexRecordOption::Basic));
            // Twice: read from the postings, then from the kept bitsets.
            for _ in 0..2 {
                assert_eq!(kept(vec![Check::Has(term.clone())]), theirs, "has step {step}");
            }
        }
        let numbers = |set: std::collections::HashSet<DocAddress>| -> std::collections::BTreeSet<u64> {
            set.into_iter().map(|a| searcher.segment_reader(a.segment_ord).fast_fields().u64("i").unwrap().first(a.doc_id).unwrap()).collect()
        };
        for km in [0.0, 5.0, 20.0, 60.0] {
            let (c_lat, c_lon) = (52.3, 6.2);
            let theirs: std::collections::BTreeSet<u64> = places
                .iter()
                .enumerate()
                .filter(|(_, p)| p.is_some_and(|(la, lo)| crate::domain::geo::haversine_km(c_lat, c_lon, la, lo) <= km + 1e-9))
                .map(|(i, _)| i as u64)
                .collect();
            let ours = kept(vec![Check::Within(crate::refdata::Reach::new(c_lat, c_lon, km))]);
            assert_eq!(numbers(ours.clone()), theirs, "within {km} km");
            assert!(km < 5.0 || !theirs.is_empty());
            let both = kept(vec![Check::Within(crate::refdata::Reach::new(c_lat, c_lon, km)), Check::Between(hours, 0, 20)]);
            assert!(both.is_subset(&ours) && (km < 20.0 || both.len() < ours.len()), "checks combine");
        }
    }

    /// The facet counts equal a count over the documents as they were added, over several
    /// segments (one without any value), for all documents and for a filtered subset, with values
    /// only some segments hold, a value with a `/` in it, and a value given twice.
    #[test]
    fn facet_counts_equal_a_count_over_the_documents() {
        let mut sb = Schema::builder();
        let facets = sb.add_text_field("facets", tantivy::schema::STRING | tantivy::schema::FAST);
        let n = sb.add_u64_field("n", tantivy::schema::INDEXED);
        let index = tantivy::Index::create_in_ram(sb.build());
        let mut w: tantivy::IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut rng = fastrand::Rng::with_seed(7);
        let places = ["Lochem", "Zutphen", "'s-Hertogenbosch", "Den Haag", "Ede/Wageningen", "Ürk"];
        // What each query should count: all documents, and those with n = 1.
        let mut all = FacetMap::new();
        let mut ones = FacetMap::new();
        for segment in 0..5u64 {
            for i in 0..300u64 {
                let mut d = TantivyDocument::default();
                d.add_u64(n, i % 3);
                let mut values: Vec<(&str, String)> = Vec::new();
                if segment == 4 {
                    // A segment without a single value has no column.
                } else {
                    values.push(("place", places[rng.usize(..places.len() - (segment as usize % 2))].to_string()));
                    values.push(("kind", ["bbl", "regulier"][rng.usize(..2)].to_string()));
                    for step in 1..=rng.u64(0..4) {
                        values.push(("ladder", step.to_string()));
                    }
                    if rng.bool() {
                        values.push(("flag", "support".to_string()));
                        // The same value twice in one document counts once.
                        if rng.bool() {
                            values.push(("flag", "support".to_string()));
                        }
                    }
                }
                let mut counted = std::collections::BTreeSet::new();
                for (root, value) in &values {
                    d.add_text(facets, crate::search::schema::facet_value(root, value));
                    if counted.insert((*root, value.clone())) {
                        *all.entry(root.to_string()).or_default().entry(value.clone()).or_insert(0) += 1;
                        if i % 3 == 1 {
                            *ones.entry(root.to_string()).or_default().entry(value.clone()).or_insert(0) += 1;
                        }
                    }
                }
                w.add_document(d).unwrap();
            }
            w.commit().unwrap();
        }
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 1, "several segments");
        let roots = ["/place", "/kind", "/ladder", "/flag", "/status"];
        let filtered = TermQuery::new(Term::from_field_u64(n, 1), IndexRecordOption::Basic);
        for (query, mut expected) in [(&AllQuery as &dyn Query, all), (&filtered, ones)] {
            let ours = searcher.search(query, &FacetCount::new(&roots)).unwrap();
            for r in roots {
                expected.entry(r.trim_start_matches('/').to_string()).or_default();
            }
            assert_eq!(ours, expected);
            assert_eq!(ours["place"].len(), places.len());
            assert!(ours["place"].contains_key("Ede/Wageningen"));
            assert!(ours["status"].is_empty());
        }
    }
}
