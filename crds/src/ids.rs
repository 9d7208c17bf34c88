//! Stable ids of an application's children. A child has no object of its own, so its id is derived
//! from its parent's uid and its name: the same child keeps its id across updates, restarts and
//! replicas, and no id needs to be stored.

use sha1::{Digest, Sha1};
use uuid::{Builder, Uuid};

/// Kinds of children an application holds, each with its own id space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildKind {
    /// An entry of `spec.apiDefinitions`, named by `name`.
    ApiDefinition,
    /// An entry of `spec.eventDefinitions`, named by `name`.
    EventDefinition,
    /// An entry of `spec.documents`, named by `title`.
    Document,
    /// An entry of `spec.webhooks`, named by `name`.
    Webhook,
}

impl ChildKind {
    /// The prefix that separates the kinds' id spaces.
    fn prefix(self) -> &'static str {
        match self {
            Self::ApiDefinition => "apiDefinition",
            Self::EventDefinition => "eventDefinition",
            Self::Document => "document",
            Self::Webhook => "webhook",
        }
    }
}

/// The id of an application's child: a name-based (version 5) UUID in the parent's uid namespace.
///
/// Parent uids are UUIDs on every Kubernetes API server; should one not be, its text is first
/// hashed into a UUID so the result is still stable.
pub fn child_id(parent_uid: &str, kind: ChildKind, name: &str) -> Uuid {
    let parent = Uuid::parse_str(parent_uid)
        .unwrap_or_else(|_| Uuid::new_v5(&Uuid::NAMESPACE_OID, parent_uid.as_bytes()));
    // The name-based UUID `Uuid::new_v5` makes, hashed with the processor's SHA instructions
    // where it has them: a page of applications derives an id for every child it shows.
    let digest = Sha1::new()
        .chain_update(parent.as_bytes())
        .chain_update(kind.prefix())
        .chain_update(b"/")
        .chain_update(name)
        .finalize();
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    Builder::from_sha1_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "6f1f4b4e-2f0a-4c4e-9a1c-0d7f1e6b2a10";

    #[test]
    fn an_id_is_the_name_based_uuid_of_kind_slash_name() {
        // Clients keep these ids: the scheme may not change, however the name is joined.
        let expected = [
            (
                ChildKind::ApiDefinition,
                "orders",
                "d77fc4d9-28ca-5a52-bdee-91a314a022be",
            ),
            (
                ChildKind::Document,
                "Guide",
                "4fab484d-8b09-5a57-b5de-3f023474cdd9",
            ),
        ];
        for (kind, name, id) in expected {
            assert_eq!(child_id(PARENT, kind, name).to_string(), id);
        }
    }

    #[test]
    fn same_parent_kind_and_name_give_the_same_id() {
        assert_eq!(
            child_id(PARENT, ChildKind::ApiDefinition, "orders"),
            child_id(PARENT, ChildKind::ApiDefinition, "orders")
        );
    }

    #[test]
    fn kind_name_and_parent_each_change_the_id() {
        let base = child_id(PARENT, ChildKind::ApiDefinition, "orders");
        assert_ne!(base, child_id(PARENT, ChildKind::EventDefinition, "orders"));
        assert_ne!(base, child_id(PARENT, ChildKind::ApiDefinition, "invoices"));
        assert_ne!(
            base,
            child_id(
                "0b8f3c1e-7a55-4d2b-8f0e-3c9a6d4e1f22",
                ChildKind::ApiDefinition,
                "orders"
            )
        );
    }

    #[test]
    fn ids_are_version_5_uuids_even_for_non_uuid_parents() {
        assert_eq!(
            child_id(PARENT, ChildKind::Webhook, "w").get_version_num(),
            5
        );
        let a = child_id("not-a-uuid", ChildKind::Document, "Guide");
        assert_eq!(a, child_id("not-a-uuid", ChildKind::Document, "Guide"));
        assert_eq!(a.get_version_num(), 5);
    }

    #[test]
    fn ids_equal_uuids_own_name_based_ones_across_block_boundaries() {
        let parent = Uuid::parse_str(PARENT).unwrap();
        // Names from empty to past two SHA-1 blocks, with the 16-byte namespace in front.
        for length in 0..140 {
            let name: String = (0..length)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let joined = format!("document/{name}");
            assert_eq!(
                child_id(PARENT, ChildKind::Document, &name),
                Uuid::new_v5(&parent, joined.as_bytes()),
                "a name of {length} bytes"
            );
        }
    }
}
