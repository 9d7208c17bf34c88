//! Which lists of the built-in kinds merge instead of being replaced: the `patchStrategy` and
//! `patchMergeKey` struct tags of their Kubernetes Go types, as a table keyed by field path.

/// How a list field combines with the list in a strategic merge patch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListStrategy {
    /// The patch list replaces the live list. Every list whose Go type declares no
    /// `patchStrategy` behaves this way.
    Replace,
    /// The patch list merges into the live list (`patchStrategy:"merge"`): primitives as a
    /// union, objects matched by the value of their merge key (`patchMergeKey`).
    Merge {
        /// The member that identifies an object item, such as `uid`; `None` for primitives.
        key: Option<&'static str>,
    },
}

/// One field whose Go type declares a patch strategy.
struct FieldStrategy {
    /// The kind the field belongs to; `None` for fields every kind has (`ObjectMeta`).
    kind: Option<&'static str>,
    /// Field names from the object root, dot-separated. List items add no segment, so a field
    /// inside the items of `status.conditions` would be `status.conditions.<field>`.
    path: &'static str,
    /// The strategy.
    strategy: ListStrategy,
}

/// The table. To serve another built-in kind, copy its Go tags here; anything not listed
/// replaces, which is right for every list without tags.
const FIELD_STRATEGIES: &[FieldStrategy] = &[
    // k8s.io/apimachinery ObjectMeta.Finalizers: `patchStrategy:"merge"`.
    FieldStrategy {
        kind: None,
        path: "metadata.finalizers",
        strategy: ListStrategy::Merge { key: None },
    },
    // ObjectMeta.OwnerReferences: `patchStrategy:"merge" patchMergeKey:"uid"`.
    FieldStrategy {
        kind: None,
        path: "metadata.ownerReferences",
        strategy: ListStrategy::Merge { key: Some("uid") },
    },
    // core/v1 NamespaceStatus.Conditions: `patchStrategy:"merge" patchMergeKey:"type"`.
    // Secret, ConfigMap, Event, Lease and CustomResourceDefinition declare no strategies.
    FieldStrategy {
        kind: Some("Namespace"),
        path: "status.conditions",
        strategy: ListStrategy::Merge { key: Some("type") },
    },
];

/// The strategy of the list at `path` (field names from the root) in an object of `kind`.
pub(super) fn list_strategy(kind: &str, path: &[String]) -> ListStrategy {
    FIELD_STRATEGIES
        .iter()
        .find(|entry| {
            entry.kind.is_none_or(|k| k == kind)
                && entry.path.split('.').eq(path.iter().map(String::as_str))
        })
        .map_or(ListStrategy::Replace, |entry| entry.strategy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(dotted: &str) -> Vec<String> {
        dotted.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn object_meta_lists_merge_on_every_kind() {
        assert_eq!(
            list_strategy("Secret", &path("metadata.finalizers")),
            ListStrategy::Merge { key: None }
        );
        assert_eq!(
            list_strategy("ConfigMap", &path("metadata.ownerReferences")),
            ListStrategy::Merge { key: Some("uid") }
        );
    }

    #[test]
    fn kind_specific_lists_merge_only_on_their_kind() {
        let conditions = path("status.conditions");
        assert_eq!(
            list_strategy("Namespace", &conditions),
            ListStrategy::Merge { key: Some("type") }
        );
        assert_eq!(
            list_strategy("CustomResourceDefinition", &conditions),
            ListStrategy::Replace
        );
    }

    #[test]
    fn other_lists_replace() {
        assert_eq!(
            list_strategy("Namespace", &path("spec.finalizers")),
            ListStrategy::Replace
        );
    }
}
