//! Turns at preparing writes: how many are decoded and validated (CEL rules included) at once.
//! A write holds its turn while it is prepared and gives it back while it waits for the
//! database, so that the next writes are prepared meanwhile and share its commit. The writes
//! waiting without a turn stay few: whoever commits takes every write queued, so those waiting
//! are at most the ones prepared while one commit was written.

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// One write's turn; dropping it gives the turn back.
pub struct Turn {
    turns: Arc<Semaphore>,
    held: Mutex<Option<OwnedSemaphorePermit>>,
}

/// Why no turn was had.
#[derive(Debug, PartialEq, Eq)]
pub enum NoTurn {
    /// The deadline passed first.
    TimedOut,
    /// The server is shutting down.
    Closed,
}

impl Turn {
    /// Waits for one of `turns` until `deadline`.
    pub async fn take(turns: &Arc<Semaphore>, deadline: Instant) -> Result<Self, NoTurn> {
        let permit = tokio::time::timeout_at(deadline.into(), turns.clone().acquire_owned())
            .await
            .map_err(|_| NoTurn::TimedOut)?
            .map_err(|_| NoTurn::Closed)?;
        Ok(Self {
            turns: turns.clone(),
            held: Mutex::new(Some(permit)),
        })
    }

    /// Gives the turn back: the write is prepared and only waits for the database now.
    pub fn give_back(&self) {
        drop(self.held().take());
    }

    /// Takes a turn again, for preparing the write once more (the object changed under it).
    /// Blocks the calling thread, one of the blocking pool's, until `deadline`.
    pub fn take_again(&self, deadline: Instant) -> Result<(), NoTurn> {
        if self.held().is_some() {
            return Ok(());
        }
        let handle = tokio::runtime::Handle::try_current().map_err(|_| NoTurn::Closed)?;
        let turn = handle.block_on(Self::take(&self.turns, deadline))?;
        let permit = turn.held().take();
        *self.held() = permit;
        Ok(())
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Option<OwnedSemaphorePermit>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_turn_given_back_lets_the_next_write_in_and_is_taken_again_when_free() {
        let turns = Arc::new(Semaphore::new(1));
        let soon = || Instant::now() + Duration::from_millis(50);
        let first = Turn::take(&turns, soon()).await.unwrap();
        assert_eq!(
            Turn::take(&turns, soon()).await.err(),
            Some(NoTurn::TimedOut)
        );
        first.give_back();
        let second = Turn::take(&turns, soon()).await.unwrap();
        let again = tokio::task::spawn_blocking(move || {
            let refused = first.take_again(soon());
            drop(second);
            (refused, first.take_again(soon()))
        });
        assert_eq!(again.await.unwrap(), (Err(NoTurn::TimedOut), Ok(())));
        assert_eq!(turns.available_permits(), 1);
        turns.close();
        assert_eq!(Turn::take(&turns, soon()).await.err(), Some(NoTurn::Closed));
    }
}
