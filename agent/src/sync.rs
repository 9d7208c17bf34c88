//! One synchronisation: the applications the management plane assigns to this runtime, fetched
//! whole (every page, checked against the total), applied as Kyma Applications with their specs
//! and credentials, and the managed applications no longer assigned deleted, but only on a
//! complete, successful answer, and past a guard share only when a second answer confirms it.
//! A failed, cut short or refused fetch deletes nothing.

use std::collections::{BTreeMap, BTreeSet};

use compass_api::client::DirectorClient;
use compass_operator::controllers::events::{EventRecorder, EventType};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ObjectReference, Secret};
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams},
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    APPLICATION_ID_LABEL, FIELD_MANAGER, MANAGED_BY, MANAGED_BY_LABEL,
    kyma::{self, Desired},
};

/// Applications per page of `applicationsForRuntime`.
const PAGE: i64 = 100;
/// Most pages one fetch reads: 100,000 applications.
const MAX_PAGES: usize = 1000;

/// Why a synchronisation did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The management plane refused the agent's certificate.
    #[error("the management plane refused the agent's certificate: {0}")]
    Refused(String),
    /// No complete answer: unreachable, an error, a cut short or inconsistent answer.
    #[error("fetching the assigned applications failed: {0}")]
    Fetch(String),
    /// Writing to the runtime failed.
    #[error("applying in the runtime failed: {0}")]
    Apply(String),
}

/// Every application assigned to `runtime_id`, or an error: never a partial list.
pub async fn fetch(director: &DirectorClient, runtime_id: &str) -> Result<Vec<Value>, SyncError> {
    let mut pages = Pages::default();
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let variables = json!({ "runtimeID": runtime_id, "first": PAGE, "after": after });
        let answer = director
            .execute(kyma::APPLICATIONS_FOR_RUNTIME, variables)
            .await
            .map_err(SyncError::Fetch)?;
        if answer.status == 401 || answer.status == 403 {
            return Err(SyncError::Refused(answer.body.to_string()));
        }
        if answer.status != 200 {
            return Err(SyncError::Fetch(format!(
                "HTTP {}: {}",
                answer.status, answer.body
            )));
        }
        match read_page(&answer.body, &mut pages)? {
            Next::Complete => return Ok(pages.applications),
            Next::After(cursor) => after = Some(cursor),
        }
    }
    Err(SyncError::Fetch(format!("more than {MAX_PAGES} pages")))
}

/// What the pages of one answer read so far hold.
#[derive(Debug, Default)]
pub struct Pages {
    /// The applications, in the order of the pages.
    pub applications: Vec<Value>,
    /// The `totalCount` the first page announced.
    pub total: Option<u64>,
}

/// What follows a page that checks out.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// The answer is complete: the pages hold every application the total announced.
    Complete,
    /// Another page, after this cursor.
    After(String),
}

/// Checks one page of `applicationsForRuntime` (an HTTP 200 body) and adds its applications to
/// `pages`. Fails on GraphQL errors, a missing page, list or `totalCount`, a total that differs
/// from the first page's, a next page without a cursor, and a last page that leaves the total
/// unmet: a wrong answer is never taken for a short one.
pub fn read_page(body: &Value, pages: &mut Pages) -> Result<Next, SyncError> {
    if body.get("errors").is_some() {
        return Err(SyncError::Fetch(format!("HTTP 200: {body}")));
    }
    let page = &body["data"]["applicationsForRuntime"];
    let Some(data) = page["data"].as_array() else {
        return Err(SyncError::Fetch(format!(
            "the answer holds no page: {body}"
        )));
    };
    let total = page["totalCount"]
        .as_u64()
        .ok_or_else(|| SyncError::Fetch("the answer holds no totalCount".to_owned()))?;
    // Every page must agree on the total: a change between pages restarts nothing here, it
    // fails this sync, and the next one reads a consistent list.
    if *pages.total.get_or_insert(total) != total {
        return Err(SyncError::Fetch(
            "the assignment changed while it was read".to_owned(),
        ));
    }
    pages.applications.extend(data.iter().cloned());
    if page["pageInfo"]["hasNextPage"].as_bool() == Some(true) {
        // Without a cursor the next request would read the first page again, and again.
        return match page["pageInfo"]["endCursor"].as_str() {
            Some(cursor) => Ok(Next::After(cursor.to_owned())),
            None => Err(SyncError::Fetch(
                "the answer has a next page but no cursor to it".to_owned(),
            )),
        };
    }
    if pages.applications.len() as u64 != total {
        return Err(SyncError::Fetch(format!(
            "the answer is incomplete: {} of {total} applications",
            pages.applications.len()
        )));
    }
    Ok(Next::Complete)
}

