//! Webhooks as the Director shows them: endpoints of an application that the management plane
//! calls.

use async_graphql::{Context, ID, Object};
use compass_crds::{application as crd, ids::ChildKind};

use super::{children::Child, credentials};
use crate::director::{auth::Auth, context::caches, enums::ApplicationWebhookType};

/// An endpoint of an application that the management plane calls.
#[derive(Clone)]
pub struct Webhook(pub Child);

impl crate::director::plain::Plain for Webhook {}

impl Webhook {
    fn hook(&self) -> &crd::Webhook {
        &self.0.app.spec.webhooks[self.0.index]
    }
}

#[Object]
impl Webhook {
    /// Its id, derived from the application's id and the webhook's name.
    async fn id(&self) -> ID {
        self.0.id(ChildKind::Webhook, &self.hook().name)
    }

    /// The application's id.
    #[graphql(name = "applicationID")]
    async fn application_id(&self) -> ID {
        self.0.app_id()
    }

    /// When it is called.
    #[graphql(name = "type")]
    async fn type_(&self) -> ApplicationWebhookType {
        ApplicationWebhookType::ConfigurationChanged
    }

    /// Where it is called.
    async fn url(&self) -> &str {
        &self.hook().url
    }

    /// Credentials presented to it.
    async fn auth(&self, ctx: &Context<'_>) -> Option<Auth> {
        let auth = self.hook().auth.as_ref()?;
        Some(credentials::read(caches(ctx), self.0.namespace(), auth))
    }
}
