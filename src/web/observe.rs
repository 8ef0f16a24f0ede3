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
    let span = tracing::info_span!("request", id = %id, method = %method, path = %req.path());
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
                let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
                crate::metrics::get().request(method.as_str(), &route, status, seconds);
                if status >= 500 {
                    tracing::warn!(status, ms = (seconds * 1000.0).round() as u64, route = %route, "answered");
                } else {
                    tracing::info!(status, ms = (seconds * 1000.0).round() as u64, route = %route, "answered");
                }
                if let Ok(v) = HeaderValue::from_str(&id) {
                    res.headers_mut().insert(REQUEST_ID, v);
                }
                Ok(res)
            }
            Err(e) => {
                tracing::warn!(ms = (seconds * 1000.0).round() as u64, error = %e, "failed");
                Err(e)
            }
        }
    }
    .instrument(span)
}
