//! Labels as the Director shows and takes them, for applications and runtimes alike. Stored labels
//! are `spec.labels`; the `scenarios` label is `spec.scenarios`; the system labels `name` and
//! `integration-system-id` of an application are derived on read. Values are checked against the
//! tenant's label definitions on write (what a write causes beyond that is `label_writes`), and
//! label filters select objects by them.

use std::{collections::BTreeMap, sync::Arc};

use async_graphql::SimpleObject;
use compass_crds::{
    Application, LabelDefinition, Runtime, label_schema,
    labels::{SCENARIOS_KEY, effective_scenarios},
};
use serde_json::Value;

use super::{scenario_membership, validate::LONG_MAX};
use crate::{
    errors::{ApiResult, Code, invalid},
    scalars::{Any, Labels},
    state::{Caches, definition_tag},
};

/// The system label holding an application's name.
pub const NAME_LABEL: &str = "name";
/// The system label holding an application's integration system id (`""` when it has none).
pub const INTEGRATION_SYSTEM_LABEL: &str = "integration-system-id";

/// One label.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct Label {
    /// Its key.
    pub key: String,
    /// Its value: any JSON.
    pub value: Any,
}

/// A label to set; part of the original's schema, though no operation takes it.
#[derive(Clone, Debug, async_graphql::InputObject)]
pub struct LabelInput {
    /// Its key.
    pub key: String,
    /// Its value: any JSON.
    pub value: Any,
}

/// An application's labels as the Director shows them: its stored labels, its scenarios (always
/// at least `DEFAULT`) and the system labels.
pub fn of_application(
    application: &Application,
    integration_system_id: &str,
) -> BTreeMap<String, Value> {
    let mut labels: BTreeMap<String, Value> = application
        .spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels.insert(
        SCENARIOS_KEY.to_owned(),
        Value::from(effective_scenarios(application.spec.scenarios.as_deref())),
    );
    labels.insert(
        NAME_LABEL.to_owned(),
        Value::from(application.metadata.name.clone().unwrap_or_default()),
    );
    labels.insert(
        INTEGRATION_SYSTEM_LABEL.to_owned(),
        Value::from(integration_system_id),
    );
    labels
}

/// A runtime's labels as the Director shows them: its stored labels and, unless it is in no
/// scenario, its scenarios.
pub fn of_runtime(runtime: &Runtime) -> BTreeMap<String, Value> {
    let mut labels: BTreeMap<String, Value> = runtime
        .spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let scenarios = effective_scenarios(runtime.spec.scenarios.as_deref());
    if !scenarios.is_empty() {
        labels.insert(SCENARIOS_KEY.to_owned(), Value::from(scenarios));
    }
    labels
}

/// All labels, or only the one with `key`.
pub fn select(mut labels: BTreeMap<String, Value>, key: Option<&str>) -> Labels {
    match key {
        Some(key) => Labels(labels.remove_entry(key).into_iter().collect()),
        None => Labels(labels),
    }
}

/// The label definition of `key` in a tenant, if there is one.
pub fn definition(caches: &Caches, namespace: &str, key: &str) -> Option<Arc<LabelDefinition>> {
    caches
        .label_definitions
        .tagged(&definition_tag(namespace, key))
        .into_iter()
        .find(|d| d.metadata.deletion_timestamp.is_none())
}

/// Largest label value, as JSON. Labels describe objects; content belongs in specs and documents.
pub const VALUE_MAX_BYTES: usize = 64 * 1024;

/// Checks a label key: 1 to 256 characters, no control characters, not starting or ending with
/// white space (so never blank).
pub fn check_key(field: &str, key: &str) -> ApiResult<()> {
    if key.is_empty() {
        return Err(invalid(field, "a label key cannot be empty"));
    }
    if key.chars().count() > LONG_MAX {
        return Err(invalid(
            field,
            format!("label key must be at most {LONG_MAX} characters"),
        ));
    }
    match compass_crds::labels::key_characters_problem(key) {
        Some(problem) => Err(invalid(field, problem)),
        None => Ok(()),
    }
}

/// The arguments of the `set*Label` mutations.
pub const LABEL_ARGUMENTS: LabelFields<'static> = LabelFields {
    key: "key",
    value: "value",
};

/// Where a label is written: the argument of its key, and of its value.
#[derive(Clone, Copy, Debug)]
pub struct LabelFields<'a> {
    /// The argument or input field holding the key.
    pub key: &'a str,
    /// The argument or input field holding the value.
    pub value: &'a str,
}

