//! Discovery documents: `/api`, `/apis` and each group-version's resource list, in the legacy
//! form and in the aggregated form (`apidiscovery.k8s.io/v2`) clients ask for first.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::crd::version_priority;
use crate::resource::ResourceInfo;

/// Verbs of a main resource.
pub const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// Verbs of a `/status` subresource.
const STATUS_VERBS: [&str; 3] = ["get", "patch", "update"];
/// Verbs of a create-only resource or subresource (reviews, `serviceaccounts/token`).
const CREATE_VERBS: [&str; 1] = ["create"];

fn verbs(info: &ResourceInfo) -> &'static [&'static str] {
    if info.create_only {
        &CREATE_VERBS
    } else {
        &VERBS
    }
}

/// The discovery documents of one registry snapshot.
pub struct Documents {
    /// `/api`: the core group's versions.
    pub api_versions: Value,
    /// `/apis`: every other group.
    pub group_list: Value,
    /// `/api/v1`, `/apis/<group>/<version>`: keyed by `v1` or `group/version`.
    pub resource_lists: HashMap<String, Value>,
    /// Aggregated `/api`.
    pub aggregated_core: Value,
    /// Aggregated `/apis`.
    pub aggregated_groups: Value,
}

impl Documents {
    /// Builds every document from the served resources.
    pub fn build(resources: &[ResourceInfo]) -> Self {
        // group -> version -> resources
        let mut groups: BTreeMap<&str, BTreeMap<&str, Vec<&ResourceInfo>>> = BTreeMap::new();
        for info in resources {
            groups
                .entry(&info.group)
                .or_default()
                .entry(&info.version)
                .or_default()
                .push(info);
        }
        let mut resource_lists = HashMap::new();
        for (group, versions) in &groups {
            for (version, infos) in versions {
                let group_version = group_version(group, version);
                let mut entries = Vec::new();
                for info in infos {
                    entries.push(resource_entry(info));
                    if info.status_subresource {
                        entries.push(json!({
                            "name": format!("{}/status", info.plural),
                            "singularName": "",
                            "namespaced": info.namespaced,
                            "kind": info.kind,
                            "verbs": STATUS_VERBS,
                        }));
                    }
                    for sub in &info.create_subresources {
                        entries.push(json!({
                            "name": format!("{}/{}", info.plural, sub.name),
                            "singularName": "",
                            "namespaced": info.namespaced,
                            "group": sub.group,
                            "version": sub.version,
                            "kind": sub.kind,
                            "verbs": CREATE_VERBS,
                        }));
                    }
                }
                resource_lists.insert(
                    group_version.clone(),
                    json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": entries }),
                );
            }
        }
        let mut group_entries = Vec::new();
        let mut aggregated = Vec::new();
        let mut aggregated_core = Vec::new();
        for (group, versions) in &groups {
            let mut names: Vec<&str> = versions.keys().copied().collect();
            names.sort_by(|a, b| version_priority(a, b));
            let version_entries: Vec<Value> = names
                .iter()
                .map(|v| json!({ "groupVersion": group_version(group, v), "version": v }))
                .collect();
            let aggregated_versions: Vec<Value> = names
                .iter()
                .map(|v| {
                    let resources: Vec<Value> = versions[v]
                        .iter()
                        .map(|info| aggregated_resource(info))
                        .collect();
                    json!({ "version": v, "resources": resources, "freshness": "Current" })
                })
                .collect();
            let aggregated_group =
                json!({ "metadata": { "name": group }, "versions": aggregated_versions });
            if group.is_empty() {
                aggregated_core.push(aggregated_group);
                continue;
            }
            aggregated.push(aggregated_group);
            group_entries.push(json!({
                "name": group,
                "versions": version_entries,
                "preferredVersion": version_entries[0],
            }));
        }
        Documents {
            api_versions: json!({
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": "" }],
            }),
            group_list: json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": group_entries }),
            resource_lists,
            aggregated_core: aggregated_list(aggregated_core),
            aggregated_groups: aggregated_list(aggregated),
        }
    }
}

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    }
}

fn resource_entry(info: &ResourceInfo) -> Value {
    let mut entry = json!({
        "name": info.plural,
        "singularName": info.singular,
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": verbs(info),
    });
    if !info.short_names.is_empty() {
        entry["shortNames"] = json!(info.short_names);
    }
    if !info.categories.is_empty() {
        entry["categories"] = json!(info.categories);
    }
    entry
}

fn aggregated_resource(info: &ResourceInfo) -> Value {
    let mut entry = json!({
        "resource": info.plural,
        "responseKind": { "group": info.group, "version": info.version, "kind": info.kind },
        "scope": if info.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": info.singular,
        "verbs": verbs(info),
    });
    if !info.short_names.is_empty() {
        entry["shortNames"] = json!(info.short_names);
    }
    if !info.categories.is_empty() {
        entry["categories"] = json!(info.categories);
    }
    let mut subresources = Vec::new();
    if info.status_subresource {
        subresources.push(json!({
            "subresource": "status",
            "responseKind": { "group": info.group, "version": info.version, "kind": info.kind },
            "verbs": STATUS_VERBS,
        }));
    }
    for sub in &info.create_subresources {
        subresources.push(json!({
            "subresource": sub.name,
            "responseKind": { "group": sub.group, "version": sub.version, "kind": sub.kind },
            "verbs": CREATE_VERBS,
        }));
    }
    if !subresources.is_empty() {
        entry["subresources"] = json!(subresources);
    }
    entry
}

fn aggregated_list(items: Vec<Value>) -> Value {
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    })
}
