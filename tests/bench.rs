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
