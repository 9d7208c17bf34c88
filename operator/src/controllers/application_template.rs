//! The ApplicationTemplate controller (being built).

use std::sync::Arc;

use super::ControllerTask;
use super::{Context, stores::Watches};
use crate::shutdown::Shutdown;

/// The ApplicationTemplate controller's task.
pub fn controller(_watches: &Watches, _ctx: Arc<Context>, _shutdown: Shutdown) -> ControllerTask {
    Box::pin(std::future::ready(()))
}
