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
        opstap::refdata::import(&mut conn, &common::refdata_dir(), false).unwrap();
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
        opstap::refdata::import(&mut conn, &common::refdata_dir(), false).unwrap();
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
