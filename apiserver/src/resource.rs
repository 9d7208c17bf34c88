//! What the server knows about each resource it serves: names, scope, subresources, schema and
//! printer columns, for built-in kinds and for every served version of every CRD alike.

use std::sync::Arc;

use serde_json::Value;

/// One served version of one resource.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceInfo {
    /// API group; empty for the core group.
    pub group: String,
    /// API version within the group, for example `v1alpha1`.
    pub version: String,
    /// Plural resource name used in paths, for example `applications`.
    pub plural: String,
    /// Singular name, for example `application`.
    pub singular: String,
    /// Kind of the objects, for example `Application`.
    pub kind: String,
    /// Kind of list responses, for example `ApplicationList`.
    pub list_kind: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Short names `kubectl` accepts.
    pub short_names: Vec<String>,
    /// Categories, such as `all` or `compass`.
    pub categories: Vec<String>,
    /// Whether the `/status` subresource is served (and writes to the main resource ignore
    /// `status`).
    pub status_subresource: bool,
    /// The structural OpenAPI v3 schema of the objects (`openAPIV3Schema`), if any.
    pub schema: Option<Arc<Value>>,
    /// Columns of `kubectl get` beside the name.
    pub printer_columns: Vec<PrinterColumn>,
    /// Whether the kind is built into the server rather than defined by a CRD.
    pub builtin: bool,
    /// Whether this version is the one objects are stored in.
    pub storage_version: bool,
    /// Whether the resource only takes creates and stores nothing, as the access reviews.
    pub create_only: bool,
    /// Subresources beyond `/status` that only take creates, such as a ServiceAccount's `token`.
    pub create_subresources: Vec<CreateSubresource>,
}

/// A subresource that only takes creates, and the kind it takes and answers with.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateSubresource {
    /// Its name in paths, for example `token`.
    pub name: String,
    /// Group of the kind it takes.
    pub group: String,
    /// Version of the kind it takes.
    pub version: String,
    /// The kind it takes, for example `TokenRequest`.
    pub kind: String,
}

impl ResourceInfo {
    /// `apiVersion` of the objects: `group/version`, or just `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The group and resource as messages name them: `applications.compass.kyma-project.io`.
    pub fn qualified_resource(&self) -> crate::errors::Qualified<'_> {
        crate::errors::Qualified {
            group: &self.group,
            name: &self.plural,
        }
    }

    /// The group and kind as validation messages name them: `Application.compass.kyma-project.io`.
    pub fn qualified_kind(&self) -> crate::errors::Qualified<'_> {
        crate::errors::Qualified {
            group: &self.group,
            name: &self.kind,
        }
    }

    /// The key objects of this resource are stored under, shared by all its versions.
    pub fn storage_key(&self) -> String {
        format!("{}/{}", self.group, self.plural)
    }
}

/// A column of `kubectl get` output, as a CRD's `additionalPrinterColumns` declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct PrinterColumn {
    /// Header of the column.
    pub name: String,
    /// OpenAPI type of the value: `string`, `integer`, `number`, `boolean` or `date`.
    pub type_: String,
    /// OpenAPI format of the value, if any.
    pub format: String,
    /// What the column shows.
    pub description: String,
    /// 0 for the default output, more for `-o wide` only.
    pub priority: i32,
    /// JSONPath of the value in the object, for example `.spec.providerName`.
    pub json_path: String,
}
