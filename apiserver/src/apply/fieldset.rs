//! Field sets: trees of field paths, with the set algebra field ownership needs and the
//! `FieldsV1` JSON encoding kube-apiserver stores in `metadata.managedFields`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A set of field paths, stored as a tree keyed by `FieldsV1` path elements: `f:<field>`,
/// `k:<compact JSON of the key fields>` for list-map items and `v:<compact JSON>` for set values.
///
/// `member` says whether the path ending at this node is in the set; a node may be a member and
/// have members below it (a list-map item owned as a whole and its fields, written `.` in
/// `FieldsV1`). The root is never a member. Nodes without members anywhere below are pruned, so
/// structural equality is set equality.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FieldSet {
    /// Whether the path to this node is in the set.
    pub(crate) member: bool,
    /// Longer paths, by their next element.
    pub(crate) children: BTreeMap<String, FieldSet>,
}

impl FieldSet {
    /// The set holding only the path to this node.
    pub(crate) fn leaf() -> Self {
        Self {
            member: true,
            children: BTreeMap::new(),
        }
    }

    /// Whether no path is in the set.
    pub(crate) fn is_empty(&self) -> bool {
        !self.member && self.children.is_empty()
    }

    /// Adds `child` below element `key`, unioning with what is there; empty sets are skipped so
    /// the tree stays pruned.
    pub(crate) fn add(&mut self, key: String, child: FieldSet) {
        if child.is_empty() {
            return;
        }
        match self.children.get_mut(&key) {
            Some(existing) => existing.union_with(&child),
            None => {
                self.children.insert(key, child);
            }
        }
    }

    /// Adds every path of `other`.
    pub(crate) fn union_with(&mut self, other: &FieldSet) {
        self.member |= other.member;
        for (key, child) in &other.children {
            self.add(key.clone(), child.clone());
        }
    }

    /// The paths of `self` that are not in `other`.
    pub(crate) fn difference(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && !other.member,
            children: BTreeMap::new(),
        };
        for (key, child) in &self.children {
            let rest = match other.children.get(key) {
                Some(theirs) => child.difference(theirs),
                None => child.clone(),
            };
            out.add(key.clone(), rest);
        }
        out
    }

    /// The paths in both `self` and `other`.
    pub(crate) fn intersection(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && other.member,
            children: BTreeMap::new(),
        };
        for (key, child) in &self.children {
            if let Some(theirs) = other.children.get(key) {
                out.add(key.clone(), child.intersection(theirs));
            }
        }
        out
    }

    /// Whether the exact path `path` is in the set.
    pub(crate) fn has(&self, path: &[String]) -> bool {
        match path.split_first() {
            None => self.member,
            Some((head, rest)) => self.children.get(head).is_some_and(|c| c.has(rest)),
        }
    }

    /// Every path in the set, as element lists, in element order.
    pub(crate) fn paths(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        if self.member && !prefix.is_empty() {
            out.push(prefix.clone());
        }
        for (key, child) in &self.children {
            prefix.push(key.clone());
            child.collect(prefix, out);
            prefix.pop();
        }
    }

    /// The `FieldsV1` JSON of the set.
    pub(crate) fn to_fields_v1(&self) -> Value {
        let mut map = Map::new();
        if self.member && !self.children.is_empty() {
            map.insert(".".to_owned(), Value::Object(Map::new()));
        }
        for (key, child) in &self.children {
            map.insert(key.clone(), child.to_fields_v1());
        }
        Value::Object(map)
    }

    /// Reads `FieldsV1` JSON; `None` when it is not a tree of objects.
    pub(crate) fn from_fields_v1(value: &Value) -> Option<FieldSet> {
        let mut set = Self::decode_node(value)?;
        // The root stands for the whole object, which no manager owns as such.
        set.member = false;
        Some(set)
    }

    fn decode_node(value: &Value) -> Option<FieldSet> {
        let map = value.as_object()?;
        if map.is_empty() {
            return Some(Self::leaf());
        }
        let mut set = FieldSet::default();
        for (key, child) in map {
            if key == "." {
                set.member = true;
            } else {
                set.add(key.clone(), Self::decode_node(child)?);
            }
        }
        Some(set)
    }
}

