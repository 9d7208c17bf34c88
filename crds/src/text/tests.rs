//! Texts read and written exactly as strings would be, one copy of each held.

use std::sync::Arc;

use super::Text;

#[test]
fn reads_writes_and_compares_as_a_string() {
    let read: Text = serde_json::from_str(r#""All \"good\"""#).unwrap();
    assert_eq!(read, "All \"good\"");
    assert_eq!("All \"good\"", read);
    assert_eq!(read, String::from("All \"good\""));
    assert_eq!(serde_json::to_string(&read).unwrap(), r#""All \"good\"""#);
    assert_eq!(format!("{read} {read:?}"), r#"All "good" "All \"good\"""#);
    let from_value: Text = serde_json::from_value(serde_json::json!("owned")).unwrap();
    assert_eq!(from_value.as_str(), "owned");
    assert_eq!(Text::default(), "");
    for bad in ["1", "null", "[]", "{}"] {
        let ours = serde_json::from_str::<Text>(bad).unwrap_err().to_string();
        let string = serde_json::from_str::<String>(bad).unwrap_err().to_string();
        assert_eq!(ours, string, "{bad}");
    }
}

#[test]
fn texts_alike_share_one_copy() {
    let read: Text = serde_json::from_str(r#""shared text""#).unwrap();
    let built = Text::from(String::from("shared text"));
    let other = Text::from("another text");
    assert!(Arc::ptr_eq(&read.0, &built.0));
    assert!(!Arc::ptr_eq(&read.0, &other.0));
}
