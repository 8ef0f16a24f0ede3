//! The benchmark's machinery at a small scale (the full run is `opstap bench`, see README).

use crate::common;

#[actix_web::test]
async fn bench_runs_end_to_end_at_small_scale() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    let index = dir.path().join("index");
    let report = actix_web::web::block(move || {
        let pool = opstap::db::connect(&url, 2).unwrap();
        let mut conn = pool.get().unwrap();
        opstap::db::run_migrations(&mut conn).unwrap();
        opstap::engine::relatedness::import(&mut conn, &common::refdata_dir(), false).unwrap();
        let rd = opstap::refdata::RefData::load(&mut conn).unwrap();
        drop(conn);
        let cfg = opstap::bench::BenchConfig { placements: 400, candidates: 800, queries: 5, seed: 7, reuse: false, baseline: true };
        opstap::bench::run(&pool, &rd, &index, &cfg).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(report.index_docs, 1200);
    assert!(report.index_docs_per_s > 0.0);
    for l in [&report.candidate_to_placements, &report.placement_to_candidates, &report.sql_candidate_to_placements] {
        assert_eq!(l.n, 5);
        assert!(l.p50_ms > 0.0 && l.p99_ms >= l.p50_ms);
    }
    // At this small scale (400 placements spread over the whole country) few placements near a
    // candidate are relevant to it; from a placement, the whole country holds relevant candidates.
    assert!(report.placement_to_candidates_region.mean_results + report.placement_to_candidates.mean_results > 0.0, "{report}");
    assert!(report.peak_rss_mb > 0.0);
    assert!(report.to_string().contains("p99 ms"));
}

/// A rebuild with more than two pages of candidates and a second connection free in the pool
/// reads the candidates on two connections, split at the middle id: every candidate and
/// placement of the database is in the index exactly once, and a search finds what it did.
#[actix_web::test]
async fn a_rebuild_with_two_candidate_readers_indexes_every_row_once() {
    use diesel::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    let index = dir.path().join("index");
    actix_web::web::block(move || {
        let pool = opstap::db::connect(&url, 2).unwrap();
        let mut conn = pool.get().unwrap();
        opstap::db::run_migrations(&mut conn).unwrap();
        opstap::engine::relatedness::import(&mut conn, &common::refdata_dir(), false).unwrap();
        let rd = opstap::refdata::RefData::load(&mut conn).unwrap();
        // Four pages and a bit (a page is 2,000 rows): the halves do not fall on page bounds.
        let cfg = opstap::bench::BenchConfig { placements: 300, candidates: 8_300, queries: 0, seed: 3, reuse: false, baseline: false };
        opstap::bench::generate(&mut conn, &rd, &cfg).unwrap();
        let mut ids: Vec<String> = opstap::db::schema::candidates::table.select(opstap::db::schema::candidates::id).load(&mut conn).unwrap();
        drop(conn);
        assert_eq!(ids.len(), 8_300);
        let out = opstap::search::reindex(&index, &pool, false).unwrap();
        assert!(matches!(out, opstap::search::ReindexOutcome::Rebuilt { placements: 300, candidates: 8_300, .. }), "{out:?}");
        let (idx, _) = opstap::search::open(&index, false).unwrap();
        assert_eq!(idx.num_docs(), (300, 8_300));
        let searcher = idx.candidates.reader.searcher();
        let id_field = idx.candidates.fields.id;
        ids.sort();
        for id in [ids.first().unwrap(), &ids[ids.len() / 2], &ids[ids.len() / 2 + 1], ids.last().unwrap()].into_iter().chain(ids.iter().step_by(7)) {
            let n = searcher.doc_freq(&tantivy::Term::from_field_text(id_field, id)).unwrap();
            assert_eq!(n, 1, "candidate {id} is in the index once");
        }
    })
    .await
    .unwrap();
}

/// `read` of `items` (in id order) in pages of `size` as a full pass reads them: each page with
/// the last id of the page before it.
fn in_pages<T: Clone, S>(items: &[T], size: usize, id: impl Fn(&T) -> &String, mut read: impl FnMut(Vec<T>, &str) -> Vec<S>) -> Vec<S> {
    let mut after = String::new();
    let mut out = Vec::new();
    for page in items.chunks(size) {
        out.extend(read(page.to_vec(), &after));
        after = id(page.last().unwrap()).clone();
    }
    out
}

/// A full pass reads child rows per page as one id range (`*_page_*`), grouped by position;
/// a request reads them by ids. Both give every candidate and placement the same aggregate
/// (occupations, skills, latest ladder step, organisation), pages cut anywhere, on SQLite and
/// PostgreSQL (whose text order is its collation's). A row of a candidate missing from its page
/// (inserted after the page was read) goes to no other candidate.
#[actix_web::test]
async fn a_page_of_a_full_pass_reads_what_a_read_by_ids_reads() {
    use diesel::prelude::*;
    use opstap::db::models::{Candidate, LadderMeasurement, Placement};
    use opstap::db::queries as q;
    use opstap::db::schema as s;
    let db = common::fresh_db();
    let url = db.url.clone();
    actix_web::web::block(move || {
        let pool = opstap::db::connect(&url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        let cs: Vec<Candidate> = s::candidates::table.order(s::candidates::id).select(Candidate::as_select()).load(&mut conn).unwrap();
        assert!(cs.len() >= 10, "the demo region has candidates");
        // More than one ladder measurement for some: a later one (wins), an earlier one (loses),
        // one on the same day created later (wins).
        let day = chrono::NaiveDate::from_ymd_opt(2030, 6, 1).unwrap();
        let at = opstap::db::now();
        for (n, c) in cs.iter().enumerate().filter(|(n, _)| n % 3 == 0) {
            for (d, step, created) in [(day, 4, at), (day - chrono::Days::new(400), 1, at), (day, 5, at + chrono::Duration::seconds(n as i64 + 1))] {
                diesel::insert_into(s::ladder_measurements::table)
                    .values(&LadderMeasurement {
                        id: opstap::db::new_id(),
                        candidate_id: c.id.clone(),
                        measured_on: d,
                        step,
                        target_step: None,
                        measured_by: None,
                        note: String::new(),
                        created_at: created,
                    })
                    .execute(&mut conn)
                    .unwrap();
            }
        }
        let show =
            |c: &q::CandidateFull| format!("{:?} {:?} {:?} {:?}", c.candidate, c.occupations, c.skills, c.ladder.as_ref().map(|l| (l.step, &l.id)));
        let full = q::candidates_for_matching(&mut conn, cs.clone()).unwrap();
        for (n, c) in full.iter().enumerate().filter(|(n, _)| n % 3 == 0) {
            assert_eq!(c.ladder.as_ref().map(|l| l.step), Some(5), "candidate {n}: the latest measurement");
        }
        assert!(full.iter().any(|c| !c.skills.is_empty()) && full.iter().any(|c| !c.occupations.is_empty()), "the comparison covers child rows");
        let by_ids: Vec<String> = full.iter().map(show).collect();
        for size in [1, 3, 7, cs.len()] {
            let paged = in_pages(
                &cs,
                size,
                |c| &c.id,
                |page, after| q::candidates_page_for_matching(&mut conn, page, after).unwrap().iter().map(show).collect(),
            );
            assert_eq!(paged, by_ids, "pages of {size}");
        }
        // The second candidate is missing from the page of the first three.
        let page = vec![cs[0].clone(), cs[2].clone()];
        let got: Vec<String> = q::candidates_page_for_matching(&mut conn, page, "").unwrap().iter().map(show).collect();
        assert_eq!(got, vec![by_ids[0].clone(), by_ids[2].clone()]);

        let ps: Vec<Placement> = s::placements::table.order(s::placements::id).select(Placement::as_select()).load(&mut conn).unwrap();
        assert!(ps.len() >= 5);
        let show = |p: &q::PlacementFull| format!("{:?} {:?} {}", p.placement, p.skills, p.organisation.id);
        let by_ids: Vec<String> = q::placements_full(&mut conn, ps.clone()).unwrap().iter().map(show).collect();
        assert!(q::placements_full(&mut conn, ps.clone()).unwrap().iter().any(|p| p.skills.len() > 1));
        for size in [1, 4, ps.len()] {
            let paged =
                in_pages(&ps, size, |p| &p.id, |page, after| q::placements_page_full(&mut conn, page, after).unwrap().iter().map(show).collect());
            assert_eq!(paged, by_ids, "pages of {size}");
        }
    })
    .await
    .unwrap();
    drop(db);
}
