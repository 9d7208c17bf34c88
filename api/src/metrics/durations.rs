//! The histogram of how long the API takes to answer a request, by route and status code.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{family::Family, histogram::Histogram},
};

/// Upper bounds of the buckets, in seconds: 100 µs (an answer kept whole) to 60 s (the longest
/// poll an agent's assignment is held), in steps of 1, 2.5 and 5, fine enough to tell a kept
/// answer from a computed one and to read a p99 to within its bucket.
const REQUEST_DURATION_BUCKETS: [f64; 18] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

/// Labels of one request's duration: the route it matched (the router's path, never what the
/// caller sent, so the label's values stay few; `unmatched` for none) and the HTTP status code
/// answered.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RequestLabels {
    path: String,
    code: u16,
}

/// One histogram per route and status code.
pub(super) type RequestDurations = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// The family, empty until the first request.
pub(super) fn request_durations() -> RequestDurations {
    Family::new_with_constructor(|| Histogram::new(REQUEST_DURATION_BUCKETS))
}

/// Counts a request to the route `path` answered with `code` after `seconds`.
pub(super) fn observe(durations: &RequestDurations, path: &str, code: u16, seconds: f64) {
    let labels = RequestLabels {
        path: path.to_owned(),
        code,
    };
    durations.get_or_create(&labels).observe(seconds);
}
