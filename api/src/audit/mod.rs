//! The audit log: one JSON line for every mutation through any door of the API, and a security
//! line for every refused identity, scope or tenant. A line names who (consumer id and type),
//! where (tenant), what (operation name and root fields) and how it ended (`success`, or the
//! error codes); never variables, arguments, headers or tokens.
//!
//! Lines go through a bounded channel to a writer thread ([`sink`]); when the channel is full
//! the line is dropped and counted (`compass_api_audit_lines_dropped_total`), never waited for.

pub mod connector;
pub mod graphql;
pub mod request_id;
pub mod sink;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
        mpsc::{SyncSender, TrySendError},
    },
    time::{Duration, Instant},
};

use serde::Serialize;

pub use request_id::RequestId;
pub use sink::AuditSink;

use crate::{
    errors::Code,
    gateway::{Caller, ConsumerKind},
    metrics::ApiMetrics,
};

/// Lines waiting for the writer, at most. A line is a few hundred bytes, so this is about a
/// megabyte at worst, and some seconds of a busy API's mutations.
pub const QUEUE_LINES: usize = 4096;

/// Longest operation name, root field name or tenant written; longer ones are cut (they come
/// from the caller, and a line must stay a line).
const MAX_NAME: usize = 256;

/// Most root fields written for one operation.
const MAX_FIELDS: usize = 64;

/// Codes that make a line a security event.
const SECURITY_CODES: [Code; 3] = [
    Code::Unauthenticated,
    Code::InsufficientScopes,
    Code::TenantMismatch,
];

/// Whether an operation changes anything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OperationKind {
    /// A mutation (or another call that changes state, such as issuing a token): audited.
    Mutation,
    /// A query: audited only when refused for security.
    Query,
    /// Not known, because the request was refused before its body was read: audited only when
    /// refused for security.
    #[default]
    Unknown,
}

/// Who sent a request, as audit lines name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    /// A user's name, or a system's client id (its SystemAuth's uid).
    pub id: String,
    /// Its kind.
    pub kind: ConsumerKind,
    /// The external tenant id it acts in, if any.
    pub tenant: Option<String>,
}

impl From<&Caller> for Consumer {
    fn from(caller: &Caller) -> Self {
        Self {
            id: caller.id.clone(),
            kind: caller.kind,
            tenant: caller.tenant.clone(),
        }
    }
}

/// One operation to audit. [`Audit::record`] decides whether it makes a line: a security line
/// when an error code is a security refusal, else a mutation line for a mutation, else none.
#[derive(Clone, Debug, Default)]
pub struct AuditEntry {
    /// The request's id.
    pub request_id: String,
    /// Which API: `director`, `connector`, `oauth`.
    pub api: &'static str,
    /// Who, if known: the consumer's id (a user's name, a system's client id).
    pub consumer_id: Option<String>,
    /// What kind of consumer (`user`, `application`, `runtime`, `integration_system`).
    pub consumer_type: Option<&'static str>,
    /// The external tenant id the caller acted in, if any.
    pub tenant: Option<String>,
    /// Mutation, query, or unknown.
    pub kind: OperationKind,
    /// The GraphQL operation name, if the caller gave one.
    pub operation_name: Option<String>,
    /// The root field names (`registerApplication`), or the endpoint's operation (`token`).
    pub operation: Vec<String>,
    /// The error codes of the answer, none on success.
    pub errors: Vec<String>,
    /// Why an identity was refused (`unknown_token`, `revoked`, ...: the Gateway's reasons).
    pub reason: Option<&'static str>,
}

impl AuditEntry {
    /// An entry for a request with id `request_id` to `api`.
    pub fn new(request_id: &RequestId, api: &'static str) -> Self {
        Self {
            request_id: request_id.0.clone(),
            api,
            ..Self::default()
        }
    }

    /// A request refused with `code` before its body was read (so its operation is unknown),
    /// from `caller` if it is known.
    pub fn refused(
        request_id: &RequestId,
        api: &'static str,
        caller: Option<&Caller>,
        code: Code,
    ) -> Self {
        let entry = Self::new(request_id, api).errors([code.as_str()]);
        match caller {
            Some(caller) => entry.caller(caller),
            None => entry,
        }
    }

    /// The caller: its id, kind and tenant.
    #[must_use]
    pub fn caller(self, caller: &Caller) -> Self {
        self.consumer(&Consumer::from(caller))
    }

    /// The consumer: its id, kind and tenant.
    #[must_use]
    pub fn consumer(mut self, consumer: &Consumer) -> Self {
        self.consumer_id = Some(consumer.id.clone());
        self.consumer_type = Some(consumer.kind.as_str());
        self.tenant = consumer.tenant.clone();
        self
    }

    /// Why the identity was refused.
    #[must_use]
    pub fn reason(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }

    /// The operation: its kind, name and root fields.
    #[must_use]
    pub fn operation(
        mut self,
        kind: OperationKind,
        name: Option<&str>,
        fields: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.kind = kind;
        self.operation_name = name.map(str::to_owned);
        self.operation = fields.into_iter().map(Into::into).collect();
        self
    }

