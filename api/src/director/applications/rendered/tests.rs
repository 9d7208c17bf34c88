//! The renderings checked against the application they were made from: every field kept, the
//! labels around the integration system's id, children in id order, specifications' content.

use serde_json::{Value, json};

use super::{super::children::child_names, *};

/// An application with texts to escape, fields left out, and children listed out of id
/// order.
fn application() -> Application {
    let mut apis: Vec<Value> = ["orders", "invoices", "refunds", "stock", "ünits"]
        .map(|name| {
            json!({
                "name": name, "targetURL": format!("https://shop.example/{name}"),
                "description": format!("The {name} \\ API"),
            })
        })
        .into();
    apis[0]["spec"] = json!({ "type": "ODATA", "format": "XML", "data": "<edmx \"x\"/>" });
    let large = "a".repeat(KEPT_CONTENT + 1);
    apis[1]["spec"] = json!({ "type": "OPEN_API", "format": "JSON", "data": large });
    let fetched = json!({ "url": "https://shop.example/stock.yaml" });
    apis[3]["spec"] = json!({ "type": "OPEN_API", "format": "YAML", "fetchRequest": fetched });
    let apart = json!({ "configMapKeyRef": { "name": "shop-units", "key": "spec" } });
    apis[4]["spec"] = json!({ "type": "OPEN_API", "format": "YAML", "dataFrom": apart });
    let spec = json!({
        "providerName": "Shop \"Corp\"\n",
        "healthCheckURL": "https://shop.example/health",
        "labels": { "a": 1, "zone": ["x"], "name": "shadowed" },
        "apiDefinitions": apis,
        "eventDefinitions": [
            { "name": "order-events", "group": "sales",
              "spec": { "type": "ASYNC_API", "format": "YAML", "data": "asyncapi: 2.0.0" } },
            { "name": "stock-events" },
        ],
        "documents": [{ "title": "guide", "displayName": "Guide", "description": "How to",
                        "format": "MARKDOWN", "data": "# Guide" }],
    });
    let mut application = Application::new("shop", serde_json::from_value(spec).unwrap());
    application.metadata.uid = Some("6f1f4b4e-2f0a-4c4e-9a1c-0d7f1e6b2a10".into());
    application
}

/// The JSON `write` writes.
fn written(write: impl FnOnce(&mut Json) -> bool) -> Option<Value> {
    let mut out = Json::default();
    write(&mut out).then(|| serde_json::from_slice(&out.into_bytes()).unwrap())
}

#[test]
fn the_fields_kept_are_those_the_application_holds() {
    let application = application();
    let rendered = Rendered::of(&application);
    let field = |name| written(|out| rendered.write_field(name, out));
    assert_eq!(field("id"), Some(json!(application.metadata.uid)));
    assert_eq!(field("name"), Some(json!("shop")));
    assert_eq!(field("providerName"), Some(json!("Shop \"Corp\"\n")));
    assert_eq!(field("description"), Some(Value::Null));
    assert_eq!(
        field("healthCheckURL"),
        Some(json!("https://shop.example/health"))
    );
    assert_eq!(field("labels"), None, "labels have their own writing");
    assert_eq!(field("status"), None);
    // The labels, with the integration system's id put in its place.
    let mut labels = Json::default();
    rendered.write_labels("0f0e\"", &mut labels);
    let mut expected = Json::default();
    label_values::write(&application, None, &mut expected, |out| out.text("0f0e\""));
    assert_eq!(labels.into_bytes(), expected.into_bytes());
}

#[test]
fn children_are_kept_in_id_order_with_their_fields() {
    let application = application();
    let rendered = Rendered::of(&application);
    let uid = json!(application.metadata.uid);
    for (kind, names) in [
        (
            ChildKind::ApiDefinition,
            child_names(&application, ChildKind::ApiDefinition),
        ),
        (
            ChildKind::EventDefinition,
            child_names(&application, ChildKind::EventDefinition),
        ),
        (
            ChildKind::Document,
            child_names(&application, ChildKind::Document),
        ),
    ] {
        let ids: Vec<String> = names
            .iter()
            .map(|name| id_of(&application, kind, name))
            .collect();
        let mut expected: Vec<u32> = (0..ids.len() as u32).collect();
        expected.sort_by_key(|index| &ids[*index as usize]);
        assert_eq!(rendered.in_id_order(kind), Some(&expected[..]), "{kind:?}");
        for (index, id) in ids.iter().enumerate() {
            assert_eq!(rendered.child_id(kind, index), Some(id.as_str()));
            let field = |name| written(|out| rendered.write_child_field(kind, index, name, out));
            assert_eq!(field("id"), Some(json!(id)));
            assert_eq!(field("applicationID"), Some(uid.clone()));
            let name = if kind == ChildKind::Document {
                "title"
            } else {
                "name"
            };
            assert_eq!(field(name), Some(json!(names[index])));
            assert_eq!(field("spec"), None);
        }
        // Past the last child of the kind, nothing is written.
        assert_eq!(rendered.child_id(kind, ids.len()), None);
    }
    let api = |index, name| {
        written(|out| rendered.write_child_field(ChildKind::ApiDefinition, index, name, out))
    };
    assert_eq!(api(4, "description"), Some(json!("The ünits \\ API")));
    assert_eq!(
        api(1, "targetURL"),
        Some(json!("https://shop.example/invoices"))
    );
    assert_eq!(api(1, "group"), Some(Value::Null));
    let event = |index, name| {
        written(|out| rendered.write_child_field(ChildKind::EventDefinition, index, name, out))
    };
    assert_eq!(event(0, "group"), Some(json!("sales")));
    let document =
        |name| written(|out| rendered.write_child_field(ChildKind::Document, 0, name, out));
    assert_eq!(document("displayName"), Some(json!("Guide")));
    assert_eq!(document("kind"), Some(Value::Null));
    assert_eq!(rendered.in_id_order(ChildKind::Webhook), None);
    // Specifications: kind and format, small content inline; null without one; content
    // too large to keep twice not kept (written from the object).
    assert_eq!(api(0, "spec.type"), Some(json!("ODATA")));
    assert_eq!(api(0, "spec.format"), Some(json!("XML")));
    assert_eq!(api(0, "spec.data"), Some(json!("<edmx \"x\"/>")));
    assert_eq!(api(1, "spec.format"), Some(json!("JSON")));
    assert_eq!(api(1, "spec.data"), None);
    assert_eq!(api(2, "spec.format"), Some(Value::Null));
    assert_eq!(api(2, "spec.data"), None);
    // Not downloaded yet: no content anywhere. In a ConfigMap: read where it is.
    assert_eq!(api(3, "spec.data"), Some(Value::Null));
    assert_eq!(api(4, "spec.data"), None);
    assert_eq!(event(0, "spec.type"), Some(json!("ASYNC_API")));
    assert_eq!(event(0, "spec.format"), Some(json!("YAML")));
    assert_eq!(event(0, "spec.data"), Some(json!("asyncapi: 2.0.0")));
    assert_eq!(event(1, "spec.format"), Some(Value::Null));
    assert_eq!(event(1, "spec.type"), Some(Value::Null));
    assert_eq!(document("data"), Some(json!("# Guide")));
}
