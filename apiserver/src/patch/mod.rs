//! Patches: JSON merge patch, JSON patch and strategic merge patch.
// Placeholder until the patch engines land; the interface is the one they implement.
#![allow(missing_docs)]

use serde_json::Value;

use crate::errors::ApiError;

#[derive(Debug)]
pub struct PatchError(pub String);
impl PatchError {
    pub fn into_api_error(self) -> ApiError {
        ApiError::bad_request(self.0)
    }
}
pub fn merge_into(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_into(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let mut out = target.clone();
    merge_into(&mut out, patch);
    out
}
pub fn json_patch(_target: &Value, _operations: &Value) -> Result<Value, PatchError> {
    Err(PatchError("json patch not yet available".into()))
}
pub fn strategic_merge_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    Ok(merge_patch(target, patch))
}
