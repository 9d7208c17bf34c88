//! How each of the product's kinds is indexed: the tags and extra keys the Director's queries and
//! the controllers' triggers look objects up by, so none of them scans a namespace to find one.

use compass_crds::{
    Application, LabelDefinition, Runtime, SubjectKind, SystemAuth, Tenant,
    ids::{ChildKind, child_id},
    labels::effective_scenarios,
};
use kube::ResourceExt;

use crate::index::Indexing;

/// Tag of the tenants with an external id: several may carry one, and only the operator's
/// verdict (`Ready`) tells which of them answers to it.
pub fn external_id_tag(external_id: &str) -> String {
    format!("external-id\0{external_id}")
}

/// Tag of the applications and runtimes of a tenant namespace in a scenario.
pub fn scenario_tag(namespace: &str, scenario: &str) -> String {
    format!("scenario\0{namespace}\0{scenario}")
}

/// Tag of the applications and runtimes of a tenant namespace carrying a label key.
pub fn label_tag(namespace: &str, key: &str) -> String {
    format!("label\0{namespace}\0{key}")
}

/// Tag of the label definitions of a tenant namespace for a key (rival claims may share one).
pub fn definition_tag(namespace: &str, key: &str) -> String {
    format!("definition\0{namespace}\0{key}")
}

/// Tag of the system auths of one subject (an application, runtime or integration system).
pub fn subject_tag(namespace: &str, kind: &SubjectKind, name: &str) -> String {
    format!("subject\0{namespace}\0{kind:?}\0{name}")
}

/// Tag of the system auth holding a one-time token, by the token's digest.
pub fn token_tag(digest: &str) -> String {
    format!("token\0{digest}")
}

/// Tag of the tenants whose status names a namespace as theirs: how an application's or runtime's
/// identity finds its tenant.
pub fn tenant_namespace_tag(namespace: &str) -> String {
    format!("tenant-namespace\0{namespace}")
}

/// Tenants, by external id and by the namespace their status names.
pub fn tenants() -> Indexing<Tenant> {
    Indexing {
        tags: |tenant| {
            let mut tags = vec![external_id_tag(&tenant.spec.external_id)];
            if let Some(namespace) = tenant.status.as_ref().and_then(|s| s.namespace.as_deref()) {
                tags.push(tenant_namespace_tag(namespace));
            }
            tags
        },
        ..Indexing::default()
    }
}

/// Applications, by the ids of their API definitions, event definitions, documents and
/// webhooks, and by scenario in effect and label key.
pub fn applications() -> Indexing<Application> {
    Indexing {
        extra_keys: child_ids,
        tags: |application| {
            let namespace = application.namespace().unwrap_or_default();
            let scenarios = effective_scenarios(application.spec.scenarios.as_deref());
            membership(&namespace, application.spec.labels.keys(), &scenarios)
        },
        ..Indexing::default()
    }
}

/// Runtimes, by scenario in effect and label key; the minutely move of an agent's heartbeat
/// time is a quiet change.
pub fn runtimes() -> Indexing<Runtime> {
    Indexing {
        tags: |runtime| {
            let namespace = runtime.namespace().unwrap_or_default();
            let scenarios = effective_scenarios(runtime.spec.scenarios.as_deref());
            membership(&namespace, runtime.spec.labels.keys(), &scenarios)
        },
        quiet: heartbeat_only,
        ..Indexing::default()
    }
}

/// Whether two versions of a runtime differ in no more than their agent's heartbeat time (and
/// the resourceVersion and field managers every write moves).
fn heartbeat_only(before: &Runtime, after: &Runtime) -> bool {
    let without_heartbeat = |runtime: &Runtime| {
        let mut runtime = runtime.clone();
        runtime.metadata.resource_version = None;
        runtime.metadata.managed_fields = None;
        let agent = runtime.status.as_mut().and_then(|s| s.agent.as_mut());
        if let Some(agent) = agent {
            agent.last_heartbeat_time = None;
        }
        runtime
    };
    // Cheap first: most changes of a runtime are not of its agent at all.
    before
        .status
        .as_ref()
        .and_then(|s| s.agent.as_ref())
        .is_some()
        && without_heartbeat(before) == without_heartbeat(after)
}

