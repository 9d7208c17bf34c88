//! What a request asks to do, in the terms authorization decides on: a verb and either a
//! resource (group, resource, subresource, namespace, name) or a non-resource path. Derived from
//! the method, path and query exactly as kube-apiserver derives them, whatever the server serves,
//! so a rule means the same here as there.

use crate::{selector::FieldSelector, server::path::percent_decode};

/// The attributes of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or
    /// for non-resource requests the lowercase HTTP method.
    pub verb: String,
    /// What the verb applies to.
    pub target: Target,
}

/// A resource or a non-resource path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A request on objects.
    Resource(ResourceRequest),
    /// A request on another path, such as `/version` or `/apis`.
    NonResource(String),
}

/// The resource part of a request's attributes; empty strings mean "not given".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceRequest {
    /// The namespace; empty for cluster-scoped requests and requests across namespaces.
    pub namespace: String,
    /// The API group; empty for the core group.
    pub group: String,
    /// The API version.
    pub version: String,
    /// The resource (plural).
    pub resource: String,
    /// The subresource, such as `status` or `token`.
    pub subresource: String,
    /// The object's name.
    pub name: String,
}

impl ResourceRequest {
    /// `resource` or `resource/subresource`, the form rules name resources in.
    pub fn combined_resource(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }
}

/// Subresources of a Namespace that must not be read as a namespaced collection.
const NAMESPACE_SUBRESOURCES: [&str; 2] = ["status", "finalize"];

impl Attributes {
    /// The attributes of a request with `method` on `path` with the raw `query`.
    pub fn from_request(method: &str, path: &str, query: Option<&str>) -> Self {
        // As kube-apiserver splits it: only the ends are trimmed, so `/apis//v1/secrets` keeps
        // its empty group and stays a request on secrets (which the handler then does not find).
        let trimmed = path.trim_matches('/');
        let parts: Vec<String> = if trimmed.is_empty() {
            Vec::new()
        } else {
            trimmed
                .split('/')
                .map(|p| percent_decode(p).unwrap_or_else(|| p.to_owned()))
                .collect()
        };
        let non_resource = || Self {
            verb: method.to_ascii_lowercase(),
            target: Target::NonResource(path.to_owned()),
        };
        let (group, rest) = match parts.first().map(String::as_str) {
            Some("api") if parts.len() >= 3 => (String::new(), &parts[1..]),
            Some("apis") if parts.len() >= 4 => (parts[1].clone(), &parts[2..]),
            _ => return non_resource(),
        };
        let mut verb = match method {
            "POST" => "create",
            "GET" | "HEAD" => "get",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => return non_resource(),
        }
        .to_owned();
        let version = rest[0].clone();
        let mut rest = &rest[1..];
        if rest.len() >= 2 && rest[0] == "watch" {
            verb = "watch".into();
            rest = &rest[1..];
        }
        let mut request = ResourceRequest {
            group,
            version,
            ..ResourceRequest::default()
        };
        if rest[0] == "namespaces" && rest.len() > 1 {
            request.namespace = rest[1].clone();
            if rest.len() > 2 && !NAMESPACE_SUBRESOURCES.contains(&rest[2].as_str()) {
                rest = &rest[2..];
            }
        }
        request.resource = rest[0].clone();
        request.name = rest.get(1).cloned().unwrap_or_default();
        request.subresource = rest.get(2).cloned().unwrap_or_default();
        if request.name.is_empty() {
            verb = collection_verb(&verb, query);
            if matches!(verb.as_str(), "list" | "watch") {
                request.name = selected_name(query).unwrap_or_default();
            }
        }
        Self {
            verb,
            target: Target::Resource(request),
        }
    }

    /// The resource part, if this is a resource request.
    pub fn resource(&self) -> Option<&ResourceRequest> {
        match &self.target {
            Target::Resource(request) => Some(request),
            Target::NonResource(_) => None,
        }
    }
}

/// The verb of a request on a collection: a get lists (or watches), a delete deletes the
/// collection.
fn collection_verb(verb: &str, query: Option<&str>) -> String {
    let watch = query_value(query, "watch").is_some_and(|v| v == "true" || v == "1");
    match verb {
        "get" if watch => "watch",
        "get" => "list",
        "watch" => "watch",
        "delete" => "deletecollection",
        other => other,
    }
    .to_owned()
}