/// Checks a label: its key, the size of its value, and the value against its key's definition
/// in the tenant. For `scenarios` the value must list scenarios of the tenant; the names are
/// returned.
pub fn check_value(
    caches: &Caches,
    namespace: &str,
    fields: LabelFields<'_>,
    key: &str,
    value: &Value,
) -> ApiResult<Option<Vec<String>>> {
    check_key(fields.key, key)?;
    let field = fields.value;
    let size = serde_json::to_vec(value).map_or(usize::MAX, |json| json.len());
    if size > VALUE_MAX_BYTES {
        return Err(invalid(
            field,
            format!(
                "the value of label {key} takes {size} bytes as JSON; at most {VALUE_MAX_BYTES} are allowed"
            ),
        ));
    }
    if key == SCENARIOS_KEY {
        return scenario_membership::check_value(caches, namespace, field, value).map(Some);
    }
    let schema = definition(caches, namespace, key).and_then(|d| d.spec.schema.clone());
    if let Some(schema) = schema {
        let validator = label_schema::compile(&Value::Object(schema)).map_err(|e| {
            crate::errors::error(
                Code::Internal,
                format!("the label definition of {key} has a schema that does not compile: {e}"),
            )
        })?;
        if let Some(why) = label_schema::violation(&validator, value) {
            return Err(invalid(
                field,
                format!("label {key} does not match the schema of its label definition: {why}"),
            ));
        }
    }
    Ok(None)
}

/// Labels a client writes, checked and split into scenarios and stored labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelWrite {
    /// The `scenarios` label, when given.
    pub scenarios: Option<Vec<String>>,
    /// Every other label.
    pub labels: BTreeMap<String, Value>,
}

impl LabelWrite {
    /// Checks every label of `input` (the argument `field`) against the tenant's definitions.
    pub fn check(
        caches: &Caches,
        namespace: &str,
        field: &str,
        input: BTreeMap<String, Value>,
    ) -> ApiResult<Self> {
        let mut write = Self::default();
        for (key, value) in input {
            let at = format!("{field}.{key}");
            let fields = LabelFields {
                key: field,
                value: &at,
            };
            match check_value(caches, namespace, fields, &key, &value)? {
                Some(names) => write.scenarios = Some(names),
                None => {
                    write.labels.insert(key, value);
                }
            }
        }
        Ok(write)
    }
}

/// The objects of a tenant, not being deleted, whose labels (from `labels_of`) pass every filter,
/// in uid order (see [`uid_of`]). Without filters no object's labels are built.
pub fn matching<K>(
    cache: &crate::state::Shared<K>,
    namespace: &str,
    filters: &[crate::label_filter::Compiled],
    derived: &[&str],
    labels_of: impl Fn(&K) -> BTreeMap<String, Value>,
) -> Vec<Arc<K>>
where
    K: crate::state::Cached,
{
    candidates(cache, namespace, filters, derived)
        .into_iter()
        .filter(|object| object.meta().deletion_timestamp.is_none())
        .filter(|object| {
            filters.is_empty() || {
                let labels = labels_of(object);
                crate::label_filter::matches(filters, |key| labels.get(key).cloned())
            }
        })
        .collect()
}

/// A page of the tenant's objects matching every filter (see [`matching`]), in uid order after
/// the cursor `after`. Without filters it is a window of the tenant's index: the page costs its
/// own objects, however many the tenant has.
pub fn page_matching<K>(
    cache: &crate::state::Shared<K>,
    namespace: &str,
    filters: &[crate::label_filter::Compiled],
    derived: &[&str],
    labels_of: impl Fn(&K) -> BTreeMap<String, Value>,
    (first, after): (Option<i32>, Option<&str>),
) -> crate::errors::ApiResult<crate::pagination::Page<Arc<K>>>
where
    K: crate::state::Cached,
{
    use crate::pagination::{paginate_by, paginate_window};
    if filters.is_empty() {
        let window = |start: Option<&str>, take| {
            let window = cache.window_in_namespace(namespace, start, take);
            (window.total, window.objects)
        };
        return paginate_window(first, after, window, uid_of);
    }
    let found = matching(cache, namespace, filters, derived, labels_of);
    paginate_by(found, uid_of, first, after)
}

/// An object's uid, the key the Director pages objects by.
pub fn uid_of<K: kube::Resource>(object: &Arc<K>) -> &str {
    object.meta().uid.as_deref().unwrap_or_default()
}

/// The objects of a tenant that may match `filters`: those carrying the label or scenario a
/// filter needs (from the tag index) when some filter names one, otherwise every object of the
/// namespace. Keys in `derived` (system labels every object has) narrow nothing.
fn candidates<K>(
    cache: &crate::state::Shared<K>,
    namespace: &str,
    filters: &[crate::label_filter::Compiled],
    derived: &[&str],
) -> Vec<Arc<K>>
where
    K: crate::state::Cached,
{
    use crate::{
        label_filter::Compiled,
        state::{label_tag, scenario_tag},
    };
    let mut narrowest: Option<Vec<Arc<K>>> = None;
    for filter in filters {
        let found = match filter {
            Compiled::Exists(key) | Compiled::Contains(key, _)
                if key != SCENARIOS_KEY && !derived.contains(&key.as_str()) =>
            {
                cache.tagged(&label_tag(namespace, key))
            }
            Compiled::ScenariosAnyOf(names) => {
                let mut union: BTreeMap<String, Arc<K>> = BTreeMap::new();
                for name in names {
                    for object in cache.tagged(&scenario_tag(namespace, name)) {
                        union.insert(object.meta().uid.clone().unwrap_or_default(), object);
                    }
                }
                union.into_values().collect()
            }
            _ => continue,
        };
        if narrowest.as_ref().is_none_or(|n| found.len() < n.len()) {
            narrowest = Some(found);
        }
    }
    narrowest.unwrap_or_else(|| cache.in_namespace(namespace))
}