/// Label definitions, by key.
pub fn label_definitions() -> Indexing<LabelDefinition> {
    Indexing {
        tags: |definition| {
            let namespace = definition.namespace().unwrap_or_default();
            vec![definition_tag(&namespace, definition.key())]
        },
        ..Indexing::default()
    }
}

/// System auths, by subject and by the digests of their one-time tokens.
pub fn system_auths() -> Indexing<SystemAuth> {
    Indexing {
        tags: |auth| {
            let namespace = auth.namespace().unwrap_or_default();
            let subject = &auth.spec.subject;
            let tokens = auth.status.iter().flat_map(|s| &s.one_time_tokens);
            std::iter::once(subject_tag(&namespace, &subject.kind, &subject.name))
                .chain(tokens.map(|t| token_tag(&t.token_hash)))
                .collect()
        },
        ..Indexing::default()
    }
}

/// The tags of an object of `namespace` with these label keys and scenarios in effect.
fn membership<'a>(
    namespace: &str,
    label_keys: impl Iterator<Item = &'a String>,
    scenarios: &[String],
) -> Vec<String> {
    label_keys
        .map(|key| label_tag(namespace, key))
        .chain(scenarios.iter().map(|s| scenario_tag(namespace, s)))
        .collect()
}

/// The ids of an application's API definitions, event definitions, documents and webhooks.
fn child_ids(application: &Application) -> Vec<String> {
    let Some(uid) = application.metadata.uid.as_deref() else {
        return Vec::new();
    };
    let spec = &application.spec;
    let apis = spec
        .api_definitions
        .iter()
        .map(|d| child_id(uid, ChildKind::ApiDefinition, &d.name));
    let events = spec
        .event_definitions
        .iter()
        .map(|d| child_id(uid, ChildKind::EventDefinition, &d.name));
    let documents = spec
        .documents
        .iter()
        .map(|d| child_id(uid, ChildKind::Document, &d.title));
    let webhooks = spec
        .webhooks
        .iter()
        .map(|w| child_id(uid, ChildKind::Webhook, &w.name));
    apis.chain(events)
        .chain(documents)
        .chain(webhooks)
        .map(|id| id.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use compass_crds::{AgentStatus, RuntimeSpec, RuntimeStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;

    fn runtime(heartbeat: i64, version: &str, rv: &str) -> Runtime {
        let spec: RuntimeSpec = serde_json::from_value(serde_json::json!({})).unwrap();
        let mut runtime = Runtime::new("edge", spec);
        runtime.metadata.resource_version = Some(rv.to_owned());
        let mut agent = AgentStatus {
            last_heartbeat_time: Some(Time(
                k8s_openapi::jiff::Timestamp::from_second(heartbeat).unwrap(),
            )),
            ..AgentStatus::default()
        };
        agent.report.version = Some(version.to_owned());
        runtime.status = Some(RuntimeStatus {
            agent: Some(agent),
            ..RuntimeStatus::default()
        });
        runtime
    }

    #[test]
    fn only_a_moving_heartbeat_is_a_quiet_change_of_a_runtime() {
        let quiet = runtimes().quiet;
        let before = runtime(60, "1.0", "1");
        assert!(quiet(&before, &runtime(120, "1.0", "2")));
        assert!(!quiet(&before, &runtime(120, "1.1", "2")), "a new report");
        let mut relabelled = runtime(60, "1.0", "2");
        relabelled
            .spec
            .labels
            .insert("region".into(), serde_json::json!("eu"));
        assert!(!quiet(&before, &relabelled));
        let mut no_agent = before.clone();
        no_agent.status = None;
        assert!(!quiet(&no_agent, &before), "an agent appearing");
    }
}
