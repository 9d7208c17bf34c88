//! The lookups, built at once, change by change and from a list's filings; entries in uid order.

use compass_crds::Runtime;

use super::*;
use crate::kinds::{runtimes, scenario_tag};

fn runtime(uid: &str, scenarios: &[&str]) -> Arc<Runtime> {
    let spec = serde_json::json!({ "scenarios": scenarios });
    let mut runtime = Runtime::new(uid, serde_json::from_value(spec).unwrap());
    runtime.metadata.namespace = Some("acme".into());
    runtime.metadata.uid = Some(uid.into());
    Arc::new(runtime)
}

#[test]
fn objects_carrying_any_of_several_tags_come_once_in_uid_order() {
    let objects = [
        runtime("c", &["a", "b"]),
        runtime("a", &["b"]),
        runtime("b", &["a"]),
        runtime("d", &["z"]),
    ];
    let index = Index::of(&objects, runtimes());
    let uids = |found: Vec<Arc<Runtime>>| {
        found
            .iter()
            .map(|r| r.metadata.uid.clone().unwrap())
            .collect::<Vec<_>>()
    };
    let tags =
        |names: &[&str]| -> Vec<String> { names.iter().map(|n| scenario_tag("acme", n)).collect() };
    assert_eq!(uids(index.tagged_any(&tags(&["a", "b"]))), ["a", "b", "c"]);
    assert_eq!(uids(index.tagged_any(&tags(&["b"]))), ["a", "c"]);
    assert!(index.tagged_any(&tags(&["none"])).is_empty());
    assert!(index.tagged_any(&[]).is_empty());
}

#[test]
fn an_index_built_at_once_finds_what_one_built_change_by_change_finds() {
    let objects: Vec<_> = (0..50)
        .rev()
        .map(|i| runtime(&format!("uid-{i:02}"), &[["a", "b", "c"][i % 3]]))
        .collect();
    let at_once = Index::of(&objects, runtimes());
    let mut one_by_one = Index::default();
    for object in &objects {
        one_by_one.replace(None, object, runtimes());
    }
    let uids = |found: Vec<Arc<Runtime>>| -> Vec<String> {
        found
            .iter()
            .map(|r| r.metadata.uid.clone().unwrap())
            .collect()
    };
    for scenario in ["a", "b", "c", "none"] {
        let tag = scenario_tag("acme", scenario);
        assert_eq!(uids(at_once.tagged(&tag)), uids(one_by_one.tagged(&tag)));
    }
    let namespace = uids(at_once.in_namespace("acme"));
    assert_eq!(namespace, uids(one_by_one.in_namespace("acme")));
    assert_eq!(namespace.len(), 50);
    assert!(namespace.is_sorted());
    assert!(
        at_once
            .by_uid("uid-07")
            .is_some_and(|r| r.metadata.uid.as_deref() == Some("uid-07"))
    );
}

#[test]
fn an_index_of_a_list_files_each_object_by_its_latest_filing_and_files_the_rest_itself() {
    let objects: Vec<_> = (0..30)
        .map(|i| runtime(&format!("uid-{i:02}"), &[["a", "b", "c"][i % 3]]))
        .collect();
    let mut filings = Filings::default();
    // An earlier version of uid-01 in another scenario, then the version the store holds.
    filings.add(runtime("uid-01", &["stale"]).as_ref(), runtimes());
    // Objects arrived but no longer held are left out; uid-20 onwards came without one.
    filings.add(runtime("gone", &["a"]).as_ref(), runtimes());
    for object in &objects[..20] {
        filings.add(object.as_ref(), runtimes());
    }
    let listed = Index::of_listed(&objects, filings, runtimes());
    let at_once = Index::of(&objects, runtimes());
    let uids = |found: Vec<Arc<Runtime>>| -> Vec<String> {
        (found.iter())
            .map(|r| r.metadata.uid.clone().unwrap())
            .collect()
    };
    for scenario in ["a", "b", "c", "stale"] {
        let tag = scenario_tag("acme", scenario);
        assert_eq!(uids(listed.tagged(&tag)), uids(at_once.tagged(&tag)));
    }
    assert!(!listed.has_tag(&scenario_tag("acme", "stale")));
    assert_eq!(uids(listed.in_namespace("acme")).len(), 30);
    assert!(listed.by_uid("gone").is_none());
    assert!(listed.by_uid("uid-25").is_some());
}

#[test]
fn entries_are_sorted_by_their_whole_uid_where_their_first_bytes_are_alike() {
    let long = "x".repeat(40);
    let uids = [
        format!("{long}b"),
        "b".to_owned(),
        format!("{long}a"),
        "a\0".to_owned(),
        "a".to_owned(),
        String::new(),
        long.clone(),
        "ab".to_owned(),
    ];
    let list = (uids.iter())
        .map(|uid| (uid.clone(), runtime(uid, &[])))
        .collect();
    let sorted: Vec<String> = (sorted_by_uid(list).into_iter())
        .map(|(uid, _)| uid)
        .collect();
    let mut expected = uids.to_vec();
    expected.sort();
    assert_eq!(sorted, expected);
}
