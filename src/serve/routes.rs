//! Which answer a request gets: a pure function of the method, the path and the snapshot.

use bytes::Bytes;
use hyper::{Method, StatusCode};

use super::snapshot::{Health, Snapshot};
use crate::report::metrics::CONTENT_TYPE;

/// An answer, before it becomes an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Bytes,
}

const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";
const INDEX: &str = "apim-probe watch\n/metrics  Prometheus metrics\n/report   the last JSON report\n/healthz  whether the last run completed\n";

fn text(status: StatusCode, body: String) -> Reply {
    Reply {
        status,
        content_type: TEXT,
        body: Bytes::from(body),
    }
}

/// The answer to `method path` (the path without its query). Only `GET` is served: anything
/// else is 405 (the server adds `Allow: GET`).
pub fn respond(method: &Method, path: &str, snap: &Snapshot) -> Reply {
    if method != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n".into());
    }
    match path {
        "/metrics" => Reply {
            status: StatusCode::OK,
            content_type: CONTENT_TYPE,
            body: snap.metrics.clone(),
        },
        "/report" => match &snap.report {
            Some(body) => Reply {
                status: StatusCode::OK,
                content_type: JSON,
                body: body.clone(),
            },
            None => text(
                StatusCode::SERVICE_UNAVAILABLE,
                "no run has completed yet\n".into(),
            ),
        },
        "/healthz" => health(&snap.health),
        "/" => text(StatusCode::OK, INDEX.into()),
        _ => text(StatusCode::NOT_FOUND, "not found; try /metrics\n".into()),
    }
}

fn health(h: &Health) -> Reply {
    match h {
        Health::Starting => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "starting: no run has completed yet\n".into(),
        ),
        Health::Completed { at } => {
            text(StatusCode::OK, format!("ok: last run completed at {at}\n"))
        }
        Health::Failed { at, why } => text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("failing: the run at {at} could not be made: {why}\n"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> crate::report::model::Report {
        serde_json::from_str(include_str!("../../tests/fixtures/report-sample.json")).unwrap()
    }

    #[test]
    fn before_the_first_run() {
        let s = Snapshot::starting();
        assert_eq!(respond(&Method::GET, "/metrics", &s).status, StatusCode::OK);
        assert_eq!(
            respond(&Method::GET, "/report", &s).status,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            respond(&Method::GET, "/healthz", &s).status,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn after_a_run_and_after_a_failed_one() {
        let r = report();
        let s = Snapshot::completed(&r, 1.0, "2026-01-01T00:00:00Z");
        let rep = respond(&Method::GET, "/report", &s);
        assert_eq!((rep.status, rep.content_type), (StatusCode::OK, JSON));
        let back: serde_json::Value = serde_json::from_slice(&rep.body).unwrap();
        assert_eq!(back["results"].as_array().unwrap().len(), r.results.len());
        let h = respond(&Method::GET, "/healthz", &s);
        assert_eq!(h.status, StatusCode::OK);
        assert!(
            std::str::from_utf8(&h.body)
                .unwrap()
                .contains("2026-01-01T00:00:00Z")
        );
        let failed = s.failed("2026-01-01T00:05:00Z", "cannot read /etc/resolv.conf");
        assert_eq!(
            respond(&Method::GET, "/healthz", &failed).status,
            StatusCode::SERVICE_UNAVAILABLE
        );
        // The last report stays served.
        assert_eq!(
            respond(&Method::GET, "/report", &failed).status,
            StatusCode::OK
        );
    }

    #[test]
    fn only_get_and_known_paths() {
        let s = Snapshot::starting();
        assert_eq!(
            respond(&Method::POST, "/metrics", &s).status,
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            respond(&Method::HEAD, "/metrics", &s).status,
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            respond(&Method::GET, "/etc/passwd", &s).status,
            StatusCode::NOT_FOUND
        );
        let m = respond(&Method::GET, "/metrics", &s);
        assert_eq!(m.content_type, CONTENT_TYPE);
    }
}
