//! Prometheus metrics of the API: one-time tokens, certificates, refused identities, rate-limited
//! requests, dropped audit lines, the Director's answers and persisted queries, how long
//! requests take (`durations`), and when the soonest client certificate expires (`expiry`).
//! They are registered in the registry the admin listener serves, beside the controllers'
//! metrics.

mod durations;
mod expiry;

use compass_cache::Shared;
use compass_crds::SystemAuth;
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};

use crate::gateway::ConsumerKind;
use durations::RequestDurations;
use expiry::SoonestExpiry;

/// Label of a counter of events (`issued`, `redeemed`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabel {
    event: &'static str,
}

/// Label of a counter of refused identities.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

/// Label naming a kind of consumer or certificate subject.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

/// What happened to a one-time token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenEvent {
    /// Issued through the Director.
    Issued,
    /// Exchanged at the Connector.
    Redeemed,
    /// Presented after it expired.
    Expired,
}

/// What happened to a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateEvent {
    /// Signed for a one-time token.
    Issued,
    /// Signed for the holder of a valid certificate.
    Renewed,
    /// Revoked.
    Revoked,
}

/// Reasons of refused identities the Gateway knows of (see `gateway::Refusal`); counters for
/// them start at zero.
pub const AUTHENTICATION_FAILURE_REASONS: [&str; 12] = [
    "missing_credentials",
    "unknown_token",
    "malformed_token",
    "invalid_signature",
    "invalid_claims",
    "expired_token",
    "subject_gone",
    "bad_certificate",
    "expired_certificate",
    "unknown_certificate",
    "revoked",
    "unknown_identity",
];

/// Every metric of the API. Clones of the families share their values, so one set serves the
/// handlers and the registry.
#[derive(Clone)]
pub struct ApiMetrics {
    one_time_tokens: Family<EventLabel, Counter>,
    certificates: Family<EventLabel, Counter>,
    authentication_failures: Family<ReasonLabel, Counter>,
    rate_limited: Family<KindLabel, Counter>,
    audit_lines_dropped: Counter,
    director_answers: Family<EventLabel, Counter>,
    persisted_queries: Family<EventLabel, Counter>,
    request_durations: RequestDurations,
    expiry: SoonestExpiry,
}

// The families print their values; what matters in a configuration's debug output is that they
// exist.
impl std::fmt::Debug for ApiMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiMetrics").finish_non_exhaustive()
    }
}

impl Default for ApiMetrics {
    fn default() -> Self {
        let metrics = Self {
            one_time_tokens: Family::default(),
            certificates: Family::default(),
            authentication_failures: Family::default(),
            rate_limited: Family::default(),
            audit_lines_dropped: Counter::default(),
            director_answers: Family::default(),
            persisted_queries: Family::default(),
            request_durations: durations::request_durations(),
            expiry: SoonestExpiry::default(),
        };
        // Known label values show up at zero, so a rate() over them works from the first scrape
        // (the guards `get_or_create` returns are dropped at once).
        for event in ["issued", "redeemed", "expired"] {
            let _ = metrics.one_time_tokens.get_or_create(&EventLabel { event });
        }
        for event in ["issued", "renewed", "revoked"] {
            let _ = metrics.certificates.get_or_create(&EventLabel { event });
        }
        for event in ["reused", "computed"] {
            let _ = metrics
                .director_answers
                .get_or_create(&EventLabel { event });
        }
        for event in ["found", "kept", "too_long", "not_found", "invalid"] {
            let _ = metrics
                .persisted_queries
                .get_or_create(&EventLabel { event });
        }
        for reason in AUTHENTICATION_FAILURE_REASONS {
            let _ = metrics
                .authentication_failures
                .get_or_create(&ReasonLabel { reason });
        }
        for kind in [
            ConsumerKind::User,
            ConsumerKind::Application,
            ConsumerKind::Runtime,
            ConsumerKind::IntegrationSystem,
        ] {
            let kind = kind.as_str();
            let _ = metrics.rate_limited.get_or_create(&KindLabel { kind });
        }
        metrics
    }
}

