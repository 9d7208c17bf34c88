//! One shutdown signal for every task: the first Ctrl-C or SIGTERM flips it, and every listener,
//! watch and controller stops on it.

use tokio::sync::watch;

/// A cloneable handle that completes when shutdown begins.
#[derive(Clone, Debug)]
pub struct Shutdown {
    receiver: watch::Receiver<bool>,
}

/// Starts shutdown for every [`Shutdown`] handle made from it.
#[derive(Debug)]
pub struct Trigger {
    sender: watch::Sender<bool>,
}

/// A new trigger and its first handle.
pub fn channel() -> (Trigger, Shutdown) {
    let (sender, receiver) = watch::channel(false);
    (Trigger { sender }, Shutdown { receiver })
}

impl Trigger {
    /// Begins shutdown.
    pub fn fire(&self) {
        let _ = self.sender.send(true);
    }
}

impl Shutdown {
    /// Completes once shutdown has begun.
    pub async fn wait(mut self) {
        // An error means the trigger is gone, which is a shutdown too.
        let _ = self.receiver.wait_for(|started| *started).await;
    }

    /// Whether shutdown has begun.
    pub fn started(&self) -> bool {
        *self.receiver.borrow()
    }
}

/// Completes on the first Ctrl-C or SIGTERM.
pub async fn signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler succeeds");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
