//! `meta.k8s.io/v1` Table responses: what `kubectl get` prints, with each kind's columns (a CRD's
//! printer columns, or the built-in kinds' usual ones).

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{convert, read::Page};
use crate::{
    jsonpath,
    registry::{Behaviour, Served},
    store::StoredObject,
};

/// What a Table row carries besides its cells (`includeObject`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncludeObject {
    /// Nothing.
    None,
    /// The object's metadata, as `PartialObjectMetadata` (the default).
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// Reads the `includeObject` parameter.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("None") => Self::None,
            Some("Object") => Self::Object,
            _ => Self::Metadata,
        }
    }
}

/// Computes one cell of a row from the object and the current time.
type CellValue = Box<dyn Fn(&Value, Timestamp) -> Value>;

struct Column {
    name: String,
    type_: String,
    format: String,
    priority: i32,
    description: String,
    value: CellValue,
}

fn column(name: &str, type_: &str, value: impl Fn(&Value, Timestamp) -> Value + 'static) -> Column {
    Column {
        name: name.to_owned(),
        type_: type_.to_owned(),
        format: String::new(),
        priority: 0,
        description: String::new(),
        value: Box::new(value),
    }
}

/// The Table of a page of objects.
pub fn table(served: &Served, page: &Page, include: IncludeObject) -> Value {
    let columns = columns(served);
    let now = Timestamp::now();
    let rows: Vec<Value> = page
        .items
        .iter()
        .map(|item| row(served, &columns, item, include, now))
        .collect();
    let mut metadata = json!({ "resourceVersion": page.rv.to_string() });
    if let Some(token) = &page.continue_token {
        metadata["continue"] = json!(token);
    }
    if let Some(remaining) = page.remaining {
        metadata["remainingItemCount"] = json!(remaining);
    }
    let definitions: Vec<Value> = columns
        .iter()
        .map(|c| json!({ "name": c.name, "type": c.type_, "format": c.format, "description": c.description, "priority": c.priority }))
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

fn row(
    served: &Served,
    columns: &[Column],
    item: &StoredObject,
    include: IncludeObject,
    now: Timestamp,
) -> Value {
    let object = convert::to_served(served, item.value());
    let cells: Vec<Value> = columns.iter().map(|c| (c.value)(&object, now)).collect();
    let mut row = json!({ "cells": cells });
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            row["object"] = json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": object["metadata"],
            });
        }
        IncludeObject::Object => row["object"] = object,
    }
    row
}

fn name_column() -> Column {
    Column {
        format: "name".to_owned(),
        description: "Name must be unique within a namespace.".into(),
        ..column("Name", "string", |o, _| o["metadata"]["name"].clone())
    }
}

fn age_column() -> Column {
    Column {
        description: "CreationTimestamp is a timestamp representing the server time when this object was created.".into(),
        ..column("Age", "string", |o, now| age(&o["metadata"]["creationTimestamp"], now))
    }
}

/// The age of a timestamp as kubectl shows it, `<unknown>` without one.
fn age(timestamp: &Value, now: Timestamp) -> Value {
    let parsed = timestamp.as_str().and_then(|t| t.parse::<Timestamp>().ok());
    match parsed {
        Some(then) => json!(jsonpath::human_duration(now.as_second() - then.as_second())),
        None => json!("<unknown>"),
    }
}

fn count(value: &Value) -> Value {
    json!(value.as_object().map_or(0, |m| m.len()))
}

