//! Windows for pages: the objects of a namespace or a tag that follow a uid, as many as a page
//! asks for, with how many the whole group holds, both leaving out the objects being deleted. A
//! page costs its own objects however large its group is (collecting the group to cut a page
//! from it took a reference to each of its objects, a tenant's 10,000 applications per page).

use std::{
    collections::{BTreeMap, HashMap},
    ops::Bound,
    sync::Arc,
};

use kube::Resource;

use super::{Filing, Index};

/// Some objects of a group in uid order, and how many objects the group holds, those being
/// deleted left out of both.
#[derive(Debug)]
pub struct Window<K> {
    /// How many objects the group holds.
    pub total: usize,
    /// The objects of the window.
    pub objects: Vec<Arc<K>>,
}

/// How many objects of each namespace and each tag are being deleted.
#[derive(Default)]
pub(super) struct Deleting {
    by_namespace: HashMap<String, usize>,
    by_tag: HashMap<String, usize>,
}

impl Deleting {
    /// Counts an object filed under `filing` in (`1`) or out (`-1`), if it is being deleted.
    pub(super) fn count(&mut self, filing: &Filing, change: isize) {
        if !filing.deleting {
            return;
        }
        add(&mut self.by_namespace, &filing.namespace, change);
        for tag in &filing.tags {
            add(&mut self.by_tag, tag, change);
        }
    }
}

fn add(counts: &mut HashMap<String, usize>, group: &str, change: isize) {
    let count = counts.get(group).copied().unwrap_or_default();
    match count.saturating_add_signed(change) {
        0 => {
            counts.remove(group);
        }
        count => {
            counts.insert(group.to_owned(), count);
        }
    }
}

impl<K: Resource> Index<K> {
    /// The objects of `namespace` not being deleted: at most `take` of them after the uid
    /// `after` (from the first without one), in uid order, and how many there are in all.
    pub(crate) fn window_in_namespace(
        &self,
        namespace: &str,
        after: Option<&str>,
        take: usize,
    ) -> Window<K> {
        let deleting = self.deleting.by_namespace.get(namespace);
        window(self.by_namespace.get(namespace), deleting, after, take)
    }

    /// [`Index::window_in_namespace`] of the objects carrying `tag`.
    pub(crate) fn window_tagged(&self, tag: &str, after: Option<&str>, take: usize) -> Window<K> {
        let deleting = self.deleting.by_tag.get(tag);
        window(self.by_tag.get(tag), deleting, after, take)
    }
}

fn window<K: Resource>(
    group: Option<&BTreeMap<String, Arc<K>>>,
    deleting: Option<&usize>,
    after: Option<&str>,
    take: usize,
) -> Window<K> {
    let Some(group) = group else {
        return Window {
            total: 0,
            objects: Vec::new(),
        };
    };
    let start = after.map_or(Bound::Unbounded, Bound::Excluded);
    let objects = (group.range::<str, _>((start, Bound::Unbounded)))
        .map(|(_, object)| object)
        .filter(|object| object.meta().deletion_timestamp.is_none())
        .take(take)
        .cloned()
        .collect();
    Window {
        total: group
            .len()
            .saturating_sub(deleting.copied().unwrap_or_default()),
        objects,
    }
}
