//! Protobuf bodies of the authentication and authorization kinds, read through small schemas:
//! for each kind, its fields' numbers (as the Kubernetes API's generated protobuf numbers them),
//! JSON names and shapes.

use serde_json::{Map, Value, json};

use super::{Fields, Wire, map_entry, object_meta, text};

/// The shape of one field.
#[derive(Clone, Copy)]
enum Shape {
    /// A string; empty ones are left out, as JSON omits them.
    Text,
    /// A repeated string.
    Texts,
    /// An integer.
    Int,
    /// A boolean.
    Bool,
    /// `ObjectMeta`.
    Meta,
    /// A nested message.
    Message(Schema),
    /// A repeated nested message.
    Messages(Schema),
    /// A `map<string, string>`.
    TextMap,
    /// A `map<string, ExtraValue>`, whose values are lists of strings.
    ExtraMap,
}

/// A message's fields: number, JSON name, shape.
type Schema = &'static [(u64, &'static str, Shape)];

const POLICY_RULE: Schema = &[
    (1, "verbs", Shape::Texts),
    (2, "apiGroups", Shape::Texts),
    (3, "resources", Shape::Texts),
    (4, "resourceNames", Shape::Texts),
    (5, "nonResourceURLs", Shape::Texts),
];
const REQUIREMENT: Schema = &[
    (1, "key", Shape::Text),
    (2, "operator", Shape::Text),
    (3, "values", Shape::Texts),
];
const LABEL_SELECTOR: Schema = &[
    (1, "matchLabels", Shape::TextMap),
    (2, "matchExpressions", Shape::Messages(REQUIREMENT)),
];
const AGGREGATION_RULE: Schema = &[(1, "clusterRoleSelectors", Shape::Messages(LABEL_SELECTOR))];
const ROLE: Schema = &[
    (1, "metadata", Shape::Meta),
    (2, "rules", Shape::Messages(POLICY_RULE)),
];
const CLUSTER_ROLE: Schema = &[
    (1, "metadata", Shape::Meta),
    (2, "rules", Shape::Messages(POLICY_RULE)),
    (3, "aggregationRule", Shape::Message(AGGREGATION_RULE)),
];
const SUBJECT: Schema = &[
    (1, "kind", Shape::Text),
    (2, "apiGroup", Shape::Text),
    (3, "name", Shape::Text),
    (4, "namespace", Shape::Text),
];
const ROLE_REF: Schema = &[
    (1, "apiGroup", Shape::Text),
    (2, "kind", Shape::Text),
    (3, "name", Shape::Text),
];
const BINDING: Schema = &[
    (1, "metadata", Shape::Meta),
    (2, "subjects", Shape::Messages(SUBJECT)),
    (3, "roleRef", Shape::Message(ROLE_REF)),
];
const SERVICE_ACCOUNT: Schema = &[
    (1, "metadata", Shape::Meta),
    (4, "automountServiceAccountToken", Shape::Bool),
];
const BOUND_OBJECT: Schema = &[
    (1, "kind", Shape::Text),
    (2, "apiVersion", Shape::Text),
    (3, "name", Shape::Text),
    (4, "uid", Shape::Text),
];
const TOKEN_REQUEST_SPEC: Schema = &[
    (1, "audiences", Shape::Texts),
    (3, "boundObjectRef", Shape::Message(BOUND_OBJECT)),
    (4, "expirationSeconds", Shape::Int),
];
const RESOURCE_ATTRIBUTES: Schema = &[
    (1, "namespace", Shape::Text),
    (2, "verb", Shape::Text),
    (3, "group", Shape::Text),
    (4, "version", Shape::Text),
    (5, "resource", Shape::Text),
    (6, "subresource", Shape::Text),
    (7, "name", Shape::Text),
];
const NON_RESOURCE_ATTRIBUTES: Schema = &[(1, "path", Shape::Text), (2, "verb", Shape::Text)];
const SELF_ACCESS_SPEC: Schema = &[
    (1, "resourceAttributes", Shape::Message(RESOURCE_ATTRIBUTES)),
    (
        2,
        "nonResourceAttributes",
        Shape::Message(NON_RESOURCE_ATTRIBUTES),
    ),
];
const ACCESS_SPEC: Schema = &[
    (1, "resourceAttributes", Shape::Message(RESOURCE_ATTRIBUTES)),
    (
        2,
        "nonResourceAttributes",
        Shape::Message(NON_RESOURCE_ATTRIBUTES),
    ),
    (3, "user", Shape::Text),
    (4, "groups", Shape::Texts),
    (5, "extra", Shape::ExtraMap),
    (6, "uid", Shape::Text),
];
const RULES_SPEC: Schema = &[(1, "namespace", Shape::Text)];
const TOKEN_REVIEW_SPEC: Schema = &[(1, "token", Shape::Text), (2, "audiences", Shape::Texts)];

const TOKEN_REQUEST: Schema = &[
    (1, "metadata", Shape::Meta),
    (2, "spec", Shape::Message(TOKEN_REQUEST_SPEC)),
];
const SELF_ACCESS_REVIEW: Schema = &[
    (1, "metadata", Shape::Meta),
    (2, "spec", Shape::Message(SELF_ACCESS_SPEC)),
];
const ACCESS_REVIEW: Schema = &[
    (1, "metadata", Shape::Meta),
    (2, "spec", Shape::Message(ACCESS_SPEC)),
];
const RULES_REVIEW: Schema = &[
    (1, "metadata", Shape::Meta),
    (2, "spec", Shape::Message(RULES_SPEC)),
];
const TOKEN_REVIEW: Schema = &[
    (1, "metadata", Shape::Meta),
    (2, "spec", Shape::Message(TOKEN_REVIEW_SPEC)),
];
const SELF_REVIEW: Schema = &[(1, "metadata", Shape::Meta)];

