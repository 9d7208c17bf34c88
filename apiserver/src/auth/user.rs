//! Who a request comes from: the user an authenticator vouches for, and the well-known names of
//! users and groups kube-apiserver gives meaning to.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Group of every authenticated request.
pub const AUTHENTICATED: &str = "system:authenticated";
/// Group of requests without credentials.
pub const UNAUTHENTICATED: &str = "system:unauthenticated";
/// The user of requests without credentials.
pub const ANONYMOUS: &str = "system:anonymous";
/// The superuser group: its members may do everything, whatever RBAC says.
pub const MASTERS: &str = "system:masters";
/// Group of every ServiceAccount.
pub const SERVICE_ACCOUNTS: &str = "system:serviceaccounts";
/// Prefix of ServiceAccount user names: `system:serviceaccount:<namespace>:<name>`.
pub const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";
/// The user of the admin bearer token.
pub const ADMIN: &str = "compass-admin";
/// The user the server itself acts as (bootstrap, aggregation), in [`MASTERS`].
pub const SERVER: &str = "system:apiserver";

/// An authenticated (or anonymous) user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// The user name RBAC subjects of kind `User` match.
    pub name: String,
    /// A unique id, where the authenticator has one.
    pub uid: String,
    /// Groups RBAC subjects of kind `Group` match.
    pub groups: Vec<String>,
    /// Further attributes, as authenticators and impersonation set them.
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// A user with `groups`, plus [`AUTHENTICATED`] as every authenticated user has.
    pub fn authenticated(name: impl Into<String>, groups: Vec<String>) -> Self {
        let mut user = Self {
            name: name.into(),
            groups,
            ..Self::default()
        };
        user.add_group(AUTHENTICATED);
        user
    }

    /// The user of requests without credentials.
    pub fn anonymous() -> Self {
        Self {
            name: ANONYMOUS.into(),
            groups: vec![UNAUTHENTICATED.into()],
            ..Self::default()
        }
    }

    /// The server's own identity, for what it writes itself.
    pub fn server() -> Self {
        Self::authenticated(SERVER, vec![MASTERS.into()])
    }

    /// The ServiceAccount `name` in `namespace`, with its uid.
    pub fn service_account(namespace: &str, name: &str, uid: &str) -> Self {
        let mut user = Self::authenticated(
            service_account_user(namespace, name),
            vec![
                SERVICE_ACCOUNTS.into(),
                format!("{SERVICE_ACCOUNTS}:{namespace}"),
            ],
        );
        user.uid = uid.to_owned();
        user
    }

    /// Adds a group unless the user has it.
    pub fn add_group(&mut self, group: &str) {
        if !self.groups.iter().any(|g| g == group) {
            self.groups.push(group.to_owned());
        }
    }

    /// Whether the user is in the superuser group.
    pub fn is_superuser(&self) -> bool {
        self.groups.iter().any(|g| g == MASTERS)
    }

    /// The namespace and name of the ServiceAccount this user is, if it is one.
    #[cfg(test)]
    pub fn as_service_account(&self) -> Option<(&str, &str)> {
        parse_service_account(&self.name)
    }

    /// The user as `UserInfo` objects (reviews) show it.
    pub fn to_json(&self) -> Value {
        let mut info = json!({ "username": self.name, "groups": self.groups });
        if !self.uid.is_empty() {
            info["uid"] = json!(self.uid);
        }
        if !self.extra.is_empty() {
            info["extra"] = json!(self.extra);
        }
        info
    }
}

/// The user name of a ServiceAccount.
pub fn service_account_user(namespace: &str, name: &str) -> String {
    format!("{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}")
}

/// Splits `system:serviceaccount:<namespace>:<name>` into namespace and name.
pub fn parse_service_account(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(SERVICE_ACCOUNT_PREFIX)?;
    let (namespace, name) = rest.split_once(':')?;
    (!namespace.is_empty() && !name.is_empty() && !name.contains(':')).then_some((namespace, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_account_users_carry_their_groups_and_parse_back() {
        let user = UserInfo::service_account("team-a", "builder", "u1");
        assert_eq!(user.name, "system:serviceaccount:team-a:builder");
        assert_eq!(
            user.groups,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:team-a",
                AUTHENTICATED
            ]
        );
        assert_eq!(user.as_service_account(), Some(("team-a", "builder")));
        assert_eq!(parse_service_account("system:serviceaccount:a"), None);
        assert_eq!(parse_service_account("alice"), None);
    }

    #[test]
    fn authenticated_users_are_in_the_authenticated_group_once() {
        let user = UserInfo::authenticated("alice", vec![AUTHENTICATED.into(), "dev".into()]);
        assert_eq!(user.groups, [AUTHENTICATED, "dev"]);
        assert!(!user.is_superuser());
        assert!(UserInfo::server().is_superuser());
    }
}
