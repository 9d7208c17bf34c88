//! Mutations of an application's webhooks, event definitions and documents, each an edit of one
//! list of the Application's spec.

use async_graphql::{Context, ID, Object};
use compass_crds::ids::ChildKind;

use super::{
    build,
    child_inputs::{DocumentInput, EventDefinitionInput, WebhookInput},
    child_lists::{List, add, refuse_child_rename, remove, replace, request_refetch},
    children::{child_in, view},
    documents::Document,
    event_definitions::{EventDefinition, EventSpec},
    owned::Owned,
    webhooks::Webhook,
};
use crate::{
    director::{
        context::{caches, tenant},
        lookup::application_in,
        names::webhook_name,
    },
    errors::{ApiResult, invalid},
    scopes::Scopes,
};

const WEBHOOKS: List<compass_crds::application::Webhook> = List {
    of: |s| &s.webhooks,
    field: "webhooks",
    key: |w| &w.name,
    what: "Webhook",
};

const EVENTS: List<compass_crds::application::EventDefinition> = List {
    of: |s| &s.event_definitions,
    field: "eventDefinitions",
    key: |d| &d.name,
    what: "EventDefinition",
};

const DOCUMENTS: List<compass_crds::application::Document> = List {
    of: |s| &s.documents,
    field: "documents",
    key: |d| &d.title,
    what: "Document",
};

/// Mutations of webhooks, event definitions and documents.
#[derive(Default)]
pub struct ChildMutation;

