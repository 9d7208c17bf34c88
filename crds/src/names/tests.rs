//! Names read and written exactly as a list of strings would be.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::one_copy::FIRST_SWEEP;

#[test]
fn reads_and_writes_a_json_array_of_strings() {
    let text = r#"["rt-1","rt-\"2\"","","räder"]"#;
    let names: Names = serde_json::from_str(text).unwrap();
    assert_eq!(names.len(), 4);
    assert_eq!(names.to_vec(), ["rt-1", "rt-\"2\"", "", "räder"]);
    assert_eq!(serde_json::to_string(&names).unwrap(), text);
    // From a value too, where every string is handed over owned.
    let from_value: Names = serde_json::from_value(json!(["a", "b"])).unwrap();
    assert_eq!(from_value, ["a", "b"].into_iter().collect());
}

#[test]
fn none_is_empty_and_equal_to_the_default() {
    let names: Names = serde_json::from_str("[]").unwrap();
    assert!(names.is_empty());
    assert_eq!(names, Names::default());
    assert_eq!(names.iter().count(), 0);
    assert_eq!(format!("{names:?}"), "[]");
}

#[test]
fn names_that_join_alike_stay_apart() {
    let split: Names = ["ab", "c"].into_iter().collect();
    let joined: Names = ["a", "bc"].into_iter().collect();
    assert_ne!(split, joined);
    assert_eq!(format!("{split:?}"), r#"["ab", "c"]"#);
}

#[test]
fn bad_input_is_refused_as_a_list_of_strings_refuses_it() {
    for bad in [
        r#""rt-1""#,
        "null",
        "[1]",
        r#"["a", null]"#,
        r#"["a""#,
        "{}",
    ] {
        let ours = serde_json::from_str::<Names>(bad).unwrap_err().to_string();
        let plain = serde_json::from_str::<Vec<String>>(bad)
            .unwrap_err()
            .to_string();
        assert_eq!(ours, plain, "{bad}");
    }
}

#[test]
fn its_schema_is_that_of_a_list_of_strings() {
    let ours = schemars::SchemaGenerator::default().into_root_schema_for::<Names>();
    let plain = schemars::SchemaGenerator::default().into_root_schema_for::<Vec<String>>();
    assert_eq!(ours, plain);
}

#[test]
fn lists_alike_share_one_copy_and_others_stay_apart() {
    let text = r#"["shared-rt-1","shared-rt-2"]"#;
    let read: Names = serde_json::from_str(text).unwrap();
    let read_again: Names = serde_json::from_str(text).unwrap();
    let built: Names = ["shared-rt-1", "shared-rt-2"].into_iter().collect();
    let other: Names = ["shared-rt-1"].into_iter().collect();
    let copy_of = |names: &Names| Arc::as_ptr(names.0.as_ref().unwrap());
    assert_eq!(copy_of(&read), copy_of(&read_again));
    assert_eq!(copy_of(&read), copy_of(&built));
    assert_ne!(copy_of(&read), copy_of(&other));
    assert_eq!(other.to_vec(), ["shared-rt-1"]);
    // Once no object holds the list, the next one alike is made anew and reads the same.
    drop((read, read_again, built));
    let anew: Names = serde_json::from_str(text).unwrap();
    assert_eq!(anew.to_vec(), ["shared-rt-1", "shared-rt-2"]);
}

#[test]
fn lists_no_object_holds_are_swept() {
    let mut most = 0;
    for n in 0..10 * FIRST_SWEEP {
        let names: Names = [format!("swept-{n}")].into_iter().collect();
        drop(names);
        most = most.max(LISTS.digests_held());
    }
    // Without sweeps, every list made would still have its digest held. Other tests running at
    // the same time hold a few lists of their own.
    assert!(most <= 2 * FIRST_SWEEP + 64, "{most} digests held");
}
