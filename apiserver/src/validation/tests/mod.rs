//! Tests of structural-schema validation, with helpers that build schemas and objects shaped like
//! a CRD version and its custom resources.

mod cel;
mod cost;
mod crd;
mod defaults_prune;
mod formats;
mod lists;
mod structure;
mod values;

use serde_json::{Value, json};

use super::SchemaValidator;
use crate::errors::FieldError;

/// Compiles a schema that must be accepted.
pub(super) fn compile(schema: Value) -> SchemaValidator {
    SchemaValidator::new(&schema)
        .unwrap_or_else(|errors| panic!("schema rejected: {:#?}", lines(&errors)))
}

/// The errors kube-apiserver would print, one per line.
pub(super) fn lines(errors: &[FieldError]) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

/// The errors a schema that must be rejected is rejected with.
pub(super) fn rejection(schema: Value) -> Vec<String> {
    match SchemaValidator::new(&schema) {
        Ok(_) => panic!("schema accepted: {schema}"),
        Err(errors) => lines(&errors),
    }
}

/// A resource schema with `spec` described by `spec`.
pub(super) fn with_spec(spec: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
        },
    })
}

/// A resource schema whose `spec` has the given properties.
pub(super) fn with_spec_properties(properties: Value) -> Value {
    with_spec(json!({"type": "object", "properties": properties}))
}

/// A custom resource with the given `spec`.
pub(super) fn resource(spec: Value) -> Value {
    json!({
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": "default"},
        "spec": spec,
    })
}

/// The errors of validating a resource with `spec` against a schema with the given spec properties.
pub(super) fn spec_errors(properties: Value, spec: Value) -> Vec<String> {
    let validator = compile(with_spec_properties(properties));
    lines(&validator.validate(&resource(spec), None))
}

/// Defaults, prunes and validates, as the server does on a write; returns the object and errors.
pub(super) fn admit(
    validator: &SchemaValidator,
    mut object: Value,
    old: Option<&Value>,
) -> (Value, Vec<String>) {
    validator.apply_defaults(&mut object);
    validator.prune(&mut object);
    let errors = lines(&validator.validate(&object, old));
    (object, errors)
}
