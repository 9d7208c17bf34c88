//! The `Runtime` type as the Director shows it, over a Runtime object: its simple fields, labels
//! (with its scenarios), status from the `Ready` condition, identities and eventing configuration.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use compass_crds::SubjectKind;

use crate::{
    director::{
        charged::{self, Charged},
        context::caches,
        enums::RuntimeStatusCondition,
        event_service::event_service_url,
        labels,
        status::{Phase, phase},
        system_auths::{SystemAuth, auths_of},
    },
    pagination::PageInfo,
    scalars::{Labels, Timestamp},
};

/// A runtime: a Kubernetes cluster that consumes applications.
#[derive(Clone)]
pub struct Runtime(pub Arc<compass_crds::Runtime>);

impl crate::director::plain::Plain for Runtime {}

/// When a runtime was registered.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct RuntimeMetadata {
    /// When it was registered.
    pub creation_timestamp: Timestamp,
}

/// Where a runtime stands.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct RuntimeStatus {
    /// The state.
    pub condition: RuntimeStatusCondition,
    /// Since when.
    pub timestamp: Timestamp,
}

/// Where a runtime receives events.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct RuntimeEventingConfiguration {
    /// The runtime's event service URL (its `runtime/event_service_url` label), or `""`.
    #[graphql(name = "defaultURL")]
    pub default_url: String,
}

#[Object]
impl Runtime {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.metadata.uid.clone().unwrap_or_default())
    }

    /// Registration metadata.
    async fn metadata(&self) -> RuntimeMetadata {
        RuntimeMetadata {
            creation_timestamp: Timestamp(
                self.0
                    .metadata
                    .creation_timestamp
                    .as_ref()
                    .map_or_else(jiff::Timestamp::now, |t| t.0),
            ),
        }
    }

    /// Its name.
    async fn name(&self) -> String {
        self.0.metadata.name.clone().unwrap_or_default()
    }

    /// What it is for.
    async fn description(&self) -> Option<String> {
        self.0.spec.description.clone()
    }

    /// Its labels, or only the one with `key`. `scenarios` lists its scenarios.
    async fn labels(&self, key: Option<String>) -> Option<Labels> {
        Some(labels::select(labels::of_runtime(&self.0), key.as_deref()))
    }

    /// Where it stands.
    async fn status(&self) -> RuntimeStatus {
        let conditions = self.0.status.iter().flat_map(|s| &s.conditions);
        let (phase, timestamp) = phase(conditions, self.0.metadata.creation_timestamp.as_ref());
        let condition = match phase {
            Phase::Ready => RuntimeStatusCondition::Ready,
            Phase::Failed => RuntimeStatusCondition::Failed,
            Phase::Initial | Phase::Unknown => RuntimeStatusCondition::Initial,
        };
        RuntimeStatus {
            condition,
            timestamp,
        }
    }

    /// Its client identities.
    async fn auths(&self, ctx: &Context<'_>) -> Option<Vec<Charged<SystemAuth>>> {
        Some(charged::each(auths_of(
            caches(ctx),
            self.0.metadata.namespace.as_deref().unwrap_or_default(),
            SubjectKind::Runtime,
            self.0.metadata.name.as_deref().unwrap_or_default(),
        )))
    }

    /// Where it receives events.
    async fn eventing_configuration(&self) -> Option<RuntimeEventingConfiguration> {
        Some(RuntimeEventingConfiguration {
            default_url: event_service_url(&self.0).unwrap_or_default(),
        })
    }
}

/// A page of runtimes.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct RuntimePage {
    /// The runtimes.
    pub data: Vec<Charged<Runtime>>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many match.
    pub total_count: i32,
}
