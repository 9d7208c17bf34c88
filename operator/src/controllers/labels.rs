//! Labels checked: keys for their characters, and values against the tenant's label definitions:
//! each definition may carry a JSON Schema (draft 7, as in the original Compass) that every value
//! of its key must satisfy.
//! Compiled schemas are cached by definition uid and generation.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use compass_crds::{LabelDefinition, labels::Labels};
use jsonschema::Validator;
use kube::ResourceExt;
use serde_json::Value;

/// A label value that breaks its definition's schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelProblem {
    /// The label key.
    pub key: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// A compiled schema, or why the schema does not compile.
pub type Compiled = Arc<Result<Validator, String>>;

/// Compiled label schemas, shared by every reconcile.
#[derive(Default)]
pub struct SchemaCache {
    compiled: Mutex<HashMap<(String, i64), Compiled>>,
}

impl SchemaCache {
    /// The compiled schema of a definition: `None` without a schema, `Some(Err)` when the schema
    /// is not valid JSON Schema.
    pub fn schema_of(
        &self,
        definition: &LabelDefinition,
    ) -> Option<Arc<Result<Validator, String>>> {
        let schema = definition.spec.schema.as_ref()?;
        let key = (
            definition.uid().unwrap_or_default(),
            definition.metadata.generation.unwrap_or_default(),
        );
        let mut compiled = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        if compiled.len() > 4096 {
            // Definitions come and go; drop stale generations wholesale rather than track them.
            compiled.clear();
        }
        Some(
            compiled
                .entry(key)
                .or_insert_with(|| Arc::new(compile(&Value::Object(schema.clone()))))
                .clone(),
        )
    }
}

pub use compass_crds::label_schema::{compile, violation};

/// Checks `labels` against the definitions of `namespace` (from the cache). A definition whose
/// schema is invalid is not held against the labels: the LabelDefinition reports it.
pub fn check(
    cache: &SchemaCache,
    definitions: &[Arc<LabelDefinition>],
    namespace: &str,
    labels: &Labels,
) -> Vec<LabelProblem> {
    let mut problems: Vec<LabelProblem> = labels
        .keys()
        .filter_map(|key| {
            let problem = compass_crds::labels::key_characters_problem(key)?;
            Some(LabelProblem {
                key: key.clone(),
                message: problem.to_owned(),
            })
        })
        .collect();
    for definition in definitions
        .iter()
        .filter(|d| d.namespace().as_deref() == Some(namespace))
    {
        let Some(value) = labels.get(definition.key()) else {
            continue;
        };
        let Some(compiled) = cache.schema_of(definition) else {
            continue;
        };
        if let Ok(validator) = compiled.as_ref()
            && let Some(message) = violation(validator, value)
        {
            problems.push(LabelProblem {
                key: definition.key().to_owned(),
                message,
            });
        }
    }
    problems.sort_by(|a, b| a.key.cmp(&b.key));
    problems
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn definition(key: &str, schema: Value) -> Arc<LabelDefinition> {
        let mut definition: LabelDefinition = serde_json::from_value(json!({
            "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "LabelDefinition",
            "metadata": { "name": key, "namespace": "acme", "uid": format!("uid-{key}"), "generation": 1 },
            "spec": { "schema": schema },
        }))
        .unwrap();
        definition.metadata.generation = Some(1);
        Arc::new(definition)
    }

    #[test]
    fn values_are_checked_against_their_keys_schema() {
        let cache = SchemaCache::default();
        let definitions = vec![definition(
            "region",
            json!({ "type": "string", "enum": ["eu", "us"] }),
        )];
        let good: Labels = [("region".to_owned(), json!("eu"))].into();
        let bad: Labels = [("region".to_owned(), json!("mars"))].into();
        let other: Labels = [("tier".to_owned(), json!(1))].into();
        assert!(check(&cache, &definitions, "acme", &good).is_empty());
        assert!(check(&cache, &definitions, "acme", &other).is_empty());
        let problems = check(&cache, &definitions, "acme", &bad);
        assert_eq!(problems[0].key, "region");
        assert!(
            problems[0].message.contains("mars"),
            "{}",
            problems[0].message
        );
        assert!(
            check(&cache, &definitions, "elsewhere", &bad).is_empty(),
            "definitions are per namespace"
        );
    }

    #[test]
    fn invalid_schemas_are_reported_not_applied() {
        assert!(compile(&json!({ "type": "strin" })).is_err());
        assert!(
            compile(&json!({ "type": "object", "properties": { "a": { "type": "integer" } } }))
                .is_ok()
        );
    }
}
