//! Get and list: one object, or a page of a collection filtered by label and field selectors,
//! sent as stored whenever the client's version is the stored one.

use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{Value, json};

use super::{ServerState, Target, convert, query::Query};
use crate::{
    errors::{ApiError, ApiResult},
    registry::{Behaviour, Served},
    selector::{FieldSelector, LabelSelector},
    store::{ListPage, ObjectKey, StoredObject},
};

/// The selectors and paging of a list or watch.
pub struct Filter {
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    /// Reads and checks `labelSelector` and `fieldSelector`.
    pub fn parse(served: &Served, query: &Query) -> ApiResult<Self> {
        let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or_default())
            .map_err(|e| e.to_api_error())?;
        let fields = FieldSelector::parse(query.get("fieldSelector").unwrap_or_default())
            .map_err(|e| e.to_api_error())?;
        for field in fields.fields() {
            if !supported_field(served, field) {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
        }
        Ok(Self { labels, fields })
    }

    /// Whether the filter selects everything.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }

    /// Whether a stored object passes the filter.
    pub fn matches(&self, served: &Served, key: (&str, &str), object: &StoredObject) -> bool {
        if !self.labels.is_empty() && !self.labels.matches_strings(&object.meta.labels) {
            return false;
        }
        if self.fields.is_empty() {
            return true;
        }
        let parsed = std::cell::OnceCell::new();
        let value_of = |field: &str| -> Option<String> {
            match field {
                "metadata.name" => Some(key.1.to_owned()),
                "metadata.namespace" => Some(key.0.to_owned()),
                _ => {
                    let object = parsed.get_or_init(|| object.value());
                    field_value(served, object, field)
                }
            }
        };
        self.fields.matches(&value_of)
    }
}

/// Fields each kind can be selected by, beyond name and namespace.
fn supported_field(served: &Served, field: &str) -> bool {
    if matches!(field, "metadata.name" | "metadata.namespace") {
        return true;
    }
    match served.behaviour {
        Behaviour::Namespace => field == "status.phase",
        Behaviour::Secret => field == "type",
        Behaviour::CoreEvent => {
            field.strip_prefix("involvedObject.").is_some_and(|f| {
                matches!(
                    f,
                    "kind"
                        | "namespace"
                        | "name"
                        | "uid"
                        | "apiVersion"
                        | "resourceVersion"
                        | "fieldPath"
                )
            }) || matches!(field, "reason" | "reportingComponent" | "source" | "type")
        }
        Behaviour::EventsV1 => {
            field.strip_prefix("regarding.").is_some_and(|f| {
                matches!(
                    f,
                    "kind"
                        | "namespace"
                        | "name"
                        | "uid"
                        | "apiVersion"
                        | "resourceVersion"
                        | "fieldPath"
                )
            }) || matches!(field, "reason" | "reportingController" | "type")
        }
        _ => served.selectable_fields.iter().any(|f| f == field),
    }
}

