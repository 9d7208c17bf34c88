//! Patches: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch, with
//! the errors kube-apiserver answers when a patch cannot be applied.
//!
//! All three work on `serde_json::Value` documents and never touch storage: the caller reads the
//! live object, applies the patch here, then validates and stores the result.

mod json_patch;
mod merge;
mod pointer;
mod strategic;

pub use json_patch::json_patch;
pub use merge::merge_patch;
pub use strategic::strategic_merge_patch;

use crate::errors::{ApiError, StatusCause, StatusDetails};

/// Why a patch could not be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The patch document itself cannot be understood: the wrong JSON shape, an unknown
    /// directive, a directive with a value of the wrong type. kube-apiserver answers 400.
    #[error("{0}")]
    Malformed(String),
    /// One JSON patch operation did not apply: a failed `test`, a path that does not exist, an
    /// array index out of range. kube-apiserver answers 422.
    #[error("json patch operation {index} ({op}): {message}")]
    Operation {
        /// Position of the operation in the patch, from 0.
        index: usize,
        /// The `op` of the operation, as sent.
        op: String,
        /// What went wrong, worded as evanphx/json-patch (the library kube-apiserver uses)
        /// words it, including the JSON pointer.
        message: String,
    },
    /// A well-formed strategic merge patch contradicts itself, for example content outside its
    /// own `$retainKeys` list. kube-apiserver answers 422.
    #[error("{0}")]
    Unprocessable(String),
}

/// The message kube-apiserver puts in a 422 for a patch that does not apply.
const REJECTED: &str = "the server rejected our request due to an error in our request";

impl PatchError {
    /// The `Status` kube-apiserver answers with for this error.
    ///
    /// Malformed patches are 400 BadRequest. Patches that do not apply are 422 Invalid built the
    /// way kube-apiserver builds them (`NewGenericServerResponse`): the detail travels as an
    /// `UnexpectedServerResponse` cause, which kubectl prints. The top-level message also carries
    /// the detail (operation index and path), so clients that only show `message` (kube-rs,
    /// the Python client) still say what failed.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            Self::Malformed(message) => ApiError::bad_request(message.clone()),
            Self::Operation { .. } | Self::Unprocessable(_) => {
                let detail = self.to_string();
                ApiError {
                    code: 422,
                    reason: "Invalid",
                    message: format!("{REJECTED}: {detail}"),
                    details: Some(Box::new(StatusDetails {
                        causes: vec![StatusCause {
                            reason: "UnexpectedServerResponse".to_owned(),
                            message: detail,
                            field: String::new(),
                        }],
                        ..StatusDetails::default()
                    })),
                }
            }
        }
    }
}

impl From<PatchError> for ApiError {
    fn from(error: PatchError) -> Self {
        error.to_api_error()
    }
}

/// How `encoding/json` names a JSON value in an unmarshal error.
fn go_json_kind(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether two JSON values are equal the way Go compares decoded JSON: every number is a
/// float64 there, so `1` equals `1.0`.
fn json_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|other| json_equal(v, other)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn malformed_patches_are_bad_requests() {
        let error = PatchError::Malformed("invalid patch format of primitive list".into());
        let api = error.to_api_error();
        assert_eq!(api.code, 400);
        assert_eq!(api.reason, "BadRequest");
        assert_eq!(api.message, "invalid patch format of primitive list");
    }

    #[test]
    fn failed_operations_are_invalid_with_the_detail_as_a_cause() {
        let error = PatchError::Operation {
            index: 1,
            op: "test".into(),
            message: "testing value /spec/size failed: test failed".into(),
        };
        let status = error.to_api_error().status();
        assert_eq!(status["code"], 422);
        assert_eq!(status["reason"], "Invalid");
        assert_eq!(
            status["message"],
            "the server rejected our request due to an error in our request: \
             json patch operation 1 (test): testing value /spec/size failed: test failed"
        );
        assert_eq!(
            status["details"]["causes"][0],
            json!({
                "reason": "UnexpectedServerResponse",
                "message": "json patch operation 1 (test): testing value /spec/size failed: test failed"
            })
        );
    }

    #[test]
    fn numbers_compare_like_go_floats() {
        assert!(json_equal(&json!({"a": [1]}), &json!({"a": [1.0]})));
        assert!(!json_equal(&json!({"a": 1}), &json!({"a": 2})));
        assert!(!json_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }
}
