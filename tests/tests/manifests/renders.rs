//! What the base renders: every CRD, both Deployments with their Services and service accounts,
//! all in `compass-system` under the restricted pod security profile, labelled part of Compass,
//! running the image of the workspace's version.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Namespace;

use super::{COMPONENTS, NAMESPACE, names_of, objects, rendered, set, workloads};

#[test]
fn kustomize_renders_every_crd_both_deployments_their_services_and_service_accounts() {
    let expected_crds: BTreeSet<String> = compass_crds::all_crds()
        .into_iter()
        .filter_map(|crd| crd.metadata.name)
        .collect();
    assert_eq!(names_of("CustomResourceDefinition"), expected_crds);
    assert_eq!(
        names_of("Deployment"),
        set(COMPONENTS.map(|(name, _)| name))
    );
    assert_eq!(
        names_of("ServiceAccount"),
        set(["compass-operator", "compass-api"])
    );
    assert_eq!(
        names_of("Service"),
        set([
            "compass-api",
            "compass-api-metrics",
            "compass-operator-metrics"
        ])
    );
}

#[test]
fn every_namespaced_object_lands_in_compass_system() {
    const CLUSTER_SCOPED: [&str; 4] = [
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
    ];
    for object in rendered() {
        let kind = object["kind"].as_str().unwrap_or_default();
        let name = &object["metadata"]["name"];
        let namespace = object["metadata"]["namespace"].as_str();
        if CLUSTER_SCOPED.contains(&kind) {
            assert_eq!(
                namespace, None,
                "the cluster-scoped {kind} {name} has a namespace"
            );
        } else {
            assert_eq!(
                namespace,
                Some(NAMESPACE),
                "the {kind} {name} is not in {NAMESPACE}"
            );
        }
    }
}

#[test]
fn compass_system_enforces_the_restricted_pod_security_profile() {
    let namespaces: Vec<Namespace> = objects("Namespace");
    let [namespace] = namespaces.as_slice() else {
        panic!(
            "the base must render exactly one Namespace, not {}",
            namespaces.len()
        );
    };
    assert_eq!(namespace.metadata.name.as_deref(), Some(NAMESPACE));
    let labels = namespace.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels
            .get("pod-security.kubernetes.io/enforce")
            .map(String::as_str),
        Some("restricted")
    );
}

#[test]
fn every_object_is_labelled_part_of_compass() {
    for object in rendered() {
        assert_eq!(
            object["metadata"]["labels"]["app.kubernetes.io/part-of"], "compass",
            "the {} {} lacks the part-of label",
            object["kind"], object["metadata"]["name"]
        );
    }
}

#[test]
fn both_deployments_run_the_compass_image_at_the_workspace_version() {
    let expected = format!("compass:{}", env!("CARGO_PKG_VERSION"));
    for (name, _, container) in workloads() {
        assert_eq!(
            container.image.as_deref(),
            Some(expected.as_str()),
            "the image of {name}"
        );
    }
}
