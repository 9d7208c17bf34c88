//! What kube-apiserver checks and sets on every write before storing it: object metadata rules,
//! and the behaviour of each built-in kind (Namespace phase, Secret `stringData`, immutable
//! Secrets and ConfigMaps, CRD status and cleanup finalizer).

mod crds;
mod metadata;
mod prune;
mod secrets;

use serde_json::{Value, json};

use crate::{errors::FieldError, registry::Behaviour};

pub use metadata::validate_metadata;
pub use prune::prune_builtin;

use crds::admit_crd;
use secrets::{admit_secret, immutable_data};

/// Applies a built-in kind's rules to an object about to be stored (`old` on updates). Returns
/// the field errors that make the write invalid.
pub fn admit_builtin(
    behaviour: Behaviour,
    old: Option<&Value>,
    object: &mut Value,
    now: &str,
) -> Vec<FieldError> {
    match behaviour {
        Behaviour::Namespace => {
            admit_namespace(old, object);
            Vec::new()
        }
        Behaviour::Secret => admit_secret(old, object),
        Behaviour::ConfigMap => immutable_data(old, object, &["data", "binaryData"]),
        Behaviour::CustomResourceDefinition => admit_crd(old, object, now),
        Behaviour::Role
        | Behaviour::ClusterRole
        | Behaviour::RoleBinding
        | Behaviour::ClusterRoleBinding => crate::rbac::validation::admit(behaviour, old, object),
        Behaviour::CoreEvent
        | Behaviour::EventsV1
        | Behaviour::Lease
        | Behaviour::ServiceAccount
        | Behaviour::Review(_)
        | Behaviour::Custom
        | Behaviour::Workload => Vec::new(),
    }
}

/// Label kube-apiserver keeps on every namespace, holding its name (selectors can pick
/// namespaces by name with it).
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

fn admit_namespace(old: Option<&Value>, object: &mut Value) {
    let name = object["metadata"]["name"].clone();
    object["metadata"]["labels"][NAMESPACE_NAME_LABEL] = name;
    match old {
        None => {
            if object["spec"]["finalizers"].is_null() {
                object["spec"]["finalizers"] = json!(["kubernetes"]);
            }
            object["status"] = json!({ "phase": "Active" });
        }
        Some(old) => {
            // The phase belongs to the server: Terminating once deletion started.
            object["status"] = old["status"].clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_fold_string_data_into_base64_data() {
        let mut secret = json!({ "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "s" }, "stringData": { "password": "hunter2" } });
        assert!(admit_builtin(Behaviour::Secret, None, &mut secret, "now").is_empty());
        assert_eq!(secret["data"]["password"], "aHVudGVyMg==");
        assert!(secret.get("stringData").is_none());
        assert_eq!(secret["type"], "Opaque");
    }

    #[test]
    fn namespaces_always_carry_their_name_as_a_label() {
        let mut created = json!({ "metadata": { "name": "acme" } });
        admit_builtin(Behaviour::Namespace, None, &mut created, "now");
        assert_eq!(created["metadata"]["labels"][NAMESPACE_NAME_LABEL], "acme");
        let mut changed =
            json!({ "metadata": { "name": "acme", "labels": { NAMESPACE_NAME_LABEL: "x" } } });
        admit_builtin(Behaviour::Namespace, Some(&created), &mut changed, "now");
        assert_eq!(changed["metadata"]["labels"][NAMESPACE_NAME_LABEL], "acme");
    }

    #[test]
    fn immutable_config_maps_keep_their_data() {
        let old = json!({ "immutable": true, "data": { "a": "1" } });
        let mut new = json!({ "immutable": true, "data": { "a": "2" } });
        let errors = admit_builtin(Behaviour::ConfigMap, Some(&old), &mut new, "now");
        assert_eq!(errors[0].field, "data");
    }
}
