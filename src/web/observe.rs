//! Every request gets an id (the `X-Request-Id` response header, and a field on every log line
//! written while it is handled), one log line when it is answered (method, path without the
//! query string, route pattern, status, milliseconds) and its metrics. Query strings carry
//! search terms and are never logged.

use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::HttpMessage;
use std::future::Future;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being handled (in the request's extensions).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn new_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

pub fn observe<S, B>(req: ServiceRequest, srv: &S) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + 'static
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: 'static,
{
    let id = new_id();
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.path().to_string();
    let span = tracing::info_span!("request", id = %id);
    let started = Instant::now();
    let fut = {
        let _entered = span.enter();
        srv.call(req)
    };
    async move {
        let result = fut.await;
        let seconds = started.elapsed().as_secs_f64();
        match result {
            Ok(mut res) => {
                let status = res.status().as_u16();
                let route = route_of(&path, status);
                crate::metrics::get().request(method.as_str(), &route, status, seconds);
                let ms = (seconds * 1000.0).round() as u64;
                if status >= 500 {
                    tracing::warn!(method = %method, path = %path, status, ms, route = %route, "answered");
                } else {
                    tracing::info!(method = %method, path = %path, status, ms, route = %route, "answered");
                }
                if let Ok(v) = HeaderValue::from_str(&id) {
                    res.headers_mut().insert(REQUEST_ID, v);
                }
                Ok(res)
            }
            Err(e) => {
                tracing::warn!(method = %method, path = %path, ms = (seconds * 1000.0).round() as u64, error = %e, "failed");
                Err(e)
            }
        }
    }
    .instrument(span)
}

/// The route of a path for the metrics, with bounded variety: each segment that looks like an id
/// (it holds a digit, or is longer than 24 characters: UUIDs, ESCO URIs, PC4 codes) becomes
/// `{id}`; an unknown path (404) is "unmatched". Cheaper than resolving the route pattern again
/// (`HttpRequest::match_pattern` runs the router a second time).
pub fn route_of(path: &str, status: u16) -> String {
    if status == 404 {
        return "unmatched".into();
    }
    let mut out = String::with_capacity(path.len());
    for seg in path.split('/').skip(1) {
        out.push('/');
        if seg.len() > 24 || seg.bytes().any(|b| b.is_ascii_digit()) && !is_version(seg) {
            out.push_str("{id}");
        } else {
            out.push_str(seg);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// "v1" in /api/v1 is part of the route, not an id.
fn is_version(seg: &str) -> bool {
    seg.len() <= 3 && seg.starts_with('v') && seg[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::route_of;

    #[test]
    fn routes_have_no_ids() {
        assert_eq!(route_of("/api/v1/candidates/0190a2b3-7c4d-7e8f-9a0b-1c2d3e4f5a6b/proposals", 200), "/api/v1/candidates/{id}/proposals");
        assert_eq!(route_of("/api/v1/search/placements", 200), "/api/v1/search/placements");
        assert_eq!(route_of("/plekken/abc123", 200), "/plekken/{id}");
        assert_eq!(route_of("/api/v1/esco/skills/http%3A%2F%2Fdata.europa.eu%2Fesco%2Fskill%2Fabcdef", 200), "/api/v1/esco/skills/{id}");
        assert_eq!(route_of("/", 200), "/");
        assert_eq!(route_of("/wat/dan/ook/123", 404), "unmatched");
    }
}
