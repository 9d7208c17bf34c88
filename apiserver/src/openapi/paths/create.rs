//! The paths of what only takes creates: the collection of a review kind, and a create-only
//! subresource such as `serviceaccounts/{name}/token`.

use serde_json::{Value, json};

use super::{Ctx, GVK_EXTENSION, JSON, capitalize, gvk, object_body, params, responses};
use crate::resource::CreateSubresource;

/// A create-only subresource and the component of the kind it takes.
pub(in crate::openapi) struct CreateOnly<'a> {
    /// The subresource's name and kind.
    pub info: &'a CreateSubresource,
    /// The component of its kind.
    pub component: String,
}

impl Ctx<'_> {
    /// The collection path of a create-only kind such as an access review: create alone.
    pub(super) fn create_only(&self) -> Value {
        let kind = &self.resource.kind;
        json!({
            "post": self.operation(
                "post",
                self.id("create", self.scope(), ""),
                format!("create a {kind}"),
                params::write(),
                Some(object_body(&self.kind_component)),
                responses(&["200", "201", "202"], &self.kind_component, JSON),
            ),
            "parameters": self.path_params(false),
        })
    }

    /// A create-only subresource of an item, such as `serviceaccounts/{name}/token`.
    pub(super) fn create_subresource(&self, sub: &CreateOnly<'_>) -> Value {
        let resource = self.resource;
        let info = sub.info;
        let operation = json!({
            "tags": [self.ids.tag],
            "description": format!("create {} of a {}", info.name, resource.kind),
            "operationId": self.id("create", self.scope(), &capitalize(&info.name)),
            "parameters": params::write(),
            "requestBody": object_body(&sub.component),
            "responses": responses(&["200", "201", "202"], &sub.component, JSON),
            "x-kubernetes-action": "post",
            GVK_EXTENSION: gvk(&info.group, &info.version, &info.kind),
        });
        json!({ "post": operation, "parameters": self.path_params(true) })
    }
}
