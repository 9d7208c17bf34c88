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

/// Whether `a` and `b` are equal apart from the members named in `skip`, the others compared
/// whole.
pub(crate) fn equal_except(a: &Value, b: &Value, skip: &[&str]) -> bool {
    equal_members(a, b, skip, |_, a, b| a == b)
}

/// Whether `a` and `b` are equal, their `metadata` compared by `same_metadata` and every other
/// member whole.
pub(crate) fn equal_apart_from_metadata(
    a: &Value,
    b: &Value,
    same_metadata: impl Fn(&Value, &Value) -> bool,
) -> bool {
    equal_members(a, b, &[], |name, a, b| match name {
        "metadata" => same_metadata(a, b),
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
        assert!(equal_except(&a, &b, &["status"]));
        assert!(!equal_except(&a, &b, &[]));
        let c = json!({"spec": {"x": 2}});
        assert!(!equal_except(&a, &c, &["status"]));
    }

    #[test]
    fn a_member_only_one_side_has_makes_them_differ() {
        let a = json!({"spec": {}, "extra": null});
        let b = json!({"spec": {}});
        assert!(!equal_except(&a, &b, &[]));
        assert!(!equal_except(&b, &a, &[]));
        // Same count, different names.
        let c = json!({"spec": {}, "other": null});
        assert!(!equal_except(&a, &c, &[]));
    }

    #[test]
    fn values_that_are_not_objects_compare_whole() {
        assert!(equal_members(
            &json!([1]),
            &json!([1]),
            &["x"],
            |_, _, _| false
        ));
        assert!(!equal_except(&json!({}), &json!([]), &[]));
    }

    #[test]
    fn metadata_members_named_are_left_out() {
        let a = json!({"metadata": {"name": "a", "managedFields": [1]}, "spec": 1});
        let b = json!({"metadata": {"name": "a"}, "spec": 1});
        let without_managed = |a: &Value, b: &Value| equal_except(a, b, &["managedFields"]);
        assert!(equal_apart_from_metadata(&a, &b, without_managed));
        assert!(!equal_apart_from_metadata(&a, &b, |a, b| a == b));
        let renamed = json!({"metadata": {"name": "b"}, "spec": 1});
        assert!(!equal_apart_from_metadata(&a, &renamed, without_managed));
        let respecified = json!({"metadata": {"name": "a"}, "spec": 2});
        assert!(!equal_apart_from_metadata(
            &b,
            &respecified,
            without_managed
        ));
    }
}