fn columns(served: &Served) -> Vec<Column> {
    match served.behaviour {
        Behaviour::Workload => vec![name_column(), age_column()],
        Behaviour::Custom if served.info.printer_columns.is_empty() => {
            vec![name_column(), age_column()]
        }
        Behaviour::Custom => {
            let mut columns = vec![name_column()];
            for definition in &served.info.printer_columns {
                let path = definition.json_path.clone();
                let type_ = definition.type_.clone();
                let format = definition.format.clone();
                columns.push(Column {
                    name: definition.name.clone(),
                    type_: definition.type_.clone(),
                    format: definition.format.clone(),
                    priority: definition.priority,
                    description: definition.description.clone(),
                    value: Box::new(move |object, now| {
                        let results = jsonpath::evaluate(&path, object).unwrap_or_default();
                        jsonpath::cell(&type_, &format, &results, now)
                    }),
                });
            }
            columns
        }
        Behaviour::Namespace => vec![
            name_column(),
            column("Status", "string", |o, _| o["status"]["phase"].clone()),
            age_column(),
        ],
        Behaviour::Secret => vec![
            name_column(),
            column("Type", "string", |o, _| o["type"].clone()),
            column("Data", "string", |o, _| count(&o["data"])),
            age_column(),
        ],
        Behaviour::ConfigMap => vec![
            name_column(),
            column("Data", "string", |o, _| {
                let total = o["data"].as_object().map_or(0, |m| m.len())
                    + o["binaryData"].as_object().map_or(0, |m| m.len());
                json!(total)
            }),
            age_column(),
        ],
        Behaviour::CoreEvent | Behaviour::EventsV1 => vec![
            column("Last Seen", "string", |o, now| {
                let seen = [
                    &o["lastTimestamp"],
                    &o["deprecatedLastTimestamp"],
                    &o["eventTime"],
                    &o["metadata"]["creationTimestamp"],
                ]
                .into_iter()
                .find(|t| t.as_str().is_some_and(|t| !t.is_empty()))
                .cloned()
                .unwrap_or(Value::Null);
                age(&seen, now)
            }),
            column("Type", "string", |o, _| o["type"].clone()),
            column("Reason", "string", |o, _| o["reason"].clone()),
            column("Object", "string", |o, _| {
                let regarding = if o["involvedObject"].is_null() {
                    &o["regarding"]
                } else {
                    &o["involvedObject"]
                };
                json!(format!(
                    "{}/{}",
                    regarding["kind"]
                        .as_str()
                        .unwrap_or_default()
                        .to_lowercase(),
                    regarding["name"].as_str().unwrap_or_default()
                ))
            }),
            column("Message", "string", |o, _| {
                if o["message"].is_null() {
                    o["note"].clone()
                } else {
                    o["message"].clone()
                }
            }),
        ],
        Behaviour::Lease => vec![
            name_column(),
            column("Holder", "string", |o, _| {
                o["spec"]["holderIdentity"].clone()
            }),
            age_column(),
        ],
        Behaviour::CustomResourceDefinition | Behaviour::Role | Behaviour::ClusterRole => vec![
            name_column(),
            column("Created At", "date", |o, _| {
                o["metadata"]["creationTimestamp"].clone()
            }),
        ],
        Behaviour::RoleBinding | Behaviour::ClusterRoleBinding => binding_columns(),
        Behaviour::ServiceAccount | Behaviour::Review(_) => vec![name_column(), age_column()],
    }
}

/// A binding's role, and (with `-o wide`) its subjects by kind, as kubectl shows them.
fn binding_columns() -> Vec<Column> {
    let subjects = |kind: &'static str| {
        move |o: &Value, _: Timestamp| {
            let names: Vec<String> = o["subjects"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|s| s["kind"] == kind)
                .map(|s| match s["namespace"].as_str() {
                    Some(ns) if kind == "ServiceAccount" => {
                        format!("{ns}/{}", s["name"].as_str().unwrap_or_default())
                    }
                    _ => s["name"].as_str().unwrap_or_default().to_owned(),
                })
                .collect();
            json!(names.join(", "))
        }
    };
    let wide = |name: &str, kind: &'static str| Column {
        priority: 1,
        ..column(name, "string", subjects(kind))
    };
    vec![
        name_column(),
        column("Role", "string", |o, _| {
            json!(format!(
                "{}/{}",
                o["roleRef"]["kind"].as_str().unwrap_or_default(),
                o["roleRef"]["name"].as_str().unwrap_or_default()
            ))
        }),
        age_column(),
        wide("Users", "User"),
        wide("Groups", "Group"),
        wide("ServiceAccounts", "ServiceAccount"),
    ]
}
