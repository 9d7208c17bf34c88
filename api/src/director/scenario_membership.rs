//! Which scenarios objects are in, and who shares one: the tenant's scenario names, the check of
//! a `scenarios` label value (the scenarios an application or runtime joins), a runtime's
//! scenarios in effect, and the runtimes and applications sharing a scenario with an object.
//! Read by labels, label definitions, applications and default eventing.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use compass_crds::{
    Application, Runtime,
    labels::{DEFAULT_SCENARIO, SCENARIOS_KEY, effective_scenarios},
    schema::{SCENARIO_NAME_MAX_LENGTH, SCENARIO_NAME_PATTERN},
};
use serde_json::Value;

use crate::{
    director::labels::uid_of,
    errors::{ApiResult, invalid},
    pagination::cut,
    state::{Caches, scenario_tag},
};

/// The scenario names of a tenant: `DEFAULT` first, the others in alphabetical order.
///
/// `DEFAULT` is always there, as the original's meta-schema required; the operator keeps its
/// object in every tenant.
pub fn names(caches: &Caches, namespace: &str) -> Vec<String> {
    let mut others: BTreeSet<String> = caches
        .scenarios
        .in_namespace(namespace)
        .iter()
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .map(|s| s.scenario_name().to_owned())
        .collect();
    others.remove(DEFAULT_SCENARIO);
    std::iter::once(DEFAULT_SCENARIO.to_owned())
        .chain(others)
        .collect()
}

/// Checks a scenario name (at the argument `field`): the original's pattern and length.
pub fn check_name(field: &str, name: &str) -> ApiResult<()> {
    static PATTERN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(SCENARIO_NAME_PATTERN).expect("a valid regex")
    });
    if name.chars().count() > SCENARIO_NAME_MAX_LENGTH as usize || !PATTERN.is_match(name) {
        return Err(invalid(
            field,
            format!(
                "scenario {name:?} must be 2 to {SCENARIO_NAME_MAX_LENGTH} letters, digits, '-', '_' or spaces, starting and ending with a letter or digit"
            ),
        ));
    }
    Ok(())
}

/// Checks a `scenarios` label value: a non-empty list of distinct names, each a scenario of the
/// tenant. Returns the names.
pub fn check_value(
    caches: &Caches,
    namespace: &str,
    field: &str,
    value: &Value,
) -> ApiResult<Vec<String>> {
    let items = value.as_array().ok_or_else(|| {
        invalid(
            field,
            format!("label {SCENARIOS_KEY} must be a list of scenario names"),
        )
    })?;
    if items.is_empty() {
        return Err(invalid(
            field,
            format!("label {SCENARIOS_KEY} must list at least one scenario"),
        ));
    }
    let known = names(caches, namespace);
    let mut listed: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let name = item
            .as_str()
            .ok_or_else(|| invalid(field, format!("scenario {item} must be a string")))?;
        check_name(field, name)?;
        if listed.iter().any(|n| n == name) {
            return Err(invalid(field, format!("scenario {name:?} is listed twice")));
        }
        if !known.iter().any(|k| k == name) {
            return Err(invalid(
                field,
                format!(
                    "scenario {name:?} does not exist in this tenant; add it to the scenarios label definition first (known: {})",
                    known.join(", ")
                ),
            ));
        }
        listed.push(name.to_owned());
    }
    Ok(listed)
}

/// The runtime's scenarios in effect.
pub fn of_runtime(runtime: &Runtime) -> Vec<String> {
    effective_scenarios(runtime.spec.scenarios.as_deref())
}

/// Whether the application and the runtime share at least one scenario.
pub fn share_one(application: &Application, runtime: &Runtime) -> bool {
    let of_application = effective_scenarios(application.spec.scenarios.as_deref());
    of_runtime(runtime)
        .iter()
        .any(|s| of_application.contains(s))
}

/// Runtimes of the application's tenant that share a scenario with it, by uid.
pub fn runtimes_sharing(
    caches: &Caches,
    application: &Application,
) -> BTreeMap<String, Arc<Runtime>> {
    let namespace = application
        .metadata
        .namespace
        .as_deref()
        .unwrap_or_default();
    let mut found = BTreeMap::new();
    for scenario in effective_scenarios(application.spec.scenarios.as_deref()) {
        for runtime in caches.runtimes.tagged(&scenario_tag(namespace, &scenario)) {
            if runtime.metadata.deletion_timestamp.is_none() {
                found.insert(runtime.metadata.uid.clone().unwrap_or_default(), runtime);
            }
        }
    }
    found
}

/// Applications of the tenant `namespace` that share a scenario with the runtime, in uid order. A
/// runtime in no scenario shares none.
pub fn applications_sharing(
    caches: &Caches,
    namespace: &str,
    runtime: &Runtime,
) -> Vec<Arc<Application>> {
    let mut found = caches
        .applications
        .tagged_any(&runtime_tags(namespace, runtime));
    found.retain(|application| application.metadata.deletion_timestamp.is_none());
    found
}

/// How many [`applications_sharing`] there are, and at most `take` of them after the uid
/// `after`: for a runtime in one scenario (the usual case) a window of the scenario's index, so
/// that a page costs its own applications; for one in several, cut from their union.
pub fn applications_sharing_window(
    caches: &Caches,
    namespace: &str,
    runtime: &Runtime,
    after: Option<&str>,
    take: usize,
) -> (usize, Vec<Arc<Application>>) {
    match runtime_tags(namespace, runtime).as_slice() {
        [tag] => {
            let window = caches.applications.window_tagged(tag, after, take);
            (window.total, window.objects)
        }
        _ => cut(
            applications_sharing(caches, namespace, runtime),
            uid_of,
            after,
            take,
        ),
    }
}

fn runtime_tags(namespace: &str, runtime: &Runtime) -> Vec<String> {
    (of_runtime(runtime).iter())
        .map(|scenario| scenario_tag(namespace, scenario))
        .collect()
}