/// The `FieldsV1` element of object field `name`.
pub(crate) fn field_key(name: &str) -> String {
    // Called for every field of every write's managed fields: joined without `format!`.
    let mut key = String::with_capacity(name.len() + 2);
    key.push_str("f:");
    key.push_str(name);
    key
}

/// A path as kube-apiserver prints it in conflicts: `.spec.items[name="a"].value`,
/// `.metadata.finalizers[="x"]`.
pub(crate) fn display_path(path: &[String]) -> String {
    let mut out = String::new();
    for element in path {
        if let Some(name) = element.strip_prefix("f:") {
            out.push('.');
            out.push_str(name);
        } else if let Some(key) = element.strip_prefix("k:") {
            let fields = serde_json::from_str::<Map<String, Value>>(key).unwrap_or_default();
            let parts: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("{name}={}", display_value(value)))
                .collect();
            out.push('[');
            out.push_str(&parts.join(","));
            out.push(']');
        } else if let Some(value) = element.strip_prefix("v:") {
            let value = serde_json::from_str(value).unwrap_or(Value::Null);
            out.push_str(&format!("[={}]", display_value(&value)));
        } else {
            out.push_str(&format!("[{element}]"));
        }
    }
    out
}

/// A value the way structured-merge-diff prints it inside a path.
fn display_value(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(display_value).collect();
            format!("[{}]", items.join(","))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", display_value(v)))
                .collect();
            format!("{{{}}}", entries.join(";"))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn path(elements: &[&str]) -> Vec<String> {
        elements.iter().map(|e| (*e).to_owned()).collect()
    }

    #[test]
    fn fields_v1_round_trips_with_item_markers() {
        let encoded = json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:items": {"k:{\"name\":\"a\"}": {".": {}, "f:name": {}, "f:value": {}}}
            },
            "f:finalizers": {"v:\"x\"": {}}
        });
        let set = FieldSet::from_fields_v1(&encoded).unwrap();
        assert!(!set.has(&path(&["f:spec"])));
        assert!(set.has(&path(&["f:spec", "f:items", "k:{\"name\":\"a\"}"])));
        assert!(set.has(&path(&["f:finalizers", "v:\"x\""])));
        assert_eq!(set.to_fields_v1(), encoded);
    }

    #[test]
    fn malformed_fields_v1_is_rejected() {
        assert_eq!(FieldSet::from_fields_v1(&json!({"f:a": 1})), None);
        assert_eq!(FieldSet::from_fields_v1(&json!([])), None);
    }

    #[test]
    fn difference_and_intersection_keep_the_tree_pruned() {
        let a = FieldSet::from_fields_v1(&json!({"f:spec": {"f:a": {}, "f:b": {}}})).unwrap();
        let b = FieldSet::from_fields_v1(&json!({"f:spec": {"f:a": {}, "f:b": {}}})).unwrap();
        assert!(a.difference(&b).is_empty());
        let c = FieldSet::from_fields_v1(&json!({"f:spec": {"f:b": {}, "f:c": {}}})).unwrap();
        assert_eq!(
            a.intersection(&c).to_fields_v1(),
            json!({"f:spec": {"f:b": {}}})
        );
        assert_eq!(
            a.difference(&c).to_fields_v1(),
            json!({"f:spec": {"f:a": {}}})
        );
    }

    #[test]
    fn paths_print_like_structured_merge_diff() {
        let p = path(&["f:spec", "f:items", "k:{\"name\":\"a\"}", "f:value"]);
        assert_eq!(display_path(&p), r#".spec.items[name="a"].value"#);
        let p = path(&["f:spec", "f:ports", "k:{\"port\":80,\"protocol\":\"TCP\"}"]);
        assert_eq!(display_path(&p), r#".spec.ports[port=80,protocol="TCP"]"#);
        let p = path(&["f:metadata", "f:finalizers", "v:\"x\""]);
        assert_eq!(display_path(&p), r#".metadata.finalizers[="x"]"#);
    }
}