/// A list or watch narrowed to one name by `fieldSelector=metadata.name=x` is a request on that
/// name, so rules with resourceNames can allow it.
fn selected_name(query: Option<&str>) -> Option<String> {
    let selector = FieldSelector::parse(&query_value(query, "fieldSelector")?).ok()?;
    selector.exact_match("metadata.name").map(str::to_owned)
}

/// A query parameter's value; the last one when repeated, as the handlers read it, so that what
/// is authorized is what is served.
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .filter(|(key, _)| key == name)
        .last()
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(method: &str, path: &str, query: Option<&str>) -> (String, ResourceRequest) {
        let attributes = Attributes::from_request(method, path, query);
        let request = attributes.resource().expect("a resource request").clone();
        (attributes.verb, request)
    }

    #[test]
    fn collection_requests_list_watch_and_delete_collections() {
        let (verb, request) = resource("GET", "/api/v1/namespaces/team-a/configmaps", None);
        assert_eq!(verb, "list");
        assert_eq!(
            (request.namespace.as_str(), request.resource.as_str()),
            ("team-a", "configmaps")
        );
        let (verb, _) = resource("GET", "/api/v1/configmaps", Some("watch=1"));
        assert_eq!(verb, "watch");
        let (verb, _) = resource("GET", "/api/v1/configmaps", Some("watch=false&watch=true"));
        assert_eq!(verb, "watch", "the handler reads the last value");
        let (verb, _) = resource("DELETE", "/apis/g.io/v1/namespaces/a/things", None);
        assert_eq!(verb, "deletecollection");
        let (verb, request) = resource(
            "GET",
            "/apis/g.io/v1/namespaces/a/things",
            Some("fieldSelector=metadata.name%3Done&watch=true"),
        );
        assert_eq!((verb.as_str(), request.name.as_str()), ("watch", "one"));
    }

    #[test]
    fn items_and_subresources_carry_name_and_subresource() {
        let (verb, request) = resource(
            "PATCH",
            "/apis/compass.kyma-project.io/v1alpha1/namespaces/t/applications/app/status",
            None,
        );
        assert_eq!(verb, "patch");
        assert_eq!(request.combined_resource(), "applications/status");
        assert_eq!(request.name, "app");
        let (verb, request) =
            resource("POST", "/api/v1/namespaces/t/serviceaccounts/b/token", None);
        assert_eq!(
            (verb.as_str(), request.subresource.as_str()),
            ("create", "token")
        );
    }

    #[test]
    fn a_namespace_is_requested_in_itself() {
        let (verb, request) = resource("GET", "/api/v1/namespaces/team-a", None);
        assert_eq!(verb, "get");
        assert_eq!(request.resource, "namespaces");
        assert_eq!(request.name, "team-a");
        assert_eq!(request.namespace, "team-a");
        let (_, request) = resource("PUT", "/api/v1/namespaces/team-a/finalize", None);
        assert_eq!(
            (request.resource.as_str(), request.subresource.as_str()),
            ("namespaces", "finalize")
        );
        let (verb, request) = resource("GET", "/api/v1/namespaces", None);
        assert_eq!((verb.as_str(), request.namespace.as_str()), ("list", ""));
    }

    #[test]
    fn discovery_and_other_paths_are_non_resource_requests() {
        for path in [
            "/api",
            "/apis",
            "/api/v1",
            "/apis/g.io/v1",
            "/version",
            "/openapi/v3",
        ] {
            let attributes = Attributes::from_request("GET", path, None);
            assert_eq!(attributes.target, Target::NonResource(path.to_owned()));
            assert_eq!(attributes.verb, "get");
        }
    }

    #[test]
    fn an_empty_segment_never_turns_a_resource_request_into_discovery() {
        let (verb, request) = resource("GET", "/apis//v1/secrets", None);
        assert_eq!(verb, "list");
        assert_eq!(
            (request.group.as_str(), request.resource.as_str()),
            ("", "secrets")
        );
        assert!(crate::server::path::parse("/apis//v1/secrets").is_none());
        assert!(crate::server::path::parse("/api/v1/namespaces//secrets").is_none());
    }
}
