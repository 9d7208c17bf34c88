//! The identities of one subject, read from SystemAuth objects: what the `auths` fields of
//! applications, runtimes and integration systems resolve to.

use async_graphql::ID;
use compass_crds::SubjectKind;

use super::types::SystemAuth;
use crate::state::{Caches, subject_tag};

/// The identities of one object, in uid order. Credentials issued by this API are not kept in
/// clear, so `auth` is empty: the Connector hands certificates to their holder only.
pub fn auths_of(
    caches: &Caches,
    namespace: &str,
    kind: SubjectKind,
    name: &str,
) -> Vec<SystemAuth> {
    caches
        .system_auths
        .tagged(&subject_tag(namespace, &kind, name))
        .iter()
        .map(|a| SystemAuth {
            id: ID(a.metadata.uid.clone().unwrap_or_default()),
            auth: None,
        })
        .collect()
}
