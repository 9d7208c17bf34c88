//! An application's fields that depend on it alone, written as JSON once for each version of
//! it and kept beside it ([`Renderings`](super::renderings::Renderings)): its texts and labels,
//! and those of its definitions and documents with their ids, the children of each kind listed
//! in id order. A page of applications copies these from one buffer per application instead
//! of reading each from where the decoded object keeps it (a string of its own each, rarely in
//! the processor's caches when a page is first asked for) and escaping it, and pages children
//! without hashing their ids again. Fields that read other objects (the integration system's
//! id, content kept in a ConfigMap) or carry nested objects are still written as they are asked.

use std::ops::Range;

use compass_crds::{Application, application::SpecFormat, ids::ChildKind};

use super::{
    build::{shown_api_type, shown_format},
    children::id_of,
    content, label_values,
};
use crate::director::plain::Json;

/// The application's fields kept, in the order their values are kept.
const APPLICATION_FIELDS: [&str; 5] = [
    "id",
    "name",
    "providerName",
    "description",
    "healthCheckURL",
];

/// The kinds of child kept, with the fields kept of each in the order kept, `id` first; `spec.`
/// the fields of the specification (`spec.format` null without one).
const CHILD_FIELDS: [(ChildKind, &[&str]); 3] = [
    (
        ChildKind::ApiDefinition,
        &[
            "id",
            "name",
            "description",
            "targetURL",
            "group",
            "spec.type",
            "spec.format",
            "spec.data",
        ],
    ),
    (
        ChildKind::EventDefinition,
        &[
            "id",
            "name",
            "description",
            "group",
            "spec.format",
            "spec.data",
        ],
    ),
    (
        ChildKind::Document,
        &["id", "title", "displayName", "description", "kind", "data"],
    ),
];

/// The largest content (a specification's or a document's, stored inline) kept here too: a
/// page of applications costs the reading of it, but larger content costs its copy more than
/// its first reading, and would be held twice.
const KEPT_CONTENT: usize = 1024;

/// Where the labels' halves are kept among the values: before and after the integration
/// system's id.
const LABELS: usize = APPLICATION_FIELDS.len();

/// One application's fields written as JSON.
#[derive(Debug)]
pub struct Rendered {
    /// Every value written, one after another.
    json: Box<[u8]>,
    /// Where each value lies in `json`: the application's fields, the labels' halves, then each
    /// kind's children in the order listed, each child's fields in its kind's order.
    values: Box<[Range<u32>]>,
    /// Where each kind's children's values begin.
    kinds: [u32; CHILD_FIELDS.len()],
    /// Each kind's children by their position in the list, in id order.
    in_id_order: [Box<[u32]>; CHILD_FIELDS.len()],
}

impl Rendered {
    /// The fields of `application` written.
    pub fn of(application: &Application) -> Self {
        let mut writing = Writing::default();
        let spec = &application.spec;
        let meta = &application.metadata;
        writing.text(meta.uid.as_deref());
        writing.text(meta.name.as_deref());
        writing.text(spec.provider_name.as_deref());
        writing.text(spec.description.as_deref());
        writing.text(spec.health_check_url.as_deref());
        let start = writing.at();
        let mut split = start;
        label_values::write(application, None, &mut writing.out, |out| {
            split = out.len() as u32;
        });
        writing.values.push(start..split);
        writing.values.push(split..writing.at());
        let mut kinds = [0; CHILD_FIELDS.len()];
        let mut in_id_order: [Box<[u32]>; CHILD_FIELDS.len()] = Default::default();
        for (slot, (kind, _)) in CHILD_FIELDS.iter().enumerate() {
            kinds[slot] = writing.values.len() as u32;
            let ids = writing.children(application, *kind);
            let mut order: Vec<u32> = (0..ids.len() as u32).collect();
            order.sort_by(|a, b| ids[*a as usize].cmp(&ids[*b as usize]));
            in_id_order[slot] = order.into();
        }
        Self {
            json: writing.out.into_bytes().into(),
            values: writing.values.into(),
            kinds,
            in_id_order,
        }
    }

