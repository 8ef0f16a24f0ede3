//! Occupation relatedness from ESCO itself ("hidden matches"): which other occupations are close
//! to an occupation, even when they share no essential skill. Seven signals, each a cosine of
//! sparse vectors (or a level), combined with fixed weights:
//!
//! | signal | what | weight |
//! |---|---|---|
//! | skills | essential (1) and optional (0.5) ESCO skills, weighted by rarity (idf) | 0.9 |
//! | words | stemmed words of the Dutch label, synonyms and description (tf-idf) | 1.0 |
//! | isco | shared leading digits of the ISCO-08 group, /4 | 0.2 |
//! | skill groups | the ESCO skill groups the skills belong to | 0.2 |
//! | skill words | words of the skills' labels, so that similar skills count even when they differ | 1.25 |
//! | word parts | 4-letter parts of the Dutch words (Dutch compounds) | 1.0 |
//! | neighbours | the 100 nearest occupations on the signals above, compared (second order) | 3.0 |
//!
//! The weights were chosen on the development half of a public yardstick (O*NET's related
//! occupations mapped onto ESCO, `opstap relatedness`); that file is never an input here.
//! Pure: reference data in, scores out.

use crate::refdata::{fold, RefData};
use std::collections::HashMap;

/// Weights of the signals, in the order of the table above.
pub const WEIGHTS: [f64; 7] = [0.9, 1.0, 0.2, 0.2, 1.25, 1.0, 3.0];
/// How many nearest occupations make the neighbour vector.
const NEIGHBOURS: usize = 100;
/// How many candidates the costly signals are computed for.
const PRESELECT: usize = 200;
/// How many related occupations are kept per occupation.
pub const KEEP: usize = 30;

const NL_STOP: &[&str] = &[
    "de", "het", "een", "en", "van", "in", "op", "te", "voor", "met", "die", "dat", "zij", "ze", "zijn", "is", "aan", "of", "om", "als", "bij",
    "door", "naar", "ook", "worden", "wordt", "kunnen", "deze", "dit", "uit", "zoals", "onder", "over", "andere", "hun", "er", "hij", "zich",
];
const EN_STOP: &[&str] = &["and", "or", "the", "of", "to", "a", "in", "for", "on", "with", "by", "from", "as", "at", "use"];

/// A sparse vector, sorted by term, of length 1 (unless empty).
type Sparse = Vec<(u32, f32)>;

fn normalise(mut v: Vec<(u32, f32)>) -> Sparse {
    v.sort_unstable_by_key(|x| x.0);
    let n = v.iter().map(|x| (x.1 as f64).powi(2)).sum::<f64>().sqrt();
    if n > 0.0 {
        for x in &mut v {
            x.1 = (x.1 as f64 / n) as f32;
        }
    }
    v
}

fn dot(a: &Sparse, b: &Sparse) -> f64 {
    let (mut i, mut j, mut s) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 as f64 * b[j].1 as f64;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// Interns terms to ids.
#[derive(Default)]
struct Vocab(HashMap<String, u32>);

impl Vocab {
    fn id(&mut self, t: &str) -> u32 {
        let n = self.0.len() as u32;
        *self.0.entry(t.to_string()).or_insert(n)
    }
}

/// tf-idf vectors from term counts per document.
fn tfidf(docs: Vec<HashMap<u32, f64>>) -> Vec<Sparse> {
    let n = docs.len() as f64;
    let mut df: HashMap<u32, f64> = HashMap::new();
    for d in &docs {
        for t in d.keys() {
            *df.entry(*t).or_default() += 1.0;
        }
    }
    docs.into_iter().map(|d| normalise(d.into_iter().map(|(t, c)| (t, ((1.0 + c.ln()) * (n / df[&t]).ln()) as f32)).collect())).collect()
}

/// tf-idf vectors of every occupation from the terms `terms` adds (term, count) for it.
fn tfidf_of(rd: &RefData, mut terms: impl FnMut(&crate::refdata::OccupationInfo, &mut dyn FnMut(&str, f64))) -> Vec<Sparse> {
    let mut vocab = Vocab::default();
    let docs = rd
        .occupations
        .iter()
        .map(|o| {
            let mut m: HashMap<u32, f64> = HashMap::new();
            terms(o, &mut |t, c| *m.entry(vocab.id(t)).or_default() += c);
            m
        })
        .collect();
    tfidf(docs)
}

fn dutch_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphabetic()).map(fold).filter(|w| w.chars().count() > 2 && !NL_STOP.contains(&w.as_str()))
}