    /// The error codes the operation ended with (none for success).
    #[must_use]
    pub fn errors(mut self, codes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.errors = codes.into_iter().map(Into::into).collect();
        self
    }

    /// The line's event: `security`, `mutation`, or none.
    fn event(&self) -> Option<&'static str> {
        let security = self
            .errors
            .iter()
            .any(|e| SECURITY_CODES.iter().any(|c| c.as_str() == e));
        match (security, self.kind) {
            (true, _) => Some("security"),
            (false, OperationKind::Mutation) => Some("mutation"),
            (false, _) => None,
        }
    }
}

/// One line as written: the entry's fields in a fixed order, cut to bounds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    time: String,
    event: &'static str,
    request_id: &'a str,
    api: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    operation_name: Option<&'a str>,
    operation: Vec<&'a str>,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

/// The head of `text`, at most [`MAX_NAME`] bytes, cut at a character boundary.
fn cut(text: &str) -> &str {
    let mut end = text.len().min(MAX_NAME);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl AuditEntry {
    /// The JSON line of the entry at `time`, if it makes one.
    fn line(&self, time: jiff::Timestamp) -> Option<String> {
        let event = self.event()?;
        let mut errors: Vec<&str> = Vec::new();
        for code in self.errors.iter().map(|c| cut(c)) {
            if !errors.contains(&code) {
                errors.push(code);
            }
        }
        let line = Line {
            time: time
                .round(jiff::Unit::Millisecond)
                .unwrap_or(time)
                .to_string(),
            event,
            request_id: &self.request_id,
            api: self.api,
            consumer_id: self.consumer_id.as_deref().map(cut),
            consumer_type: self.consumer_type,
            tenant: self.tenant.as_deref().map(cut),
            operation_name: self.operation_name.as_deref().map(cut),
            operation: self
                .operation
                .iter()
                .take(MAX_FIELDS)
                .map(|f| cut(f))
                .collect(),
            outcome: if errors.is_empty() {
                "success"
            } else {
                "failure"
            },
            errors,
            reason: self.reason,
        };
        serde_json::to_string(&line).ok()
    }
}

/// The handle every door of the API records its lines with; clones share one writer.
#[derive(Clone, Default)]
pub struct Audit {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    lines: SyncSender<String>,
    metrics: Arc<ApiMetrics>,
    warnings: DropWarnings,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let on = self.inner.is_some();
        f.debug_struct("Audit").field("on", &on).finish()
    }
}

impl Audit {
    /// No audit log: [`record`](Self::record) does nothing.
    pub fn off() -> Self {
        Self::default()
    }

    /// Opens `sink` and starts its writer thread; lost lines are counted in `metrics`. Fails if
    /// the file cannot be opened (or the thread not started).
    pub fn start(sink: &AuditSink, metrics: Arc<ApiMetrics>) -> std::io::Result<Self> {
        let Some(writer) = sink::Writer::open(sink)? else {
            return Ok(Self::off());
        };
        let (lines, receiver) = std::sync::mpsc::sync_channel(QUEUE_LINES);
        let inner = Arc::new(Inner {
            lines,
            metrics,
            warnings: DropWarnings::default(),
        });
        // The writer holds the counters only weakly: it ends once every handle is gone.
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("audit-writer".to_owned())
            .spawn(move || {
                writer.run(receiver, |error| {
                    if let Some(inner) = weak.upgrade() {
                        inner.lost(&format!("writing failed: {error}"));
                    }
                });
            })?;
        Ok(Self { inner: Some(inner) })
    }

    /// Records `entry`, if it makes a line (see [`AuditEntry`]). Never blocks: when the writer
    /// is behind, the line is dropped and counted.
    pub fn record(&self, entry: &AuditEntry) {
        let Some(inner) = &self.inner else { return };
        let Some(line) = entry.line(jiff::Timestamp::now()) else {
            return;
        };
        match inner.lines.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => inner.lost("the writer is behind"),
            Err(TrySendError::Disconnected(_)) => inner.lost("the writer stopped"),
        }
    }
}

impl Inner {
    /// Counts one lost line, and warns about lost lines at most every [`WARN_EVERY`].
    fn lost(&self, why: &str) {
        self.metrics.audit_lines_dropped(1);
        if let Some(lost) = self.warnings.due(Instant::now()) {
            tracing::warn!(lost, why, "Audit lines were dropped");
        }
    }
}

/// Warnings about lost lines are at most this frequent.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// Counts lost lines between warnings.
#[derive(Default)]
struct DropWarnings {
    since_warning: AtomicU64,
    last: Mutex<Option<Instant>>,
}

impl DropWarnings {
    /// Counts a lost line; the lines lost since the last warning if one is due at `now`.
    fn due(&self, now: Instant) -> Option<u64> {
        self.since_warning.fetch_add(1, Ordering::Relaxed);
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| now.saturating_duration_since(at) < WARN_EVERY) {
            return None;
        }
        *last = Some(now);
        Some(self.since_warning.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests;
