//! How long each request takes: timed from its arrival at the router to its answer and counted
//! in `compass_api_request_duration_seconds`, by the route it matched and the status code.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};

use super::Api;

/// The label of a request that matched no route (answered 404 or 405).
const UNMATCHED: &str = "unmatched";

/// Middleware timing every request of the API's router.
pub(super) async fn timed(State(api): State<Arc<Api>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // The route's own path, read before the request moves on: never a path the caller chose.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let path = route.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    let seconds = started.elapsed().as_secs_f64();
    api.metrics
        .request_duration(path, response.status().as_u16(), seconds);
    response
}
