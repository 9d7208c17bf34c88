//! `metadata.managedFields` entries: decoding, identity, ordering and encoding as kube-apiserver
//! does them, plus its cap on the number of `Update` entries.

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::fieldset::FieldSet;

/// kube-apiserver's `DefaultMaxUpdateManagers`: older `Update` entries beyond this are merged.
const MAX_UPDATE_MANAGERS: usize = 10;

/// The manager name the merged old `Update` entries get.
const ANCIENT_CHANGES: &str = "ancient-changes";

/// The operation a `managedFields` entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    /// Server-side apply.
    Apply,
    /// Any other write: create, update, merge, JSON or strategic merge patch.
    Update,
}

impl Operation {
    /// The name kube-apiserver writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "Apply",
            Self::Update => "Update",
        }
    }
}

/// One `managedFields` entry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) manager: String,
    pub(crate) operation: Operation,
    pub(crate) api_version: String,
    /// Empty for the main resource.
    pub(crate) subresource: String,
    pub(crate) time: Option<String>,
    pub(crate) set: FieldSet,
}

// === impl Entry ===

impl Entry {
    /// A new entry owning `set`.
    pub(crate) fn new(manager: &str, operation: Operation, api_version: &str) -> Self {
        Self {
            manager: manager.to_owned(),
            operation,
            api_version: api_version.to_owned(),
            subresource: String::new(),
            time: None,
            set: FieldSet::default(),
        }
    }

    /// Whether both entries belong to the same manager. Appliers keep one entry whatever
    /// apiVersion they use; updaters get one entry per apiVersion, as kube-apiserver's
    /// `BuildManagerIdentifier` keys them.
    pub(crate) fn same_manager(&self, other: &Entry) -> bool {
        self.manager == other.manager
            && self.operation == other.operation
            && self.subresource == other.subresource
            && (self.operation == Operation::Apply || self.api_version == other.api_version)
    }

    /// kube-apiserver's manager identifier, the JSON it sorts conflicting managers by.
    pub(crate) fn identifier(&self) -> String {
        let mut id = format!(
            "{{\"manager\":{},\"operation\":\"{}\"",
            json!(self.manager),
            self.operation.as_str()
        );
        if self.operation == Operation::Update {
            id.push_str(&format!(",\"apiVersion\":{}", json!(self.api_version)));
        }
        if !self.subresource.is_empty() {
            id.push_str(&format!(",\"subresource\":{}", json!(self.subresource)));
        }
        id.push('}');
        id
    }

    /// The entry without its time, to compare entries whatever their timestamps.
    fn timeless(&self) -> Entry {
        Entry {
            time: None,
            ..self.clone()
        }
    }

    fn seconds(&self) -> i64 {
        seconds(self.time.as_deref())
    }

    fn decode(value: &Value) -> Option<Entry> {
        let operation = match value["operation"].as_str()? {
            "Apply" => Operation::Apply,
            "Update" => Operation::Update,
            _ => return None,
        };
        let api_version = value["apiVersion"].as_str().filter(|v| !v.is_empty())?;
        if value["fieldsType"].as_str()? != "FieldsV1" {
            return None;
        }
        let set = match value.get("fieldsV1") {
            None | Some(Value::Null) => FieldSet::default(),
            Some(fields) => FieldSet::from_fields_v1(fields)?,
        };
        Some(Entry {
            manager: value["manager"].as_str().unwrap_or_default().to_owned(),
            operation,
            api_version: api_version.to_owned(),
            subresource: value["subresource"].as_str().unwrap_or_default().to_owned(),
            time: value["time"].as_str().map(str::to_owned),
            set,
        })
    }

    fn encode(&self) -> Value {
        let mut entry = Map::new();
        entry.insert("manager".into(), json!(self.manager));
        entry.insert("operation".into(), json!(self.operation.as_str()));
        entry.insert("apiVersion".into(), json!(self.api_version));
        if let Some(time) = &self.time {
            entry.insert("time".into(), json!(time));
        }
        entry.insert("fieldsType".into(), json!("FieldsV1"));
        entry.insert("fieldsV1".into(), self.set.to_fields_v1());
        if !self.subresource.is_empty() {
            entry.insert("subresource".into(), json!(self.subresource));
        }
        Value::Object(entry)
    }
}

/// Unix seconds of an RFC 3339 time; 0 when absent or unreadable, as kube-apiserver sorts them.
fn seconds(time: Option<&str>) -> i64 {
    time.and_then(|t| t.parse::<Timestamp>().ok())
        .map_or(0, |t| t.as_second())
}

/// The entries of an object's `metadata.managedFields`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Managers {
    pub(crate) entries: Vec<Entry>,
}