/// Whether this module reads bodies of `kind`.
pub(super) fn reads(kind: &str) -> bool {
    schema(kind).is_some()
}

/// The schema of a kind this module reads.
fn schema(kind: &str) -> Option<Schema> {
    Some(match kind {
        "Role" => ROLE,
        "ClusterRole" => CLUSTER_ROLE,
        "RoleBinding" | "ClusterRoleBinding" => BINDING,
        "ServiceAccount" => SERVICE_ACCOUNT,
        "TokenRequest" => TOKEN_REQUEST,
        "SelfSubjectAccessReview" => SELF_ACCESS_REVIEW,
        "SubjectAccessReview" | "LocalSubjectAccessReview" => ACCESS_REVIEW,
        "SelfSubjectRulesReview" => RULES_REVIEW,
        "SelfSubjectReview" => SELF_REVIEW,
        "TokenReview" => TOKEN_REVIEW,
        _ => return None,
    })
}

/// Decodes the object message of `kind`.
pub(super) fn decode(kind: &str, raw: &[u8]) -> Result<Map<String, Value>, String> {
    let schema = schema(kind).ok_or_else(|| format!("no protobuf schema for {kind}"))?;
    message(raw, schema)
}

fn message(raw: &[u8], schema: Schema) -> Result<Map<String, Value>, String> {
    let mut object = Map::new();
    for field in Fields::new(raw) {
        let (number, wire) = field?;
        let Some((_, name, shape)) = schema.iter().find(|(n, _, _)| *n == number) else {
            continue;
        };
        let name = (*name).to_owned();
        match (shape, wire) {
            (Shape::Text, Wire::Bytes(v)) if !v.is_empty() => {
                object.insert(name, json!(text(v)?));
            }
            (Shape::Texts, Wire::Bytes(v)) => push(&mut object, name, json!(text(v)?)),
            (Shape::Int, Wire::Varint(v)) => {
                object.insert(name, json!(v as i64));
            }
            (Shape::Bool, Wire::Varint(v)) => {
                object.insert(name, json!(v != 0));
            }
            (Shape::Meta, Wire::Bytes(v)) => {
                object.insert(name, object_meta(v)?);
            }
            (Shape::Message(inner), Wire::Bytes(v)) => {
                object.insert(name, Value::Object(message(v, inner)?));
            }
            (Shape::Messages(inner), Wire::Bytes(v)) => {
                push(&mut object, name, Value::Object(message(v, inner)?));
            }
            (Shape::TextMap, Wire::Bytes(entry)) => {
                let (key, value) = map_entry(entry)?;
                let map = object.entry(name).or_insert_with(|| json!({}));
                map[key] = json!(text(value)?);
            }
            (Shape::ExtraMap, Wire::Bytes(entry)) => {
                let (key, value) = map_entry(entry)?;
                let items: Vec<Value> = Fields::new(value)
                    .filter_map(|f| match f {
                        Ok((1, Wire::Bytes(v))) => text(v).ok().map(Value::String),
                        _ => None,
                    })
                    .collect();
                let map = object.entry(name).or_insert_with(|| json!({}));
                map[key] = Value::Array(items);
            }
            _ => {}
        }
    }
    Ok(object)
}

fn push(object: &mut Map<String, Value>, name: String, value: Value) {
    if let Value::Array(items) = object.entry(name).or_insert_with(|| json!([])) {
        items.push(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body `kubectl auth can-i get pods -n x` sends (kubectl 1.32), after the envelope.
    const CAN_I: &[u8] = b"\n\x10\n\x00\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12\x18\n\x16\n\x01x\x12\x03get\x1a\x00\"\x00*\x04pods2\x00:\x00\x1a\x08\x08\x00\x12\x00\x1a\x00 \x00";

    #[test]
    fn kubectl_can_i_reads_as_a_self_subject_access_review() {
        let object = decode("SelfSubjectAccessReview", CAN_I).unwrap();
        assert_eq!(
            Value::Object(object)["spec"],
            json!({ "resourceAttributes": { "namespace": "x", "verb": "get", "resource": "pods" } })
        );
    }

    #[test]
    fn bindings_read_their_subjects_and_role_ref() {
        let field = |n: u8, v: &[u8]| [&[(n << 3) | 2, v.len() as u8][..], v].concat();
        let subject = [field(1, b"User"), field(3, b"alice")].concat();
        let role_ref = [field(2, b"ClusterRole"), field(3, b"view")].concat();
        let raw = [
            field(1, &field(1, b"b")),
            field(2, &subject),
            field(3, &role_ref),
        ]
        .concat();
        let object = Value::Object(decode("RoleBinding", &raw).unwrap());
        assert_eq!(object["metadata"]["name"], "b");
        assert_eq!(
            object["subjects"][0],
            json!({ "kind": "User", "name": "alice" })
        );
        assert_eq!(object["roleRef"]["name"], "view");
    }
}
