//! CustomResourceDefinitions: the definition validated, its group and scope kept, the cleanup
//! finalizer added on create, and the status the server keeps.

use serde_json::{Value, json};

use crate::{errors::FieldError, registry::crd};

pub(super) fn admit_crd(old: Option<&Value>, object: &mut Value, now: &str) -> Vec<FieldError> {
    let definition = match crd::parse(object) {
        Ok(definition) => definition,
        Err(error) => return vec![error],
    };
    let errors = crd::validate(&definition, old);
    if !errors.is_empty() {
        return errors;
    }
    if let Some(old) = old {
        for (field, what) in [("group", "spec.group"), ("scope", "spec.scope")] {
            if old["spec"][field] != object["spec"][field] {
                return vec![FieldError::invalid(
                    what,
                    object["spec"][field].clone(),
                    "field is immutable",
                )];
            }
        }
    } else {
        let finalizers = object["metadata"]["finalizers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !finalizers.iter().any(|f| f == crd::CLEANUP_FINALIZER) {
            let mut finalizers = finalizers;
            finalizers.push(json!(crd::CLEANUP_FINALIZER));
            object["metadata"]["finalizers"] = Value::Array(finalizers);
        }
    }
    let previous = old.map(|o| &o["status"]);
    let status = crd::status(&definition, previous, now);
    object["status"] = status;
    Vec::new()
}
