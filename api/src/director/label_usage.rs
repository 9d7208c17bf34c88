//! Which objects of a tenant use a label key or a scenario, for the refusals that name them:
//! a label definition whose schema stored values would break, one deleted while labels use it,
//! and a scenario dropped while objects are in it.

use serde_json::Value;

use crate::state::{Caches, label_tag, scenario_tag};

/// The applications and runtimes with `tag`, as `Kind name`.
fn holders(caches: &Caches, tag: &str) -> Vec<String> {
    let applications = caches.applications.tagged(tag).into_iter().map(|a| {
        format!(
            "Application {}",
            a.metadata.name.as_deref().unwrap_or_default()
        )
    });
    let runtimes = caches
        .runtimes
        .tagged(tag)
        .into_iter()
        .map(|r| format!("Runtime {}", r.metadata.name.as_deref().unwrap_or_default()));
    applications.chain(runtimes).collect()
}

/// The objects of a tenant that carry a label key, as `Kind name`.
pub fn holders_of_key(caches: &Caches, namespace: &str, key: &str) -> Vec<String> {
    holders(caches, &label_tag(namespace, key))
}

/// The objects of a tenant in a scenario, as `Kind name`.
pub fn holders_of_scenario(caches: &Caches, namespace: &str, scenario: &str) -> Vec<String> {
    holders(caches, &scenario_tag(namespace, scenario))
}

/// Every stored value of `key` in a tenant, with the object holding it.
pub fn values_of_key(caches: &Caches, namespace: &str, key: &str) -> Vec<(String, Value)> {
    let tag = label_tag(namespace, key);
    let applications = caches
        .applications
        .tagged(&tag)
        .into_iter()
        .filter_map(|a| {
            let value = a.spec.labels.get(key)?.clone();
            Some((
                format!(
                    "Application {}",
                    a.metadata.name.as_deref().unwrap_or_default()
                ),
                value,
            ))
        });
    let runtimes = caches.runtimes.tagged(&tag).into_iter().filter_map(|r| {
        let value = r.spec.labels.get(key)?.clone();
        Some((
            format!("Runtime {}", r.metadata.name.as_deref().unwrap_or_default()),
            value,
        ))
    });
    applications.chain(runtimes).collect()
}

/// Lists holders for an error message, at most ten of them.
pub fn listed(holders: &[String]) -> String {
    let mut text = holders
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if holders.len() > 10 {
        text.push_str(&format!(" and {} more", holders.len() - 10));
    }
    text
}
