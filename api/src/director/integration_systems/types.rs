//! The `IntegrationSystem` type as the Director shows it, and its page.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use compass_crds::SubjectKind;

use crate::{
    director::{
        charged::{self, Charged},
        context::{caches, system_namespace},
        system_auths::{SystemAuth, auths_of},
    },
    pagination::PageInfo,
};

/// A system that manages applications for many tenants.
#[derive(Clone)]
pub struct IntegrationSystem(pub Arc<compass_crds::IntegrationSystem>);

impl crate::director::plain::Plain for IntegrationSystem {}

#[Object]
impl IntegrationSystem {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.metadata.uid.clone().unwrap_or_default())
    }

    /// Its name, unique across tenants.
    async fn name(&self) -> String {
        self.0.metadata.name.clone().unwrap_or_default()
    }

    /// What it is for.
    async fn description(&self) -> Option<String> {
        self.0.spec.description.clone()
    }

    /// Its client identities.
    async fn auths(&self, ctx: &Context<'_>) -> Option<Vec<Charged<SystemAuth>>> {
        Some(charged::each(auths_of(
            caches(ctx),
            system_namespace(ctx),
            SubjectKind::IntegrationSystem,
            self.0.metadata.name.as_deref().unwrap_or_default(),
        )))
    }
}

/// A page of integration systems.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct IntegrationSystemPage {
    /// The integration systems.
    pub data: Vec<Charged<IntegrationSystem>>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many there are.
    pub total_count: i32,
}
