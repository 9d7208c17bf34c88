//! Apply conflicts and the `409 Conflict` status kube-apiserver answers them with.

use std::fmt;

use crate::errors::{ApiError, StatusCause, StatusDetails};

use super::fieldset::display_path;
use super::managers::{Entry, Operation};

/// A field an applier would change that another manager owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// Name of the manager owning the field.
    pub manager: String,
    /// How that manager wrote the field.
    pub operation: Operation,
    /// The apiVersion of that manager's entry.
    pub api_version: String,
    /// The subresource that manager wrote through; empty for the main resource.
    pub subresource: String,
    /// The field, as kube-apiserver prints it: `.spec.description`,
    /// `.spec.items[name="a"].value`.
    pub field: String,
    /// The path in `FieldsV1` elements.
    pub(crate) path: Vec<String>,
    /// The manager identifier, which orders conflicts in messages.
    identifier: String,
}

impl Conflict {
    /// A conflict over `path` with the manager of `entry`.
    pub(crate) fn new(entry: &Entry, path: Vec<String>) -> Self {
        Self {
            manager: entry.manager.clone(),
            operation: entry.operation,
            api_version: entry.api_version.clone(),
            subresource: entry.subresource.clone(),
            field: display_path(&path),
            path,
            identifier: entry.identifier(),
        }
    }

    /// The manager as kube-apiserver's `printManager` names it: `"mgr"` for appliers,
    /// `"mgr" using v1` for updaters, with `with subresource "status"` when it wrote one.
    pub fn manager_description(&self) -> String {
        let mut text = quote(&self.manager);
        if !self.subresource.is_empty() {
            text.push_str(&format!(" with subresource {}", quote(&self.subresource)));
        }
        if self.operation == Operation::Update {
            text.push_str(&format!(" using {}", self.api_version));
        }
        text
    }
}

/// Go's `%q` of a string, which JSON string syntax matches for the names managers use.
fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// The conflicts that made an apply fail; never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflicts(pub(crate) Vec<Conflict>);

// === impl Conflicts ===

impl Conflicts {
    /// The conflicts, ordered by manager identifier and then by path.
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &Conflict> {
        self.0.iter()
    }

    /// Sorts the conflicts the way kube-apiserver groups them in its message.
    pub(crate) fn sorted(mut conflicts: Vec<Conflict>) -> Self {
        conflicts.sort_by(|a, b| (&a.identifier, &a.path).cmp(&(&b.identifier, &b.path)));
        Self(conflicts)
    }

    /// The `409 Conflict` kube-apiserver answers, with one `FieldManagerConflict` cause per
    /// field and the message worded as it words it.
    pub fn into_api_error(self) -> ApiError {
        let causes = self
            .0
            .iter()
            .map(|c| StatusCause {
                reason: "FieldManagerConflict".to_owned(),
                message: format!("conflict with {}", c.manager_description()),
                field: c.field.clone(),
            })
            .collect();
        ApiError {
            code: 409,
            reason: "Conflict",
            message: self.to_string(),
            details: Some(Box::new(StatusDetails {
                causes,
                ..StatusDetails::default()
            })),
        }
    }
}

impl fmt::Display for Conflicts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [one] = self.0.as_slice() {
            return write!(
                f,
                "Apply failed with 1 conflict: conflict with {}: {}",
                one.manager_description(),
                one.field
            );
        }
        let mut lines = Vec::new();
        let mut previous: Option<&str> = None;
        for conflict in &self.0 {
            if previous != Some(conflict.identifier.as_str()) {
                lines.push(format!(
                    "conflicts with {}:",
                    conflict.manager_description()
                ));
                previous = Some(&conflict.identifier);
            }
            lines.push(format!("- {}", conflict.field));
        }
        write!(
            f,
            "Apply failed with {} conflicts: {}",
            self.0.len(),
            lines.join("\n")
        )
    }
}

impl std::error::Error for Conflicts {}

impl From<Conflicts> for ApiError {
    fn from(conflicts: Conflicts) -> Self {
        conflicts.into_api_error()
    }
}
