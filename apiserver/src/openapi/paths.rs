//! The paths and operations of one resource: the collection, item, status and watch paths
//! kube-apiserver publishes, each operation tagged with its action and group-version-kind.

use serde_json::{Map, Value, json};

use super::{
    GVK_EXTENSION,
    components::{
        API_RESOURCE_LIST, DELETE_OPTIONS, KindNames, PATCH, REF_PREFIX, STATUS, WATCH_EVENT, gvk,
    },
    params,
};
use crate::resource::ResourceInfo;

mod create;

pub(super) use self::create::CreateOnly;

/// Media types of responses. The server answers in JSON; YAML and protobuf are not offered.
const JSON: &[&str] = &["application/json"];
/// Media types of watch responses.
const WATCH: &[&str] = &["application/json", "application/json;stream=watch"];
/// Patch types every resource accepts.
const PATCH_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
];
/// The patch type built-in kinds accept beyond [`PATCH_TYPES`]. Advertising it is what makes
/// client-side `kubectl apply` compute a strategic merge patch from these documents.
const STRATEGIC: &str = "application/strategic-merge-patch+json";

/// The `/api/v1/` or `/apis/<group>/<version>/` path: the discovery document of the group-version.
pub(super) fn api_resources_path(resource: &ResourceInfo) -> Value {
    let names = OperationNames::new(resource);
    json!({
        "get": {
            "tags": [names.tag],
            "description": "get available resources",
            "operationId": format!("get{}APIResources", names.group_version),
            "responses": responses(&["200"], API_RESOURCE_LIST, JSON),
        }
    })
}

