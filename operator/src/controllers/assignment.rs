//! Which runtimes see which applications: an application is visible to exactly the runtimes of
//! its tenant that share at least one of its scenarios (in effect: `DEFAULT` when the application
//! or runtime omits its list). Pure functions over the caches, shared by the Application and
//! Runtime controllers.

use std::sync::Arc;

use compass_crds::{Application, Names, Runtime, labels::DEFAULT_SCENARIO};
use kube::{Resource, ResourceExt};

/// Most names a status lists; counts are always exact.
pub const MAX_LISTED: usize = 100;

/// Whether an object that lists `listed` scenarios (or omits the list, and so is in `DEFAULT`)
/// is in `scenario`.
pub fn in_scenario(listed: Option<&[String]>, scenario: &str) -> bool {
    match listed {
        Some(names) => names.iter().any(|n| n == scenario),
        None => scenario == DEFAULT_SCENARIO,
    }
}

/// Whether an application and a runtime of the same namespace share a scenario.
// NB: called for every application-runtime pair of a namespace (ten million pairs for 10,000
// applications and 1,000 runtimes), so it compares in place rather than building sets.
pub fn visible_to(application: &Application, runtime: &Runtime) -> bool {
    application.meta().namespace == runtime.meta().namespace
        && application.meta().deletion_timestamp.is_none()
        && runtime.meta().deletion_timestamp.is_none()
        && share_a_scenario(
            application.spec.scenarios.as_deref(),
            runtime.spec.scenarios.as_deref(),
        )
}

/// Whether two scenario lists, each `DEFAULT` when omitted, have a name in common.
fn share_a_scenario(a: Option<&[String]>, b: Option<&[String]>) -> bool {
    let has_default = |names: &[String]| names.iter().any(|n| n == DEFAULT_SCENARIO);
    match (a, b) {
        (None, None) => true,
        (None, Some(names)) | (Some(names), None) => has_default(names),
        (Some(a), Some(b)) => a.iter().any(|n| b.contains(n)),
    }
}

/// The runtimes among `candidates` that see `application`, sorted by name. The candidates are
/// known to be of the application's namespace and to share one of its scenarios in effect (as
/// the stores' scenario index finds them): only whether either is being deleted is left to
/// check.
// NB: every application reconcile meets the runtimes sharing its scenarios, a hundred or more.
// Comparing their namespaces and scenarios again, each reached through pointers mostly out of
// the CPU's cache, was a tenth of the operator's time in a burst of new applications. They are
// filtered in place, since each copy of an `Arc` is an atomic write that the concurrent
// reconciles, sharing the same runtimes, contend for.
pub fn runtimes_among(
    application: &Application,
    mut candidates: Vec<Arc<Runtime>>,
) -> Vec<Arc<Runtime>> {
    if application.meta().deletion_timestamp.is_some() {
        return Vec::new();
    }
    candidates.retain(|r| r.meta().deletion_timestamp.is_none());
    debug_assert!(candidates.iter().all(|r| visible_to(application, r)));
    // Names are unique within the namespace, so an unstable sort orders them the same.
    candidates.sort_unstable_by(|a, b| a.meta().name.cmp(&b.meta().name));
    candidates
}

/// How many of `applications` `runtime` sees, and the first [`MAX_LISTED`] of their names in
/// name order: what a runtime's status shows.
// NB: a runtime in a scenario of 1,000 applications is reconciled whenever one of them changes;
// picking the first names leaves the rest unsorted and every object uncopied.
pub fn applications_seen_by(
    runtime: &Runtime,
    applications: &[Arc<Application>],
) -> (usize, Names) {
    let mut seen: Vec<&str> = applications
        .iter()
        .filter(|a| visible_to(a, runtime))
        .map(|a| a.meta().name.as_deref().unwrap_or_default())
        .collect();
    let count = seen.len();
    if count > MAX_LISTED {
        seen.select_nth_unstable(MAX_LISTED - 1);
        seen.truncate(MAX_LISTED);
    }
    // Names are unique within the namespace, so an unstable sort orders them the same.
    seen.sort_unstable();
    (count, seen.into_iter().collect())
}