// === impl Managers ===

impl Managers {
    /// Decodes `object.metadata.managedFields`; `None` when any entry is malformed (kube-apiserver
    /// then ignores them all). A later entry of the same manager replaces an earlier one.
    pub(crate) fn decode(object: &Value) -> Option<Managers> {
        let mut managers = Managers::default();
        let Some(list) = object.pointer("/metadata/managedFields") else {
            return Some(managers);
        };
        for value in list.as_array()? {
            let entry = Entry::decode(value)?;
            managers.upsert(entry);
        }
        Some(managers)
    }

    /// Whether no manager owns anything.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry of the manager `like` names.
    pub(crate) fn find(&self, like: &Entry) -> Option<&Entry> {
        self.entries.iter().find(|e| e.same_manager(like))
    }

    /// Replaces the entry of the same manager, or adds `entry`.
    pub(crate) fn upsert(&mut self, entry: Entry) {
        match self.entries.iter_mut().find(|e| e.same_manager(&entry)) {
            Some(existing) => *existing = entry,
            None => self.entries.push(entry),
        }
    }

    /// Drops entries that own nothing.
    pub(crate) fn drop_empty(&mut self) {
        self.entries.retain(|e| !e.set.is_empty());
    }

    /// Whether both lists hold the same entries, whatever their times and order.
    pub(crate) fn same_ignoring_time(&self, other: &Managers) -> bool {
        let key = |m: &Managers| {
            let mut all: Vec<(String, Value)> = m
                .entries
                .iter()
                .map(|e| (e.identifier(), e.timeless().encode()))
                .collect();
            all.sort_by(|a, b| a.0.cmp(&b.0));
            all
        };
        key(self) == key(other)
    }

    /// Writes the entries into `object.metadata.managedFields` in kube-apiserver's order
    /// (operation, time, manager, apiVersion, subresource), or removes the field when empty.
    pub(crate) fn encode_into(&self, object: &mut Value) {
        let mut entries: Vec<&Entry> = self.entries.iter().collect();
        entries.sort_by(|a, b| {
            (
                a.operation,
                a.seconds(),
                &a.manager,
                &a.api_version,
                &a.subresource,
            )
                .cmp(&(
                    b.operation,
                    b.seconds(),
                    &b.manager,
                    &b.api_version,
                    &b.subresource,
                ))
        });
        let encoded: Vec<Value> = entries.iter().map(|e| e.encode()).collect();
        set_managed_fields(
            object,
            (!encoded.is_empty()).then_some(Value::Array(encoded)),
        );
    }

    /// Merges the oldest `Update` entries into one `ancient-changes` entry per apiVersion until
    /// at most ten `Update` entries are left, as kube-apiserver's `capManagersManager` does, so
    /// many one-off writers cannot grow an object without bound.
    pub(crate) fn cap_updaters(&mut self) {
        let mut updaters: Vec<Entry> = self
            .entries
            .iter()
            .filter(|e| e.operation == Operation::Update)
            .cloned()
            .collect();
        if updaters.len() <= MAX_UPDATE_MANAGERS {
            return;
        }
        updaters.sort_by_key(|e| (e.seconds(), e.identifier()));
        let mut first_of_version: BTreeMap<String, Entry> = BTreeMap::new();
        let mut length = updaters.len();
        for old in updaters {
            if length <= MAX_UPDATE_MANAGERS {
                break;
            }
            let Some(first) = first_of_version.get(&old.api_version) else {
                first_of_version.insert(old.api_version.clone(), old);
                continue;
            };
            let mut bucket = Entry::new(ANCIENT_CHANGES, Operation::Update, &old.api_version);
            if let Some(existing) = self.find(&bucket) {
                bucket.set = existing.set.clone();
            } else {
                // The first entry of this version seeds the bucket.
                bucket.set = first.set.clone();
                self.entries.retain(|e| !e.same_manager(first));
            }
            bucket.set.union_with(&old.set);
            // The bucket takes the time of the newest update merged into it.
            bucket.time = old.time.clone();
            self.entries.retain(|e| !e.same_manager(&old));
            self.upsert(bucket);
            length -= 1;
        }
    }
}

/// Sets or removes `object.metadata.managedFields`.
pub(crate) fn set_managed_fields(object: &mut Value, value: Option<Value>) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        if let (Some(value), Some(root)) = (value, object.as_object_mut()) {
            root.insert("metadata".into(), json!({ "managedFields": value }));
        }
        return;
    };
    match value {
        Some(value) => metadata.insert("managedFields".into(), value),
        None => metadata.remove("managedFields"),
    };
}
