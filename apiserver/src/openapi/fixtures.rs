//! Test fixtures: the resources a typical server serves, the built-in kinds plus every Compass
//! CRD read from the generated YAML in `crds/yaml/`.

use std::sync::Arc;

use serde_json::Value;

use crate::resource::ResourceInfo;

/// A served resource with the fields the OpenAPI documents read.
pub(super) fn resource(
    group: &str,
    version: &str,
    plural: &str,
    kind: &str,
    namespaced: bool,
) -> ResourceInfo {
    ResourceInfo {
        group: group.into(),
        version: version.into(),
        plural: plural.into(),
        singular: kind.to_lowercase(),
        kind: kind.into(),
        list_kind: format!("{kind}List"),
        namespaced,
        short_names: Vec::new(),
        categories: Vec::new(),
        status_subresource: false,
        schema: None,
        printer_columns: Vec::new(),
        builtin: true,
        storage_version: true,
        create_only: false,
        create_subresources: Vec::new(),
    }
}

/// The built-in resources of the server.
pub(super) fn builtin_resources() -> Vec<ResourceInfo> {
    let mut namespaces = resource("", "v1", "namespaces", "Namespace", false);
    namespaces.status_subresource = true;
    let mut crds = resource(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
    );
    crds.status_subresource = true;
    crds.short_names = vec!["crd".into(), "crds".into()];
    vec![
        namespaces,
        resource("", "v1", "secrets", "Secret", true),
        resource("", "v1", "configmaps", "ConfigMap", true),
        resource("", "v1", "events", "Event", true),
        resource("events.k8s.io", "v1", "events", "Event", true),
        resource("coordination.k8s.io", "v1", "leases", "Lease", true),
        crds,
    ]
}

/// Every served version of every Compass CRD.
pub(super) fn crd_resources() -> Vec<ResourceInfo> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../crds/yaml");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("crds/yaml exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("compass."))
        })
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).expect("readable CRD");
            crd_to_resources(&serde_yaml::from_str(&text).expect("CRD YAML"))
        })
        .collect()
}

/// The built-in resources and the Compass CRDs together.
pub(super) fn all_resources() -> Vec<ResourceInfo> {
    let mut all = builtin_resources();
    all.extend(crd_resources());
    all
}

/// The resources one CRD object defines, one per served version.
pub(super) fn crd_to_resources(crd: &Value) -> Vec<ResourceInfo> {
    let spec = &crd["spec"];
    let names = &spec["names"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|items| items.iter().map(text).collect())
            .unwrap_or_default()
    };
    spec["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter(|v| v["served"].as_bool().unwrap_or(true))
        .map(|v| ResourceInfo {
            group: text(&spec["group"]),
            version: text(&v["name"]),
            plural: text(&names["plural"]),
            singular: text(&names["singular"]),
            kind: text(&names["kind"]),
            list_kind: names["listKind"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| format!("{}List", text(&names["kind"]))),
            namespaced: spec["scope"] == "Namespaced",
            short_names: strings(&names["shortNames"]),
            categories: strings(&names["categories"]),
            status_subresource: v["subresources"].get("status").is_some(),
            schema: v["schema"].get("openAPIV3Schema").cloned().map(Arc::new),
            printer_columns: Vec::new(),
            builtin: false,
            storage_version: v["storage"].as_bool().unwrap_or(false),
            create_only: false,
            create_subresources: Vec::new(),
        })
        .collect()
}