    /// Writes the application's field `name` onto `out`, if it is kept; `false` if not.
    pub fn write_field(&self, name: &str, out: &mut Json) -> bool {
        let Some(at) = APPLICATION_FIELDS.iter().position(|field| *field == name) else {
            return false;
        };
        out.raw(self.value(at));
        true
    }

    /// Writes the labels onto `out`, with `integration_system_id` in its place.
    pub fn write_labels(&self, integration_system_id: &str, out: &mut Json) {
        out.raw(self.value(LABELS));
        out.text(integration_system_id);
        out.raw(self.value(LABELS + 1));
    }

    /// Writes the field `name` of the child of `kind` at `index` of its list onto `out`, if
    /// it is kept; `false` if not.
    pub fn write_child_field(
        &self,
        kind: ChildKind,
        index: usize,
        name: &str,
        out: &mut Json,
    ) -> bool {
        let Some(json) = self.child_json(kind, index, name) else {
            return false;
        };
        out.raw(json);
        true
    }

    /// The JSON kept of the field `name` of the child of `kind` at `index` of its list.
    pub fn child_json(&self, kind: ChildKind, index: usize, name: &str) -> Option<&[u8]> {
        let at = match name {
            // The application's own id.
            "applicationID" => 0,
            name => self.child_value(kind, index, name)?,
        };
        // Nothing written: not kept (every JSON value takes a byte at least).
        Some(self.value(at)).filter(|json| !json.is_empty())
    }

    /// The children of `kind`, by their position in the list, in id order; `None` for a kind
    /// not kept.
    pub fn in_id_order(&self, kind: ChildKind) -> Option<&[u32]> {
        Some(&self.in_id_order[slot_of(kind)?])
    }

    /// The id of the child of `kind` at `index` of its list, if kept.
    pub fn child_id(&self, kind: ChildKind, index: usize) -> Option<&str> {
        let json = self.child_json(kind, index, "id")?;
        // Written as a JSON text of a UUID: its quotes around it, nothing escaped.
        std::str::from_utf8(&json[1..json.len() - 1]).ok()
    }

    /// Where the value of the field `name` of the child of `kind` at `index` is kept.
    fn child_value(&self, kind: ChildKind, index: usize, name: &str) -> Option<usize> {
        let slot = slot_of(kind)?;
        let fields = CHILD_FIELDS[slot].1;
        let field = fields.iter().position(|field| *field == name)?;
        let at = self.kinds[slot] as usize + index * fields.len() + field;
        // The last kind's values end where the values do, each other's where the next begins.
        let end = self
            .kinds
            .get(slot + 1)
            .map_or(self.values.len(), |&k| k as usize);
        (at < end).then_some(at)
    }

    /// The value kept at `at`.
    fn value(&self, at: usize) -> &[u8] {
        let Range { start, end } = self.values[at].clone();
        &self.json[start as usize..end as usize]
    }
}

/// Where a kind's children are kept among [`CHILD_FIELDS`].
fn slot_of(kind: ChildKind) -> Option<usize> {
    CHILD_FIELDS.iter().position(|(kept, _)| *kept == kind)
}

/// A rendering being written.
#[derive(Default)]
struct Writing {
    out: Json,
    values: Vec<Range<u32>>,
}

impl Writing {
    /// Where the next value begins. An application is far smaller than 4 GiB (the API server
    /// takes objects of a few MiB).
    fn at(&self) -> u32 {
        self.out.len() as u32
    }

    /// Keeps a text, or null.
    fn text(&mut self, text: Option<&str>) {
        let start = self.at();
        self.out.optional_text(text);
        self.values.push(start..self.at());
    }