/// A field's value in a stored object, as a selector compares it.
fn field_value(served: &Served, object: &Value, field: &str) -> Option<String> {
    let stored_field = match served.behaviour {
        Behaviour::EventsV1 => field.replacen("regarding.", "involvedObject.", 1).replacen(
            "reportingController",
            "reportingComponent",
            1,
        ),
        Behaviour::CoreEvent if field == "source" => "source.component".to_owned(),
        _ => field.to_owned(),
    };
    let mut node = object;
    for part in stored_field.split('.') {
        node = node.get(part)?;
    }
    match node {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// One object, as stored.
pub fn get(state: &ServerState, target: &Target) -> ApiResult<StoredObject> {
    let served = &target.served;
    let key = ObjectKey {
        resource: served.storage_key.clone(),
        namespace: target.namespace.clone().unwrap_or_default(),
        name: target.name.clone().unwrap_or_default(),
    };
    state
        .store
        .get(&key)
        .ok_or_else(|| ApiError::not_found(served.info.qualified_resource(), &key.name))
}

/// An object's JSON as the client's version shows it.
pub fn encode(served: &Served, stored: &StoredObject) -> Bytes {
    if convert::is_identity(served) {
        return stored.packed.json_bytes();
    }
    let converted = convert::to_served(served, stored.value());
    Bytes::from(serde_json::to_vec(&converted).unwrap_or_default())
}

/// A page of a collection.
pub struct Page {
    /// Matching objects, in key order.
    pub items: Vec<StoredObject>,
    /// The list's resourceVersion.
    pub rv: u64,
    /// Token for the next page, if there is one.
    pub continue_token: Option<String>,
    /// How many more objects match after this page, when known.
    pub remaining: Option<usize>,
}

/// Lists a collection page by page.
pub fn list(state: &ServerState, target: &Target, query: &Query) -> ApiResult<Page> {
    let served = &target.served;
    let filter = Filter::parse(served, query)?;
    let limit = query.limit()?;
    let after = query
        .get("continue")
        .filter(|c| !c.is_empty())
        .map(decode_continue)
        .transpose()?;
    let namespace = target.namespace.as_deref();
    let after_key = after
        .as_ref()
        .map(|a| (a.namespace.as_str(), a.name.as_str()));
    // An unfiltered list counts what follows its first page once; later pages carry that count
    // in their token (remainingItemCount is an estimate by its definition), so a page costs its
    // own objects, not a walk over the rest of the collection.
    let left_before = after.as_ref().and_then(|a| a.left);
    let count_rest = filter.is_empty() && left_before.is_none();
    let page = state.store.list(
        &served.storage_key,
        namespace,
        after_key,
        limit,
        count_rest,
        |key, object| filter.matches(served, (&key.0, &key.1), object),
    );
    let rv = after.as_ref().map_or(page.rv, |a| a.rv);
    let (remaining, continue_token) = rest_of(&page, rv, filter.is_empty(), left_before);
    Ok(Page {
        items: page.items.into_iter().map(|(_, o)| o).collect(),
        rv,
        continue_token,
        remaining,
    })
}

/// The list response body, assembled from the stored JSON without re-encoding it.
pub fn list_body(served: &Served, page: &Page) -> Bytes {
    let mut metadata = json!({ "resourceVersion": page.rv.to_string() });
    if let Some(token) = &page.continue_token {
        metadata["continue"] = json!(token);
    }
    if let Some(remaining) = page.remaining {
        metadata["remainingItemCount"] = json!(remaining);
    }
    let head = json!({ "apiVersion": served.info.api_version(), "kind": served.info.list_kind, "metadata": metadata });
    let head = serde_json::to_vec(&head).unwrap_or_default();
    let size: usize = page.items.iter().map(|o| o.packed.json_len() + 1).sum();
    let mut body = BytesMut::with_capacity(head.len() + size + 16);
    body.put_slice(&head[..head.len() - 1]);
    body.put_slice(b",\"items\":[");
    for (i, item) in page.items.iter().enumerate() {
        if i > 0 {
            body.put_u8(b',');
        }
        if convert::is_identity(served) {
            item.packed.append_json_to(&mut body);
        } else {
            body.put_slice(&encode(served, item));
        }
    }
    body.put_slice(b"]}");
    body.freeze()
}

/// What a page says of the rest of its list: how many objects remain (known for an unfiltered
/// list only: counted now, or carried from the first page as `left_before`) and the token to go
/// on with, if any remain.
fn rest_of(
    page: &ListPage,
    rv: u64,
    unfiltered: bool,
    left_before: Option<usize>,
) -> (Option<usize>, Option<String>) {
    let more = page.remaining > 0;
    let remaining = (unfiltered && more).then(|| match left_before {
        Some(left) => left.saturating_sub(page.items.len()).max(1),
        None => page.remaining,
    });
    let continue_token = page.items.last().filter(|_| more).map(|(key, _)| {
        Continue {
            rv,
            namespace: key.0.clone(),
            name: key.1.clone(),
            left: remaining,
        }
        .encode()
    });
    (remaining, continue_token)
}

/// Where a list goes on from, as its continue token says.
struct Continue {
    /// The list's resourceVersion.
    rv: u64,
    namespace: String,
    /// The last name listed so far.
    name: String,
    /// How many objects were left after the last page, for an unfiltered list.
    left: Option<usize>,
}

impl Continue {
    fn encode(&self) -> String {
        let mut token = json!({ "v": "meta.k8s.io/v1", "rv": self.rv, "start": format!("{}/{}", self.namespace, self.name) });
        if let Some(left) = self.left {
            token["left"] = json!(left);
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token.to_string())
    }
}

fn decode_continue(token: &str) -> ApiResult<Continue> {
    let invalid = || {
        ApiError::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let rv = value["rv"].as_u64().ok_or_else(invalid)?;
    let (namespace, name) = value["start"]
        .as_str()
        .and_then(|s| s.split_once('/'))
        .ok_or_else(invalid)?;
    Ok(Continue {
        rv,
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        left: value["left"].as_u64().map(|left| left as usize),
    })
}
