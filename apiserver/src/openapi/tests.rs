//! Tests of what kubectl looks up in the documents: the index, the PATCH operations `kubectl
//! apply` checks for `fieldValidation`, and the paths and schemas `kubectl explain` walks.

use serde_json::{Value, json};

use super::{
    GVK_EXTENSION, OpenApiDocuments,
    fixtures::{all_resources, builtin_resources, crd_resources},
};

pub(super) const COMPASS: &str = "apis/compass.kyma-project.io/v1alpha1";
pub(super) const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1";

pub(super) fn parsed(docs: &OpenApiDocuments, gv_path: &str) -> Value {
    let (bytes, _) = docs.document(gv_path).expect("document is served");
    serde_json::from_slice(bytes).expect("document is JSON")
}

/// The component whose group-version-kind list holds `gvk`, as `kubectl explain` finds it.
pub(super) fn component_for<'a>(doc: &'a Value, gvk: &Value) -> (&'a str, &'a Value) {
    doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .iter()
        .find(|(_, schema)| {
            schema[GVK_EXTENSION]
                .as_array()
                .is_some_and(|gvks| gvks.contains(gvk))
        })
        .map(|(name, schema)| (name.as_str(), schema))
        .unwrap_or_else(|| panic!("no component for {gvk}"))
}

/// Follows `$ref` and single-entry `allOf` the way the explain template resolves a field.
pub(super) fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .expect("local reference");
        return resolve(doc, &doc["components"]["schemas"][name]);
    }
    match schema["allOf"].as_array() {
        Some(all_of) if all_of.len() == 1 && schema.get("properties").is_none() => {
            resolve(doc, &all_of[0])
        }
        _ => schema,
    }
}

/// The group-version-kind `kubectl explain <plural>` reads from the paths of a document.
fn gvk_from_paths<'a>(doc: &'a Value, root: &str, plural: &str) -> &'a Value {
    let candidates = [
        format!("{root}/{plural}"),
        format!("{root}/{plural}/{{name}}"),
        format!("{root}/namespaces/{{namespace}}/{plural}"),
        format!("{root}/namespaces/{{namespace}}/{plural}/{{name}}"),
    ];
    candidates
        .iter()
        .filter_map(|path| doc["paths"].get(path))
        .flat_map(|item| ["get", "post", "put", "patch", "delete"].map(|m| &item[m]))
        .find_map(|op| op.get(GVK_EXTENSION))
        .unwrap_or_else(|| panic!("no operation with a GVK for {plural}"))
}

#[test]
fn index_lists_exactly_the_served_group_versions() {
    let docs = OpenApiDocuments::build(&all_resources());
    let paths = docs.index()["paths"].as_object().expect("paths");
    let listed: Vec<&str> = paths.keys().map(String::as_str).collect();
    assert_eq!(
        listed,
        [
            "api/v1",
            "apis/apiextensions.k8s.io/v1",
            COMPASS,
            "apis/coordination.k8s.io/v1",
            "apis/events.k8s.io/v1",
        ]
    );
    for (gv_path, entry) in paths {
        let (_, hash) = docs.document(gv_path).expect("listed documents are served");
        assert_eq!(
            entry["serverRelativeURL"],
            format!("/openapi/v3/{gv_path}?hash={hash}")
        );
    }
    assert!(docs.document("apis/apps/v1").is_none());
    assert!(
        docs.document("/api/v1").is_some(),
        "a leading slash is ignored"
    );
    assert_eq!(OpenApiDocuments::default().index(), &json!({ "paths": {} }));
}