/// Adds every path of `resource` to `paths`. `strategic` marks built-in kinds, which also accept
/// strategic merge patches.
pub(super) fn add_resource(
    paths: &mut Map<String, Value>,
    resource: &ResourceInfo,
    names: &KindNames,
    strategic: bool,
    subresources: &[CreateOnly<'_>],
) {
    let ctx = Ctx {
        resource,
        ids: OperationNames::new(resource),
        kind_component: names.kind.clone(),
        list_component: names.list.clone(),
        strategic,
    };
    let root = group_version_root(resource);
    let plural = &resource.plural;
    let (scoped, watch_scoped) = if resource.namespaced {
        (
            format!("{root}/namespaces/{{namespace}}/{plural}"),
            format!("{root}/watch/namespaces/{{namespace}}/{plural}"),
        )
    } else {
        (format!("{root}/{plural}"), format!("{root}/watch/{plural}"))
    };

    if resource.create_only {
        paths.insert(scoped, ctx.create_only());
        return;
    }
    paths.insert(scoped.clone(), ctx.collection());
    paths.insert(format!("{scoped}/{{name}}"), ctx.item(false));
    for sub in subresources {
        let path = format!("{scoped}/{{name}}/{}", sub.info.name);
        paths.insert(path, ctx.create_subresource(sub));
    }
    if resource.status_subresource {
        paths.insert(format!("{scoped}/{{name}}/status"), ctx.item(true));
    }
    paths.insert(watch_scoped.clone(), ctx.watch_list(false));
    paths.insert(format!("{watch_scoped}/{{name}}"), ctx.watch_item());
    if resource.namespaced {
        paths.insert(format!("{root}/{plural}"), ctx.list_all_namespaces());
        paths.insert(format!("{root}/watch/{plural}"), ctx.watch_list(true));
    }
}

/// `/api/v1` or `/apis/<group>/<version>`.
fn group_version_root(resource: &ResourceInfo) -> String {
    format!(
        "/{}",
        super::group_version_path(&resource.group, &resource.version)
    )
}

/// How kube-apiserver names operations of a group-version: `CoreV1` inside operation ids
/// (`listCoreV1NamespacedSecret`) and `core_v1` as the tag.
struct OperationNames {
    group_version: String,
    tag: String,
}

impl OperationNames {
    fn new(resource: &ResourceInfo) -> Self {
        let group = if resource.group.is_empty() {
            "core"
        } else {
            resource.group.trim_end_matches(".k8s.io")
        };
        let words: Vec<&str> = group.split(['.', '-']).filter(|w| !w.is_empty()).collect();
        let camel: String = words.iter().map(|w| capitalize(w)).collect();
        let mut tag = camel.clone();
        if let Some(first) = words.first() {
            tag.replace_range(..first.len(), first);
        }
        Self {
            group_version: format!("{camel}{}", capitalize(&resource.version)),
            tag: format!("{tag}_{}", resource.version),
        }
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What the operations of one resource have in common.
struct Ctx<'a> {
    resource: &'a ResourceInfo,
    ids: OperationNames,
    kind_component: String,
    list_component: String,
    strategic: bool,
}

impl Ctx<'_> {
    /// `Namespaced` in operation ids of namespaced resources, as in `readCoreV1NamespacedSecret`.
    fn scope(&self) -> &'static str {
        if self.resource.namespaced {
            "Namespaced"
        } else {
            ""
        }
    }

    fn id(&self, verb: &str, middle: &str, suffix: &str) -> String {
        let kind = &self.resource.kind;
        format!("{verb}{}{middle}{kind}{suffix}", self.ids.group_version)
    }

    /// Path-level parameters: `{name}` for item paths, `{namespace}` when namespaced, `pretty`.
    fn path_params(&self, item: bool) -> Vec<Value> {
        let mut params = Vec::new();
        if item {
            params.push(params::name(&self.resource.kind));
        }
        if self.resource.namespaced {
            params.push(params::namespace());
        }
        params.push(params::pretty());
        params
    }

    fn operation(
        &self,
        action: &str,
        operation_id: String,
        description: String,
        parameters: Vec<Value>,
        request_body: Option<Value>,
        responses: Value,
    ) -> Value {
        let resource = self.resource;
        let mut operation = json!({
            "tags": [self.ids.tag],
            "description": description,
            "operationId": operation_id,
            "responses": responses,
            "x-kubernetes-action": action,
            GVK_EXTENSION: gvk(&resource.group, &resource.version, &resource.kind),
        });
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if let Some(body) = request_body {
            operation["requestBody"] = body;
        }
        operation
    }

    /// The collection path: list, create and delete-collection.
    fn collection(&self) -> Value {
        let kind = &self.resource.kind;
        let scope = self.scope();
        let mut delete_params = params::delete();
        delete_params.extend(params::list());
        json!({
            "get": self.operation(
                "list",
                self.id("list", scope, ""),
                format!("list or watch objects of kind {kind}"),
                params::list(),
                None,
                responses(&["200"], &self.list_component, WATCH),
            ),
            "post": self.operation(
                "post",
                self.id("create", scope, ""),
                format!("create a {kind}"),
                params::write(),
                Some(object_body(&self.kind_component)),
                responses(&["200", "201", "202"], &self.kind_component, JSON),
            ),
            "delete": self.operation(
                "deletecollection",
                self.id("delete", &format!("Collection{scope}"), ""),
                format!("delete collection of {kind}"),
                delete_params,
                Some(delete_body()),
                responses(&["200"], STATUS, JSON),
            ),
            "parameters": self.path_params(false),
        })
    }

    /// The item path (`status` false) or its status subresource (`status` true): read, replace
    /// and patch, plus delete on the item itself.
    fn item(&self, status: bool) -> Value {
        let kind = &self.resource.kind;
        let scope = self.scope();
        let (suffix, what) = if status {
            ("Status", "status of ")
        } else {
            ("", "")
        };
        let mut item = json!({
            "get": self.operation(
                "get",
                self.id("read", scope, suffix),
                format!("read {what}the specified {kind}"),
                Vec::new(),
                None,
                responses(&["200"], &self.kind_component, JSON),
            ),
            "put": self.operation(
                "put",
                self.id("replace", scope, suffix),
                format!("replace {what}the specified {kind}"),
                params::write(),
                Some(object_body(&self.kind_component)),
                responses(&["200", "201"], &self.kind_component, JSON),
            ),
            "patch": self.operation(
                "patch",
                self.id("patch", scope, suffix),
                format!("partially update {what}the specified {kind}"),
                params::patch(),
                Some(self.patch_body()),
                responses(&["200", "201"], &self.kind_component, JSON),
            ),
            "parameters": self.path_params(true),
        });
        if !status {
            item["delete"] = self.operation(
                "delete",
                self.id("delete", scope, ""),
                format!("delete a {kind}"),
                params::delete(),
                Some(delete_body()),
                responses(&["200", "202"], STATUS, JSON),
            );
        }
        item
    }

    /// `/<plural>` of a namespaced resource: the list across all namespaces.
    fn list_all_namespaces(&self) -> Value {
        let kind = &self.resource.kind;
        json!({
            "get": self.operation(
                "list",
                self.id("list", "", "ForAllNamespaces"),
                format!("list or watch objects of kind {kind}"),
                params::list(),
                None,
                responses(&["200"], &self.list_component, WATCH),
            ),
            "parameters": [params::pretty()],
        })
    }

    /// The deprecated `/watch/...` list path, in one namespace or (`all_namespaces`) across all.
    fn watch_list(&self, all_namespaces: bool) -> Value {
        let kind = &self.resource.kind;
        let (id, path_params) = if all_namespaces {
            (
                self.id("watch", "", "ListForAllNamespaces"),
                vec![params::pretty()],
            )
        } else {
            (
                self.id("watch", self.scope(), "List"),
                self.path_params(false),
            )
        };
        json!({
            "get": self.operation(
                "watchlist",
                id,
                format!(
                    "watch individual changes to a list of {kind}. deprecated: use the 'watch' \
                     parameter with a list operation instead."
                ),
                params::list(),
                None,
                responses(&["200"], WATCH_EVENT, WATCH),
            ),
            "parameters": path_params,
        })
    }

    /// The deprecated `/watch/.../{name}` path.
    fn watch_item(&self) -> Value {
        let kind = &self.resource.kind;
        json!({
            "get": self.operation(
                "watch",
                self.id("watch", self.scope(), ""),
                format!(
                    "watch changes to an object of kind {kind}. deprecated: use the 'watch' \
                     parameter with a list operation instead, filtered to a single item with the \
                     'fieldSelector' parameter."
                ),
                params::list(),
                None,
                responses(&["200"], WATCH_EVENT, WATCH),
            ),
            "parameters": self.path_params(true),
        })
    }

    fn patch_body(&self) -> Value {
        let schema = json!({ "schema": { "$ref": format!("{REF_PREFIX}{PATCH}") } });
        let mut content = Map::new();
        for media in PATCH_TYPES {
            content.insert(media.to_string(), schema.clone());
        }
        if self.strategic {
            content.insert(STRATEGIC.into(), schema);
        }
        json!({ "content": content, "required": true })
    }
}

fn object_body(component: &str) -> Value {
    json!({
        "content": { "*/*": { "schema": { "$ref": format!("{REF_PREFIX}{component}") } } },
        "required": true,
    })
}

fn delete_body() -> Value {
    json!({
        "content": { "*/*": { "schema": { "$ref": format!("{REF_PREFIX}{DELETE_OPTIONS}") } } },
    })
}

/// Responses with the given success codes, each returning `component`, plus 401.
fn responses(codes: &[&str], component: &str, media: &[&str]) -> Value {
    let schema = json!({ "schema": { "$ref": format!("{REF_PREFIX}{component}") } });
    let content: Map<String, Value> = media
        .iter()
        .map(|media| (media.to_string(), schema.clone()))
        .collect();
    let mut responses = Map::new();
    for &code in codes {
        let description = match code {
            "201" => "Created",
            "202" => "Accepted",
            _ => "OK",
        };
        responses.insert(
            code.into(),
            json!({ "description": description, "content": content }),
        );
    }
    responses.insert("401".into(), json!({ "description": "Unauthorized" }));
    Value::Object(responses)
}
