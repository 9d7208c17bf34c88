//! Rate limits per consumer: a token bucket for each authenticated identity, with a rate and a
//! burst per consumer kind. A request over the limit is refused with 429 and `Retry-After`
//! right after authentication, before its body is read.
//!
//! A bucket that has refilled is the same as no bucket (a new one starts full), so buckets are
//! dropped once full, in a sweep at most every [`SWEEP_EVERY`], and the map never holds more than
//! [`MAX_BUCKETS`].

use std::{
    collections::HashMap,
    fmt,
    str::FromStr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    http::{HeaderValue, StatusCode, header::RETRY_AFTER},
    response::{IntoResponse, Response},
};

use crate::{gateway::ConsumerKind, metrics::ApiMetrics};

/// How often, at most, full buckets are dropped.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Most buckets held at once. Consumers are authenticated identities, so this is far above any
/// real installation; past it the fullest bucket gives way to a newcomer.
pub const MAX_BUCKETS: usize = 100_000;

/// The limit of one kind of consumer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Limit {
    /// No limit.
    Off,
    /// A token bucket: `per_second` requests a second on average, `burst` at once.
    Bucket {
        /// Sustained requests per second (more than zero).
        per_second: f64,
        /// Requests allowed at once after a quiet spell (at least one).
        burst: u32,
    },
}

/// Limits per consumer kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimitConfig {
    /// Static users: people, scripts and the UI.
    pub user: Limit,
    /// Applications, by their certificate.
    pub application: Limit,
    /// Runtime agents, by their certificate.
    pub runtime: Limit,
    /// Integration systems, which manage applications for many tenants.
    pub integration_system: Limit,
}

impl Default for RateLimitConfig {
    // A person or the UI rarely sends more than a few requests a second, but scripts page
    // through lists; an agent polls and reports a few times a minute; an integration system
    // registers applications in bulk. The defaults leave room for all of that while keeping one
    // consumer from taking the API from the others.
    fn default() -> Self {
        let bucket = |per_second, burst| Limit::Bucket { per_second, burst };
        Self {
            user: bucket(50.0, 100),
            application: bucket(20.0, 40),
            runtime: bucket(20.0, 40),
            integration_system: bucket(50.0, 100),
        }
    }
}

impl RateLimitConfig {
    /// The limit of `kind`.
    pub fn of(&self, kind: ConsumerKind) -> Limit {
        match kind {
            ConsumerKind::User => self.user,
            ConsumerKind::Application => self.application,
            ConsumerKind::Runtime => self.runtime,
            ConsumerKind::IntegrationSystem => self.integration_system,
        }
    }

    /// Sets the limit of one kind.
    pub fn set(&mut self, KindLimit(kind, limit): KindLimit) {
        match kind {
            ConsumerKind::User => self.user = limit,
            ConsumerKind::Application => self.application = limit,
            ConsumerKind::Runtime => self.runtime = limit,
            ConsumerKind::IntegrationSystem => self.integration_system = limit,
        }
    }
}

/// One kind's limit as the command line gives it: `<kind>=<per second>/<burst>` or
/// `<kind>=off`, where kind is `user`, `application`, `runtime` or `integration_system`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KindLimit(pub ConsumerKind, pub Limit);

impl FromStr for KindLimit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let usage = || {
            format!(
                "{text:?}: expected <kind>=<per second>/<burst> or <kind>=off, kind one of user, application, runtime, integration_system"
            )
        };
        let (kind, limit) = text.trim().split_once('=').ok_or_else(usage)?;
        let kind = match kind.trim().replace('-', "_").as_str() {
            "user" => ConsumerKind::User,
            "application" => ConsumerKind::Application,
            "runtime" => ConsumerKind::Runtime,
            "integration_system" => ConsumerKind::IntegrationSystem,
            _ => return Err(usage()),
        };
        if limit.trim() == "off" {
            return Ok(Self(kind, Limit::Off));
        }
        let (rate, burst) = limit.split_once('/').ok_or_else(usage)?;
        let per_second: f64 = rate.trim().parse().map_err(|_| usage())?;
        let burst: u32 = burst.trim().parse().map_err(|_| usage())?;
        if !(per_second.is_finite() && per_second > 0.0) || burst == 0 {
            return Err(format!(
                "{text:?}: the rate must be more than 0 and the burst at least 1 (or use off)"
            ));
        }
        Ok(Self(kind, Limit::Bucket { per_second, burst }))
    }
}

impl fmt::Display for KindLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Limit::Off => write!(f, "{}=off", self.0.as_str()),
            Limit::Bucket { per_second, burst } => {
                write!(f, "{}={per_second}/{burst}", self.0.as_str())
            }
        }
    }
}

/// One consumer's bucket.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    /// The tokens at `now`: what it held plus what flowed in since, up to the burst.
    fn refilled(&self, now: Instant, per_second: f64, burst: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        (self.tokens + elapsed * per_second).min(burst)
    }
}

