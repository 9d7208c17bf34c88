//! Fetch requests, executed: each spec or document whose content comes from a URL is downloaded
//! (with its credentials, within the configured timeout and size) into a ConfigMap owned by the
//! application. A request is fetched when it is new or changed, when a refetch is requested, and
//! after a failure once its backoff has passed; never on every reconcile.

use std::time::Duration;

use bytes::Bytes;
use compass_crds::{
    Application, ApplicationStatus,
    application::{DefinitionStatus, FetchCondition, FetchRequest, FetchStatus},
    ids::ChildKind,
};
use futures_util::{StreamExt, stream};
use http::Request;
use http_body_util::Full;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

use super::{
    children::{
        Child, Fetch, children, config_map_name, decide, definition_status, previous_of,
        request_hash,
    },
    config_maps,
};
use crate::{
    controllers::{
        Context,
        error::{Error, Result},
        status::{EventType, publish},
    },
    http::{secrets::SecretSource, status_text},
};

/// How many downloads of one application run at once.
const PARALLEL_FETCHES: usize = 4;
/// Most downloads one reconcile makes; the rest follow in the next one, so that a reconcile
/// takes at most a few fetch timeouts however many specs time out.
const MAX_FETCHES_PER_RECONCILE: usize = 16;

/// The fetch decisions for every child of an application.
pub struct Plan<'a> {
    items: Vec<(Child<'a>, Fetch)>,
    deferred: bool,
}

/// Every child's status entry, by list, and when the next retry is due.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Definitions {
    /// `status.apiDefinitions`.
    pub api_definitions: Vec<DefinitionStatus>,
    /// `status.eventDefinitions`.
    pub event_definitions: Vec<DefinitionStatus>,
    /// `status.documents`.
    pub documents: Vec<DefinitionStatus>,
    /// When the earliest failed fetch is retried.
    pub retry_in: Option<Duration>,
}

impl Definitions {
    fn push(&mut self, kind: ChildKind, status: DefinitionStatus) {
        match kind {
            ChildKind::ApiDefinition => self.api_definitions.push(status),
            ChildKind::EventDefinition => self.event_definitions.push(status),
            ChildKind::Document => self.documents.push(status),
            ChildKind::Webhook => {}
        }
    }

    fn retry(&mut self, wait: Duration) {
        self.retry_in = Some(self.retry_in.map_or(wait, |r| r.min(wait)));
    }
}

/// Decides, for each child of `app`, what to do about its fetch request.
pub fn plan<'a>(
    app: &'a Application,
    previous: &ApplicationStatus,
    refetch: bool,
    now: &Time,
) -> Plan<'a> {
    let mut due = 0;
    let mut deferred = false;
    let items = children(app)
        .into_iter()
        .map(|child| {
            let before =
                previous_of(previous, child.kind, child.name).and_then(|d| d.fetch.as_deref());
            let fetch = match decide(&child, before, refetch, now) {
                Fetch::Now { first, previous } if due == MAX_FETCHES_PER_RECONCILE => {
                    deferred = true;
                    Fetch::Deferred(if first {
                        Some(initial(&child, previous.as_ref(), now))
                    } else {
                        previous
                    })
                }
                Fetch::Now { first, previous } => {
                    due += 1;
                    Fetch::Now { first, previous }
                }
                other => other,
            };
            (child, fetch)
        })
        .collect();
    Plan { items, deferred }
}

/// The status of a request about to be fetched for the first time in its current form.
fn initial(child: &Child<'_>, previous: Option<&FetchStatus>, now: &Time) -> FetchStatus {
    FetchStatus {
        condition: FetchCondition::Initial,
        message: child.fetch.map(|r| format!("Fetching from {}", r.url)),
        timestamp: now.clone(),
        config_map: previous.and_then(|p| p.config_map.clone()),
        request_hash: child.fetch.map(request_hash),
        attempts: None,
    }
}

impl Plan<'_> {
    /// Whether some request is fetched for the first time in its current form, which is worth
    /// reporting (`SpecsFetched=Unknown`) before the downloads start.
    pub fn has_first_attempts(&self) -> bool {
        self.items
            .iter()
            .any(|(_, f)| matches!(f, Fetch::Now { first: true, .. }))
    }

    /// How many requests are fetched now and how many are deferred.
    #[cfg(test)]
    pub fn counts(&self) -> (usize, usize) {
        let now = self
            .items
            .iter()
            .filter(|(_, f)| matches!(f, Fetch::Now { .. }))
            .count();
        let later = self
            .items
            .iter()
            .filter(|(_, f)| matches!(f, Fetch::Deferred(_)))
            .count();
        (now, later)
    }

    /// The statuses while the first attempts run: `INITIAL` for them, the rest as they are.
    pub fn interim(&self, app: &Application, now: &Time) -> Definitions {
        let mut definitions = Definitions::default();
        for (child, fetch) in &self.items {
            let status = match fetch {
                Fetch::None => None,
                Fetch::Keep(s) | Fetch::Wait(s, _) | Fetch::Refuse(s) => Some(s.clone()),
                Fetch::Now {
                    first: true,
                    previous,
                } => Some(initial(child, previous.as_ref(), now)),
                Fetch::Now {
                    first: false,
                    previous,
                }
                | Fetch::Deferred(previous) => previous.clone(),
            };
            definitions.push(child.kind, definition_status(app, child, status));
        }
        definitions
    }
}

