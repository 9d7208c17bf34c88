//! Everything both tenants own, read as the admin: every Compass kind, Secret, ConfigMap, Role,
//! RoleBinding and ServiceAccount of their namespaces, the Namespaces themselves, and the
//! cluster-scoped Tenants, IntegrationSystems, ApplicationTemplates, ClusterRoles and
//! ClusterRoleBindings, each object as the JSON the API server serves (resourceVersion included).

use std::{collections::BTreeMap, time::Duration};

use compass_tests::{DEADLINE, TestServer};
use serde_json::Value;

use super::setup::{ATTACKER_NS, VICTIM_NS};

const COMPASS: &str = "/apis/compass.kyma-project.io/v1alpha1";
const CORE: &str = "/api/v1";
const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";

const NAMESPACED: [(&str, &str); 10] = [
    (COMPASS, "applications"),
    (COMPASS, "runtimes"),
    (COMPASS, "scenarios"),
    (COMPASS, "labeldefinitions"),
    (COMPASS, "systemauths"),
    (CORE, "secrets"),
    (CORE, "configmaps"),
    (CORE, "serviceaccounts"),
    (RBAC, "roles"),
    (RBAC, "rolebindings"),
];

const CLUSTER: [(&str, &str); 6] = [
    (COMPASS, "tenants"),
    (COMPASS, "integrationsystems"),
    (COMPASS, "applicationtemplates"),
    (CORE, "namespaces"),
    (RBAC, "clusterroles"),
    (RBAC, "clusterrolebindings"),
];

/// Every object, by `<collection path>/<name>`, as JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot(pub BTreeMap<String, String>);

async fn list(client: &kube::Client, path: &str, into: &mut BTreeMap<String, String>) {
    let request = http::Request::get(path).body(Vec::new()).unwrap();
    let text = client.request_text(request).await.unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    for item in list["items"].as_array().unwrap() {
        let name = item["metadata"]["name"].as_str().unwrap();
        into.insert(format!("{path}/{name}"), item.to_string());
    }
}

/// Reads everything once.
pub async fn take(server: &TestServer) -> Snapshot {
    let client = server.client().await;
    let mut objects = BTreeMap::new();
    for namespace in [VICTIM_NS, ATTACKER_NS] {
        for (prefix, plural) in NAMESPACED {
            let path = format!("{prefix}/namespaces/{namespace}/{plural}");
            list(&client, &path, &mut objects).await;
        }
    }
    for (prefix, plural) in CLUSTER {
        list(&client, &format!("{prefix}/{plural}"), &mut objects).await;
    }
    Snapshot(objects)
}

/// Compass objects whose status describes an older generation, or (when `ready` is asked for)
/// whose `Ready` condition is not `True` yet.
fn unsettled(snapshot: &Snapshot, ready: bool) -> Vec<String> {
    snapshot
        .0
        .iter()
        .filter(|(key, _)| key.starts_with(COMPASS))
        .filter_map(|(key, text)| {
            let object: Value = serde_json::from_str(text).unwrap();
            let status = &object["status"];
            let is_ready = compass_tests::ready(&object).is_some_and(|(s, _, _)| s == "True");
            let current = status["observedGeneration"] == object["metadata"]["generation"];
            (!((is_ready || !ready) && current)).then(|| key.clone())
        })
        .collect()
}

/// Waits until the operator described every Compass object's generation (and, when `ready`,
/// found each Ready) and nothing changed for a quiet period; returns that snapshot.
pub async fn settled(server: &TestServer, ready: bool) -> Snapshot {
    const QUIET: Duration = Duration::from_millis(1500);
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut last = take(server).await;
    loop {
        tokio::time::sleep(QUIET).await;
        let now = take(server).await;
        let pending = unsettled(&now, ready);
        if now == last && pending.is_empty() {
            return now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the tenants never settled; pending: {pending:?}; changed: {:?}",
            differences(&last, &now)
        );
        last = now;
    }
}

/// The objects that differ between two snapshots, each with both versions.
pub fn differences(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = before.0.keys().chain(after.0.keys()).collect();
    keys.into_iter()
        .filter(|k| before.0.get(*k) != after.0.get(*k))
        .map(|k| {
            format!(
                "{k}:\n  before: {}\n  after:  {}",
                before.0.get(k).map_or("(none)", String::as_str),
                after.0.get(k).map_or("(none)", String::as_str)
            )
        })
        .collect()
}

/// The snapshot without the objects of `namespace`.
pub fn outside(snapshot: &Snapshot, namespace: &str) -> Snapshot {
    let inside = format!("/namespaces/{namespace}/");
    let kept = snapshot.0.iter().filter(|(k, _)| !k.contains(&inside));
    Snapshot(kept.map(|(k, v)| (k.clone(), v.clone())).collect())
}
