//! An application's children (API definitions, event definitions, documents) with their derived
//! ids and fetch requests, the names of the objects the controller owns for them, and the pure
//! decision of which fetch requests are due.

use std::time::Duration;

use compass_crds::{
    Application, ApplicationStatus,
    application::{DefinitionStatus, FetchCondition, FetchMode, FetchRequest, FetchStatus},
    ids::{ChildKind, child_id},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use sha2::{Digest, Sha256};

/// Longest wait between attempts of a failing fetch or webhook call.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// One API definition, event definition or document.
#[derive(Clone, Copy, Debug)]
pub struct Child<'a> {
    /// Which list it is in.
    pub kind: ChildKind,
    /// Its name (a document's title).
    pub name: &'a str,
    /// Where its content is downloaded from, if it is.
    pub fetch: Option<&'a FetchRequest>,
}

impl Child<'_> {
    /// The kind in words, for messages: `API definition "orders"`.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            ChildKind::ApiDefinition => "API definition",
            ChildKind::EventDefinition => "event definition",
            ChildKind::Document => "document",
            ChildKind::Webhook => "webhook",
        };
        format!("{kind} {:?}", self.name)
    }
}

/// Every child, API definitions first, then event definitions, then documents, in spec order.
pub fn children(app: &Application) -> Vec<Child<'_>> {
    let spec = &app.spec;
    let apis = spec.api_definitions.iter().map(|a| Child {
        kind: ChildKind::ApiDefinition,
        name: &a.name,
        fetch: a.spec.as_ref().and_then(|s| s.fetch_request.as_deref()),
    });
    let events = spec.event_definitions.iter().map(|e| Child {
        kind: ChildKind::EventDefinition,
        name: &e.name,
        fetch: e.spec.as_ref().and_then(|s| s.fetch_request.as_deref()),
    });
    let documents = spec.documents.iter().map(|d| Child {
        kind: ChildKind::Document,
        name: &d.title,
        fetch: d.fetch_request.as_deref(),
    });
    apis.chain(events).chain(documents).collect()
}

/// The first `len` hex digits of the SHA-256 of `text`.
fn digest(text: &str, len: usize) -> String {
    let hex = compass_crds::hex::lower(&Sha256::digest(text.as_bytes()));
    hex[..len].to_owned()
}

/// Cuts a name to the 253 characters of an object name, and trims a trailing `-` or `.`.
fn bounded(name: String) -> String {
    let mut name = name;
    name.truncate(253);
    name.trim_end_matches(['-', '.']).to_owned()
}

/// The ConfigMap holding a child's fetched content: `<app>-<api|event|doc>-<digest of the child
/// name>`. Child names may hold characters object names may not, so only their digest is used.
pub fn config_map_name(app: &str, kind: ChildKind, child: &str) -> String {
    let kind = match kind {
        ChildKind::ApiDefinition => "api",
        ChildKind::EventDefinition => "event",
        ChildKind::Document => "doc",
        ChildKind::Webhook => "webhook",
    };
    // The digest keeps the end of the name unique even when a long app name is cut.
    let suffix = format!("-{kind}-{}", digest(child, 10));
    let mut base = app.to_owned();
    base.truncate(253 - suffix.len());
    bounded(format!("{}{suffix}", base.trim_end_matches(['-', '.'])))
}

/// The Secret holding the credentials the webhooks returned for a runtime:
/// `<app>-<runtime>-<digest of both>`.
pub fn credentials_secret_name(app: &str, runtime: &str) -> String {
    let suffix = format!("-{}", digest(&format!("{app}/{runtime}"), 8));
    let mut base = format!("{app}-{runtime}");
    base.truncate(253 - suffix.len());
    bounded(format!("{}{suffix}", base.trim_end_matches(['-', '.'])))
}

/// Digest of a fetch request: a changed URL, credential, mode or filter changes it.
pub fn request_hash(request: &FetchRequest) -> String {
    let canonical = serde_json::to_string(request).unwrap_or_default();
    format!("sha256:{}", digest(&canonical, 16))
}

/// The wait after `attempts` failures in a row: 2^attempts seconds, at most five minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    Duration::from_secs(2u64.pow(exponent)).min(MAX_BACKOFF)
}