impl ApiMetrics {
    /// Registers every metric under `compass_api_` in `registry` (whose prefix is `compass`).
    pub fn register(&self, registry: &mut Registry) {
        let api = registry.sub_registry_with_prefix("api");
        api.register(
            "one_time_tokens",
            "One-time tokens issued, redeemed, and presented after their expiry",
            self.one_time_tokens.clone(),
        );
        api.register(
            "certificates",
            "Client certificates issued, renewed and revoked",
            self.certificates.clone(),
        );
        api.register(
            "authentication_failures",
            "Requests refused because the caller's identity was missing or unknown, by reason",
            self.authentication_failures.clone(),
        );
        api.register(
            "rate_limited",
            "Requests refused with 429 because their consumer was over its rate limit, by consumer kind",
            self.rate_limited.clone(),
        );
        api.register(
            "audit_lines_dropped",
            "Audit lines lost because the audit writer fell behind or its sink failed",
            self.audit_lines_dropped.clone(),
        );
        api.register(
            "director_answers",
            "Director answers to single operations: reused (the same caller asked the same query while nothing it reads changed) or computed (mutations included)",
            self.director_answers.clone(),
        );
        api.register(
            "director_persisted_queries",
            "Director requests sending a persisted query: found (its hash known), kept (its text sent with the hash, kept), too_long (the same, run but not kept), not_found (the client is to send the text) or invalid",
            self.persisted_queries.clone(),
        );
        api.register(
            "request_duration_seconds",
            "How long requests took, from their arrival at the router to their answer (a kept or computed Director answer is whole by then), by the route's path and the status code",
            self.request_durations.clone(),
        );
        api.register_collector(Box::new(self.expiry.clone()));
    }

    /// The metrics alone in the Prometheus text format, as the admin listener shows them.
    pub fn render(&self) -> String {
        let mut registry = Registry::with_prefix("compass");
        self.register(&mut registry);
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
        text
    }

    /// Counts a Director request's persisted query: `found`, `kept`, `too_long`, `not_found` or
    /// `invalid`.
    pub fn persisted_query(&self, event: &'static str) {
        self.persisted_queries
            .get_or_create(&EventLabel { event })
            .inc();
    }

    /// Counts a Director answer to a single query, `reused` or computed.
    pub fn director_answer(&self, reused: bool) {
        let event = if reused { "reused" } else { "computed" };
        self.director_answers
            .get_or_create(&EventLabel { event })
            .inc();
    }

    /// Counts a one-time token event.
    pub fn one_time_token(&self, event: TokenEvent) {
        let event = match event {
            TokenEvent::Issued => "issued",
            TokenEvent::Redeemed => "redeemed",
            TokenEvent::Expired => "expired",
        };
        self.one_time_tokens
            .get_or_create(&EventLabel { event })
            .inc();
    }

    /// Counts a certificate event.
    pub fn certificate(&self, event: CertificateEvent) {
        let event = match event {
            CertificateEvent::Issued => "issued",
            CertificateEvent::Renewed => "renewed",
            CertificateEvent::Revoked => "revoked",
        };
        self.certificates.get_or_create(&EventLabel { event }).inc();
    }

    /// Counts a request refused for its identity. `reason` is one of a fixed few (see
    /// [`AUTHENTICATION_FAILURE_REASONS`]; a new way to authenticate may add its own), never
    /// anything the caller sent.
    pub fn authentication_failure(&self, reason: &'static str) {
        self.authentication_failures
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    /// Counts a request refused by the rate limit of its consumer's kind.
    pub fn rate_limited(&self, kind: ConsumerKind) {
        let kind = kind.as_str();
        self.rate_limited.get_or_create(&KindLabel { kind }).inc();
    }

    /// Counts a request to the route `path` (the router's, not the caller's) answered with
    /// status `code` after `seconds`.
    pub fn request_duration(&self, path: &str, code: u16, seconds: f64) {
        durations::observe(&self.request_durations, path, code, seconds);
    }

    /// Counts audit lines that were lost.
    pub fn audit_lines_dropped(&self, lines: u64) {
        self.audit_lines_dropped.inc_by(lines);
    }

    /// Reads certificate expiries from `system_auths` at each scrape from now on (the first
    /// store given is kept).
    pub fn watch_certificates(&self, system_auths: Shared<SystemAuth>) {
        let _ = self.expiry.store.set(system_auths);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_named_as_documented_and_start_at_zero() {
        let metrics = ApiMetrics::default();
        metrics.one_time_token(TokenEvent::Issued);
        metrics.rate_limited(ConsumerKind::Runtime);
        metrics.audit_lines_dropped(3);
        metrics.request_duration("/director/graphql", 200, 0.003);
        let text = metrics.render();
        for line in [
            "compass_api_one_time_tokens_total{event=\"issued\"} 1",
            "compass_api_one_time_tokens_total{event=\"expired\"} 0",
            "compass_api_certificates_total{event=\"revoked\"} 0",
            "compass_api_authentication_failures_total{reason=\"unknown_token\"} 0",
            "compass_api_rate_limited_total{kind=\"runtime\"} 1",
            "compass_api_audit_lines_dropped_total 3",
            "# TYPE compass_api_certificate_soonest_expiry_seconds gauge",
            "compass_api_request_duration_seconds_count{path=\"/director/graphql\",code=\"200\"} 1",
            "compass_api_request_duration_seconds_bucket{le=\"0.0025\",path=\"/director/graphql\",code=\"200\"} 0",
            "compass_api_request_duration_seconds_bucket{le=\"0.005\",path=\"/director/graphql\",code=\"200\"} 1",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
