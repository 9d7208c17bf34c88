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

#[test]
fn a_new_version_is_found_in_place_of_the_old_wherever_it_is_filed() {
    let first = runtime("u1", &["a"]);
    let mut index = Index::default();
    index.replace(None, &first, runtimes());
    index.replace(None, &runtime("u2", &["a"]), runtimes());
    let described = |description: &str| {
        let mut runtime = (*runtime("u1", &["a"])).clone();
        runtime.spec.description = Some(description.into());
        Arc::new(runtime)
    };
    let descriptions = |found: Vec<Arc<Runtime>>| -> Vec<Option<String>> {
        found.iter().map(|r| r.spec.description.clone()).collect()
    };
    // Filed where it was: the new version replaces the old one under every key.
    let second = described("second");
    index.replace(Some(&first), &second, runtimes());
    let tag_a = scenario_tag("acme", "a");
    let expected = vec![Some("second".to_owned()), None];
    assert_eq!(descriptions(index.tagged(&tag_a)), expected);
    assert_eq!(descriptions(index.in_namespace("acme")), expected);
    let found = index.by_uid("u1").unwrap();
    assert_eq!(found.spec.description.as_deref(), Some("second"));
    // Moved to another scenario: gone from the old tag, found under the new one.
    let mut moved = (*described("third")).clone();
    moved.spec.scenarios = Some(vec!["b".into()]);
    let moved = Arc::new(moved);
    index.replace(Some(&second), &moved, runtimes());
    assert_eq!(descriptions(index.tagged(&tag_a)), vec![None]);
    let tag_b = scenario_tag("acme", "b");
    assert_eq!(
        descriptions(index.tagged(&tag_b)),
        vec![Some("third".into())]
    );
    assert_eq!(index.in_namespace("acme").len(), 2);
}

#[test]
fn a_window_holds_the_objects_after_a_uid_and_counts_its_group_without_those_being_deleted() {
    let deleting = |runtime: Arc<Runtime>| {
        let mut runtime = (*runtime).clone();
        let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(Default::default());
        runtime.metadata.deletion_timestamp = Some(now);
        Arc::new(runtime)
    };
    let mut index = Index::default();
    for i in 0..10 {
        index.replace(None, &runtime(&format!("u{i}"), &["a"]), runtimes());
    }
    let uids = |window: &Window<Runtime>| -> Vec<String> {
        let uids = window
            .objects
            .iter()
            .map(|r| r.metadata.uid.clone().unwrap());
        uids.collect()
    };
    let tag = scenario_tag("acme", "a");
    let first = index.window_in_namespace("acme", None, 3);
    assert_eq!(
        (first.total, uids(&first)),
        (10, vec!["u0".into(), "u1".into(), "u2".into()])
    );
    let next = index.window_tagged(&tag, Some("u2"), 3);
    assert_eq!(
        (next.total, uids(&next)),
        (10, vec!["u3".into(), "u4".into(), "u5".into()])
    );
    let last = index.window_in_namespace("acme", Some("u8"), 3);
    assert_eq!(uids(&last), vec!["u9".to_owned()]);
    // Marked for deletion: left out of the windows and of the counts, and back when it is not.
    let u4 = index.by_uid("u4").unwrap();
    let marked = deleting(u4.clone());
    index.replace(Some(&u4), &marked, runtimes());
    let next = index.window_tagged(&tag, Some("u2"), 3);
    assert_eq!(
        (next.total, uids(&next)),
        (9, vec!["u3".into(), "u5".into(), "u6".into()])
    );
    assert_eq!(index.window_in_namespace("acme", None, 100).total, 9);
    index.remove(&marked, runtimes());
    assert_eq!(index.window_in_namespace("acme", None, 100).total, 9);
    let u5 = index.by_uid("u5").unwrap();
    index.replace(Some(&u5), &deleting(u5.clone()), runtimes());
    assert_eq!(index.window_in_namespace("acme", None, 100).total, 8);
    // An index built at once counts the same.
    let objects: Vec<Arc<Runtime>> = index.window_in_namespace("acme", None, 100).objects;
    let mut listed = objects.clone();
    listed.push(index.by_uid("u5").unwrap());
    let at_once = Index::of(&listed, runtimes());
    let window = at_once.window_tagged(&tag, None, 100);
    assert_eq!((window.total, window.objects.len()), (8, 8));
    let other = index.window_in_namespace("globex", None, 3);
    assert_eq!((other.total, other.objects.len()), (0, 0));
}
