//! Group commit's queue: callers writing at the same time queue their writes, and one of them at a
//! time, the leader, commits everything queued in one transaction (`commit_group`, beside) while
//! the others wait for their answers, as blocked threads or as tasks awaiting them.

use std::sync::{Arc, MutexGuard, mpsc};

use super::{CommitError, Event, Store, Write};

impl Store {
    /// Applies writes atomically: all or none. Each write gets the next resourceVersion.
    ///
    /// Writes arriving together are committed together (group commit): each caller queues its
    /// writes, and one caller at a time, the leader, commits every queued caller's writes in one
    /// SQLite transaction, then answers each. A caller's writes are checked as if committed one
    /// caller after another, and each caller is answered only once the transaction holding its
    /// writes is durable. Reads are not held up while the database writes: memory changes after
    /// the transaction, under the state lock, all at once.
    pub(crate) fn commit(&self, writes: Vec<Write>) -> Result<Vec<Arc<Event>>, CommitError> {
        let (answer, answered) = mpsc::channel();
        // A caller that does not lead sleeps until its own answer comes, or until the leader
        // before it hands it the lead: waiting on a shared lock instead would wake every waiter
        // in turn after each commit only to find its answer there.
        if !self.enqueue(writes, Answer::Blocking(answer)) {
            match answered.recv() {
                Ok(Message::Answer(answer)) => return answer,
                Ok(Message::Lead) => {}
                // Only a leader that panicked while committing drops a queued caller unanswered.
                Err(_) => panic!("the commit holding these writes failed without an answer"),
            }
        }
        self.lead(false);
        match answered.try_recv() {
            Ok(Message::Answer(answer)) => answer,
            _ => unreachable!("the leader's own writes were in the group it committed"),
        }
    }

    /// [`commit`](Self::commit) for a task: it awaits its answer instead of blocking its thread.
    /// When it leads, a thread of the blocking pool commits for it, and goes on committing
    /// whatever is queued until nothing is: in a burst of writes that thread is the one
    /// committer, and the threads serving requests only queue writes and pick up answers.
    pub(crate) async fn commit_async(
        self: &Arc<Self>,
        writes: Vec<Write>,
    ) -> Result<Vec<Arc<Event>>, CommitError> {
        let (answer, mut answered) = tokio::sync::mpsc::unbounded_channel();
        if self.enqueue(writes, Answer::Awaited(answer)) {
            self.lead_on_the_pool();
        }
        loop {
            match answered.recv().await {
                Some(Message::Answer(answer)) => return answer,
                Some(Message::Lead) => self.lead_on_the_pool(),
                // The commit holding these writes panicked before answering.
                None => return Err(CommitError::Unanswered),
            }
        }
    }

    /// Leads on a thread of the blocking pool until nothing is queued. Not awaited: the caller's
    /// answer comes once its own group is committed, and a caller that goes away meanwhile (its
    /// client disconnected) leaves the lead running.
    fn lead_on_the_pool(self: &Arc<Self>) {
        let store = self.clone();
        drop(tokio::task::spawn_blocking(move || store.lead(true)));
    }

    /// Queues a caller's writes; true when the caller is to lead (no one else does).
    fn enqueue(&self, writes: Vec<Write>, answer: Answer) -> bool {
        let mut queue = self.queue();
        queue.waiting.push(Queued { writes, answer });
        !std::mem::replace(&mut queue.led, true)
    }

    /// Commits the queued writes as the leader. Then, `until_empty`, commits whatever was queued
    /// meanwhile until nothing is; else hands the lead to the first caller still waiting for an
    /// answer, so that a caller leading for itself is not held up by writes queued after its
    /// own. Writes whose callers went away (an awaiting task dropped) are committed too, since
    /// nobody else would take them.
    fn lead(&self, until_empty: bool) {
        let mut lead = Lead {
            store: self,
            held: true,
        };
        loop {
            {
                let mut database = self.database();
                let group = std::mem::take(&mut self.queue().waiting);
                self.commit_group(&mut database, group);
            }
            let mut queue = self.queue();
            let handed = match until_empty {
                true if !queue.waiting.is_empty() => false,
                _ => queue.hand_over(),
            };
            if handed {
                lead.held = false;
                return;
            }
        }
    }

    /// Runs `hold` while holding the database, so that every commit meanwhile waits for it.
    #[cfg(test)]
    pub(crate) fn with_database_held(&self, hold: impl FnOnce()) {
        let _database = self.database();
        hold();
    }

    /// How many callers' writes wait for the database.
    #[cfg(test)]
    pub(crate) fn writes_waiting(&self) -> usize {
        self.queue().waiting.len()
    }

    /// Whether a caller leads the commits now.
    #[cfg(test)]
    pub(crate) fn led(&self) -> bool {
        self.queue().led
    }

    pub(super) fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The writes waiting for the database, and whether a caller leads (commits them).
#[derive(Default)]
pub(super) struct Queue {
    pub(super) waiting: Vec<Queued>,
    led: bool,
}

impl Queue {
    /// After a commit: leaves the store without a leader when nothing waits, or tells the first
    /// waiting caller still listening that it leads. False when every waiting caller went away,
    /// so that the leader commits their writes as well.
    fn hand_over(&mut self) -> bool {
        if self.waiting.is_empty() {
            self.led = false;
            return true;
        }
        self.waiting
            .iter()
            .any(|next| next.answer.send(Message::Lead))
    }
}

/// A caller's writes waiting for the database, and where its answer goes.
pub(super) struct Queued {
    pub(super) writes: Vec<Write>,
    pub(super) answer: Answer,
}

/// What a waiting caller is told: its outcome, or that it leads the next commit.
pub(super) enum Message {
    Answer(Result<Vec<Arc<Event>>, CommitError>),
    Lead,
}

/// Where a waiting caller listens: a blocked thread, or a task awaiting its answer.
pub(super) enum Answer {
    Blocking(mpsc::Sender<Message>),
    Awaited(tokio::sync::mpsc::UnboundedSender<Message>),
}

impl Answer {
    /// Sends `message`; false when the caller no longer listens.
    pub(super) fn send(&self, message: Message) -> bool {
        match self {
            Self::Blocking(sender) => sender.send(message).is_ok(),
            Self::Awaited(sender) => sender.send(message).is_ok(),
        }
    }
}

/// The lead of the store's commits, held by one caller. Dropped while still held (a commit
/// panicked), it is handed over as after a commit, or the store is left without a leader so
/// that the next caller to queue leads.
struct Lead<'a> {
    store: &'a Store,
    held: bool,
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if self.held {
            let mut queue = self.store.queue();
            if !queue.hand_over() {
                queue.led = false;
            }
        }
    }
}