fn english_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_ascii_alphabetic()).map(|w| w.to_ascii_lowercase()).filter(|w| w.len() > 2 && !EN_STOP.contains(&w.as_str()))
}

/// The relatedness model of all occupations of the reference data.
pub struct Model {
    skills: Vec<Sparse>,
    words: Vec<Sparse>,
    groups: Vec<Sparse>,
    skill_words: Vec<Sparse>,
    grams: Vec<Sparse>,
    neighbours: Vec<Sparse>,
    isco: Vec<String>,
}

/// For every document, its dot products with every other document sharing a term.
fn all_pairs(vs: &[Sparse]) -> Vec<Vec<(u32, f32)>> {
    let terms = vs.iter().flat_map(|v| v.iter().map(|x| x.0)).max().map(|m| m as usize + 1).unwrap_or(0);
    let mut post: Vec<Vec<(u32, f32)>> = vec![Vec::new(); terms];
    for (d, v) in vs.iter().enumerate() {
        for &(t, w) in v {
            post[t as usize].push((d as u32, w));
        }
    }
    let mut acc = vec![0f32; vs.len()];
    let mut touched = Vec::new();
    vs.iter()
        .enumerate()
        .map(|(d, v)| {
            for &(t, w) in v {
                for &(d2, w2) in &post[t as usize] {
                    if d2 as usize != d {
                        if acc[d2 as usize] == 0.0 {
                            touched.push(d2);
                        }
                        acc[d2 as usize] += w * w2;
                    }
                }
            }
            let out: Vec<(u32, f32)> = touched.iter().map(|&d2| (d2, acc[d2 as usize])).collect();
            for &d2 in &touched {
                acc[d2 as usize] = 0.0;
            }
            touched.clear();
            out
        })
        .collect()
}

fn isco_level(a: &str, b: &str) -> f64 {
    a.chars().zip(b.chars()).take(4).take_while(|(x, y)| x == y).count() as f64 / 4.0
}

