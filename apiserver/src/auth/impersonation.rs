//! Impersonation (`kubectl --as`, `--as-group`): a user allowed the `impersonate` verb on
//! `users`, `groups`, `serviceaccounts`, `uids` or `userextras/<key>` may act as another user.
//! Each requested attribute is authorized on its own, as kube-apiserver does.

use std::collections::BTreeMap;

use axum::http::HeaderMap;

use super::user::{self, UserInfo};
use crate::{
    errors::{ApiError, ApiResult},
    rbac::attributes::{Attributes, ResourceRequest, Target},
};

/// The header naming the user to act as.
pub const USER: &str = "impersonate-user";
/// The header naming a group to act in (repeatable).
pub const GROUP: &str = "impersonate-group";
/// The header naming the uid to act as.
pub const UID: &str = "impersonate-uid";
/// The prefix of headers naming extra attributes (`Impersonate-Extra-<key>`).
pub const EXTRA_PREFIX: &str = "impersonate-extra-";

/// The user a request acts as: `requester` itself without impersonation headers, otherwise the
/// impersonated user, once `check` allowed each part of it.
pub fn impersonate(
    headers: &HeaderMap,
    requester: UserInfo,
    check: impl Fn(&UserInfo, &Attributes) -> ApiResult<()>,
) -> ApiResult<UserInfo> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    };
    let groups = values(GROUP);
    let uid = values(UID).into_iter().next();
    let extra = extra(headers);
    let Some(name) = values(USER).into_iter().next() else {
        if groups.is_empty() && uid.is_none() && extra.is_empty() {
            return Ok(requester);
        }
        return Err(ApiError::bad_request(
            "impersonating groups, a uid or extra attributes requires impersonating a user",
        ));
    };
    let mut asked = vec![match user::parse_service_account(&name) {
        Some((namespace, account)) => request(namespace, "", "serviceaccounts", account),
        None => request("", "", "users", &name),
    }];
    asked.extend(groups.iter().map(|g| request("", "", "groups", g)));
    if let Some(uid) = &uid {
        asked.push(request("", "authentication.k8s.io", "uids", uid));
    }
    for (key, values) in &extra {
        for value in values {
            let resource = format!("userextras/{key}");
            asked.push(request("", "authentication.k8s.io", &resource, value));
        }
    }
    for attributes in &asked {
        check(&requester, attributes)?;
    }
    let mut impersonated = UserInfo {
        name: name.clone(),
        uid: uid.unwrap_or_default(),
        groups,
        extra,
    };
    if let Some((namespace, _)) = user::parse_service_account(&name) {
        impersonated.add_group(user::SERVICE_ACCOUNTS);
        impersonated.add_group(&format!("{}:{namespace}", user::SERVICE_ACCOUNTS));
    }
    if name == user::ANONYMOUS {
        impersonated.add_group(user::UNAUTHENTICATED);
    } else {
        impersonated.add_group(user::AUTHENTICATED);
    }
    Ok(impersonated)
}

/// The attributes of impersonating one thing. `userextras/<key>` is a resource and subresource.
fn request(namespace: &str, group: &str, resource: &str, name: &str) -> Attributes {
    let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
    Attributes {
        verb: "impersonate".into(),
        target: Target::Resource(ResourceRequest {
            namespace: namespace.into(),
            group: group.into(),
            version: String::new(),
            resource: resource.into(),
            subresource: subresource.into(),
            name: name.into(),
        }),
    }
}

/// `Impersonate-Extra-<key>` headers; keys are percent-encoded in header names.
fn extra(headers: &HeaderMap) -> BTreeMap<String, Vec<String>> {
    let mut extra: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        let Some(key) = name.as_str().strip_prefix(EXTRA_PREFIX) else {
            continue;
        };
        let key = crate::server::path::percent_decode(key).unwrap_or_else(|| key.to_owned());
        if let Ok(value) = value.to_str() {
            extra.entry(key).or_default().push(value.to_owned());
        }
    }
    extra
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn without_headers_the_requester_stays() {
        let alice = UserInfo::authenticated("alice", vec![]);
        let same = impersonate(&HeaderMap::new(), alice.clone(), |_, _| {
            Err(ApiError::forbidden("never asked"))
        });
        assert_eq!(same.unwrap(), alice);
    }

    #[test]
    fn every_part_is_authorized_and_the_result_is_authenticated() {
        let asked = std::sync::Mutex::new(Vec::new());
        let found = impersonate(
            &headers(&[
                (USER, "system:serviceaccount:ns:bot"),
                (GROUP, "devs"),
                ("impersonate-extra-scopes", "read"),
            ]),
            UserInfo::authenticated("admin", vec![]),
            |_, a| {
                let r = a.resource().unwrap();
                asked.lock().unwrap().push(format!(
                    "{}/{}:{}:{}",
                    r.resource, r.subresource, r.namespace, r.name
                ));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            asked.into_inner().unwrap(),
            [
                "serviceaccounts/:ns:bot",
                "groups/::devs",
                "userextras/scopes::read"
            ]
        );
        assert_eq!(found.name, "system:serviceaccount:ns:bot");
        assert!(found.groups.contains(&"devs".to_owned()));
        assert!(
            found
                .groups
                .contains(&"system:serviceaccounts:ns".to_owned())
        );
        assert!(found.groups.contains(&user::AUTHENTICATED.to_owned()));
    }

    #[test]
    fn a_refused_part_refuses_the_request_and_groups_alone_are_bad() {
        let refused = impersonate(
            &headers(&[(USER, "bob")]),
            UserInfo::authenticated("alice", vec![]),
            |_, _| Err(ApiError::forbidden("no")),
        );
        assert_eq!(refused.unwrap_err().code, 403);
        let alone = impersonate(
            &headers(&[(GROUP, "devs")]),
            UserInfo::authenticated("alice", vec![]),
            |_, _| Ok(()),
        );
        assert_eq!(alone.unwrap_err().code, 400);
    }
}
