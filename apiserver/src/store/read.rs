//! Reading: one object, pages of a resource's objects in key order, counts, and the indexes the
//! collector and namespace deletion look things up in.

use super::{ObjectKey, Store, StoredObject};

impl Store {
    /// One object.
    pub(crate) fn get(&self, key: &ObjectKey) -> Option<StoredObject> {
        let state = self.lock();
        state
            .objects
            .get(&key.resource)?
            .get(&(key.namespace.clone(), key.name.clone()))
            .cloned()
    }

    /// Every object of a resource in key order, or of one namespace: [`list`](Self::list) with
    /// no page and no filter.
    pub(crate) fn list_all(&self, resource: &str, namespace: Option<&str>) -> ListPage {
        self.list(resource, namespace, None, None, true, |_, _| true)
    }

    /// Objects of a resource in key order (namespace, then name), optionally within one
    /// namespace and after a key, keeping those `keep` accepts, at most `limit` of them.
    /// Returns them with the store's resourceVersion and how many more would match: all of
    /// them counted with `count_rest`, else only whether there is one more (`1`), so a page
    /// costs its own objects rather than the rest of the collection.
    pub(crate) fn list(
        &self,
        resource: &str,
        namespace: Option<&str>,
        after: Option<(&str, &str)>,
        limit: Option<usize>,
        count_rest: bool,
        mut keep: impl FnMut(&(String, String), &StoredObject) -> bool,
    ) -> ListPage {
        let state = self.lock();
        let mut page = ListPage {
            items: Vec::new(),
            rv: state.rv,
            remaining: 0,
        };
        let Some(objects) = state.objects.get(resource) else {
            return page;
        };
        let range = objects.range::<(String, String), _>(range_start(namespace, after));
        for (key, object) in range {
            if namespace.is_some_and(|ns| key.0 != ns) {
                break;
            }
            if after.is_some_and(|(ns, name)| key.0 == ns && key.1 == name) {
                continue;
            }
            if !keep(key, object) {
                continue;
            }
            if limit.is_some_and(|limit| page.items.len() >= limit) {
                page.remaining += 1;
                if !count_rest {
                    break;
                }
            } else {
                page.items.push((key.clone(), object.clone()));
            }
        }
        page
    }

    /// Number of objects of a resource, in one namespace or in all.
    pub(crate) fn count(&self, resource: &str, namespace: Option<&str>) -> usize {
        let state = self.lock();
        let Some(objects) = state.objects.get(resource) else {
            return 0;
        };
        match namespace {
            None => objects.len(),
            Some(ns) => objects
                .range::<(String, String), _>(range_start(Some(ns), None))
                .take_while(|(k, _)| k.0 == ns)
                .count(),
        }
    }

    /// Keys of the objects that name `owner_uid` in their ownerReferences.
    pub(crate) fn dependents_of(&self, owner_uid: &str) -> Vec<ObjectKey> {
        let state = self.lock();
        state
            .dependents
            .get(owner_uid)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Resources (storage keys) that hold at least one object in `namespace`.
    pub(crate) fn resources_in_namespace(&self, namespace: &str) -> Vec<String> {
        let state = self.lock();
        state
            .objects
            .iter()
            .filter(|(_, objects)| {
                objects
                    .range::<(String, String), _>(range_start(Some(namespace), None))
                    .next()
                    .is_some_and(|(k, _)| k.0 == namespace)
            })
            .map(|(resource, _)| resource.clone())
            .collect()
    }
}

/// One page of a list.
#[derive(Debug)]
pub struct ListPage {
    /// The objects, in key order.
    pub items: Vec<((String, String), StoredObject)>,
    /// The store's resourceVersion when the page was read.
    pub rv: u64,
    /// How many more objects matched after the page (with `count_rest`; else `1` if any did).
    pub remaining: usize,
}

pub(super) fn range_start(
    namespace: Option<&str>,
    after: Option<(&str, &str)>,
) -> std::ops::RangeFrom<(String, String)> {
    match (after, namespace) {
        (Some((ns, name)), _) => (ns.to_owned(), name.to_owned())..,
        (None, Some(ns)) => (ns.to_owned(), String::new())..,
        (None, None) => (String::new(), String::new())..,
    }
}