#[test]
fn every_kind_has_a_patch_operation_with_its_gvk_and_field_validation() {
    let resources = all_resources();
    let docs = OpenApiDocuments::build(&resources);
    for r in &resources {
        let doc = parsed(&docs, &super::group_version_path(&r.group, &r.version));
        let gvk = json!({ "group": r.group, "kind": r.kind, "version": r.version });
        let patches: Vec<&Value> = doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .filter_map(|item| item.get("patch"))
            .filter(|op| op[GVK_EXTENSION] == gvk)
            .collect();
        let expected = if r.status_subresource { 2 } else { 1 };
        assert_eq!(patches.len(), expected, "PATCH operations of {}", r.kind);
        // kubectl checks whichever matching PATCH it meets first, so every one must qualify.
        for op in patches {
            let takes = |name: &str| {
                op["parameters"]
                    .as_array()
                    .expect("parameters")
                    .iter()
                    .any(|p| p["name"] == name && p["in"] == "query")
            };
            assert!(takes("fieldValidation") && takes("force") && takes("fieldManager"));
            assert_eq!(op["x-kubernetes-action"], "patch");
            let content = op["requestBody"]["content"].as_object().expect("content");
            assert!(content.contains_key("application/apply-patch+yaml"));
            assert_eq!(
                content.contains_key("application/strategic-merge-patch+json"),
                r.builtin,
                "only built-in kinds take strategic merge patches"
            );
        }
    }
}

