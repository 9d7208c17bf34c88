//! Decoding the protobuf request bodies `kubectl` sends from its typed clients
//! (`kubectl create namespace|secret|configmap`, and in [`auth`] the RBAC generators, `create
//! token` and the reviews of `kubectl auth`), into the JSON the rest of the server handles.
//! Responses are always JSON, which every client accepts.
//!
//! The wire format: the magic `k8s\0`, then a `runtime.Unknown` message whose `raw` field holds
//! the object's own message. Field numbers follow the Kubernetes API's generated protobuf, which
//! writes optional strings even when empty; empty ones are read as absent, as JSON omits them.

mod auth;

use base64::Engine as _;
use serde_json::{Map, Value, json};

/// The four bytes every Kubernetes protobuf body starts with.
const MAGIC: &[u8] = b"k8s\0";

/// Whether an update (PUT, as `kubectl auth reconcile` sends) of `kind` may come in protobuf:
/// only for the kinds whose every field is read here, the authentication and authorization
/// kinds; the others are only created in protobuf.
pub fn takes_updates(kind: &str) -> bool {
    auth::reads(kind)
}

/// Decodes a protobuf body into JSON, for the kinds the server accepts in protobuf.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or("the body does not start with the protobuf magic")?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    for field in Fields::new(envelope) {
        match field? {
            (1, Wire::Bytes(type_meta)) => {
                for field in Fields::new(type_meta) {
                    match field? {
                        (1, Wire::Bytes(v)) => api_version = text(v)?,
                        (2, Wire::Bytes(v)) => kind = text(v)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(bytes)) => raw = bytes,
            _ => {}
        }
    }
    let mut object = match kind.as_str() {
        "Namespace" => namespace(raw)?,
        "Secret" => secret(raw)?,
        "ConfigMap" => config_map(raw)?,
        other if auth::reads(other) => auth::decode(other, raw)?,
        other => {
            return Err(format!(
                "protobuf bodies of kind {other:?} are not supported; send JSON"
            ));
        }
    };
    object.insert("apiVersion".into(), json!(api_version));
    object.insert("kind".into(), json!(kind));
    Ok(Value::Object(object))
}

fn namespace(raw: &[u8]) -> Result<Map<String, Value>, String> {
    let mut object = Map::new();
    for field in Fields::new(raw) {
        match field? {
            (1, Wire::Bytes(v)) => {
                object.insert("metadata".into(), object_meta(v)?);
            }
            (2, Wire::Bytes(spec)) => {
                let mut finalizers = Vec::new();
                for field in Fields::new(spec) {
                    if let (1, Wire::Bytes(v)) = field? {
                        finalizers.push(json!(text(v)?));
                    }
                }
                object.insert("spec".into(), json!({ "finalizers": finalizers }));
            }
            _ => {}
        }
    }
    Ok(object)
}

fn secret(raw: &[u8]) -> Result<Map<String, Value>, String> {
    let mut object = Map::new();
    let mut data = Map::new();
    let mut string_data = Map::new();
    for field in Fields::new(raw) {
        match field? {
            (1, Wire::Bytes(v)) => {
                object.insert("metadata".into(), object_meta(v)?);
            }
            (2, Wire::Bytes(entry)) => {
                let (key, value) = map_entry(entry)?;
                data.insert(
                    key,
                    json!(base64::engine::general_purpose::STANDARD.encode(value)),
                );
            }
            (3, Wire::Bytes(v)) if !v.is_empty() => {
                object.insert("type".into(), json!(text(v)?));
            }
            (4, Wire::Bytes(entry)) => {
                let (key, value) = map_entry(entry)?;
                string_data.insert(key, json!(text(value)?));
            }
            (5, Wire::Varint(v)) => {
                object.insert("immutable".into(), json!(v != 0));
            }
            _ => {}
        }
    }
    if !data.is_empty() {
        object.insert("data".into(), Value::Object(data));
    }
    if !string_data.is_empty() {
        object.insert("stringData".into(), Value::Object(string_data));
    }
    Ok(object)
}

fn config_map(raw: &[u8]) -> Result<Map<String, Value>, String> {
    let mut object = Map::new();
    let mut data = Map::new();
    let mut binary = Map::new();
    for field in Fields::new(raw) {
        match field? {
            (1, Wire::Bytes(v)) => {
                object.insert("metadata".into(), object_meta(v)?);
            }
            (2, Wire::Bytes(entry)) => {
                let (key, value) = map_entry(entry)?;
                data.insert(key, json!(text(value)?));
            }
            (3, Wire::Bytes(entry)) => {
                let (key, value) = map_entry(entry)?;
                binary.insert(
                    key,
                    json!(base64::engine::general_purpose::STANDARD.encode(value)),
                );
            }
            (4, Wire::Varint(v)) => {
                object.insert("immutable".into(), json!(v != 0));
            }
            _ => {}
        }
    }
    if !data.is_empty() {
        object.insert("data".into(), Value::Object(data));
    }
    if !binary.is_empty() {
        object.insert("binaryData".into(), Value::Object(binary));
    }
    Ok(object)
}