/// How long from `now` until `last + backoff(attempts)`, zero when that has passed.
pub fn remaining(last: &Time, attempts: i32, now: &Time) -> Duration {
    let due = last.0 + backoff(attempts);
    let left = now.0.duration_until(due);
    Duration::try_from(left).unwrap_or(Duration::ZERO)
}

/// What to do about one child's fetch request.
#[derive(Clone, Debug, PartialEq)]
pub enum Fetch {
    /// No fetch request.
    None,
    /// Fetched or failed, and nothing to do now; the status stays.
    Keep(FetchStatus),
    /// Fetch now. `first` when the request was never attempted in this form (new, changed, or
    /// refetch requested), as opposed to a retry after a failure.
    Now {
        /// Never attempted in this form.
        first: bool,
        /// The status before this attempt.
        previous: Option<FetchStatus>,
    },
    /// Failed, with the next attempt due after this wait.
    Wait(FetchStatus, Duration),
    /// The request cannot be served (unsupported mode); the status says why.
    Refuse(FetchStatus),
    /// Due, but left for the next reconcile so that one reconcile stays short; the status to
    /// report meanwhile.
    Deferred(Option<FetchStatus>),
}

/// The status of a child in `previous`, by kind and name.
pub fn previous_of<'a>(
    previous: &'a ApplicationStatus,
    kind: ChildKind,
    name: &str,
) -> Option<&'a DefinitionStatus> {
    let list = match kind {
        ChildKind::ApiDefinition => &previous.api_definitions,
        ChildKind::EventDefinition => &previous.event_definitions,
        ChildKind::Document => &previous.documents,
        ChildKind::Webhook => return None,
    };
    list.iter().find(|d| d.name == name)
}

/// Decides what to do about `child`'s fetch request, given its previous status, whether a
/// refetch was requested, and the time.
pub fn decide(
    child: &Child<'_>,
    previous: Option<&FetchStatus>,
    refetch: bool,
    now: &Time,
) -> Fetch {
    let Some(request) = child.fetch else {
        return Fetch::None;
    };
    let hash = request_hash(request);
    let same = previous.filter(|p| p.request_hash.as_deref() == Some(hash.as_str()));
    if let Some(mode) = request.mode.filter(|m| *m != FetchMode::Single) {
        let message = format!("mode {} is not supported; use SINGLE", mode_name(mode));
        if let Some(p) = same.filter(|p| p.message.as_deref() == Some(message.as_str())) {
            return Fetch::Keep(p.clone());
        }
        return Fetch::Refuse(FetchStatus {
            condition: FetchCondition::Failed,
            message: Some(message),
            timestamp: now.clone(),
            config_map: previous.and_then(|p| p.config_map.clone()),
            request_hash: Some(hash),
            attempts: None,
        });
    }
    match same {
        Some(p) if refetch => Fetch::Now {
            first: true,
            previous: Some(p.clone()),
        },
        Some(p) if p.condition == FetchCondition::Succeeded => Fetch::Keep(p.clone()),
        Some(p) if p.condition == FetchCondition::Failed => {
            let attempts = p.attempts.unwrap_or(1);
            match remaining(&p.timestamp, attempts, now) {
                Duration::ZERO => Fetch::Now {
                    first: false,
                    previous: Some(p.clone()),
                },
                wait => Fetch::Wait(p.clone(), wait),
            }
        }
        _ => Fetch::Now {
            first: true,
            previous: previous.cloned(),
        },
    }
}

fn mode_name(mode: FetchMode) -> &'static str {
    match mode {
        FetchMode::Single => "SINGLE",
        FetchMode::Package => "PACKAGE",
        FetchMode::Index => "INDEX",
    }
}

/// The status entry of a child with its derived id.
pub fn definition_status(
    app: &Application,
    child: &Child<'_>,
    fetch: Option<FetchStatus>,
) -> DefinitionStatus {
    DefinitionStatus {
        name: child.name.to_owned(),
        id: child_id(&app.uid().unwrap_or_default(), child.kind, child.name).to_string(),
        fetch: fetch.map(Box::new),
    }
}

#[cfg(test)]
mod tests;
