//! Mutations of an application's webhooks, event definitions and documents, and the list edits
//! every child mutation is made of: add (refused when the name is taken), replace and remove one
//! entry of a spec list, each a read-modify-write of the whole list.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use compass_crds::{Application, ApplicationSpec, ids::ChildKind};
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    application_in, build, child_in, child_names,
    children::{Child, Document, EventDefinition, EventSpec, Webhook},
    edit,
    inputs::{DocumentInput, EventDefinitionInput, WebhookInput},
    owned::Owned,
    to_json,
};
use crate::{
    director::context::{caches, tenant},
    errors::{ApiResult, Code, error, invalid, not_found},
    scopes::Scopes,
};

pub use compass_crds::well_known::REFETCH_ANNOTATION;

/// One list of an application's spec: where it is, its JSON name, and each entry's key.
pub struct List<T: 'static> {
    /// The list in a spec.
    pub of: fn(&ApplicationSpec) -> &Vec<T>,
    /// Its field name in the spec.
    pub field: &'static str,
    /// An entry's name (or title).
    pub key: fn(&T) -> &str,
    /// What an entry is called in errors.
    pub what: &'static str,
}

fn patch_of<T: Serialize>(list: &List<T>, items: &[T]) -> ApiResult<Value> {
    Ok(json!({ "spec": { list.field: to_json(&items)? } }))
}

/// The child of `list` named `name` in `application`.
pub fn view(application: Arc<Application>, kind: ChildKind, name: &str) -> ApiResult<Child> {
    let index = child_names(&application, kind)
        .into_iter()
        .position(|n| n == name)
        .ok_or_else(|| not_found("child", name))?;
    Ok(Child {
        app: application,
        index,
    })
}

/// Adds `item` (named by `name(current)`) to `list`; refused when an entry has that name.
pub async fn add<T: Clone + Serialize>(
    ctx: &Context<'_>,
    application: Arc<Application>,
    owned: Owned,
    list: &List<T>,
    item: impl Fn(&Application) -> T,
) -> ApiResult<(Arc<Application>, String)> {
    let added = std::sync::Mutex::new(String::new());
    let (_, after) = edit(ctx, application, owned, |current| {
        let mut items = (list.of)(&current.spec).clone();
        let new = item(current);
        let name = (list.key)(&new).to_owned();
        if items.iter().any(|i| (list.key)(i) == name) {
            return Err(error(
                Code::NotUnique,
                format!(
                    "Object name is not unique [object={}; name={name}]",
                    list.what
                ),
            ));
        }
        items.push(new);
        *added.lock().unwrap_or_else(|p| p.into_inner()) = name;
        patch_of(list, &items)
    })
    .await?;
    let name = added.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok((after, name))
}

/// Replaces the entry `name` of `list` with `replace(current entry)`.
pub async fn replace<T: Clone + Serialize>(
    ctx: &Context<'_>,
    application: Arc<Application>,
    owned: Owned,
    list: &List<T>,
    name: &str,
    replace: impl Fn(&T) -> ApiResult<T>,
) -> ApiResult<(Arc<Application>, Arc<Application>)> {
    edit(ctx, application, owned, |current| {
        let mut items = (list.of)(&current.spec).clone();
        let position = items
            .iter()
            .position(|i| (list.key)(i) == name)
            .ok_or_else(|| not_found(list.what, name))?;
        items[position] = replace(&items[position])?;
        patch_of(list, &items)
    })
    .await
}

/// Removes the entry `name` of `list`; returns the application before and after.
pub async fn remove<T: Clone + Serialize>(
    ctx: &Context<'_>,
    application: Arc<Application>,
    list: &List<T>,
    name: &str,
) -> ApiResult<(Arc<Application>, Arc<Application>)> {
    edit(ctx, application, Owned::default(), |current| {
        let mut items = (list.of)(&current.spec).clone();
        let position = items
            .iter()
            .position(|i| (list.key)(i) == name)
            .ok_or_else(|| not_found(list.what, name))?;
        items.remove(position);
        patch_of(list, &items)
    })
    .await
}

/// Asks the operator to fetch the application's specs and documents again.
pub async fn request_refetch(
    ctx: &Context<'_>,
    application: Arc<Application>,
) -> ApiResult<Arc<Application>> {
    let value = format!(
        "{}-{}",
        jiff::Timestamp::now(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let patch = json!({ "metadata": { "annotations": { REFETCH_ANNOTATION: value } } });
    let (_, after) = edit(ctx, application, Owned::default(), |_| Ok(patch.clone())).await?;
    Ok(after)
}

/// Definitions and documents keep their names: their ids derive from them.
pub fn refuse_child_rename(field: &str, current: &str, wanted: &str) -> ApiResult<()> {
    if current != wanted {
        return Err(invalid(
            field,
            format!(
                "cannot rename {current} to {wanted}: its id derives from its name; delete it and add a new one instead"
            ),
        ));
    }
    Ok(())
}

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
            webhook.name = build::webhook_name(input.type_, taken);
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
