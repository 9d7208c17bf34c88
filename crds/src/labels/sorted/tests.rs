//! Labels read, written and changed exactly as a sorted map of them would be.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Labels;

fn both(text: &str) -> (Labels, BTreeMap<String, Value>) {
    (
        serde_json::from_str(text).unwrap(),
        serde_json::from_str(text).unwrap(),
    )
}

#[test]
fn reads_and_writes_a_json_object_in_key_order() {
    let (labels, map) = both(r#"{"tier":1,"region":"eu","a":{"b":[true,null]},"":"blank"}"#);
    assert_eq!(
        serde_json::to_string(&labels).unwrap(),
        serde_json::to_string(&map).unwrap()
    );
    assert_eq!(
        labels.keys().collect::<Vec<_>>(),
        map.keys().collect::<Vec<_>>()
    );
    assert_eq!(labels.len(), 4);
    assert_eq!(format!("{labels:?}"), format!("{map:?}"));
    // From a value too, where keys and values are handed over owned.
    let from_value: Labels = serde_json::from_value(json!({"b": 2, "a": 1})).unwrap();
    assert_eq!(
        serde_json::to_value(&from_value).unwrap(),
        json!({"a": 1, "b": 2})
    );
}

#[test]
fn a_key_given_twice_keeps_its_last_value_as_a_map_does() {
    let (labels, map) = both(r#"{"k":1,"j":0,"k":2,"k":3}"#);
    assert_eq!(labels.get("k"), Some(&json!(3)));
    assert_eq!(BTreeMap::from(labels.clone()), map);
    let collected: Labels = [("k", 1), ("a", 0), ("k", 2)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    assert_eq!(
        serde_json::to_value(&collected).unwrap(),
        json!({"a": 0, "k": 2})
    );
}

#[test]
fn looks_up_inserts_and_removes_by_key() {
    let mut labels = Labels::new();
    assert!(labels.is_empty() && labels.get("a").is_none());
    for key in ["m", "c", "x", "a"] {
        assert_eq!(labels.insert(key.to_owned(), json!(key)), None);
    }
    assert_eq!(labels.insert("c".to_owned(), json!(3)), Some(json!("c")));
    assert_eq!(labels.keys().collect::<Vec<_>>(), ["a", "c", "m", "x"]);
    assert!(labels.contains_key("m") && !labels.contains_key("b"));
    assert_eq!(labels.remove("m"), Some(json!("m")));
    assert_eq!(labels.remove("m"), None);
    labels.extend([("b".to_owned(), json!(2)), ("a".to_owned(), json!(1))]);
    assert_eq!(
        serde_json::to_value(&labels).unwrap(),
        json!({"a": 1, "b": 2, "c": 3, "x": "x"})
    );
    let owned: Vec<_> = labels.into_iter().map(|(key, _)| key).collect();
    assert_eq!(owned, ["a", "b", "c", "x"]);
}

#[test]
fn bad_input_is_refused_as_a_map_refuses_it() {
    for bad in ["[]", "null", r#""a""#, r#"{"a":}"#, "{1:2}"] {
        let ours = serde_json::from_str::<Labels>(bad).unwrap_err().to_string();
        let map = serde_json::from_str::<BTreeMap<String, Value>>(bad)
            .unwrap_err()
            .to_string();
        assert_eq!(ours.split(" at ").next(), map.split(" at ").next(), "{bad}");
    }
}
