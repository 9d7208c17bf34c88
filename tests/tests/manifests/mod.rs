//! The kustomize base in `manifests/` is what a cluster administrator applies. These tests render
//! it with `kubectl kustomize` and check that it holds every part of the product, puts it in
//! `compass-system`, gives each component the access it needs and no more, and runs each
//! component as an unprivileged, probed container: what the base renders ([`renders`]), the
//! access each component gets ([`rbac`]) and how each runs ([`workloads`]).

mod rbac;
mod renders;
mod workloads;

use std::{collections::BTreeSet, process::Command, sync::OnceLock};

use compass_crds::GROUP;
use k8s_openapi::{
    api::{
        apps::v1::Deployment,
        core::v1::{Container, PodSpec},
    },
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;

/// Where every namespaced object of the product lives.
const NAMESPACE: &str = "compass-system";
/// The operator's leader-election Lease in compass-system.
const LEASE: &str = "compass-operator";
/// Each Deployment and the `compass` subcommand it must run.
const COMPONENTS: [(&str, &str); 3] = [
    ("compass-operator", "operator"),
    ("compass-api", "api"),
    ("compass-provisioner", "provisioner"),
];
/// The rendered base, as one JSON value per document. Rendered once per test binary.
fn rendered() -> &'static [Value] {
    static RENDERED: OnceLock<Vec<Value>> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let dir = compass_tests::repo_root().join("manifests");
        let output = Command::new("kubectl")
            .arg("kustomize")
            .arg(&dir)
            .output()
            .expect("kubectl is on PATH");
        assert!(
            output.status.success(),
            "`kubectl kustomize {}` failed: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).expect("kustomize prints UTF-8");
        serde_yaml::Deserializer::from_str(&text)
            .map(|document| Value::deserialize(document).expect("kustomize prints valid YAML"))
            .filter(|value| !value.is_null())
            .collect()
    })
}

/// Every rendered object of `kind`, as its typed form.
fn objects<T: DeserializeOwned>(kind: &str) -> Vec<T> {
    rendered()
        .iter()
        .filter(|object| object["kind"] == kind)
        .map(|object| {
            serde_json::from_value(object.clone())
                .unwrap_or_else(|error| panic!("a rendered {kind} is malformed: {error}"))
        })
        .collect()
}

fn names_of(kind: &str) -> BTreeSet<String> {
    rendered()
        .iter()
        .filter(|object| object["kind"] == kind)
        .map(|object| {
            object["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn set<const N: usize>(names: [&str; N]) -> BTreeSet<String> {
    names.into_iter().map(str::to_owned).collect()
}

/// The plurals of the product's kinds, read from the rendered CRDs, so a kind added to the
/// product without RBAC fails the tests below.
fn compass_plurals() -> BTreeSet<String> {
    let plurals: BTreeSet<String> = objects::<CustomResourceDefinition>("CustomResourceDefinition")
        .into_iter()
        .filter(|crd| crd.spec.group == GROUP)
        .map(|crd| crd.spec.names.plural)
        .collect();
    assert!(!plurals.is_empty(), "the base renders no CRD of {}", GROUP);
    plurals
}

/// Each Deployment's name with its pod spec and its one container.
fn workloads() -> Vec<(String, PodSpec, Container)> {
    objects::<Deployment>("Deployment")
        .into_iter()
        .map(|deployment| {
            let name = deployment.metadata.name.unwrap_or_default();
            let pod = deployment
                .spec
                .and_then(|spec| spec.template.spec)
                .expect("a pod spec");
            let [container] = pod.containers.as_slice() else {
                panic!("the Deployment {name} must run exactly one container");
            };
            let container = container.clone();
            (name, pod, container)
        })
        .collect()
}