/// The buckets of every consumer seen lately.
struct Buckets {
    map: HashMap<(ConsumerKind, String), Bucket>,
    swept: Instant,
}

/// The rate limiter of the API.
pub struct RateLimits {
    config: RateLimitConfig,
    buckets: Mutex<Buckets>,
    metrics: Arc<ApiMetrics>,
}

impl RateLimits {
    /// A limiter with `config`, counting refusals in `metrics`.
    pub fn new(config: RateLimitConfig, metrics: Arc<ApiMetrics>) -> Self {
        let buckets = Buckets {
            map: HashMap::new(),
            swept: Instant::now(),
        };
        Self {
            config,
            buckets: Mutex::new(buckets),
            metrics,
        }
    }

    /// Takes one request from the bucket of the consumer `kind`/`id`; over the limit, the
    /// refusal to answer with (a 429, see [`RateLimited`]), counted. Call it right after
    /// authentication, before reading the body.
    pub fn admit(&self, kind: ConsumerKind, id: &str) -> Result<(), RateLimited> {
        let Err(wait) = self.check(kind, id, Instant::now()) else {
            return Ok(());
        };
        self.metrics.rate_limited(kind);
        Err(RateLimited {
            kind,
            id: id.to_owned(),
            retry_after: retry_after_seconds(wait),
        })
    }

    /// Takes one request from the bucket of `kind`/`id` at `now`; over the limit, how long until
    /// a request would be allowed.
    pub fn check(&self, kind: ConsumerKind, id: &str, now: Instant) -> Result<(), Duration> {
        let Limit::Bucket { per_second, burst } = self.config.of(kind) else {
            return Ok(());
        };
        let burst = f64::from(burst);
        // A poisoned lock only means another request panicked mid-update; the buckets are
        // still numbers, so carry on with them.
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if now.saturating_duration_since(buckets.swept) >= SWEEP_EVERY {
            self.sweep(&mut buckets, now);
        }
        let key = (kind, id.to_owned());
        if !buckets.map.contains_key(&key) && buckets.map.len() >= MAX_BUCKETS {
            self.sweep(&mut buckets, now);
            if buckets.map.len() >= MAX_BUCKETS {
                self.evict_fullest(&mut buckets, now);
            }
        }
        let bucket = buckets.map.entry(key).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let tokens = bucket.refilled(now, per_second, burst);
        bucket.updated = now;
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            Ok(())
        } else {
            bucket.tokens = tokens;
            Err(Duration::from_secs_f64((1.0 - tokens) / per_second))
        }
    }

    /// Drops every bucket that has refilled by `now` (or whose kind is no longer limited).
    fn sweep(&self, buckets: &mut Buckets, now: Instant) {
        buckets.swept = now;
        buckets
            .map
            .retain(|(kind, _), bucket| match self.config.of(*kind) {
                Limit::Off => false,
                Limit::Bucket { per_second, burst } => {
                    let burst = f64::from(burst);
                    bucket.refilled(now, per_second, burst) < burst
                }
            });
    }

    /// Drops the bucket nearest to full, the one whose loss forgives the least.
    fn evict_fullest(&self, buckets: &mut Buckets, now: Instant) {
        let fullness =
            |(kind, _): &(ConsumerKind, String), bucket: &Bucket| match self.config.of(*kind) {
                Limit::Off => 1.0,
                Limit::Bucket { per_second, burst } => {
                    let burst = f64::from(burst);
                    bucket.refilled(now, per_second, burst) / burst
                }
            };
        let fullest = buckets
            .map
            .iter()
            .max_by(|a, b| fullness(a.0, a.1).total_cmp(&fullness(b.0, b.1)))
            .map(|(key, _)| key.clone());
        if let Some(key) = fullest {
            buckets.map.remove(&key);
        }
    }

    /// How many buckets are held, for tests of eviction.
    pub fn len(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .len()
    }

    /// Whether no bucket is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Retry-After in whole seconds, at least one: a client waiting that long finds a token.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

/// A request refused for its consumer's rate limit; its response is a 429 with a GraphQL error
/// of code `RATE_LIMITED` and `Retry-After`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimited {
    /// The consumer's kind.
    pub kind: ConsumerKind,
    /// The consumer's id.
    pub id: String,
    /// Whole seconds until a request would be admitted (at least one).
    pub retry_after: u64,
}

impl IntoResponse for RateLimited {
    fn into_response(self) -> Response {
        too_many_requests(&self)
    }
}

/// The 429 answer: a GraphQL error with the code `RATE_LIMITED`, and `Retry-After`.
fn too_many_requests(refused: &RateLimited) -> Response {
    let seconds = refused.retry_after;
    let message = format!(
        "rate limited: {} {} sent more requests than its limit allows; retry after {seconds} s",
        refused.kind.as_str(),
        refused.id
    );
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": "RATE_LIMITED" } }]
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests;