impl Model {
    /// Builds the model (about two seconds for ESCO's 3,000 occupations in a release build).
    pub fn build(rd: &RefData) -> Model {
        let n = rd.occupations.len();
        // Skills: idf over the occupations that have the skill (essential or optional).
        let mut df = vec![0f64; rd.skills.len()];
        for o in &rd.occupations {
            let mut all: Vec<u32> = o.essential.iter().chain(o.optional.iter()).copied().collect();
            all.sort_unstable();
            all.dedup();
            for s in all {
                df[s as usize] += 1.0;
            }
        }
        let idf = |s: u32| (n as f64 / df[s as usize].max(1.0)).ln();
        let skills: Vec<Sparse> = rd
            .occupations
            .iter()
            .map(|o| {
                let mut m: HashMap<u32, f64> = HashMap::new();
                for &s in &o.optional {
                    m.insert(s, 0.5 * idf(s));
                }
                for &s in &o.essential {
                    m.insert(s, idf(s));
                }
                normalise(m.into_iter().map(|(k, v)| (k, v as f32)).collect())
            })
            .collect();
        let groups: Vec<Sparse> = {
            let mut vocab = Vocab::default();
            rd.occupations
                .iter()
                .map(|o| {
                    let mut m: HashMap<u32, f64> = HashMap::new();
                    for &s in o.essential.iter().chain(o.optional.iter()) {
                        *m.entry(vocab.id(&rd.skills[s as usize].group_nl)).or_default() += 1.0;
                    }
                    normalise(m.into_iter().map(|(k, v)| (k, v as f32)).collect())
                })
                .collect()
        };
        let text = |o: &crate::refdata::OccupationInfo| format!("{} {} {}", o.label_nl, o.alt_labels.join(" "), o.description_nl);
        let mut stem = crate::text::nl_analyzer();
        let words = tfidf_of(rd, |o, add| {
            let t: String = dutch_words(&text(o)).collect::<Vec<_>>().join(" ");
            stem.token_stream(&t).process(&mut |tok| add(&tok.text, 1.0));
        });
        let grams = tfidf_of(rd, |o, add| {
            for w in dutch_words(&text(o)).filter(|w| w.chars().count() >= 4) {
                let c: Vec<char> = format!("_{w}_").chars().collect();
                for g in c.windows(4) {
                    add(&g.iter().collect::<String>(), 1.0);
                }
            }
        });
        let skill_words = tfidf_of(rd, |o, add| {
            for (list, w) in [(&o.essential, 1.0), (&o.optional, 0.5)] {
                for &s in list.iter() {
                    for word in english_words(&rd.skills[s as usize].label_en) {
                        add(&word, w);
                    }
                }
            }
        });
        let isco: Vec<String> = rd.occupations.iter().map(|o| o.isco_group.clone()).collect();
        // Neighbours: the nearest occupations on the first-order signals.
        let (ps, pw, psw) = (all_pairs(&skills), all_pairs(&words), all_pairs(&skill_words));
        let neighbours: Vec<Sparse> = (0..n)
            .map(|a| {
                let mut cand: HashMap<u32, (f64, f64, f64)> = HashMap::new();
                for &(b, v) in &ps[a] {
                    cand.entry(b).or_default().0 = v as f64;
                }
                for &(b, v) in &pw[a] {
                    cand.entry(b).or_default().1 = v as f64;
                }
                for &(b, v) in &psw[a] {
                    cand.entry(b).or_default().2 = v as f64;
                }
                let mut scored: Vec<(u32, f64)> = cand
                    .into_iter()
                    .map(|(b, (s, w, sw))| {
                        let bi = b as usize;
                        (
                            b,
                            WEIGHTS[0] * s
                                + WEIGHTS[1] * w
                                + WEIGHTS[2] * isco_level(&isco[a], &isco[bi])
                                + WEIGHTS[3] * dot(&groups[a], &groups[bi])
                                + WEIGHTS[4] * sw,
                        )
                    })
                    .collect();
                // The word parts are the costliest signal: only for the closest candidates.
                scored.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                scored.truncate(PRESELECT);
                for x in &mut scored {
                    x.1 += WEIGHTS[5] * dot(&grams[a], &grams[x.0 as usize]);
                }
                scored.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                scored.truncate(NEIGHBOURS);
                let own = scored.iter().map(|x| x.1).fold(1.0f64, f64::max);
                let mut v: Vec<(u32, f32)> = scored.into_iter().map(|(b, s)| (b, s as f32)).collect();
                v.push((a as u32, own as f32));
                normalise(v)
            })
            .collect();
        Model { skills, words, groups, skill_words, grams, neighbours, isco }
    }

    /// The combined relatedness of two occupations (indexes into `RefData::occupations`); higher
    /// is closer. Not bounded by 1: compare scores of one occupation with each other.
    pub fn score(&self, a: usize, b: usize) -> f64 {
        let w = WEIGHTS;
        w[0] * dot(&self.skills[a], &self.skills[b])
            + w[1] * dot(&self.words[a], &self.words[b])
            + w[2] * isco_level(&self.isco[a], &self.isco[b])
            + w[3] * dot(&self.groups[a], &self.groups[b])
            + w[4] * dot(&self.skill_words[a], &self.skill_words[b])
            + w[5] * dot(&self.grams[a], &self.grams[b])
            + w[6] * dot(&self.neighbours[a], &self.neighbours[b])
    }

