//! Static users: people and tools known by the SHA-256 digest of their bearer token, with their
//! scopes and tenants, as in the original's static users file.

use std::collections::BTreeSet;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Caller, ConsumerKind, TenantAccess};

/// A user known by the digest of its token, as in the original's static users file.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticUser {
    /// Name, reported by `viewer`.
    pub name: String,
    /// Hexadecimal SHA-256 digest of the user's bearer token.
    pub token_sha256: String,
    /// Scopes the user holds.
    pub scopes: BTreeSet<String>,
    /// External ids of the tenants the user may act in; `*` for all.
    pub tenants: BTreeSet<String>,
}

#[derive(Deserialize)]
struct UsersFile {
    users: Vec<StaticUser>,
}

/// Parses a static users file (`users: [{name, tokenSha256, scopes, tenants}]`).
pub fn parse_users(text: &str) -> Result<Vec<StaticUser>, String> {
    serde_yaml::from_str::<UsersFile>(text)
        .map(|file| file.users)
        .map_err(|e| format!("the static users file is not valid: {e}"))
}

/// The hexadecimal SHA-256 digest of a token.
pub fn digest(token: &str) -> String {
    compass_crds::hex::lower(&Sha256::digest(token.as_bytes()))
}

/// The user whose token is `token`, as a caller naming `tenant`.
pub(super) fn user_with_token(
    users: &[StaticUser],
    token: &str,
    tenant: Option<String>,
) -> Option<Caller> {
    let presented = digest(token);
    let user = users
        .iter()
        .find(|u| constant_time_eq(u.token_sha256.as_bytes(), presented.as_bytes()))?;
    let tenants = if user.tenants.contains("*") {
        TenantAccess::All
    } else {
        TenantAccess::Only(user.tenants.clone())
    };
    Some(Caller {
        id: user.name.clone(),
        client_id: None,
        kind: ConsumerKind::User,
        scopes: user.scopes.clone(),
        tenants,
        tenant,
    })
}

/// Compares two byte strings in time that depends on their length only.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_file_parses() {
        let users = parse_users("users:\n  - name: bob\n    tokenSha256: ab\n    scopes: [runtime:read]\n    tenants: ['*']\n").unwrap();
        assert_eq!(users[0].name, "bob");
        let error = parse_users("users:\n  - name: bob\n").unwrap_err();
        assert!(error.contains("tokenSha256"), "{error}");
    }
}
