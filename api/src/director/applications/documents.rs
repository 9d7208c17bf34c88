//! Documents as the Director shows them: the `Document` type and its page.

use async_graphql::{Context, ID, Object, ServerResult, SimpleObject, Value};
use compass_crds::{application as crd, ids::ChildKind};

use super::{
    children::{Child, FetchRequest},
    content,
};
use crate::{
    director::{
        charged::Charged,
        context::caches,
        enums::DocumentFormat,
        in_order::InOrder,
        plain::{self, Plain},
    },
    pagination::PageInfo,
    scalars::Clob,
    state::Caches,
};

/// A document about an application.
#[derive(Clone)]
pub struct Document(pub Child);

impl Document {
    fn doc(&self) -> &crd::Document {
        &self.0.app.spec.documents[self.0.index]
    }

    /// Its content: inline, from its ConfigMap, or as last fetched.
    fn data_now(&self, caches: &Caches) -> Option<Clob> {
        let doc = self.doc();
        let (data, from) = (doc.data.as_ref(), doc.data_from.as_ref());
        content::read(
            caches,
            &self.0.app,
            ChildKind::Document,
            &doc.title,
            data,
            from,
        )
    }

    /// Where it is downloaded from.
    fn fetch_request_now(&self) -> Option<FetchRequest> {
        let doc = self.doc();
        let request = doc.fetch_request.as_deref();
        FetchRequest::of(&self.0, ChildKind::Document, &doc.title, request)
    }
}

#[Object]
impl Document {
    /// Its id, derived from the application's id and its title.
    async fn id(&self) -> ID {
        self.0.id(ChildKind::Document, &self.doc().title)
    }

    /// The application's id.
    #[graphql(name = "applicationID")]
    async fn application_id(&self) -> ID {
        self.0.app_id()
    }

    /// Its title.
    async fn title(&self) -> &str {
        &self.doc().title
    }

    /// The name shown to people.
    #[graphql(name = "displayName")]
    async fn display_name(&self) -> &str {
        &self.doc().display_name
    }

    /// What it covers.
    async fn description(&self) -> &str {
        &self.doc().description
    }

    /// Its markup.
    async fn format(&self) -> DocumentFormat {
        DocumentFormat::Markdown
    }

    /// Its category.
    async fn kind(&self) -> Option<&str> {
        self.doc().kind.as_deref()
    }

    /// Its content: inline, from its ConfigMap, or as last fetched.
    async fn data(&self, ctx: &Context<'_>) -> Option<Clob> {
        self.data_now(caches(ctx))
    }

    /// Where it is downloaded from.
    #[graphql(name = "fetchRequest")]
    async fn fetch_request(&self) -> Option<InOrder<FetchRequest>> {
        self.fetch_request_now().map(InOrder)
    }
}

impl Plain for Document {
    fn plain(&self, ctx: &Context<'_>) -> Option<ServerResult<Value>> {
        let doc = self.doc();
        Some(Ok(match ctx.item.node.name.node.as_str() {
            "id" => Value::String(self.0.id(ChildKind::Document, &doc.title).0),
            "applicationID" => Value::String(self.0.app_id().0),
            "title" => plain::text(&doc.title),
            "displayName" => plain::text(&doc.display_name),
            "description" => plain::text(&doc.description),
            "format" => plain::enumerated(DocumentFormat::Markdown),
            "kind" => plain::optional_text(doc.kind.as_deref()),
            "data" => plain::scalar(self.data_now(caches(ctx))),
            "fetchRequest" => return plain::optional(ctx, self.fetch_request_now().as_ref()),
            _ => return None,
        }))
    }
}

/// A page of documents.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct DocumentPage {
    /// The documents.
    pub data: Vec<Charged<Document>>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many there are.
    pub total_count: i32,
}