    /// The `KEEP` most related occupations of each occupation, with a relatedness 0..1: the
    /// closest gets 0.9, the others in proportion to their score.
    pub fn top_related(&self) -> Vec<Vec<(u32, f32)>> {
        let n = self.skills.len();
        let all = [all_pairs(&self.skills), all_pairs(&self.words), all_pairs(&self.skill_words), all_pairs(&self.neighbours)];
        (0..n)
            .map(|a| {
                // First the signals whose dot products the inverted index gave, then the whole
                // score for the closest candidates.
                let w = WEIGHTS;
                let mut cheap: HashMap<u32, f64> = HashMap::new();
                for (p, wi) in all.iter().zip([w[0], w[1], w[4], w[6]]) {
                    for &(b, v) in &p[a] {
                        *cheap.entry(b).or_default() += wi * v as f64;
                    }
                }
                let mut scored: Vec<(u32, f64)> = cheap.into_iter().collect();
                scored.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                scored.truncate(4 * KEEP);
                for x in &mut scored {
                    x.1 = self.score(a, x.0 as usize);
                }
                scored.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                scored.truncate(KEEP);
                let best = scored.first().map(|x| x.1).unwrap_or(1.0).max(1e-9);
                scored.into_iter().map(|(b, s)| (b, (0.9 * s / best) as f32)).collect()
            })
            .collect()
    }
}

/// The yardstick: for every closest pair (`primary_short`) of the ground-truth file, the rank of
/// the related occupation among 50 occupations unrelated to the query at any tier (chosen, and
/// ties broken, by a fixed hash).
pub mod yardstick {
    use super::Model;
    use crate::refdata::RefData;
    use std::collections::{BTreeMap, HashMap};

    #[derive(Debug, Default, Clone, Copy)]
    pub struct Figures {
        pub pairs: usize,
        pub hit_at_5: f64,
        pub mrr: f64,
    }

    #[derive(Debug, Default)]
    pub struct Report {
        pub overall: Figures,
        /// ISCO major group (first digit) of the query -> figures.
        pub by_major_group: BTreeMap<char, Figures>,
        /// The same measure for the essential-skill Jaccard baseline.
        pub jaccard_baseline: Figures,
    }

