//! Errors as kube-apiserver reports them: field errors worded the way `kubectl` users know, and
//! `Status` objects with the codes, reasons and details clients switch on.

mod api_error;
mod field;
mod status;

pub use api_error::{ApiError, ApiResult, Qualified};
pub use field::{FieldError, FieldErrorKind};
pub use status::{StatusCause, StatusDetails};
