//! An application's labels answered straight as GraphQL values: its stored labels merged, in key
//! order, with `scenarios` and the system labels `name` and `integration-system-id`. The same
//! labels as `labels::of_application` gives, without the map it builds for filters and writes
//! first: every application of every page answers its labels, and the map (its keys and values
//! copied, then converted and dropped) was most of what they cost. Written as JSON ([`write`])
//! for an application's rendering, around the integration system's id, which the application
//! does not hold.

use std::{borrow::Cow, sync::Arc};

use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value as GqlValue,
    indexmap::IndexMap, parser::types::Field, registry::Registry,
};
use compass_crds::labels::{DEFAULT_SCENARIO, SCENARIOS_KEY};

use crate::{
    director::{
        labels::{INTEGRATION_SYSTEM_LABEL, NAME_LABEL},
        plain::Json,
    },
    scalars::{Labels, value_of},
};

/// An application's labels, or only the one under `key`, shown as the `Labels` scalar.
pub struct ApplicationLabels {
    /// The application.
    pub application: Arc<compass_crds::Application>,
    /// The id of the integration system managing it; empty for none.
    pub integration_system_id: String,
    /// The one label asked for, if only one.
    pub key: Option<String>,
}

/// A label's value, as stored or as the system gives it.
enum Label<'a> {
    Stored(&'a serde_json::Value),
    Text(&'a str),
    /// The id of the integration system managing the application, which the application
    /// itself does not hold.
    IntegrationSystem,
    /// The scenarios listed, or none listed (the default scenario).
    Scenarios(Option<&'a [String]>),
}

impl Label<'_> {
    fn value(&self, integration_system_id: &str) -> GqlValue {
        match self {
            Self::Stored(value) => value_of(value),
            Self::Text(text) => GqlValue::from(*text),
            Self::IntegrationSystem => GqlValue::from(integration_system_id),
            Self::Scenarios(listed) => scenario_names(*listed).map(GqlValue::from).collect(),
        }
    }

    fn write(&self, out: &mut Json, integration_system: &mut impl FnMut(&mut Json)) {
        match self {
            Self::Stored(value) => out.json(value),
            Self::Text(text) => out.text(text),
            Self::IntegrationSystem => integration_system(out),
            Self::Scenarios(listed) => {
                out.open_list();
                for (index, name) in scenario_names(*listed).enumerate() {
                    out.separate(index);
                    out.text(name);
                }
                out.close_list();
            }
        }
    }
}

/// The names of the scenarios `listed`, or of the default scenario when none are listed (as
/// `effective_scenarios` gives them, without copying them).
fn scenario_names(listed: Option<&[String]>) -> impl Iterator<Item = &str> {
    let default = listed.is_none().then_some(DEFAULT_SCENARIO);
    listed
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain(default)
}

impl ApplicationLabels {
    /// The labels as one GraphQL object, keys in order; a system label replaces a stored one
    /// of the same key.
    pub fn value(&self) -> GqlValue {
        let mut labels = IndexMap::with_capacity(self.application.spec.labels.len() + 3);
        each(&self.application, self.key.as_deref(), |key, label| {
            let value = label.value(&self.integration_system_id);
            labels.insert(Name::new(key), value);
        });
        GqlValue::Object(labels)
    }
}

/// An application's labels (or only the one under `key`) written as JSON, `integration_system`
/// writing the id of the integration system managing it, which the application does not hold.
pub fn write(
    application: &compass_crds::Application,
    key: Option<&str>,
    out: &mut Json,
    mut integration_system: impl FnMut(&mut Json),
) {
    out.open_object();
    let mut index = 0;
    each(application, key, |key, label| {
        out.key(index, key);
        label.write(out, &mut integration_system);
        index += 1;
    });
    out.close_object();
}

/// Each label of `application` shown (or only the one under `wanted`), in key order.
fn each(
    application: &compass_crds::Application,
    wanted: Option<&str>,
    mut visit: impl FnMut(&str, Label<'_>),
) {
    let name = application.metadata.name.as_deref().unwrap_or_default();
    // In key order: `integration-system-id`, `name`, `scenarios`.
    let system = [
        (INTEGRATION_SYSTEM_LABEL, Label::IntegrationSystem),
        (NAME_LABEL, Label::Text(name)),
        (
            SCENARIOS_KEY,
            Label::Scenarios(application.spec.scenarios.as_deref()),
        ),
    ];
    let mut system = system.into_iter().peekable();
    let mut stored = application.spec.labels.iter().peekable();
    loop {
        let system_key = system.peek().map(|(key, _)| *key);
        let stored_key = stored.peek().map(|(key, _)| key.as_str());
        let (key, label) = match (system_key, stored_key) {
            (None, None) => break,
            (Some(system_key), Some(stored_key)) if stored_key < system_key => {
                from_stored(stored.next())
            }
            (None, Some(_)) => from_stored(stored.next()),
            (Some(system_key), stored_key) => {
                // A stored label under a system label's key is replaced by it.
                if stored_key == Some(system_key) {
                    stored.next();
                }
                system.next().expect("peeked")
            }
        };
        if wanted.is_none_or(|wanted| wanted == key) {
            visit(key, label);
        }
    }
}

/// A stored label.
fn from_stored<'a>(label: Option<(&'a String, &'a serde_json::Value)>) -> (&'a str, Label<'a>) {
    let (key, value) = label.expect("peeked");
    (key, Label::Stored(value))
}

impl OutputType for ApplicationLabels {
    fn type_name() -> Cow<'static, str> {
        Labels::type_name()
    }

    fn qualified_type_name() -> String {
        Labels::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Labels::create_type_info(registry)
    }

    async fn resolve(
        &self,
        _ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<GqlValue> {
        Ok(self.value())
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::ScalarType;
    use serde_json::json;

    use super::*;
    use crate::director::labels;

    fn application(
        labels: serde_json::Value,
        scenarios: Option<Vec<&str>>,
    ) -> Arc<compass_crds::Application> {
        let mut spec = json!({ "labels": labels });
        if let Some(scenarios) = scenarios {
            spec["scenarios"] = json!(scenarios);
        }
        let spec = serde_json::from_value(spec).unwrap();
        Arc::new(compass_crds::Application::new("orders", spec))
    }

    /// The keys of an object value, in order.
    fn keys(value: &GqlValue) -> Vec<String> {
        match value {
            GqlValue::Object(map) => map.keys().map(|k| k.to_string()).collect(),
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn the_labels_are_those_of_the_map_in_the_same_order_and_a_key_selects_one() {
        let stored = json!({
            "a-first": 1, "name": "shadowed", "region": "eu", "integration-system": true,
            "tier": { "level": 2, "critical": false }, "zone": ["x", "y"],
        });
        for (stored, scenarios, system) in [
            (stored.clone(), Some(vec!["sales", "DEFAULT"]), "0f0e"),
            (stored, None, ""),
            (json!({}), Some(vec![]), ""),
        ] {
            let application = application(stored, scenarios);
            for key in [
                None,
                Some("name"),
                Some("region"),
                Some("scenarios"),
                Some("absent"),
            ] {
                let answered = ApplicationLabels {
                    application: application.clone(),
                    integration_system_id: system.to_owned(),
                    key: key.map(str::to_owned),
                }
                .value();
                let map = labels::of_application(&application, system);
                let expected = labels::select(map, key).to_value();
                assert_eq!(answered, expected, "{key:?}");
                assert_eq!(keys(&answered), keys(&expected), "{key:?}");
                // Written as JSON: the same labels, in the same order.
                let mut out = Json::default();
                write(&application, key, &mut out, |out| out.text(system));
                let written = crate::director::written::unwritten(out.into_value());
                assert_eq!(keys(&written), keys(&expected), "{key:?}");
                assert_eq!(written.into_json().unwrap(), expected.into_json().unwrap());
            }
        }
    }
}