#[test]
fn crd_documents_carry_the_full_set_of_paths() {
    let docs = OpenApiDocuments::build(&crd_resources());
    let doc = parsed(&docs, COMPASS);
    let root = "/apis/compass.kyma-project.io/v1alpha1";
    let item = &doc["paths"][format!("{root}/namespaces/{{namespace}}/applications/{{name}}")];
    let actions: Vec<&str> = ["get", "put", "patch", "delete"]
        .iter()
        .map(|m| item[m]["x-kubernetes-action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["get", "put", "patch", "delete"]);
    assert_eq!(
        item["patch"]["operationId"],
        "patchCompassKymaProjectIoV1alpha1NamespacedApplication"
    );
    let collection = &doc["paths"][format!("{root}/namespaces/{{namespace}}/applications")];
    assert_eq!(collection["get"]["x-kubernetes-action"], "list");
    assert_eq!(collection["post"]["x-kubernetes-action"], "post");
    assert_eq!(
        collection["delete"]["x-kubernetes-action"],
        "deletecollection"
    );
    assert_eq!(
        collection["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/io.kyma-project.compass.v1alpha1.ApplicationList"
    );
    assert_eq!(
        doc["paths"][format!("{root}/applications")]["get"]["operationId"],
        "listCompassKymaProjectIoV1alpha1ApplicationForAllNamespaces"
    );
    let status =
        &doc["paths"][format!("{root}/namespaces/{{namespace}}/applications/{{name}}/status")];
    assert_eq!(
        status["get"]["operationId"],
        "readCompassKymaProjectIoV1alpha1NamespacedApplicationStatus"
    );
    assert!(doc["paths"][format!("{root}/watch/applications")]["get"].is_object());
    assert!(doc["paths"][format!("{root}/")]["get"].is_object());
}

#[test]
fn explain_finds_a_crd_kind_and_walks_into_its_fields() {
    let resources = crd_resources();
    let docs = OpenApiDocuments::build(&resources);
    let doc = parsed(&docs, COMPASS);
    let gvk = gvk_from_paths(
        &doc,
        "/apis/compass.kyma-project.io/v1alpha1",
        "applications",
    );
    assert_eq!(
        gvk,
        &json!({ "group": "compass.kyma-project.io", "kind": "Application", "version": "v1alpha1" })
    );
    let (name, application) = component_for(&doc, gvk);
    assert_eq!(name, "io.kyma-project.compass.v1alpha1.Application");

    let crd_schema = resources
        .iter()
        .find(|r| r.kind == "Application")
        .and_then(|r| r.schema.clone())
        .expect("Application schema");
    assert_eq!(application["description"], crd_schema["description"]);
    assert_eq!(
        application["properties"]["spec"], crd_schema["properties"]["spec"],
        "spec is kept as the CRD defines it, descriptions and extensions included"
    );
    assert!(
        application["properties"]["spec"]["properties"]["apiDefinitions"]["description"]
            .is_string()
    );

    let props = &application["properties"];
    assert_eq!(props["apiVersion"]["type"], "string");
    assert!(
        props["kind"]["description"]
            .as_str()
            .unwrap()
            .starts_with("Kind is")
    );
    assert_eq!(
        props["metadata"]["allOf"],
        json!([{ "$ref": format!("#/components/schemas/{META}.ObjectMeta") }])
    );
    assert!(
        props["metadata"]["description"]
            .as_str()
            .unwrap()
            .contains("metadata")
    );
    let object_meta = resolve(&doc, &props["metadata"]);
    assert!(object_meta["properties"]["finalizers"]["description"].is_string());

    let list_gvk = json!({
        "group": "compass.kyma-project.io", "kind": "ApplicationList", "version": "v1alpha1"
    });
    let (list_name, list) = component_for(&doc, &list_gvk);
    assert_eq!(
        list_name,
        "io.kyma-project.compass.v1alpha1.ApplicationList"
    );
    assert_eq!(
        list["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/io.kyma-project.compass.v1alpha1.Application"
    );
    assert_eq!(
        resolve(&doc, &list["properties"]["metadata"])["description"],
        doc["components"]["schemas"][format!("{META}.ListMeta")]["description"]
    );
}

#[test]
fn explain_finds_namespaces_in_the_core_document() {
    let docs = OpenApiDocuments::build(&builtin_resources());
    let doc = parsed(&docs, "api/v1");
    let gvk = gvk_from_paths(&doc, "/api/v1", "namespaces");
    assert_eq!(
        gvk,
        &json!({ "group": "", "kind": "Namespace", "version": "v1" })
    );
    let (name, namespace) = component_for(&doc, gvk);
    assert_eq!(name, "io.k8s.api.core.v1.Namespace");
    assert!(
        namespace["description"]
            .as_str()
            .unwrap()
            .contains("Namespace")
    );
    assert!(
        namespace.get("required").is_none(),
        "metadata is not required upstream"
    );
    let spec = resolve(&doc, &namespace["properties"]["spec"]);
    assert_eq!(
        spec["properties"]["finalizers"]["x-kubernetes-list-type"],
        "atomic"
    );
    let meta = resolve(&doc, &namespace["properties"]["metadata"]);
    assert_eq!(
        meta["properties"]["finalizers"]["x-kubernetes-patch-strategy"],
        "merge"
    );
    assert_eq!(
        meta["properties"]["ownerReferences"]["x-kubernetes-patch-merge-key"],
        "uid"
    );
}

#[test]
fn reviews_take_only_creates_and_service_accounts_have_a_token_subresource() {
    let served: Vec<_> = crate::registry::builtin::builtin_resources()
        .into_iter()
        .map(|(info, _)| info)
        .collect();
    let docs = OpenApiDocuments::build(&served);
    let authorization = parsed(&docs, "apis/authorization.k8s.io/v1");
    let reviews = &authorization["paths"]["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"];
    let methods: Vec<&str> = reviews
        .as_object()
        .expect("a path item")
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "parameters")
        .collect();
    assert_eq!(methods, ["post"]);
    let gvk = json!({ "group": "authorization.k8s.io", "kind": "SelfSubjectAccessReview", "version": "v1" });
    assert_eq!(reviews["post"][GVK_EXTENSION], gvk);
    component_for(&authorization, &gvk);

    let core = parsed(&docs, "api/v1");
    let token = &core["paths"]["/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"];
    let gvk = json!({ "group": "authentication.k8s.io", "kind": "TokenRequest", "version": "v1" });
    assert_eq!(token["post"][GVK_EXTENSION], gvk);
    component_for(&core, &gvk);
    let rbac = parsed(&docs, "apis/rbac.authorization.k8s.io/v1");
    let patch = &rbac["paths"]["/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles/{name}"]
        ["patch"];
    assert_eq!(patch["x-kubernetes-action"], "patch");
}
