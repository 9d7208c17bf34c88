//! A realistic CRD version (a Compass-like Application with API definitions, webhooks, labels
//! and a status with conditions) run through defaulting, pruning and validation end to end.

use serde_json::{Value, json};

use super::{admit, compile};

fn application_schema() -> Value {
    json!({
        "type": "object",
        "description": "An application registered in Compass.",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object", "properties": {
                "name": {"type": "string", "maxLength": 36, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
            }},
            "spec": {
                "type": "object",
                "required": ["displayName"],
                "properties": {
                    "displayName": {"type": "string", "minLength": 1, "maxLength": 100},
                    "providerName": {"type": "string"},
                    "integrationSystemId": {"type": "string", "format": "uuid"},
                    "baseUrl": {"type": "string", "format": "uri"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}},
                    "apiDefinitions": {
                        "type": "array",
                        "maxItems": 50,
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {
                            "type": "object",
                            "required": ["name", "targetURL"],
                            "properties": {
                                "name": {"type": "string"},
                                "targetURL": {"type": "string", "format": "uri"},
                                "spec": {"type": "object", "properties": {
                                    "type": {"type": "string", "enum": ["OPEN_API", "ODATA"], "default": "OPEN_API"},
                                    "data": {"type": "string"},
                                }},
                            },
                        },
                    },
                    "webhooks": {"type": "array", "items": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string", "enum": ["CONFIGURATION_CHANGED", "UNREGISTER_APPLICATION"]},
                            "url": {"type": "string", "format": "uri"},
                            "timeout": {"type": "string", "format": "duration", "default": "30s"},
                        },
                    }},
                    "scenarios": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}, "default": ["DEFAULT"]},
                },
                "x-kubernetes-validations": [
                    {"rule": "!has(self.providerName) || self.providerName != 'SAP'", "message": "providerName SAP is reserved", "fieldPath": ".providerName"},
                    {"rule": "!has(oldSelf.integrationSystemId) || self.integrationSystemId == oldSelf.integrationSystemId", "message": "integrationSystemId is immutable"},
                ],
            },
            "status": {
                "type": "object",
                "properties": {
                    "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0},
                    "conditions": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["type"],
                        "items": {
                            "type": "object",
                            "required": ["type", "status", "lastTransitionTime"],
                            "properties": {
                                "type": {"type": "string"},
                                "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
                                "lastTransitionTime": {"type": "string", "format": "date-time"},
                                "reason": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    })
}

fn application(spec: Value) -> Value {
    json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "orders", "namespace": "default", "labels": {"team": "a"}},
        "spec": spec,
        "status": {
            "observedGeneration": 1,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-21T10:00:00Z"}],
        },
    })
}

#[test]
fn a_valid_application_is_defaulted_pruned_and_accepted() {
    let validator = compile(application_schema());
    let mut object = application(json!({
        "displayName": "Orders",
        "integrationSystemId": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        "labels": {"app.kubernetes.io/name": "orders"},
        "apiDefinitions": [{"name": "orders-api", "targetURL": "https://orders.example.com/api", "spec": {}}],
        "webhooks": [{"type": "CONFIGURATION_CHANGED", "url": "https://hooks.example.com/x"}],
        "legacyField": true,
    }));
    validator.apply_defaults(&mut object);
    assert_eq!(validator.prune(&mut object), ["spec.legacyField"]);
    assert_eq!(validator.validate(&object, None), []);
    assert_eq!(object["spec"]["scenarios"], json!(["DEFAULT"]));
    assert_eq!(
        object["spec"]["apiDefinitions"][0]["spec"]["type"],
        "OPEN_API"
    );
    assert_eq!(object["spec"]["webhooks"][0]["timeout"], "30s");
    assert_eq!(object["metadata"]["labels"], json!({"team": "a"}));
}

#[test]
fn an_invalid_application_reports_every_problem_with_its_path() {
    let validator = compile(application_schema());
    let mut object = application(json!({
        "displayName": "",
        "providerName": "SAP",
        "integrationSystemId": "not-a-uuid",
        "apiDefinitions": [
            {"name": "a", "targetURL": "orders.example.com"},
            {"name": "a", "targetURL": "https://x.example.com"},
        ],
        "webhooks": [{"type": "DELETED"}],
        "scenarios": ["DEFAULT", "DEFAULT"],
    }));
    object["metadata"]["name"] = json!("Orders");
    object["status"]["conditions"][0]["status"] = json!("Maybe");
    let (_, errors) = admit(&validator, object, None);
    assert_eq!(
        errors,
        [
            r#"metadata.name: Invalid value: "Orders": metadata.name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"#,
            r#"spec.providerName: Invalid value: "object": providerName SAP is reserved"#,
            r#"spec.apiDefinitions[1]: Duplicate value: map[string]interface {}{"name":"a"}"#,
            r#"spec.apiDefinitions[0].targetURL: Invalid value: "orders.example.com": spec.apiDefinitions[0].targetURL in body must be of type uri: "orders.example.com""#,
            r#"spec.displayName: Invalid value: "": spec.displayName in body should be at least 1 chars long"#,
            r#"spec.integrationSystemId: Invalid value: "not-a-uuid": spec.integrationSystemId in body must be of type uuid: "not-a-uuid""#,
            r#"spec.scenarios[1]: Duplicate value: "DEFAULT""#,
            r#"spec.webhooks[0].type: Unsupported value: "DELETED": supported values: "CONFIGURATION_CHANGED", "UNREGISTER_APPLICATION""#,
            r#"status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown""#,
        ]
    );
}

#[test]
fn updates_run_transition_rules_and_ratchet_untouched_legacy_values() {
    let validator = compile(application_schema());
    let id = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
    // Stored before the uri format was enforced; the update leaves it alone.
    let old = application(json!({
        "displayName": "Orders",
        "integrationSystemId": id,
        "baseUrl": "orders.example.com",
        "scenarios": ["DEFAULT"],
    }));
    let mut renamed = old.clone();
    renamed["spec"]["displayName"] = json!("Orders v2");
    assert_eq!(
        admit(&validator, renamed.clone(), Some(&old)).1,
        Vec::<String>::new()
    );

    renamed["spec"]["integrationSystemId"] = json!("74738ff5-5367-5958-9aee-98fffdcd1876");
    renamed["spec"]["baseUrl"] = json!("still-not-a-uri");
    assert_eq!(
        admit(&validator, renamed, Some(&old)).1,
        [
            r#"spec: Invalid value: "object": integrationSystemId is immutable"#,
            r#"spec.baseUrl: Invalid value: "still-not-a-uri": spec.baseUrl in body must be of type uri: "still-not-a-uri""#,
        ]
    );
}
