//! Label and field selectors, parsed and matched as kube-apiserver does for `?labelSelector=`
//! and `?fieldSelector=` on list and watch requests.

mod field;
mod label;
mod label_parser;
pub mod names;

pub use field::FieldSelector;
pub use label::LabelSelector;

use crate::errors::ApiError;

/// A selector that does not parse; the message is apimachinery's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(String);

impl SelectorError {
    /// The 400 BadRequest kube-apiserver answers for it.
    pub fn to_api_error(&self) -> ApiError {
        ApiError::bad_request(self.0.clone())
    }
}

impl From<SelectorError> for ApiError {
    fn from(error: SelectorError) -> Self {
        error.to_api_error()
    }
}