/// Carries out `plan`: downloads what is due, stores the content, deletes ConfigMaps no child
/// needs any more, and publishes an Event per outcome.
pub async fn run<S: SecretSource>(
    ctx: &Context,
    app: &Application,
    plan: Plan<'_>,
    previous: &ApplicationStatus,
    secrets: &S,
    now: &Time,
) -> Result<Definitions> {
    // NB: a stream of ready-made futures rather than `.map(closure)`: a closure taking a
    // `Child<'_>` is not general enough for the Send bound of the controller's future.
    let deferred = plan.deferred;
    let pending: Vec<_> = plan
        .items
        .into_iter()
        .map(|(child, fetch)| outcome(ctx, app, child, fetch, secrets, now))
        .collect();
    let outcomes: Vec<Result<(Child<'_>, Option<FetchStatus>)>> = stream::iter(pending)
        .buffered(PARALLEL_FETCHES)
        .collect()
        .await;
    let mut definitions = Definitions::default();
    if deferred {
        definitions.retry(Duration::ZERO);
    }
    for outcome in outcomes {
        let (child, status) = outcome?;
        if let Some(FetchStatus {
            condition: FetchCondition::Failed,
            attempts: Some(attempts),
            timestamp,
            ..
        }) = &status
        {
            definitions.retry(super::children::remaining(timestamp, *attempts, now));
        }
        definitions.push(child.kind, definition_status(app, &child, status));
    }
    config_maps::delete_unused(ctx, app, previous, &definitions).await?;
    Ok(definitions)
}

/// The status of one child after acting on its decision.
async fn outcome<'a, S: SecretSource>(
    ctx: &Context,
    app: &Application,
    child: Child<'a>,
    fetch: Fetch,
    secrets: &S,
    now: &Time,
) -> Result<(Child<'a>, Option<FetchStatus>)> {
    let status = match fetch {
        Fetch::None => None,
        Fetch::Keep(s) | Fetch::Wait(s, _) => Some(s),
        Fetch::Deferred(s) => s,
        Fetch::Refuse(s) => {
            let message = s.message.clone().unwrap_or_default();
            let note = format!("{}: {message}", child.describe());
            publish(ctx, app, EventType::Warning, "FetchFailed", "Fetch", note);
            Some(s)
        }
        Fetch::Now { previous, .. } => {
            Some(attempt(ctx, app, &child, previous, secrets, now).await?)
        }
    };
    Ok((child, status))
}

/// One download of `child`'s content, stored in its ConfigMap on success.
async fn attempt<S: SecretSource>(
    ctx: &Context,
    app: &Application,
    child: &Child<'_>,
    previous: Option<FetchStatus>,
    secrets: &S,
    now: &Time,
) -> Result<FetchStatus> {
    let request = child.fetch.ok_or(Error::Missing("fetch request"))?;
    let hash = request_hash(request);
    match download(ctx, request, secrets).await {
        Ok(content) => {
            let name = config_map_name(&app.name_any(), child.kind, child.name);
            let bytes = content.len();
            config_maps::store(ctx, app, child, &name, content).await?;
            let message = format!("Fetched {bytes} bytes from {}", request.url);
            let note = format!("{}: {message} into ConfigMap {name}", child.describe());
            publish(ctx, app, EventType::Normal, "SpecFetched", "Fetch", note);
            Ok(FetchStatus {
                condition: FetchCondition::Succeeded,
                message: Some(message),
                timestamp: now.clone(),
                config_map: Some(name),
                request_hash: Some(hash),
                attempts: None,
            })
        }
        Err(message) => {
            let same = previous
                .as_ref()
                .filter(|p| p.request_hash.as_deref() == Some(hash.as_str()));
            let attempts = match same {
                Some(p) if p.condition == FetchCondition::Failed => {
                    p.attempts.unwrap_or(1).saturating_add(1)
                }
                _ => 1,
            };
            // The same words for every attempt, so that repeats count in one Event's series
            // instead of making an Event each; the attempts are in the status.
            let note = format!("{}: {message}; retried with backoff", child.describe());
            publish(ctx, app, EventType::Warning, "FetchFailed", "Fetch", note);
            Ok(FetchStatus {
                condition: FetchCondition::Failed,
                message: Some(message),
                timestamp: now.clone(),
                config_map: previous.and_then(|p| p.config_map),
                request_hash: Some(hash),
                attempts: Some(attempts),
            })
        }
    }
}

/// GETs the request's URL with its credentials; the body as text, or why not.
async fn download<S: SecretSource>(
    ctx: &Context,
    request: &FetchRequest,
    secrets: &S,
) -> Result<String, String> {
    let url = &request.url;
    let timeout = ctx.config.fetch_timeout;
    let failed = |e: &dyn std::fmt::Display| format!("GET {url} failed: {e}");
    let outgoing = Request::get(url.as_str())
        .body(Full::<Bytes>::default())
        .map_err(|e| failed(&e))?;
    let max_bytes = ctx.config.fetch_max_bytes;
    let response = ctx
        .http
        .call(
            outgoing,
            request.auth.as_deref(),
            secrets,
            timeout,
            max_bytes,
        )
        .await
        .map_err(|e| failed(&e))?;
    if !(200..300).contains(&response.status) {
        return Err(format!(
            "GET {url} answered {}",
            status_text(response.status)
        ));
    }
    String::from_utf8(response.body.to_vec())
        .map_err(|_| format!("GET {url} returned content that is not UTF-8 text"))
}
