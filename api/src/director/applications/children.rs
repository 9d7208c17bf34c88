//! What an application's children share: a child is a view of one entry of a list in the
//! Application's spec (so nothing is copied until a field is asked for), found by its id (derived
//! from the application's id and its name) or by its name; and the parts several kinds of child
//! have, fetch requests and versions.

use std::sync::{Arc, OnceLock};

use async_graphql::{Context, ID, Object, ServerResult, SimpleObject};
use compass_crds::{
    Application,
    application::{self as crd, FetchCondition},
    ids::{ChildKind, child_id},
};

use super::{build::shown_mode, content, credentials, rendered::Rendered};
use crate::{
    director::{
        auth::Auth,
        context::caches,
        enums::{FetchMode, FetchRequestStatusCondition},
        in_order::InOrder,
        plain::{self, Json, Plain},
        status,
    },
    errors::{ApiResult, not_found},
    scalars::Timestamp,
    state::Caches,
};

/// One entry of an application's list of children of some kind.
#[derive(Clone)]
pub struct Child {
    /// The application.
    pub app: Arc<Application>,
    /// Position in the list.
    pub index: usize,
    /// The application's fields as rendered: given by whoever found the child with them at hand
    /// (a page orders children by the ids kept there), else looked up once asked for.
    pub rendered: OnceLock<Arc<Rendered>>,
}

impl Child {
    /// The application's namespace.
    pub fn namespace(&self) -> &str {
        self.app.metadata.namespace.as_deref().unwrap_or_default()
    }

    /// Its id, as kept with its application's rendering or derived from its `kind` and `name`.
    pub fn id(&self, kind: ChildKind, name: &str) -> ID {
        ID(match self.kept_id(kind) {
            Some(id) => id.to_owned(),
            None => id_of(&self.app, kind, name),
        })
    }

    /// Its id as kept with the application's fields as rendered, if the child has them.
    pub fn kept_id(&self, kind: ChildKind) -> Option<&str> {
        self.rendered.get()?.child_id(kind, self.index)
    }

    /// Writes its field `name` onto `out` as rendered with its application's fields, if it is
    /// kept so; `false` if not.
    pub fn write_kept(
        &self,
        ctx: &Context<'_>,
        kind: ChildKind,
        name: &str,
        out: &mut Json,
    ) -> bool {
        self.with_kept(ctx, |kept| {
            kept.write_child_field(kind, self.index, name, out)
        })
    }

    /// The field `ctx` asks of its specification answered in place: as kept with the
    /// application's fields (kind, format, small inline content), else its `content` where it
    /// is stored, or its fetch request. Both are read only when asked for: the definition lies
    /// elsewhere than the rendering.
    pub fn plain_spec<'a>(
        &'a self,
        ctx: &Context<'_>,
        kind: ChildKind,
        content: impl FnOnce() -> content::Source<'a>,
        fetch_request: impl FnOnce() -> Option<FetchRequest>,
        out: &mut Json,
    ) -> Option<ServerResult<()>> {
        let name = ctx.item.node.name.node.as_str();
        if let Some(kept) = spec_field(name)
            && self.write_kept(ctx, kind, kept, out)
        {
            return Some(Ok(()));
        }
        match name {
            // Content not kept: in a ConfigMap, or too large to keep twice.
            "data" => content::write(caches(ctx), &self.app, content(), out),
            "fetchRequest" => return plain::optional(ctx, fetch_request().as_ref(), out),
            _ => return None,
        }
        Some(Ok(()))
    }

    /// Whether it has a specification, as kept.
    pub fn kept_spec(&self, ctx: &Context<'_>, kind: ChildKind) -> bool {
        // Kept as null without one.
        self.with_kept(ctx, |kept| {
            kept.child_json(kind, self.index, "spec.format") != Some(b"null")
        })
    }

    /// `read` of its application's fields as rendered.
    fn with_kept<R>(&self, ctx: &Context<'_>, read: impl FnOnce(&Rendered) -> R) -> R {
        read(
            self.rendered
                .get_or_init(|| caches(ctx).renderings.of(&self.app)),
        )
    }

    /// The application's id.
    pub fn app_id(&self) -> ID {
        ID(self.app.metadata.uid.clone().unwrap_or_default())
    }
}

/// How a field of a child's specification is kept with the child's fields.
fn spec_field(name: &str) -> Option<&'static str> {
    Some(match name {
        "type" => "spec.type",
        "format" => "spec.format",
        "data" => "spec.data",
        _ => return None,
    })
}

/// The names of an application's children of `kind`, in spec order.
pub fn child_names(application: &Application, kind: ChildKind) -> Vec<&str> {
    let spec = &application.spec;
    match kind {
        ChildKind::ApiDefinition => spec
            .api_definitions
            .iter()
            .map(|d| d.name.as_str())
            .collect(),
        ChildKind::EventDefinition => spec
            .event_definitions
            .iter()
            .map(|d| d.name.as_str())
            .collect(),
        ChildKind::Document => spec.documents.iter().map(|d| d.title.as_str()).collect(),
        ChildKind::Webhook => spec.webhooks.iter().map(|w| w.name.as_str()).collect(),
    }
}

/// The id of an application's child.
pub fn id_of(application: &Application, kind: ChildKind, name: &str) -> String {
    let parent = application.metadata.uid.as_deref().unwrap_or_default();
    let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
    child_id(parent, kind, name)
        .hyphenated()
        .encode_lower(&mut text)
        .to_owned()
}

