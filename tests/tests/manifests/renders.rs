//! What the base renders: every CRD, the three Deployments with their Services and service
//! accounts, all in `compass-system` (the provisioner's access to its runtimes alone in
//! `compass-runtimes`), both namespaces under the restricted pod security profile, labelled part
//! of Compass, running the image of the workspace's version.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Namespace;

use super::{COMPONENTS, NAMESPACE, names_of, objects, rendered, set, workloads};

#[test]
fn kustomize_renders_every_crd_every_deployment_their_services_and_service_accounts() {
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
        set(["compass-operator", "compass-api", "compass-provisioner"])
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

/// The namespace of the provisioner's runtimes.
const RUNTIMES: &str = "compass-runtimes";

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
        } else if namespace == Some(RUNTIMES) {
            // Only the provisioner's access to the runtimes it runs there.
            let provisioners =
                ["Role", "RoleBinding"].contains(&kind) && name == "compass-provisioner";
            assert!(provisioners, "the {kind} {name} is in {RUNTIMES}");
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
fn both_namespaces_enforce_the_restricted_pod_security_profile() {
    let namespaces: Vec<Namespace> = objects("Namespace");
    let names: BTreeSet<String> = namespaces
        .iter()
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    assert_eq!(names, set([NAMESPACE, RUNTIMES]));
    for namespace in &namespaces {
        let labels = namespace.metadata.labels.clone().unwrap_or_default();
        assert_eq!(
            labels
                .get("pod-security.kubernetes.io/enforce")
                .map(String::as_str),
            Some("restricted"),
            "{:?}",
            namespace.metadata.name
        );
    }
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
fn every_deployment_runs_the_compass_image_at_the_workspace_version() {
    let expected = format!("compass:{}", env!("CARGO_PKG_VERSION"));
    for (name, _, container) in workloads() {
        assert_eq!(
            container.image.as_deref(),
            Some(expected.as_str()),
            "the image of {name}"
        );
    }
}