/// Annotation of an Application the agent wrote: the digest of everything it applied for it
/// (the Application, its ConfigMaps and Secrets), so that an unchanged application is not
/// applied again.
pub const APPLIED_DIGEST_ANNOTATION: &str = "compass.kyma-project.io/applied-digest";

/// What one apply did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Ids of the applications in place: applied now, or unchanged since they were.
    pub applied: BTreeSet<String>,
    /// How many of them were written now.
    pub written: usize,
    /// Applications that failed, with why.
    pub failed: Vec<(String, String)>,
}

/// Applies each assigned application (server-side apply, the agent's field manager), then its
/// ConfigMaps and Secrets (in [`kyma::NAMESPACE`]), owned by it; skips those whose digest in
/// `in_place` (application id to [`APPLIED_DIGEST_ANNOTATION`]) says they are applied as they are.
pub async fn apply(
    client: &Client,
    tenant: &str,
    assigned: &[Value],
    in_place: &BTreeMap<String, String>,
) -> Applied {
    let namespace = kyma::NAMESPACE;
    let mut outcome = Applied::default();
    if let Err(error) = ensure_namespace(client, namespace).await {
        outcome.failed.push(("*".to_owned(), error));
        return outcome;
    }
    for application in assigned {
        let id = application["id"].as_str().unwrap_or("?").to_owned();
        let digest = in_place.get(&id).map(String::as_str);
        match apply_one(client, namespace, tenant, application, digest).await {
            Ok(written) => {
                outcome.written += usize::from(written);
                outcome.applied.insert(id);
            }
            Err(error) => outcome.failed.push((id, error)),
        }
    }
    outcome
}