#[Object]
impl ChildMutation {
    /// Adds a webhook to an application. It is named after its type.
    #[graphql(guard = "Scopes::mutation(\"addWebhook\")")]
    async fn add_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "applicationID")] application_id: ID,
        #[graphql(name = "in")] input: WebhookInput,
    ) -> ApiResult<Webhook> {
        let scope = tenant(ctx)?;
        input.check("in")?;
        let application = application_in(caches(ctx), &scope.namespace, &application_id)?;
        let app_name = application.metadata.name.clone().unwrap_or_default();
        let mut owned = Owned::default();
        let built = build::webhook(&input, String::new(), &app_name, &mut owned);
        let (after, name) = add(ctx, application, owned, &WEBHOOKS, |current| {
            let taken = current.spec.webhooks.iter().map(|w| w.name.as_str());
            let mut webhook = built.clone();
            webhook.name = webhook_name(input.type_, taken);
            webhook
        })
        .await?;
        view(after, ChildKind::Webhook, &name).map(Webhook)
    }

    /// Changes a webhook; it keeps its name and id.
    #[graphql(guard = "Scopes::mutation(\"updateWebhook\")")]
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "webhookID")] webhook_id: ID,
        #[graphql(name = "in")] input: WebhookInput,
    ) -> ApiResult<Webhook> {
        let scope = tenant(ctx)?;
        input.check("in")?;
        let caches = caches(ctx);
        let (application, name) = child_in(
            caches,
            &scope.namespace,
            &webhook_id,
            ChildKind::Webhook,
            "Webhook",
        )?;
        let app_name = application.metadata.name.clone().unwrap_or_default();
        let mut owned = Owned::default();
        let built = build::webhook(&input, name.clone(), &app_name, &mut owned);
        let (_, after) = replace(ctx, application, owned, &WEBHOOKS, &name, |_| {
            Ok(built.clone())
        })
        .await?;
        view(after, ChildKind::Webhook, &name).map(Webhook)
    }

    /// Removes a webhook and returns it as it was.
    #[graphql(guard = "Scopes::mutation(\"deleteWebhook\")")]
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "webhookID")] webhook_id: ID,
    ) -> ApiResult<Webhook> {
        let scope = tenant(ctx)?;
        let (application, name) = child_in(
            caches(ctx),
            &scope.namespace,
            &webhook_id,
            ChildKind::Webhook,
            "Webhook",
        )?;
        let (before, _) = remove(ctx, application, &WEBHOOKS, &name).await?;
        view(before, ChildKind::Webhook, &name).map(Webhook)
    }

    /// Adds an event definition to an application.
    #[graphql(guard = "Scopes::mutation(\"addEventDefinition\")")]
    async fn add_event_definition(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "applicationID")] application_id: ID,
        #[graphql(name = "in")] input: EventDefinitionInput,
    ) -> ApiResult<EventDefinition> {
        let scope = tenant(ctx)?;
        input.check("in")?;
        let application = application_in(caches(ctx), &scope.namespace, &application_id)?;
        let app_name = application.metadata.name.clone().unwrap_or_default();
        let mut owned = Owned::default();
        let built = build::event_definition(&input, &app_name, &mut owned);
        let (after, name) = add(ctx, application, owned, &EVENTS, |_| built.clone()).await?;
        view(after, ChildKind::EventDefinition, &name).map(EventDefinition)
    }

    /// Changes an event definition. Its name cannot change.
    #[graphql(guard = "Scopes::mutation(\"updateEventDefinition\")")]
    async fn update_event_definition(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(name = "in")] input: EventDefinitionInput,
    ) -> ApiResult<EventDefinition> {
        let scope = tenant(ctx)?;
        input.check("in")?;
        let kind = ChildKind::EventDefinition;
        let (application, name) =
            child_in(caches(ctx), &scope.namespace, &id, kind, "EventDefinition")?;
        refuse_child_rename("in.name", &name, &input.name)?;
        let app_name = application.metadata.name.clone().unwrap_or_default();
        let mut owned = Owned::default();
        let built = build::event_definition(&input, &app_name, &mut owned);
        let (_, after) = replace(ctx, application, owned, &EVENTS, &name, |_| {
            Ok(built.clone())
        })
        .await?;
        view(after, kind, &name).map(EventDefinition)
    }

    /// Removes an event definition and returns it as it was.
    #[graphql(guard = "Scopes::mutation(\"deleteEventDefinition\")")]
    async fn delete_event_definition(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<EventDefinition> {
        let scope = tenant(ctx)?;
        let kind = ChildKind::EventDefinition;
        let (application, name) =
            child_in(caches(ctx), &scope.namespace, &id, kind, "EventDefinition")?;
        let (before, _) = remove(ctx, application, &EVENTS, &name).await?;
        view(before, kind, &name).map(EventDefinition)
    }

    /// Asks the operator to fetch the application's specs again, and returns the event spec as
    /// it is stored now.
    #[graphql(guard = "Scopes::mutation(\"refetchEventDefinitionSpec\")")]
    async fn refetch_event_definition_spec(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "eventID")] event_id: ID,
    ) -> ApiResult<EventSpec> {
        let scope = tenant(ctx)?;
        let kind = ChildKind::EventDefinition;
        let (application, name) = child_in(
            caches(ctx),
            &scope.namespace,
            &event_id,
            kind,
            "EventDefinition",
        )?;
        let definition = application
            .spec
            .event_definitions
            .iter()
            .find(|d| d.name == name);
        let Some(spec) = definition.and_then(|d| d.spec.as_ref()) else {
            return Err(invalid(
                "eventID",
                format!("event definition {name} has no spec"),
            ));
        };
        let application = if spec.fetch_request.is_some() {
            request_refetch(ctx, application).await?
        } else {
            application
        };
        view(application, kind, &name).map(EventSpec)
    }

    /// Adds a document to an application.
    #[graphql(guard = "Scopes::mutation(\"addDocument\")")]
    async fn add_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "applicationID")] application_id: ID,
        #[graphql(name = "in")] input: DocumentInput,
    ) -> ApiResult<Document> {
        let scope = tenant(ctx)?;
        input.check("in")?;
        let application = application_in(caches(ctx), &scope.namespace, &application_id)?;
        let app_name = application.metadata.name.clone().unwrap_or_default();
        let mut owned = Owned::default();
        let built = build::document(&input, &app_name, &mut owned);
        let (after, name) = add(ctx, application, owned, &DOCUMENTS, |_| built.clone()).await?;
        view(after, ChildKind::Document, &name).map(Document)
    }

    /// Removes a document and returns it as it was. Documents are not updated: delete and add.
    #[graphql(guard = "Scopes::mutation(\"deleteDocument\")")]
    async fn delete_document(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Document> {
        let scope = tenant(ctx)?;
        let (application, name) = child_in(
            caches(ctx),
            &scope.namespace,
            &id,
            ChildKind::Document,
            "Document",
        )?;
        let (before, _) = remove(ctx, application, &DOCUMENTS, &name).await?;
        view(before, ChildKind::Document, &name).map(Document)
    }
}