/// The first [`MAX_LISTED`] names, for a status.
pub fn listed<K: ResourceExt>(objects: &[Arc<K>]) -> Names {
    objects
        .iter()
        .take(MAX_LISTED)
        .map(|o| o.meta().name.as_deref().unwrap_or_default())
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn app(name: &str, scenarios: Option<&[&str]>) -> Arc<Application> {
        let mut spec = json!({});
        if let Some(scenarios) = scenarios {
            spec["scenarios"] = json!(scenarios);
        }
        let mut app = Application::new(name, serde_json::from_value(spec).unwrap());
        app.meta_mut().namespace = Some("acme".into());
        Arc::new(app)
    }

    fn runtime(name: &str, namespace: &str, scenarios: Option<&[&str]>) -> Arc<Runtime> {
        let mut spec = json!({});
        if let Some(scenarios) = scenarios {
            spec["scenarios"] = json!(scenarios);
        }
        let mut runtime = Runtime::new(name, serde_json::from_value(spec).unwrap());
        runtime.meta_mut().namespace = Some(namespace.into());
        Arc::new(runtime)
    }

    #[test]
    fn runtimes_see_applications_that_share_any_scenario_in_their_namespace() {
        let runtimes = [
            runtime("b-marketing", "acme", Some(&["marketing"])),
            runtime("a-default", "acme", None),
            runtime("none", "acme", Some(&[])),
            runtime("other-tenant", "globex", None),
        ];
        let defaulted = app("shop", None);
        let seeing = |app: &Application| {
            (runtimes.iter())
                .filter(|r| visible_to(app, r))
                .map(|r| r.name_any())
                .collect::<Vec<_>>()
        };
        assert_eq!(seeing(&defaulted), vec!["a-default"]);
        let both = app("crm", Some(&["marketing", "DEFAULT"]));
        assert_eq!(seeing(&both), vec!["b-marketing", "a-default"]);
        let apps = vec![defaulted, both, app("sales", Some(&["Sales EMEA"]))];
        let (count, seen) = applications_seen_by(&runtimes[0], &apps);
        assert_eq!((count, seen.iter().collect::<Vec<_>>()), (1, vec!["crm"]));
        assert_eq!(
            applications_seen_by(&runtimes[2], &apps).0,
            0,
            "an explicit empty list sees nothing"
        );
        assert!(in_scenario(None, "DEFAULT") && !in_scenario(None, "marketing"));
        assert!(!in_scenario(Some(&[]), "DEFAULT"));
    }

    #[test]
    fn of_the_candidates_a_scenario_shares_those_being_deleted_are_left_out_and_the_rest_sorted() {
        let deleting = |runtime: Arc<Runtime>| {
            let mut runtime = (*runtime).clone();
            runtime.meta_mut().deletion_timestamp = Some(crate::controllers::status::now());
            Arc::new(runtime)
        };
        let candidates = vec![
            runtime("c", "acme", None),
            deleting(runtime("b", "acme", None)),
            runtime("a", "acme", None),
        ];
        let shop = app("shop", None);
        let names =
            |found: Vec<Arc<Runtime>>| found.iter().map(|r| r.name_any()).collect::<Vec<_>>();
        assert_eq!(
            names(runtimes_among(&shop, candidates.clone())),
            vec!["a", "c"]
        );
        let mut leaving = (*shop).clone();
        leaving.meta_mut().deletion_timestamp = Some(crate::controllers::status::now());
        assert!(
            runtimes_among(&leaving, candidates).is_empty(),
            "an application being deleted is seen by none"
        );
    }

    #[test]
    fn a_runtime_counts_every_application_it_sees_and_lists_the_first_names_in_order() {
        let runtime = runtime("edge", "acme", None);
        // Out of name order, as the store's index holds them (by uid), with some not seen.
        let apps: Vec<Arc<Application>> = (0..250)
            .rev()
            .map(|i| {
                let scenarios: Option<&[&str]> = (i % 5 == 0).then_some(&["marketing"]);
                app(&format!("app-{i:03}"), scenarios)
            })
            .collect();
        let (count, listed) = applications_seen_by(&runtime, &apps);
        assert_eq!(count, 200);
        let expected: Vec<String> = (0..250)
            .filter(|i| i % 5 != 0)
            .take(MAX_LISTED)
            .map(|i| format!("app-{i:03}"))
            .collect();
        assert_eq!(listed.iter().collect::<Vec<_>>(), expected);
    }
}