/// The application holding the child `id` of `kind` in the tenant, and the child's name.
pub fn child_in(
    caches: &Caches,
    namespace: &str,
    id: &str,
    kind: ChildKind,
    what: &str,
) -> ApiResult<(Arc<Application>, String)> {
    let application = caches
        .applications
        .by_extra(id)
        .filter(|a| a.metadata.namespace.as_deref() == Some(namespace))
        .filter(|a| a.metadata.deletion_timestamp.is_none())
        .ok_or_else(|| not_found(what, id))?;
    let name = child_names(&application, kind)
        .into_iter()
        .find(|name| id_of(&application, kind, name) == id)
        .map(str::to_owned)
        .ok_or_else(|| not_found(what, id))?;
    Ok((application, name))
}

/// The child of `kind` with `id`.
pub fn find_child(application: &Arc<Application>, kind: ChildKind, id: &str) -> Option<Child> {
    child_names(application, kind)
        .into_iter()
        .position(|name| id_of(application, kind, name) == id)
        .map(|index| Child {
            app: application.clone(),
            index,
            rendered: OnceLock::new(),
        })
}

/// The child of `kind` named `name` in `application`.
pub fn view(application: Arc<Application>, kind: ChildKind, name: &str) -> ApiResult<Child> {
    let index = child_names(&application, kind)
        .into_iter()
        .position(|n| n == name)
        .ok_or_else(|| not_found("child", name))?;
    Ok(Child {
        app: application,
        index,
        rendered: OnceLock::new(),
    })
}

/// Where a specification or document is downloaded from, and how the last download went.
pub struct FetchRequest {
    app: Arc<Application>,
    kind: ChildKind,
    name: String,
    request: crd::FetchRequest,
}

impl FetchRequest {
    /// The fetch request of a child, if it has one.
    pub fn of(
        child: &Child,
        kind: ChildKind,
        name: &str,
        request: Option<&crd::FetchRequest>,
    ) -> Option<Self> {
        Some(Self {
            app: child.app.clone(),
            kind,
            name: name.to_owned(),
            request: request?.clone(),
        })
    }

    /// How the last download went, as the operator reported it.
    fn status_now(&self) -> FetchRequestStatus {
        match content::fetch_status(&self.app, self.kind, &self.name) {
            Some(fetch) => FetchRequestStatus {
                condition: match fetch.condition {
                    FetchCondition::Initial => FetchRequestStatusCondition::Initial,
                    FetchCondition::Succeeded => FetchRequestStatusCondition::Succeeded,
                    FetchCondition::Failed => FetchRequestStatusCondition::Failed,
                },
                timestamp: Timestamp(fetch.timestamp.0),
            },
            None => FetchRequestStatus {
                condition: FetchRequestStatusCondition::Initial,
                timestamp: Timestamp(
                    self.app
                        .metadata
                        .creation_timestamp
                        .as_ref()
                        .map_or_else(jiff::Timestamp::now, |t| t.0),
                ),
            },
        }
    }
}

/// How the last download of a fetch request went.
#[derive(Clone, Debug, SimpleObject)]
pub struct FetchRequestStatus {
    /// `INITIAL` until the operator downloaded it.
    pub condition: FetchRequestStatusCondition,
    /// When.
    pub timestamp: Timestamp,
}

#[Object]
impl FetchRequest {
    /// The URL.
    async fn url(&self) -> &str {
        &self.request.url
    }

    /// Credentials presented to the URL.
    async fn auth(&self, ctx: &Context<'_>) -> Option<Auth> {
        let auth = self.request.auth.as_ref()?;
        let namespace = self.app.metadata.namespace.as_deref().unwrap_or_default();
        Some(credentials::read(caches(ctx), namespace, auth))
    }

    /// What the URL returns.
    async fn mode(&self) -> FetchMode {
        shown_mode(self.request.mode)
    }

    /// Which files of a package or index to take.
    async fn filter(&self) -> Option<&str> {
        self.request.filter.as_deref()
    }

    /// How the last download went, as the operator reported it.
    async fn status(&self) -> InOrder<FetchRequestStatus> {
        InOrder(self.status_now())
    }
}
impl Plain for FetchRequest {
    fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
        match ctx.item.node.name.node.as_str() {
            "url" => out.text(&self.request.url),
            "mode" => out.enumerated(shown_mode(self.request.mode)),
            "filter" => out.optional_text(self.request.filter.as_deref()),
            "status" => return plain::object(ctx, &self.status_now(), out),
            _ => return None,
        }
        Some(Ok(()))
    }
}

impl Plain for FetchRequestStatus {
    fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
        status::write_field(ctx, self.condition, &self.timestamp, out)
    }
}

/// A version of an API or events.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct Version {
    /// The version.
    pub value: String,
    /// Whether it is deprecated.
    pub deprecated: Option<bool>,
    /// Since which version it is deprecated.
    pub deprecated_since: Option<String>,
    /// Whether it will be removed.
    pub for_removal: Option<bool>,
}

impl From<&crd::Version> for Version {
    fn from(version: &crd::Version) -> Self {
        Self {
            value: version.value.clone(),
            deprecated: Some(version.deprecated.unwrap_or(false)),
            deprecated_since: version.deprecated_since.clone(),
            for_removal: Some(version.for_removal.unwrap_or(false)),
        }
    }
}

impl Plain for Version {
    fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
        match ctx.item.node.name.node.as_str() {
            "value" => out.text(&self.value),
            "deprecated" => out.optional_boolean(self.deprecated),
            "deprecatedSince" => out.optional_text(self.deprecated_since.as_deref()),
            "forRemoval" => out.optional_boolean(self.for_removal),
            _ => return None,
        }
        Some(Ok(()))
    }
}
