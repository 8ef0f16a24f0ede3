//! Prometheus metrics of this process: requests by route and status, their latency, the time
//! proposals take; the index lag, the outbox backlog and the database's state are read when the
//! metrics are scraped. Served only on `OPSTAP_METRICS_BIND` (off by default), never on the
//! public address.

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};
use std::sync::LazyLock;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    proposals: HistogramVec,
    pub index_lag_changes: IntGauge,
    pub index_lag_ms: IntGauge,
    pub index_rebuilding: IntGauge,
    pub index_write_failures: IntGauge,
    pub outbox_backlog: IntGauge,
    pub database_up: IntGauge,
}

/// Request latency buckets, in seconds (1 ms to 10 s).
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

pub fn get() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("opstap_http_requests_total", "HTTP requests answered, by method, route pattern and status"),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("opstap_http_request_duration_seconds", "Time to answer an HTTP request, by method and route pattern")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["method", "route"],
        )
        .expect("valid metric");
        let proposals = HistogramVec::new(
            HistogramOpts::new("opstap_proposals_duration_seconds", "Time to rank proposals, by direction (for_candidate, for_placement)")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["direction"],
        )
        .expect("valid metric");
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("valid metric");
        let m = Metrics {
            index_lag_changes: gauge("opstap_index_lag_changes", "Changes in the database not yet applied to this instance's index"),
            index_lag_ms: gauge("opstap_index_lag_milliseconds", "Age of the oldest change not yet applied to the index"),
            index_rebuilding: gauge("opstap_index_rebuilding", "1 while the search index is being rebuilt"),
            index_write_failures: gauge("opstap_index_write_failures", "Failed index writes since the last success"),
            outbox_backlog: gauge("opstap_outbox_backlog", "E-mail messages waiting to be sent"),
            database_up: gauge("opstap_database_up", "1 when the database answers"),
            registry,
            requests,
            latency,
            proposals,
        };
        m.registry.register(Box::new(m.requests.clone())).expect("registered once");
        m.registry.register(Box::new(m.latency.clone())).expect("registered once");
        m.registry.register(Box::new(m.proposals.clone())).expect("registered once");
        for g in [&m.index_lag_changes, &m.index_lag_ms, &m.index_rebuilding, &m.index_write_failures, &m.outbox_backlog, &m.database_up] {
            m.registry.register(Box::new(g.clone())).expect("registered once");
        }
        m
    }

    /// One answered request. `route` is the pattern (`/api/v1/placements/{id}`), never the path
    /// with its values or the query string.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        // The status as three digits without an allocation per request.
        let s = status.min(999);
        let buf = [b'0' + (s / 100) as u8, b'0' + (s / 10 % 10) as u8, b'0' + (s % 10) as u8];
        let code = std::str::from_utf8(&buf).unwrap_or("000");
        self.requests.with_label_values(&[method, route, code]).inc();
        self.latency.with_label_values(&[method, route]).observe(seconds);
    }

    pub fn proposals(&self, direction: &str, seconds: f64) {
        self.proposals.with_label_values(&[direction]).observe(seconds);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}
