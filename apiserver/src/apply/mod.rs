//! Server-side apply: merging applied configurations and tracking field ownership in `metadata.managedFields`.
// Placeholder until the apply engine lands; the interface is the one it implements.
#![allow(missing_docs)]

use serde_json::Value;

use crate::errors::ApiError;

pub struct MergeRules;
impl MergeRules {
    pub fn from_schema(_schema: Option<&Value>) -> Self {
        Self
    }
}
pub struct ApplyRequest<'a> {
    pub manager: &'a str,
    pub force: bool,
    pub api_version: &'a str,
    pub time: &'a str,
    pub subresource: Option<&'a str>,
    pub rules: &'a MergeRules,
}
pub struct UpdateRequest<'a> {
    pub manager: &'a str,
    pub api_version: &'a str,
    pub time: &'a str,
    pub subresource: Option<&'a str>,
    pub rules: &'a MergeRules,
}
pub struct Conflicts;
impl Conflicts {
    pub fn into_api_error(self) -> ApiError {
        ApiError::internal("apply conflicts")
    }
}
pub fn apply(live: Option<&Value>, config: &Value, _request: &ApplyRequest<'_>) -> Result<Value, Conflicts> {
    let mut out = live.cloned().unwrap_or_else(|| config.clone());
    crate::patch::merge_into(&mut out, config);
    Ok(out)
}
pub fn record_update(_old: Option<&Value>, _new: &mut Value, _request: &UpdateRequest<'_>) {}
