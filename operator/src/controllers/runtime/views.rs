//! What runtimes see of their applications, computed once per namespace and scenario set for
//! each pass over the runtimes: every runtime of the same scenarios sees the same applications,
//! and a pass after a burst reconciles thousands of them.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use compass_crds::Names;
use tokio::time::Instant;

/// The longest a view is reused within one pass. Beyond it a reconcile computes the view again,
/// so that a change no trigger reports (which starts no pass) shows at the next reconcile of a
/// runtime, as it would without views kept.
pub const KEPT_FOR: Duration = Duration::from_secs(1);

/// Views of the current pass, by namespace and sorted scenario set.
#[derive(Default)]
pub struct Views {
    pass: AtomicU64,
    kept: Mutex<HashMap<(String, Vec<String>), View>>,
}

/// How many applications the runtimes of one scenario set see, and the first names.
struct View {
    pass: u64,
    computed: Instant,
    count: usize,
    names: Names,
}

impl Views {
    /// Starts a pass: a batch of changes is about to reconcile the runtimes it affects, so no
    /// view computed before it is used again. Called before any of the pass's reconciles runs.
    pub fn new_pass(&self) {
        self.pass.fetch_add(1, Ordering::SeqCst);
        self.kept().clear();
    }

    /// The view of the runtimes of `namespace` in `scenarios` (their effective list): kept from
    /// this pass if computed less than [`KEPT_FOR`] ago, else from `compute`.
    // NB: the pass is read before computing, so a view computed from a store read before the
    // pass began is filed under the pass before and never used in this one (the next pass's
    // start clears it).
    pub fn seen(
        &self,
        namespace: &str,
        scenarios: &[String],
        compute: impl FnOnce() -> (usize, Names),
    ) -> (usize, Names) {
        let pass = self.pass.load(Ordering::SeqCst);
        let mut sorted = scenarios.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let key = (namespace.to_owned(), sorted);
        if let Some(view) = self.kept().get(&key)
            && view.pass == pass
            && view.computed.elapsed() < KEPT_FOR
        {
            return (view.count, view.names.clone());
        }
        let computed = Instant::now();
        let (count, names) = compute();
        let view = View {
            pass,
            computed,
            count,
            names: names.clone(),
        };
        self.kept().insert(key, view);
        (count, names)
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<(String, Vec<String>), View>> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn names(list: &[&str]) -> Names {
        list.iter().copied().collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_view_is_reused_within_a_pass_and_computed_again_after() {
        let views = Views::default();
        let computed = Cell::new(0);
        let compute = |list: &'static [&'static str]| {
            let computed = &computed;
            move || {
                computed.set(computed.get() + 1);
                (list.len(), names(list))
            }
        };
        let marketing = ["marketing".to_owned()];
        let both = ["b".to_owned(), "a".to_owned(), "a".to_owned()];
        assert_eq!(views.seen("acme", &marketing, compute(&["crm"])).0, 1);
        let again = views.seen("acme", &marketing, compute(&["other"]));
        assert_eq!((again.0, computed.get()), (1, 1), "reused in the same pass");
        views.seen("globex", &marketing, compute(&["x", "y"]));
        assert_eq!(computed.get(), 2, "another namespace is another view");
        views.seen("acme", &both, compute(&["x"]));
        let same_set = ["a".to_owned(), "b".to_owned()];
        views.seen("acme", &same_set, compute(&["y"]));
        assert_eq!(computed.get(), 3, "the same scenarios in another order");
        views.new_pass();
        let next = views.seen("acme", &marketing, compute(&["crm", "shop"]));
        assert_eq!(
            (next.0, computed.get()),
            (2, 4),
            "a new pass computes again"
        );
        tokio::time::advance(KEPT_FOR).await;
        views.seen("acme", &marketing, compute(&["crm"]));
        assert_eq!(
            computed.get(),
            5,
            "no view is used for longer than KEPT_FOR"
        );
    }

    #[test]
    fn a_view_computed_across_the_start_of_a_pass_is_not_used_in_it() {
        let views = Views::default();
        let scenarios = ["DEFAULT".to_owned()];
        views.seen("acme", &scenarios, || {
            views.new_pass();
            (1, names(&["before"]))
        });
        let (count, _) = views.seen("acme", &scenarios, || (2, names(&["before", "after"])));
        assert_eq!(count, 2);
    }
}