/// Applies one application unless `in_place` is the digest of what it would apply; returns
/// whether it wrote.
async fn apply_one(
    client: &Client,
    namespace: &str,
    tenant: &str,
    app: &Value,
    in_place: Option<&str>,
) -> Result<bool, String> {
    let mut desired: Desired = kyma::desired(app, tenant)?;
    let digest = digest_of(&desired);
    if in_place == Some(digest.as_str()) {
        return Ok(false);
    }
    desired
        .application
        .annotations_mut()
        .insert(APPLIED_DIGEST_ANNOTATION.to_owned(), digest);
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let applications: Api<kyma::Application> = Api::all(client.clone());
    let name = desired.application.name_any();
    let applied = applications
        .patch(&name, &params, &Patch::Apply(&desired.application))
        .await
        .map_err(|e| format!("applying Application {name} failed: {e}"))?;
    kyma::owned_by(&mut desired, applied.uid().as_deref().unwrap_or_default());
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    for map in &desired.config_maps {
        let name = map.name_any();
        maps.patch(&name, &params, &Patch::Apply(map))
            .await
            .map_err(|e| format!("applying ConfigMap {namespace}/{name} failed: {e}"))?;
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    for secret in &desired.secrets {
        let name = secret.name_any();
        secrets
            .patch(&name, &params, &Patch::Apply(secret))
            .await
            .map_err(|e| format!("applying Secret {namespace}/{name} failed: {e}"))?;
    }
    Ok(true)
}

/// The digest of everything applied for one application.
fn digest_of(desired: &Desired) -> String {
    let mut hasher = Sha256::new();
    let parts = [
        serde_json::to_vec(&desired.application),
        serde_json::to_vec(&desired.config_maps),
        serde_json::to_vec(&desired.secrets),
    ];
    for part in parts {
        hasher.update(part.unwrap_or_default());
    }
    format!("{:x}", hasher.finalize())
}

/// Creates `namespace` when it does not exist.
pub async fn ensure_namespace(client: &Client, namespace: &str) -> Result<(), String> {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let object = Namespace {
        metadata: ObjectMeta {
            name: Some(namespace.to_owned()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    let params = PatchParams::apply(FIELD_MANAGER);
    namespaces
        .patch(namespace, &params, &Patch::Apply(&object))
        .await
        .map(|_| ())
        .map_err(|e| format!("creating the namespace {namespace} failed: {e}"))
}

/// The Applications the agent manages in the runtime.
pub async fn managed(client: &Client) -> Result<Vec<kyma::Application>, SyncError> {
    let applications: Api<kyma::Application> = Api::all(client.clone());
    let selector = format!("{MANAGED_BY_LABEL}={MANAGED_BY}");
    let managed = applications
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| SyncError::Apply(format!("listing the managed Applications failed: {e}")))?;
    Ok(managed.items)
}

/// Application id to the digest of what was applied for it, of the `managed` Applications.
pub fn digests(managed: &[kyma::Application]) -> BTreeMap<String, String> {
    managed
        .iter()
        .filter_map(|a| {
            let id = a.labels().get(APPLICATION_ID_LABEL)?;
            let digest = a.annotations().get(APPLIED_DIGEST_ANNOTATION)?;
            Some((id.clone(), digest.clone()))
        })
        .collect()
}

/// The `managed` applications no longer in `assigned`.
pub fn unassigned(
    managed: Vec<kyma::Application>,
    assigned: &BTreeSet<String>,
) -> Vec<kyma::Application> {
    managed
        .into_iter()
        .filter(|a| {
            a.labels()
                .get(APPLICATION_ID_LABEL)
                .is_none_or(|id| !assigned.contains(id))
        })
        .collect()
}

/// Whether deleting `count` of `managed` applications at once passes the guard `share` (0 to 1):
/// one is always allowed.
pub fn within_guard(count: usize, managed: usize, share: f64) -> bool {
    count <= 1 || (count as f64) <= share * managed as f64
}

/// Deletes `unassigned` applications (their ConfigMaps and Secrets go with them, as owned
/// objects), each with an Event saying why.
pub async fn delete(
    client: &Client,
    recorder: &EventRecorder,
    runtime_id: &str,
    unassigned: &[kyma::Application],
) -> Result<usize, SyncError> {
    let applications: Api<kyma::Application> = Api::all(client.clone());
    for application in unassigned {
        let name = application.name_any();
        applications
            .delete(&name, &DeleteParams::background())
            .await
            .map_err(|e| SyncError::Apply(format!("deleting Application {name} failed: {e}")))?;
        let reference = ObjectReference {
            api_version: Some(kyma::Application::api_version(&()).into_owned()),
            kind: Some(kyma::Application::kind(&()).into_owned()),
            name: Some(name.clone()),
            uid: application.uid(),
            ..ObjectReference::default()
        };
        let id = application
            .labels()
            .get(APPLICATION_ID_LABEL)
            .cloned()
            .unwrap_or_default();
        let note = format!(
            "application {id} is no longer assigned to runtime {runtime_id} (a complete answer of the management plane): deleted"
        );
        let published = recorder
            .publish(&reference, EventType::Normal, "Unassigned", "Delete", &note)
            .await;
        if let Err(error) = published {
            tracing::warn!(%error, application = %name, "Recording the deletion's Event failed");
        }
    }
    Ok(unassigned.len())
}

#[cfg(test)]
mod tests;
