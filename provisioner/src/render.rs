//! The Runtime Agent's installation as objects, rendered from the very files of
//! `agent/manifests/` and `agent/yaml/` with what their kustomization adds (the image and the
//! `app.kubernetes.io/part-of` label), so that `kubectl apply -k agent/manifests` and the
//! provisioner install the same things.

use serde_json::{Map, Value};

/// The kustomization of the agent's base, and the files it lists.
const KUSTOMIZATION: &str = include_str!("../../agent/manifests/kustomization.yaml");
const NAMESPACES: &str = include_str!("../../agent/manifests/namespaces.yaml");
const RBAC: &str = include_str!("../../agent/manifests/rbac.yaml");
const DEPLOYMENT: &str = include_str!("../../agent/manifests/deployment.yaml");
const CONNECTION_CRD: &str =
    include_str!("../../agent/yaml/compass.kyma-project.io_compassconnections.yaml");
const APPLICATION_CRD: &str =
    include_str!("../../agent/yaml/applicationconnector.kyma-project.io_applications.yaml");

/// The files of the base by the names its kustomizations list them under; a test checks that
/// the lists and this table agree.
const FILES: [(&str, &str); 5] = [
    (
        "../yaml/compass.kyma-project.io_compassconnections.yaml",
        CONNECTION_CRD,
    ),
    (
        "../yaml/applicationconnector.kyma-project.io_applications.yaml",
        APPLICATION_CRD,
    ),
    ("namespaces.yaml", NAMESPACES),
    ("rbac.yaml", RBAC),
    ("deployment.yaml", DEPLOYMENT),
];

/// The name of the agent's image in the manifests, which the kustomization's `images` entry
/// replaces.
const IMAGE_NAME: &str = "compass";

/// The agent's image as `kubectl apply -k agent/manifests` installs it (`compass:0.1.0`).
pub fn default_image() -> String {
    let kustomization = yaml(KUSTOMIZATION);
    let entries = kustomization["images"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(entry) = entries.iter().find(|e| e["name"] == IMAGE_NAME) else {
        return IMAGE_NAME.to_owned();
    };
    let name = entry["newName"].as_str().unwrap_or(IMAGE_NAME);
    match (entry["digest"].as_str(), entry["newTag"].as_str()) {
        (Some(digest), _) => format!("{name}@{digest}"),
        (None, Some(tag)) => format!("{name}:{tag}"),
        (None, None) => name.to_owned(),
    }
}

/// Every object of the base, in the order they can be applied (the CRDs and namespaces
/// first), with `image` for the agent and the kustomization's labels.
pub fn agent_objects(image: &str) -> Vec<Value> {
    let labels = common_labels();
    FILES
        .iter()
        .flat_map(|(_, text)| documents(text))
        .map(|mut object| {
            add_labels(&mut object["metadata"], &labels);
            if object["kind"] == "Deployment" {
                set_image(&mut object, image);
                add_labels(&mut object["spec"]["template"]["metadata"], &labels);
            }
            object
        })
        .collect()
}

/// The labels of the kustomization's `labels` entries.
fn common_labels() -> Map<String, Value> {
    let kustomization = yaml(KUSTOMIZATION);
    let entries = kustomization["labels"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    entries
        .iter()
        .filter_map(|entry| entry["pairs"].as_object().cloned())
        .flatten()
        .collect()
}

/// Adds `labels` to the `labels` of `metadata`.
pub(crate) fn add_labels(metadata: &mut Value, labels: &Map<String, Value>) {
    if !metadata["labels"].is_object() {
        metadata["labels"] = Value::Object(Map::new());
    }
    if let Some(existing) = metadata["labels"].as_object_mut() {
        existing.extend(labels.clone());
    }
}

/// Replaces the image named [`IMAGE_NAME`] (with or without a tag) in every container.
fn set_image(deployment: &mut Value, image: &str) {
    let containers = &mut deployment["spec"]["template"]["spec"]["containers"];
    for container in containers.as_array_mut().into_iter().flatten() {
        let current = container["image"].as_str().unwrap_or_default();
        let name = current.split([':', '@']).next().unwrap_or_default();
        if name == IMAGE_NAME {
            container["image"] = Value::String(image.to_owned());
        }
    }
}

/// The YAML documents of `text`, as JSON.
fn documents(text: &str) -> Vec<Value> {
    text.split("\n---")
        .map(yaml)
        .filter(|document| document.is_object())
        .collect()
}

/// One YAML document as JSON; the files are this repository's own, checked by its tests.
fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRDS_KUSTOMIZATION: &str = include_str!("../../agent/yaml/kustomization.yaml");

    fn listed(kustomization: &str, prefix: &str) -> Vec<String> {
        let resources = yaml(kustomization)["resources"].clone();
        let names = resources.as_array().cloned().unwrap_or_default();
        names
            .iter()
            .filter_map(|n| n.as_str())
            .map(|n| format!("{prefix}{n}"))
            .collect()
    }

    #[test]
    fn the_rendered_files_are_exactly_those_the_kustomizations_list() {
        let mut expected = listed(CRDS_KUSTOMIZATION, "../yaml/");
        expected.extend(
            listed(KUSTOMIZATION, "")
                .into_iter()
                .filter(|n| n != "../yaml"),
        );
        let rendered: Vec<String> = FILES.iter().map(|(n, _)| (*n).to_owned()).collect();
        assert_eq!(rendered, expected);
    }

    #[test]
    fn the_deployment_gets_the_kustomization_image_and_every_object_its_label() {
        assert_eq!(default_image(), "compass:0.1.0");
        let objects = agent_objects("registry.example.com/compass:9");
        let kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
        assert_eq!(kinds.first(), Some(&"CustomResourceDefinition"));
        assert_eq!(kinds.last(), Some(&"Deployment"));
        for object in &objects {
            let labels = &object["metadata"]["labels"];
            assert_eq!(labels["app.kubernetes.io/part-of"], "compass", "{object}");
        }
        let deployment = objects.last().unwrap();
        let pod = &deployment["spec"]["template"];
        assert_eq!(
            pod["spec"]["containers"][0]["image"],
            "registry.example.com/compass:9"
        );
        assert_eq!(
            pod["metadata"]["labels"]["app.kubernetes.io/part-of"],
            "compass"
        );
        let selector = &deployment["spec"]["selector"]["matchLabels"];
        assert!(selector.get("app.kubernetes.io/part-of").is_none());
    }
}