    /// A fixed hash (FNV-1a, 64 bits) of the parts joined by `|`: the same on every machine.
    fn h(parts: &[&str]) -> u64 {
        let mut x: u64 = 0xcbf29ce484222325;
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                x = (x ^ b'|' as u64).wrapping_mul(0x100000001b3);
            }
            for b in p.bytes() {
                x = (x ^ b as u64).wrapping_mul(0x100000001b3);
            }
        }
        x
    }

    #[derive(serde::Deserialize)]
    struct Row {
        query_id: String,
        related_id: String,
        relation: String,
    }

    /// Reads the ground-truth file and measures `model` (and the Jaccard baseline) on it.
    pub fn measure(rd: &RefData, model: &Model, file: &std::path::Path) -> anyhow::Result<Report> {
        let mut rel: HashMap<String, HashMap<String, String>> = HashMap::new();
        for r in csv::Reader::from_path(file)?.deserialize::<Row>() {
            let r = r?;
            rel.entry(r.query_id).or_default().insert(r.related_id, r.relation);
        }
        let ids: Vec<&str> = rd.occupations.iter().map(|o| o.id.as_str()).collect();
        let mut queries: Vec<&String> = rel.keys().collect();
        queries.sort();
        let jaccard = |a: usize, b: usize| {
            // The essential skills are sorted: intersect by merging.
            let (x, y) = (&rd.occupations[a].essential, &rd.occupations[b].essential);
            let (mut i, mut j, mut inter) = (0, 0, 0.0);
            while i < x.len() && j < y.len() {
                match x[i].cmp(&y[j]) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        inter += 1.0;
                        i += 1;
                        j += 1;
                    }
                }
            }
            let union = (x.len() + y.len()) as f64 - inter;
            if union > 0.0 {
                inter / union
            } else {
                0.0
            }
        };
        let mut acc: BTreeMap<char, (usize, f64, f64)> = BTreeMap::new();
        let (mut all, mut base) = ((0usize, 0.0, 0.0), (0usize, 0.0, 0.0));
        for q in queries {
            let Some(qi) = rd.occupation_index.get(q.as_str()).map(|&i| i as usize) else { continue };
            let related = &rel[q];
            let mut pairs: Vec<&String> = related.iter().filter(|(_, t)| t.as_str() == "primary_short").map(|(r, _)| r).collect();
            pairs.sort();
            for r in pairs {
                let Some(ri) = rd.occupation_index.get(r.as_str()).map(|&i| i as usize) else { continue };
                let mut pool: Vec<usize> = (0..ids.len()).filter(|&o| o != qi && !related.contains_key(ids[o])).collect();
                pool.sort_by_cached_key(|&o| h(&[q, r, ids[o]]));
                pool.truncate(50);
                let rank_of = |f: &dyn Fn(usize) -> f64| {
                    let s0 = f(ri);
                    let t0 = h(&[q, ids[ri]]);
                    1 + pool
                        .iter()
                        .filter(|&&o| {
                            let s = f(o);
                            s > s0 || (s == s0 && h(&[q, ids[o]]) < t0)
                        })
                        .count()
                };
                let rank = rank_of(&|o| model.score(qi, o));
                let major = rd.occupations[qi].isco_group.chars().next().unwrap_or('?');
                let e = acc.entry(major).or_default();
                e.0 += 1;
                e.1 += (rank <= 5) as u8 as f64;
                e.2 += 1.0 / rank as f64;
                all.0 += 1;
                all.1 += (rank <= 5) as u8 as f64;
                all.2 += 1.0 / rank as f64;
                let brank = rank_of(&|o| jaccard(qi, o));
                base.0 += 1;
                base.1 += (brank <= 5) as u8 as f64;
                base.2 += 1.0 / brank as f64;
            }
        }
        let fig = |(n, hits, rr): (usize, f64, f64)| Figures { pairs: n, hit_at_5: hits / n.max(1) as f64, mrr: rr / n.max(1) as f64 };
        Ok(Report { overall: fig(all), by_major_group: acc.into_iter().map(|(k, v)| (k, fig(v))).collect(), jaccard_baseline: fig(base) })
    }
}

/// Imports the reference data (`refdata::import`) and computes the relatedness of its
/// occupations when the ESCO links changed or it was never computed.
pub fn import(conn: &mut crate::db::DbConnection, dir: &std::path::Path, progress: bool) -> anyhow::Result<crate::refdata::ImportReport> {
    let mut report = crate::refdata::import(conn, dir, progress)?;
    if report.occupation_skill_links > 0 || !crate::refdata::has_relatedness(conn)? {
        report.occupation_relations = store(conn, progress)?;
    }
    Ok(report)
}

