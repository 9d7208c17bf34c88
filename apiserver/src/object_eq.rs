//! Whether two versions of an object are equal apart from members that do not count (their
//! metadata, their managed fields' times), compared in place: every update asks this several
//! times, and comparing copies with those members removed cost a deep copy of both versions each
//! time.

use serde_json::{Map, Value};

/// Whether `a` and `b` are equal apart from their members named in `skip`, each other member
/// compared by `same(name, a's, b's)`. Values that are not both objects are compared whole.
pub(crate) fn equal_members(
    a: &Value,
    b: &Value,
    skip: &[&str],
    same: impl Fn(&str, &Value, &Value) -> bool,
) -> bool {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return a == b;
    };
    let counted = |map: &Map<String, Value>| {
        map.keys()
            .filter(|name| !skip.contains(&name.as_str()))
            .count()
    };
    counted(a) == counted(b)
        && a.iter()
            .filter(|(name, _)| !skip.contains(&name.as_str()))
            .all(|(name, value)| b.get(name).is_some_and(|other| same(name, value, other)))
}

/// Whether `a` and `b` are equal apart from the members of their `metadata` named in `skip`.
pub(crate) fn equal_apart_from_metadata(a: &Value, b: &Value, skip: &[&str]) -> bool {
    equal_members(a, b, &[], |name, a, b| match name {
        "metadata" => equal_members(a, b, skip, |_, a, b| a == b),
        _ => a == b,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn skipped_members_do_not_count_whether_present_or_not() {
        let a = json!({"spec": {"x": 1}, "status": {"ready": true}});
        let b = json!({"spec": {"x": 1}});
        assert!(equal_members(&a, &b, &["status"], |_, a, b| a == b));
        assert!(!equal_members(&a, &b, &[], |_, a, b| a == b));
        let c = json!({"spec": {"x": 2}});
        assert!(!equal_members(&a, &c, &["status"], |_, a, b| a == b));
    }

    #[test]
    fn a_member_only_one_side_has_makes_them_differ() {
        let a = json!({"spec": {}, "extra": null});
        let b = json!({"spec": {}});
        assert!(!equal_members(&a, &b, &[], |_, a, b| a == b));
        assert!(!equal_members(&b, &a, &[], |_, a, b| a == b));
        // Same count, different names.
        let c = json!({"spec": {}, "other": null});
        assert!(!equal_members(&a, &c, &[], |_, a, b| a == b));
    }

    #[test]
    fn values_that_are_not_objects_compare_whole() {
        assert!(equal_members(
            &json!([1]),
            &json!([1]),
            &["x"],
            |_, _, _| false
        ));
        assert!(!equal_members(&json!({}), &json!([]), &[], |_, a, b| a == b));
    }

    #[test]
    fn metadata_members_named_are_left_out() {
        let a = json!({"metadata": {"name": "a", "managedFields": [1]}, "spec": 1});
        let b = json!({"metadata": {"name": "a"}, "spec": 1});
        assert!(equal_apart_from_metadata(&a, &b, &["managedFields"]));
        assert!(!equal_apart_from_metadata(&a, &b, &[]));
        let renamed = json!({"metadata": {"name": "b"}, "spec": 1});
        assert!(!equal_apart_from_metadata(&a, &renamed, &["managedFields"]));
    }
}
