//! Scopes per operation, read from a configuration file shaped like the original's
//! (`graphql.query.<field>` / `graphql.mutation.<field>` → required scopes); `scopes.yaml` in this
//! crate is the default. Every root field checks its scopes before it runs.

use std::collections::{BTreeMap, BTreeSet};

use async_graphql::{Context, Guard};
use serde::Deserialize;

use crate::{
    errors::{Code, error},
    gateway::{Caller, ConsumerKind},
};

/// The scopes configuration every build carries.
pub const DEFAULT: &str = include_str!("../scopes.yaml");

/// Scopes each operation requires.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopesConfig {
    graphql: Operations,
    #[serde(default)]
    client_credentials_registration_scopes: ConsumerScopes,
}

/// The scopes of each kind of system consumer.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsumerScopes {
    #[serde(default)]
    runtime: BTreeSet<String>,
    #[serde(default)]
    application: BTreeSet<String>,
    #[serde(default)]
    integration_system: BTreeSet<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct Operations {
    #[serde(default)]
    query: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    mutation: BTreeMap<String, Vec<String>>,
}

impl ScopesConfig {
    /// Parses a configuration.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_yaml::from_str(text)
            .map_err(|e| format!("the scopes configuration is not valid: {e}"))
    }

    /// The built-in configuration.
    pub fn default_config() -> Self {
        Self::parse(DEFAULT).expect("the built-in scopes configuration parses")
    }

    /// The scopes an operation requires, `None` when the configuration does not list it.
    pub fn required(&self, kind: OperationKind, field: &str) -> Option<&[String]> {
        let table = match kind {
            OperationKind::Query => &self.graphql.query,
            OperationKind::Mutation => &self.graphql.mutation,
        };
        table.get(field).map(Vec::as_slice)
    }

    /// The scopes an application, runtime or integration system holds (none for users, whose
    /// scopes come from the users file).
    pub fn consumer_scopes(&self, kind: ConsumerKind) -> BTreeSet<String> {
        let scopes = &self.client_credentials_registration_scopes;
        match kind {
            ConsumerKind::Runtime => scopes.runtime.clone(),
            ConsumerKind::Application => scopes.application.clone(),
            ConsumerKind::IntegrationSystem => scopes.integration_system.clone(),
            ConsumerKind::User => BTreeSet::new(),
        }
    }

    /// Every scope the configuration mentions.
    pub fn all_scopes(&self) -> BTreeSet<String> {
        self.graphql
            .query
            .values()
            .chain(self.graphql.mutation.values())
            .flatten()
            .cloned()
            .collect()
    }
}

/// Whether a root field is a query or a mutation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationKind {
    /// A field of `Query`.
    Query,
    /// A field of `Mutation`.
    Mutation,
}

/// Guard of a root field: the caller must hold every scope the configuration requires for it.
pub struct Scopes {
    kind: OperationKind,
    field: &'static str,
}

impl Scopes {
    /// The guard of query `field`.
    pub fn query(field: &'static str) -> Self {
        Self {
            kind: OperationKind::Query,
            field,
        }
    }

    /// The guard of mutation `field`.
    pub fn mutation(field: &'static str) -> Self {
        Self {
            kind: OperationKind::Mutation,
            field,
        }
    }
}

impl Guard for Scopes {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let config = ctx.data::<ScopesConfig>()?;
        let caller = ctx.data::<Caller>()?;
        let Some(required) = config.required(self.kind, self.field) else {
            return Err(error(
                Code::InsufficientScopes,
                "required scopes are not defined",
            ));
        };
        let missing: Vec<&String> = required
            .iter()
            .filter(|s| !caller.scopes.contains(*s))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let actual: Vec<&String> = caller.scopes.iter().collect();
        Err(error(
            Code::InsufficientScopes,
            format!("insufficient scopes provided, required: {required:?}, actual: {actual:?}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_lists_every_operation_of_the_original() {
        let config = ScopesConfig::default_config();
        assert_eq!(
            config
                .required(OperationKind::Query, "applications")
                .unwrap(),
            ["application:read"]
        );
        assert_eq!(
            config.required(OperationKind::Query, "viewer").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            config
                .required(OperationKind::Mutation, "refetchEventDefinitionSpec")
                .unwrap(),
            ["application:write"]
        );
        assert!(
            config
                .required(OperationKind::Mutation, "noSuchMutation")
                .is_none()
        );
        assert!(config.all_scopes().contains("eventing:manage"));
        let runtime = config.consumer_scopes(ConsumerKind::Runtime);
        assert_eq!(
            runtime.iter().map(String::as_str).collect::<Vec<_>>(),
            ["application:read", "runtime:read", "runtime:write"]
        );
        assert!(config.consumer_scopes(ConsumerKind::User).is_empty());
    }
}