    /// Keeps a value `write` writes.
    fn value(&mut self, write: impl FnOnce(&mut Json)) {
        let start = self.at();
        write(&mut self.out);
        self.values.push(start..self.at());
    }

    /// Keeps content stored inline if it is small enough, null for content stored nowhere;
    /// else (in a ConfigMap, or large) keeps nothing in its place.
    fn content(&mut self, application: &Application, source: Option<content::Source<'_>>) {
        match source {
            Some(source) => match source.data {
                Some(data) if data.len() <= KEPT_CONTENT => self.text(Some(data)),
                None if content::config_map_key(application, &source).is_none() => {
                    self.text(None);
                }
                _ => self.values.push(self.at()..self.at()),
            },
            // No specification: its content is never asked for.
            None => self.values.push(self.at()..self.at()),
        }
    }

    /// Keeps the id of the child of `kind` named `name`; returns it.
    fn id(&mut self, application: &Application, kind: ChildKind, name: &str) -> String {
        let id = id_of(application, kind, name);
        self.text(Some(&id));
        id
    }

    /// Keeps the fields of the children of `kind` in the order listed, each in the order
    /// [`CHILD_FIELDS`] gives; returns their ids.
    fn children(&mut self, application: &Application, kind: ChildKind) -> Vec<String> {
        let spec = &application.spec;
        let mut ids = Vec::new();
        match kind {
            ChildKind::ApiDefinition => {
                for api in &spec.api_definitions {
                    ids.push(self.id(application, kind, &api.name));
                    self.text(Some(&api.name));
                    self.text(api.description.as_deref());
                    self.text(Some(&api.target_url));
                    self.text(api.group.as_deref());
                    let spec = api.spec.as_ref();
                    self.value(|out| match spec {
                        Some(spec) => out.enumerated(shown_api_type(spec.type_)),
                        None => out.null(),
                    });
                    self.format(spec.map(|spec| spec.format));
                    let source = spec.map(|spec| content::Source {
                        kind,
                        name: &api.name,
                        data: spec.data.as_deref(),
                        data_from: spec.data_from.as_ref(),
                    });
                    self.content(application, source);
                }
            }
            ChildKind::EventDefinition => {
                for event in &spec.event_definitions {
                    ids.push(self.id(application, kind, &event.name));
                    self.text(Some(&event.name));
                    self.text(event.description.as_deref());
                    self.text(event.group.as_deref());
                    let spec = event.spec.as_ref();
                    self.format(spec.map(|spec| spec.format));
                    let source = spec.map(|spec| content::Source {
                        kind,
                        name: &event.name,
                        data: spec.data.as_deref(),
                        data_from: spec.data_from.as_ref(),
                    });
                    self.content(application, source);
                }
            }
            ChildKind::Document => {
                for document in &spec.documents {
                    ids.push(self.id(application, kind, &document.title));
                    self.text(Some(&document.title));
                    self.text(Some(&document.display_name));
                    self.text(Some(&document.description));
                    self.text(document.kind.as_deref());
                    let source = content::Source {
                        kind,
                        name: &document.title,
                        data: document.data.as_deref(),
                        data_from: document.data_from.as_ref(),
                    };
                    self.content(application, Some(source));
                }
            }
            ChildKind::Webhook => {}
        }
        ids
    }

    /// Keeps a specification's format, or null without a specification.
    fn format(&mut self, format: Option<SpecFormat>) {
        self.value(|out| match format {
            Some(format) => out.enumerated(shown_format(format)),
            None => out.null(),
        });
    }
}

#[cfg(test)]
mod tests {
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
                let field =
                    |name| written(|out| rendered.write_child_field(kind, index, name, out));
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
        assert_eq!(event(0, "spec.format"), Some(json!("YAML")));
        assert_eq!(event(0, "spec.data"), Some(json!("asyncapi: 2.0.0")));
        assert_eq!(event(1, "spec.format"), Some(Value::Null));
        assert_eq!(document("data"), Some(json!("# Guide")));
    }
}
