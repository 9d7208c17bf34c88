//! Conversion between an object's stored form and the version a request uses: CRD versions differ
//! only in `apiVersion` (conversion strategy `None`), and `events.k8s.io/v1` Events are the stored
//! `v1` Events with renamed fields.

use serde_json::{Map, Value};

use crate::registry::{Behaviour, Served};

/// Field renames between `events.k8s.io/v1` (left) and `v1` (right) Events.
const EVENT_FIELDS: [(&str, &str); 8] = [
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
    ("reportingInstance", "reportingInstance"),
];

/// Whether objects of `served` are sent exactly as stored.
pub fn is_identity(served: &Served) -> bool {
    served.behaviour != Behaviour::EventsV1
        && served.info.version == served.storage_version
        && served.read_defaults.is_none()
}

/// The stored object as the request's version shows it, with the storage version's defaults
/// applied as kube-apiserver applies them when it reads from storage.
pub fn to_served(served: &Served, mut object: Value) -> Value {
    if let Some(defaults) = &served.read_defaults {
        defaults.apply_defaults(&mut object);
    }
    if served.behaviour == Behaviour::EventsV1 {
        object = rename(object, |(ours, theirs)| (theirs, ours));
    }
    if let Some(map) = object.as_object_mut() {
        map.insert(
            "apiVersion".into(),
            Value::String(served.info.api_version()),
        );
    }
    object
}

/// An object written through the request's version, in its stored form.
pub fn to_storage(served: &Served, mut object: Value) -> Value {
    if served.behaviour == Behaviour::EventsV1 {
        object = rename(object, |(ours, theirs)| (ours, theirs));
    }
    let stored = match served.behaviour {
        Behaviour::EventsV1 => "v1".to_owned(),
        _ if served.info.group.is_empty() => served.storage_version.clone(),
        _ => format!("{}/{}", served.info.group, served.storage_version),
    };
    if let Some(map) = object.as_object_mut() {
        map.insert("apiVersion".into(), Value::String(stored));
    }
    object
}

/// Renames top-level Event fields; `direction` picks (from, to) out of each pair.
fn rename(
    object: Value,
    direction: impl Fn((&'static str, &'static str)) -> (&'static str, &'static str),
) -> Value {
    let Value::Object(mut map) = object else {
        return object;
    };
    let mut renamed = Map::new();
    for pair in EVENT_FIELDS {
        let (from, to) = direction(pair);
        if let Some(value) = map.remove(from) {
            renamed.insert(to.to_owned(), value);
        }
    }
    map.extend(renamed);
    Value::Object(map)
}