/// Computes occupation relatedness from the ESCO data in the database and stores it (replacing
/// what was there). Returns the number of relations stored.
pub fn store(conn: &mut crate::db::DbConnection, progress: bool) -> anyhow::Result<usize> {
    use diesel::prelude::*;
    let rd = crate::refdata::RefData::load(conn)?;
    if !rd.has_esco() {
        return Ok(0);
    }
    let t = std::time::Instant::now();
    let model = Model::build(&rd);
    let top = model.top_related();
    let rows: Vec<(String, String, f64)> = top
        .iter()
        .enumerate()
        .flat_map(|(a, v)| v.iter().map(move |&(b, r)| (a, b, r)))
        .map(|(a, b, r)| (rd.occupations[a].id.clone(), rd.occupations[b as usize].id.clone(), r as f64))
        .collect();
    let pb = crate::refdata::bar(rows.len(), "verwante beroepen", progress);
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        diesel::delete(crate::db::schema::occupation_relations::table).execute(conn)?;
        for chunk in rows.chunks(crate::refdata::BATCH * 3) {
            let values: Vec<_> = chunk
                .iter()
                .map(|(a, b, r)| {
                    (
                        crate::db::schema::occupation_relations::occupation_id.eq(a),
                        crate::db::schema::occupation_relations::related_id.eq(b),
                        crate::db::schema::occupation_relations::relatedness.eq(r),
                    )
                })
                .collect();
            crate::insert_all!(conn, crate::db::schema::occupation_relations::table, &values)?;
            pb.inc(chunk.len() as u64);
        }
        Ok(())
    })?;
    pb.finish();
    log::info!("occupation relatedness: {} relations of {} occupations in {:.1} s", rows.len(), rd.occupations.len(), t.elapsed().as_secs_f64());
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The relatedness beats both baselines of the yardstick's README on its development half:
    /// hit@5 at least 0.80 (essential-skill Jaccard 0.50, with optional skills and ISCO 0.69).
    #[test]
    fn relatedness_meets_the_yardstick() {
        let data = std::env::var("OPSTAP_REFDATA").map(std::path::PathBuf::from).unwrap_or_else(|_| "../shared/data".into());
        let truth = data.join("../groundtruth/esco_related_occupations_dev.csv");
        if !truth.exists() || !data.join("esco_occupations_nl.csv").exists() {
            eprintln!("relatedness_meets_the_yardstick: no reference data or yardstick beside the repository; skipped");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::connect(&format!("sqlite://{}", dir.path().join("r.sqlite").display()), 1).unwrap();
        let mut conn = pool.get().unwrap();
        crate::db::run_migrations(&mut conn).unwrap();
        let r = super::import(&mut conn, &data, false).unwrap();
        assert!(r.occupation_relations > 0);
        let rd = RefData::load(&mut conn).unwrap();
        let model = Model::build(&rd);
        let report = yardstick::measure(&rd, &model, &truth).unwrap();
        assert!(report.overall.pairs > 10_000);
        assert!(report.overall.hit_at_5 >= 0.80, "{report:?}");
        assert!(report.overall.hit_at_5 > report.jaccard_baseline.hit_at_5 + 0.2, "{report:?}");
        // What the import stored is the same model: the best related occupation of each is its
        // top scorer, at 0.9.
        let (a, top) = rd.related.iter().enumerate().find(|(_, v)| !v.is_empty()).unwrap();
        assert!((top[0].1 - 0.9).abs() < 1e-6);
        let best =
            (0..rd.occupations.len()).filter(|&b| b != a).map(|b| (model.score(a, b), b)).fold((f64::MIN, 0), |x, y| if y.0 > x.0 { y } else { x });
        assert_eq!(top[0].0 as usize, best.1);
    }

    #[test]
    fn similar_skill_words_relate_occupations_without_shared_skills() {
        let mut v = Vocab::default();
        let a = normalise(vec![(v.id("forklift"), 1.0), (v.id("operate"), 1.0)]);
        let b = normalise(vec![(v.id("forklift"), 1.0), (v.id("drive"), 1.0)]);
        let c = normalise(vec![(v.id("tax"), 1.0), (v.id("audit"), 1.0)]);
        assert!(dot(&a, &b) > 0.4 && dot(&a, &c) == 0.0);
        assert!((dot(&a, &a) - 1.0).abs() < 1e-6);
        assert_eq!(isco_level("8344", "8343"), 0.75);
        assert_eq!(isco_level("8344", "2411"), 0.0);
    }
}
