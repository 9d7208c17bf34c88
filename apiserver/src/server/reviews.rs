//! The review kinds: questions answered from the request alone and never stored. Access reviews
//! ask whether a user may do something (`kubectl auth can-i`), the rules review lists what a
//! user may do in a namespace (`kubectl auth can-i --list`), the self-subject review says who
//! the caller is (`kubectl auth whoami`), and the token review whom a token stands for.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::PolicyRule;
use serde_json::{Value, json};

use super::{ServerState, Target};
use crate::{
    auth::user::UserInfo,
    errors::{ApiError, ApiResult, FieldError, Qualified},
    rbac::attributes::{Attributes, ResourceRequest, Target as Asked},
    registry::builtin::Review,
};

/// Answers the review `body` posted by `user`: the body with its `status` filled in.
pub fn answer(
    state: &ServerState,
    user: &UserInfo,
    target: &Target,
    review: Review,
    mut body: Value,
) -> ApiResult<Value> {
    let info = &target.served.info;
    let status = match review {
        Review::SelfSubjectAccess => access(state, user, &body["spec"], None)?,
        Review::SubjectAccess => access(state, &subject(&body["spec"]), &body["spec"], None)?,
        Review::LocalSubjectAccess => {
            let namespace = target.namespace.as_deref().unwrap_or_default();
            access(
                state,
                &subject(&body["spec"]),
                &body["spec"],
                Some(namespace),
            )?
        }
        Review::SelfSubjectRules => {
            let namespace = body["spec"]["namespace"].as_str().unwrap_or_default();
            rules(state, user, namespace)
        }
        Review::SelfSubject => json!({ "userInfo": user.to_json() }),
        Review::Token => token(state, &body["spec"]),
    };
    body["apiVersion"] = json!(info.api_version());
    body["kind"] = json!(info.kind);
    if !body["metadata"].is_object() {
        body["metadata"] = json!({});
    }
    body["metadata"]["creationTimestamp"] = json!(super::now());
    body["status"] = status;
    Ok(body)
}

/// The user a (Local)SubjectAccessReview asks about.
fn subject(spec: &Value) -> UserInfo {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let extra: BTreeMap<String, Vec<String>> = spec["extra"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), strings(v))).collect())
        .unwrap_or_default();
    UserInfo {
        name: spec["user"].as_str().unwrap_or_default().to_owned(),
        uid: spec["uid"].as_str().unwrap_or_default().to_owned(),
        groups: strings(&spec["groups"]),
        extra,
    }
}

/// `status` of an access review: whether `user` may do what `spec` asks.
fn access(
    state: &ServerState,
    user: &UserInfo,
    spec: &Value,
    namespace: Option<&str>,
) -> ApiResult<Value> {
    let attributes = asked(spec, namespace)?;
    Ok(
        match state.authorizer.decide(&state.store, user, &attributes) {
            Some(reason) if reason.is_empty() => json!({ "allowed": true }),
            Some(reason) => json!({ "allowed": true, "reason": reason }),
            None => json!({ "allowed": false }),
        },
    )
}

/// The attributes an access review's spec asks about; `namespace` is the path's, which a
/// LocalSubjectAccessReview's attributes must agree with.
fn asked(spec: &Value, namespace: Option<&str>) -> ApiResult<Attributes> {
    let text = |v: &Value, field: &str| v[field].as_str().unwrap_or_default().to_owned();
    let resource = &spec["resourceAttributes"];
    let non_resource = &spec["nonResourceAttributes"];
    let invalid = |field: &str, detail: &str| {
        let kind = Qualified {
            group: "authorization.k8s.io",
            name: "SubjectAccessReview",
        };
        ApiError::invalid(kind, "", &[FieldError::required(field, detail)])
    };
    match (resource.is_object(), non_resource.is_object()) {
        (true, false) => {
            let mut request = ResourceRequest {
                namespace: text(resource, "namespace"),
                group: text(resource, "group"),
                version: text(resource, "version"),
                resource: text(resource, "resource"),
                subresource: text(resource, "subresource"),
                name: text(resource, "name"),
            };
            if let Some(namespace) = namespace {
                if request.namespace.is_empty() {
                    request.namespace = namespace.to_owned();
                } else if request.namespace != namespace {
                    return Err(ApiError::bad_request(format!(
                        "spec.resourceAttributes.namespace must match namespace: {namespace}"
                    )));
                }
            }
            Ok(Attributes {
                verb: text(resource, "verb"),
                target: Asked::Resource(request),
            })
        }
        // A namespace's review is about that namespace: paths are not in any.
        (false, true) if namespace.is_some() => Err(ApiError::bad_request(
            "spec.nonResourceAttributes: Invalid value: disallowed on this kind of request",
        )),
        (false, true) => Ok(Attributes {
            verb: text(non_resource, "verb"),
            target: Asked::NonResource(text(non_resource, "path")),
        }),
        _ => Err(invalid(
            "spec.resourceAttributes",
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )),
    }
}

/// `status` of a SelfSubjectRulesReview: every rule `user` holds in `namespace`.
fn rules(state: &ServerState, user: &UserInfo, namespace: &str) -> Value {
    let held = state
        .authorizer
        .policy(&state.store)
        .rules_for(user, namespace);
    let (non_resource, resource): (Vec<&PolicyRule>, Vec<&PolicyRule>) = held
        .iter()
        .partition(|r| r.non_resource_urls.as_ref().is_some_and(|u| !u.is_empty()));
    let resource_rules: Vec<Value> = resource
        .iter()
        .map(|r| {
            let mut rule = json!({
                "verbs": r.verbs,
                "apiGroups": r.api_groups.clone().unwrap_or_default(),
                "resources": r.resources.clone().unwrap_or_default(),
            });
            if let Some(names) = r.resource_names.as_ref().filter(|n| !n.is_empty()) {
                rule["resourceNames"] = json!(names);
            }
            rule
        })
        .collect();
    let non_resource_rules: Vec<Value> = non_resource
        .iter()
        .map(|r| json!({ "verbs": r.verbs, "nonResourceURLs": r.non_resource_urls }))
        .collect();
    json!({
        "resourceRules": resource_rules,
        "nonResourceRules": non_resource_rules,
        "incomplete": false,
    })
}

/// `status` of a TokenReview: the ServiceAccount a token stands for, if it is valid for the
/// requested audiences (by default the API server's).
fn token(state: &ServerState, spec: &Value) -> Value {
    let token = spec["token"].as_str().unwrap_or_default();
    let requested: Vec<&str> = spec["audiences"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let audiences = if requested.is_empty() {
        vec![crate::auth::service_account::ISSUER]
    } else {
        requested
    };
    match state
        .authenticator
        .token_user(&state.store, token, &audiences)
    {
        Ok(user) => json!({
            "authenticated": true,
            "user": user.to_json(),
            "audiences": audiences,
        }),
        Err(error) => json!({ "authenticated": false, "error": error.to_string() }),
    }
}
