//! Queries about label definitions: every definition of the tenant, or the one of a key.

use std::collections::{BTreeMap, BTreeSet};

use async_graphql::{Context, Object};
use compass_crds::labels::SCENARIOS_KEY;

use super::types::LabelDefinition;
use crate::{
    director::{
        charged::{self, Charged},
        context::{caches, tenant},
        labels::definition,
        scenarios,
    },
    errors::ApiResult,
    scopes::Scopes,
    state::{Caches, label_tag},
};

/// Every label definition of a tenant, by key.
pub fn all_definitions(caches: &Caches, namespace: &str) -> BTreeMap<String, LabelDefinition> {
    let mut definitions: BTreeMap<String, LabelDefinition> = BTreeMap::new();
    let in_use = caches
        .applications
        .in_namespace(namespace)
        .iter()
        .flat_map(|a| a.spec.labels.keys().cloned().collect::<Vec<_>>())
        .chain(
            caches
                .runtimes
                .in_namespace(namespace)
                .iter()
                .flat_map(|r| r.spec.labels.keys().cloned().collect::<Vec<_>>()),
        )
        .collect::<BTreeSet<String>>();
    for key in in_use {
        definitions.insert(key.clone(), LabelDefinition { key, schema: None });
    }
    for object in caches.label_definitions.in_namespace(namespace) {
        if object.metadata.deletion_timestamp.is_some() {
            continue;
        }
        definitions.insert(
            object.key().to_owned(),
            LabelDefinition::from(object.as_ref()),
        );
    }
    definitions.insert(
        SCENARIOS_KEY.to_owned(),
        scenarios::query::definition(caches, namespace),
    );
    definitions
}

/// The label definition of one key in a tenant: its object, or one without a schema while a
/// label uses the key (found through the label-key tags, without reading every object).
pub fn definition_of(caches: &Caches, namespace: &str, key: &str) -> Option<LabelDefinition> {
    if key == SCENARIOS_KEY {
        return Some(scenarios::query::definition(caches, namespace));
    }
    if let Some(object) = definition(caches, namespace, key) {
        return Some(LabelDefinition::from(object.as_ref()));
    }
    let tag = label_tag(namespace, key);
    (caches.applications.has_tag(&tag) || caches.runtimes.has_tag(&tag)).then(|| LabelDefinition {
        key: key.to_owned(),
        schema: None,
    })
}

/// Queries about label definitions.
#[derive(Default)]
pub struct LabelDefinitionQuery;

#[Object]
impl LabelDefinitionQuery {
    /// Every label definition of the tenant, including one for every key in use and the
    /// `scenarios` definition.
    #[graphql(guard = "Scopes::query(\"labelDefinitions\")")]
    async fn label_definitions(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<Charged<LabelDefinition>>> {
        let scope = tenant(ctx)?;
        Ok(charged::each(
            all_definitions(caches(ctx), &scope.namespace).into_values(),
        ))
    }

    /// The label definition of a key.
    #[graphql(guard = "Scopes::query(\"labelDefinition\")")]
    async fn label_definition(
        &self,
        ctx: &Context<'_>,
        key: String,
    ) -> ApiResult<Option<LabelDefinition>> {
        let scope = tenant(ctx)?;
        Ok(definition_of(caches(ctx), &scope.namespace, &key))
    }
}
