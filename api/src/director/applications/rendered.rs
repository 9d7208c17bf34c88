//! An application's fields that depend on it alone, written as JSON once for each version of
//! it and kept beside it ([`Renderings`](super::renderings::Renderings)): its texts and labels,
//! and those of its definitions and documents with their ids, the children of each kind listed
//! in id order. A page of applications copies these from one buffer per application instead
//! of reading each from where the decoded object keeps it (a string of its own each, rarely in
//! the processor's caches when a page is first asked for) and escaping it, and pages children
//! without hashing their ids again. Fields that read other objects (the integration system's
//! id, content kept in a ConfigMap) or carry nested objects are still written as they are asked.

use std::ops::Range;

use async_graphql::resolver_utils::EnumType;
use compass_crds::{
    Application,
    application::{self as crd, SpecFormat},
    ids::ChildKind,
};

use super::{
    build::{shown_api_type, shown_format},
    children::id_of,
    content, label_values,
};
use crate::director::{enums::EventSpecType, plain::Json};

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
            "spec.type",
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
        // As the resolvers answer them: empty, never null (every stored object has both).
        writing.text(Some(meta.uid.as_deref().unwrap_or_default()));
        writing.text(Some(meta.name.as_deref().unwrap_or_default()));
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

/// What is rendered of a definition's specification.
struct SpecParts<'a, T> {
    /// Its kind, as the schema shows it.
    kind: T,
    /// Its serialization.
    format: SpecFormat,
    /// Its inline content.
    data: Option<&'a str>,
    /// The ConfigMap key holding its content.
    data_from: Option<&'a crd::DataSource>,
}

/// A rendering being written.
#[derive(Default)]
struct Writing {
    /// The values written.
    out: Json,
    /// Where each lies in `out`.
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
        match kind {
            ChildKind::ApiDefinition => (spec.api_definitions.iter())
                .map(|api| self.api(application, api))
                .collect(),
            ChildKind::EventDefinition => (spec.event_definitions.iter())
                .map(|event| self.event(application, event))
                .collect(),
            ChildKind::Document => (spec.documents.iter())
                .map(|document| self.document(application, document))
                .collect(),
            ChildKind::Webhook => Vec::new(),
        }
    }

    /// Keeps an API definition's fields; returns its id.
    fn api(&mut self, application: &Application, api: &crd::ApiDefinition) -> String {
        let kind = ChildKind::ApiDefinition;
        let id = self.id(application, kind, &api.name);
        self.text(Some(&api.name));
        self.text(api.description.as_deref());
        self.text(Some(&api.target_url));
        self.text(api.group.as_deref());
        let parts = api.spec.as_ref().map(|spec| SpecParts {
            kind: shown_api_type(spec.type_),
            format: spec.format,
            data: spec.data.as_deref(),
            data_from: spec.data_from.as_ref(),
        });
        self.spec(application, kind, &api.name, parts);
        id
    }

    /// Keeps an event definition's fields; returns its id.
    fn event(&mut self, application: &Application, event: &crd::EventDefinition) -> String {
        let kind = ChildKind::EventDefinition;
        let id = self.id(application, kind, &event.name);
        self.text(Some(&event.name));
        self.text(event.description.as_deref());
        self.text(event.group.as_deref());
        let parts = event.spec.as_ref().map(|spec| SpecParts {
            kind: EventSpecType::AsyncApi,
            format: spec.format,
            data: spec.data.as_deref(),
            data_from: spec.data_from.as_ref(),
        });
        self.spec(application, kind, &event.name, parts);
        id
    }

    /// Keeps a document's fields; returns its id.
    fn document(&mut self, application: &Application, document: &crd::Document) -> String {
        let kind = ChildKind::Document;
        let id = self.id(application, kind, &document.title);
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
        id
    }

    /// Keeps a definition's specification: its kind, format and content, each null without
    /// one.
    fn spec<T: EnumType>(
        &mut self,
        application: &Application,
        kind: ChildKind,
        name: &str,
        parts: Option<SpecParts<'_, T>>,
    ) {
        let Some(parts) = parts else {
            self.value(Json::null);
            self.value(Json::null);
            return self.content(application, None);
        };
        self.value(|out| out.enumerated(parts.kind));
        self.value(|out| out.enumerated(shown_format(parts.format)));
        let source = content::Source {
            kind,
            name,
            data: parts.data,
            data_from: parts.data_from,
        };
        self.content(application, Some(source));
    }
}

#[cfg(test)]
mod tests;
