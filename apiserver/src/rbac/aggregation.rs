//! The ClusterRole aggregation controller: a ClusterRole with an `aggregationRule` holds, as its
//! `rules`, the union of the rules of every other ClusterRole its label selectors match, kept up
//! to date as those change; rules written into it by hand are overwritten, as kube-apiserver's
//! controller does.

use std::{sync::Arc, time::Duration};

use k8s_openapi::{
    api::rbac::v1::{ClusterRole, PolicyRule},
    apimachinery::pkg::apis::meta::v1::LabelSelector,
};
use serde_json::json;
use tokio::sync::{broadcast::error::RecvError, watch};

use super::{bootstrap::write_as_server, keys};
use crate::server::{ServerState, write::Change};

/// How often everything is aggregated again, for changes a lagging subscription missed.
const SWEEP_INTERVAL: Duration = Duration::from_secs(30);
/// Aggregated roles may aggregate each other (`admin` takes `edit`, which takes `view`); this
/// bounds the passes that propagate a change through such chains.
const MAX_PASSES: usize = 8;

/// Runs the controller until `shutdown` turns true.
pub async fn run(state: Arc<ServerState>, mut shutdown: watch::Receiver<bool>) {
    let mut changes = state.store.subscribe();
    let mut seen = state.store.last_change(&[keys::CLUSTER_ROLES]);
    aggregate_all(&state);
    let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = shutdown.changed() => {
                if *shutdown.borrow() {
                    return;
                }
            }
            _ = ticks.tick() => {
                aggregate_all(&state);
            }
            received = changes.recv() => match received {
                // The store announces resourceVersions; only a ClusterRole's change matters.
                Ok(_) => {
                    let changed = state.store.last_change(&[keys::CLUSTER_ROLES]);
                    if changed > seen {
                        seen = changed;
                        aggregate_all(&state);
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    aggregate_all(&state);
                }
                Err(RecvError::Closed) => return,
            },
        }
    }
}

/// Brings every aggregated ClusterRole up to date; returns how many were rewritten.
pub fn aggregate_all(state: &ServerState) -> usize {
    let mut written = 0;
    for _ in 0..MAX_PASSES {
        let roles = cluster_roles(state);
        let mut changed = false;
        for role in &roles {
            let Some(rule) = &role.aggregation_rule else {
                continue;
            };
            let name = role.metadata.name.clone().unwrap_or_default();
            let selectors = rule.cluster_role_selectors.as_deref().unwrap_or_default();
            let wanted = union(&roles, &name, selectors);
            if role.rules.as_deref().unwrap_or_default() == wanted.as_slice() {
                continue;
            }
            let patch = json!({
                "metadata": { "resourceVersion": role.metadata.resource_version },
                "rules": wanted,
            });
            let change = Change::Patch(crate::server::write::PatchType::Merge, patch);
            match write_as_server(state, keys::CLUSTER_ROLES, Some(&name), change) {
                Ok(()) => {
                    written += 1;
                    changed = true;
                }
                // Another write got there first; the next pass reads it.
                Err(error) => tracing::debug!(role = %name, %error, "Aggregation deferred"),
            }
        }
        if !changed {
            break;
        }
    }
    written
}

fn cluster_roles(state: &ServerState) -> Vec<ClusterRole> {
    let mut roles: Vec<ClusterRole> = state
        .store
        .list_all(keys::CLUSTER_ROLES, None)
        .items
        .iter()
        .filter_map(|(_, stored)| serde_json::from_slice(&stored.packed.json()).ok())
        .collect();
    roles.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    roles
}

/// The rules of every ClusterRole but `name` that one of `selectors` matches, in name order,
/// each rule once.
fn union(roles: &[ClusterRole], name: &str, selectors: &[LabelSelector]) -> Vec<PolicyRule> {
    let mut rules: Vec<PolicyRule> = Vec::new();
    for role in roles {
        if role.metadata.name.as_deref() == Some(name) {
            continue;
        }
        let labels = role.metadata.labels.clone().unwrap_or_default();
        if !selectors.iter().any(|s| selects(s, &labels)) {
            continue;
        }
        for rule in role.rules.iter().flatten() {
            if !rules.contains(rule) {
                rules.push(rule.clone());
            }
        }
    }
    rules
}

/// Whether a label selector matches `labels`; an empty selector matches everything.
pub fn selects(
    selector: &LabelSelector,
    labels: &std::collections::BTreeMap<String, String>,
) -> bool {
    let labelled = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(key, value)| labels.get(key) == Some(value));
    labelled
        && selector.match_expressions.iter().flatten().all(|e| {
            let values = e.values.as_deref().unwrap_or_default();
            let found = labels.get(&e.key);
            match e.operator.as_str() {
                "In" => found.is_some_and(|v| values.contains(v)),
                "NotIn" => found.is_none_or(|v| !values.contains(v)),
                "Exists" => found.is_some(),
                "DoesNotExist" => found.is_none(),
                _ => false,
            }
        })
}