/// The parts of `ObjectMeta` a client sets on create or update; what the server sets alone
/// (timestamps, generation, managed fields) is left out.
pub(super) fn object_meta(raw: &[u8]) -> Result<Value, String> {
    let mut meta = Map::new();
    let mut labels = Map::new();
    let mut annotations = Map::new();
    let mut finalizers = Vec::new();
    let mut owners = Vec::new();
    for field in Fields::new(raw) {
        match field? {
            (1, Wire::Bytes(v)) if !v.is_empty() => {
                meta.insert("name".into(), json!(text(v)?));
            }
            (2, Wire::Bytes(v)) if !v.is_empty() => {
                meta.insert("generateName".into(), json!(text(v)?));
            }
            (3, Wire::Bytes(v)) if !v.is_empty() => {
                meta.insert("namespace".into(), json!(text(v)?));
            }
            (5, Wire::Bytes(v)) if !v.is_empty() => {
                meta.insert("uid".into(), json!(text(v)?));
            }
            (6, Wire::Bytes(v)) if !v.is_empty() => {
                meta.insert("resourceVersion".into(), json!(text(v)?));
            }
            (13, Wire::Bytes(v)) => owners.push(owner_reference(v)?),
            (11, Wire::Bytes(entry)) => {
                let (key, value) = map_entry(entry)?;
                labels.insert(key, json!(text(value)?));
            }
            (12, Wire::Bytes(entry)) => {
                let (key, value) = map_entry(entry)?;
                annotations.insert(key, json!(text(value)?));
            }
            (14, Wire::Bytes(v)) => finalizers.push(json!(text(v)?)),
            _ => {}
        }
    }
    if !labels.is_empty() {
        meta.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), Value::Object(annotations));
    }
    if !finalizers.is_empty() {
        meta.insert("finalizers".into(), Value::Array(finalizers));
    }
    if !owners.is_empty() {
        meta.insert("ownerReferences".into(), Value::Array(owners));
    }
    Ok(Value::Object(meta))
}

/// An `OwnerReference`.
fn owner_reference(raw: &[u8]) -> Result<Value, String> {
    let mut owner = Map::new();
    for field in Fields::new(raw) {
        let (name, value) = match field? {
            (1, Wire::Bytes(v)) => ("kind", json!(text(v)?)),
            (3, Wire::Bytes(v)) => ("name", json!(text(v)?)),
            (4, Wire::Bytes(v)) => ("uid", json!(text(v)?)),
            (5, Wire::Bytes(v)) => ("apiVersion", json!(text(v)?)),
            (6, Wire::Varint(v)) => ("controller", json!(v != 0)),
            (7, Wire::Varint(v)) => ("blockOwnerDeletion", json!(v != 0)),
            _ => continue,
        };
        owner.insert(name.into(), value);
    }
    Ok(Value::Object(owner))
}

/// A protobuf map entry: key in field 1, value in field 2.
pub(super) fn map_entry(entry: &[u8]) -> Result<(String, &[u8]), String> {
    let mut key = String::new();
    let mut value: &[u8] = &[];
    for field in Fields::new(entry) {
        match field? {
            (1, Wire::Bytes(v)) => key = text(v)?,
            (2, Wire::Bytes(v)) => value = v,
            _ => {}
        }
    }
    Ok((key, value))
}

pub(super) fn text(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "a protobuf string is not UTF-8".to_owned())
}

/// A field's value by wire type.
pub(super) enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// Iterates the fields of a protobuf message.
pub(super) struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    pub(super) fn new(message: &'a [u8]) -> Self {
        Self { rest: message }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.rest.split_first().ok_or("truncated protobuf varint")?;
            self.rest = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("protobuf varint too long".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err("truncated protobuf field".into());
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(taken)
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Wire<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let field = (|| {
            let tag = self.varint()?;
            let number = tag >> 3;
            let value = match tag & 7 {
                0 => Wire::Varint(self.varint()?),
                1 => {
                    self.take(8)?;
                    Wire::Fixed
                }
                2 => {
                    let length =
                        usize::try_from(self.varint()?).map_err(|_| "protobuf length overflow")?;
                    Wire::Bytes(self.take(length)?)
                }
                5 => {
                    self.take(4)?;
                    Wire::Fixed
                }
                other => return Err(format!("unsupported protobuf wire type {other}")),
            };
            Ok((number, value))
        })();
        if field.is_err() {
            self.rest = &[];
        }
        Some(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![((number << 3) | 2) as u8, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn a_namespace_body_decodes() {
        let meta = [
            field(1, b"acme"),
            field(11, &[field(1, b"team"), field(2, b"a")].concat()),
        ]
        .concat();
        let raw = field(1, &meta);
        let type_meta = [field(1, b"v1"), field(2, b"Namespace")].concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &raw)].concat();
        let object = decode(&body).unwrap();
        assert_eq!(
            object,
            json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "acme", "labels": { "team": "a" } } })
        );
    }

    #[test]
    fn a_secret_body_decodes_binary_data_as_base64() {
        let meta = field(1, b"s");
        let raw = [
            field(1, &meta),
            field(2, &[field(1, b"k"), field(2, b"\x00\x01")].concat()),
            field(3, b"Opaque"),
        ]
        .concat();
        let type_meta = [field(1, b"v1"), field(2, b"Secret")].concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &raw)].concat();
        let object = decode(&body).unwrap();
        assert_eq!(object["data"]["k"], "AAE=");
        assert_eq!(object["type"], "Opaque");
    }

    #[test]
    fn other_kinds_and_garbage_are_refused() {
        assert!(decode(b"not protobuf").is_err());
        let type_meta = [field(1, b"v1"), field(2, b"Pod")].concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta)].concat();
        assert!(decode(&body).unwrap_err().contains("Pod"));
    }
}
