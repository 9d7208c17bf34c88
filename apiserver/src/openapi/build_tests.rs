//! Tests of the documents as a whole: the built-in kinds, self-containment, determinism, reuse
//! on update, and a second version of every CRD.

use std::sync::Arc;

use serde_json::{Value, json};
use sha2::{Digest, Sha512};

use super::{
    GVK_EXTENSION, OpenApiDocuments,
    fixtures::{all_resources, builtin_resources, crd_resources, resource},
    tests::{COMPASS, META, component_for, parsed},
};

#[test]
fn built_in_documents_hold_their_kinds_and_lists() {
    let docs = OpenApiDocuments::build(&builtin_resources());
    let expectations = [
        ("api/v1", "", "Namespace", "io.k8s.api.core.v1.Namespace"),
        ("api/v1", "", "Secret", "io.k8s.api.core.v1.Secret"),
        ("api/v1", "", "ConfigMap", "io.k8s.api.core.v1.ConfigMap"),
        ("api/v1", "", "Event", "io.k8s.api.core.v1.Event"),
        (
            "apis/events.k8s.io/v1",
            "events.k8s.io",
            "Event",
            "io.k8s.api.events.v1.Event",
        ),
        (
            "apis/coordination.k8s.io/v1",
            "coordination.k8s.io",
            "Lease",
            "io.k8s.api.coordination.v1.Lease",
        ),
        (
            "apis/apiextensions.k8s.io/v1",
            "apiextensions.k8s.io",
            "CustomResourceDefinition",
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
        ),
    ];
    for (gv_path, group, kind, component) in expectations {
        let doc = parsed(&docs, gv_path);
        let gvk = json!({ "group": group, "kind": kind, "version": "v1" });
        assert_eq!(component_for(&doc, &gvk).0, component);
        let list_gvk = json!({ "group": group, "kind": format!("{kind}List"), "version": "v1" });
        assert_eq!(component_for(&doc, &list_gvk).0, format!("{component}List"));
    }
    let crd_doc = parsed(&docs, "apis/apiextensions.k8s.io/v1");
    let props = &crd_doc["components"]["schemas"]["io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"]
        ["properties"];
    assert!(props["x-kubernetes-preserve-unknown-fields"].is_object());
    let core = parsed(&docs, "api/v1");
    let event = &core["components"]["schemas"]["io.k8s.api.core.v1.Event"];
    assert!(
        event["required"]
            .as_array()
            .unwrap()
            .contains(&json!("metadata"))
    );
    assert!(
        core["components"]["schemas"]
            .get("io.k8s.api.events.v1.Event")
            .is_none()
    );
}

#[test]
fn every_document_is_self_contained() {
    let docs = OpenApiDocuments::build(&all_resources());
    for gv_path in docs.group_version_paths() {
        let doc = parsed(&docs, gv_path);
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for shared in [
            "ObjectMeta",
            "ListMeta",
            "Status",
            "DeleteOptions",
            "Patch",
            "Time",
        ] {
            assert!(
                schemas.contains_key(&format!("{META}.{shared}")),
                "{shared} in {gv_path}"
            );
        }
        let mut refs = Vec::new();
        all_refs(&doc, &mut refs);
        for reference in refs {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{gv_path} has a foreign reference {reference}"));
            assert!(
                schemas.contains_key(name),
                "{gv_path} references missing {name}"
            );
        }
    }
}

/// Every string-valued `$ref` (JSONSchemaProps has a property named `$ref`, an object).
fn all_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => out.push(reference),
                    _ => all_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| all_refs(item, out)),
        _ => {}
    }
}

#[test]
fn same_resources_give_the_same_bytes_and_hash_in_any_order() {
    let resources = all_resources();
    let first = OpenApiDocuments::build(&resources);
    let mut reversed = resources.clone();
    reversed.reverse();
    let second = OpenApiDocuments::build(&reversed);
    assert_eq!(first.index(), second.index());
    for gv_path in first.group_version_paths() {
        let (bytes, hash) = first.document(gv_path).unwrap();
        assert_eq!(second.document(gv_path).unwrap(), (bytes, hash));
        let expected: String = Sha512::digest(bytes)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert_eq!(hash, expected);
    }

    let mut changed = resources;
    changed.push(resource(
        "compass.kyma-project.io",
        "v1alpha1",
        "extras",
        "Extra",
        true,
    ));
    let third = OpenApiDocuments::build(&changed);
    assert_ne!(
        first.document(COMPASS).unwrap().1,
        third.document(COMPASS).unwrap().1
    );
    assert_eq!(
        first.document("api/v1").unwrap().1,
        third.document("api/v1").unwrap().1
    );

    let updated = first.update(&changed);
    assert_eq!(
        updated.index(),
        third.index(),
        "an update equals a fresh build"
    );
    for gv_path in third.group_version_paths() {
        assert_eq!(updated.document(gv_path), third.document(gv_path));
    }
    let (kept, _) = updated.document("api/v1").unwrap();
    let (original, _) = first.document("api/v1").unwrap();
    assert_eq!(
        kept.as_ptr(),
        original.as_ptr(),
        "unchanged documents are reused"
    );
}

// How long the documents take to build and to update is measured through the server by `cargo
// bench -p compass --bench openapi`; this test keeps what a build for that set must do.
#[test]
fn a_second_version_of_every_crd_is_documented_apart_and_updated_alone() {
    let mut resources = all_resources();
    // A second version of every CRD, as during a version migration.
    let extra: Vec<_> = crd_resources()
        .into_iter()
        .map(|mut r| {
            r.version = "v1beta1".into();
            r
        })
        .collect();
    resources.extend(extra);
    let second = "apis/compass.kyma-project.io/v1beta1";
    let docs = OpenApiDocuments::build(&resources);
    assert!(docs.document(COMPASS).is_some());
    assert!(docs.document(second).is_some());
    assert_ne!(docs.document(COMPASS), docs.document(second));

    // One CRD version changes, as when a CRD is re-applied with a new description.
    let mut changed = resources.clone();
    let application = changed
        .iter_mut()
        .find(|r| r.kind == "Application" && r.version == "v1alpha1")
        .expect("Application");
    let mut schema = application.schema.as_deref().cloned().expect("schema");
    schema["description"] = "changed".into();
    application.schema = Some(Arc::new(schema));
    let updated = docs.update(&changed);
    assert_ne!(updated.document(COMPASS), docs.document(COMPASS));
    let (kept, _) = updated.document(second).unwrap();
    let (original, _) = docs.document(second).unwrap();
    assert_eq!(
        kept.as_ptr(),
        original.as_ptr(),
        "the other version's document is reused"
    );
}

#[test]
fn a_version_without_schema_keeps_unknown_fields() {
    let mut widget = resource("example.com", "v1", "widgets", "Widget", false);
    widget.builtin = false;
    let docs = OpenApiDocuments::build(&[widget]);
    let doc = parsed(&docs, "apis/example.com/v1");
    let gvk = json!({ "group": "example.com", "kind": "Widget", "version": "v1" });
    let (name, schema) = component_for(&doc, &gvk);
    assert_eq!(name, "com.example.v1.Widget");
    assert_eq!(schema["x-kubernetes-preserve-unknown-fields"], true);
    assert_eq!(schema["type"], "object");
    assert!(schema["properties"]["metadata"]["allOf"].is_array());
    assert_eq!(schema[GVK_EXTENSION], json!([gvk]));
}
