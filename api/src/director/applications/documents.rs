//! Documents as the Director shows them: the `Document` type and its page.

use async_graphql::{Context, ID, Object, ServerResult, SimpleObject};
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
};

/// A document about an application.
#[derive(Clone)]
pub struct Document(pub Child);

impl Document {
    fn doc(&self) -> &crd::Document {
        &self.0.app.spec.documents[self.0.index]
    }

    /// Where its content is: inline, in a ConfigMap, or as last fetched.
    fn content(&self) -> content::Source<'_> {
        let doc = self.doc();
        content::Source {
            kind: ChildKind::Document,
            name: &doc.title,
            data: doc.data.as_deref(),
            data_from: doc.data_from.as_ref(),
        }
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
        content::read(caches(ctx), &self.0.app, self.content())
    }

    /// Where it is downloaded from.
    #[graphql(name = "fetchRequest")]
    async fn fetch_request(&self) -> Option<InOrder<FetchRequest>> {
        self.fetch_request_now().map(InOrder)
    }
}

impl Plain for Document {
    fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
        let name = ctx.item.node.name.node.as_str();
        if self.0.write_kept(ctx, ChildKind::Document, name, out) {
            return Some(Ok(()));
        }
        match name {
            "format" => out.enumerated(DocumentFormat::Markdown),
            // Content not kept: in a ConfigMap, or too large to keep twice.
            "data" => content::write(caches(ctx), &self.0.app, self.content(), out),
            "fetchRequest" => return plain::optional(ctx, self.fetch_request_now().as_ref(), out),
            _ => return None,
        }
        Some(Ok(()))
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
