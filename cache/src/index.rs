//! The lookups a kind's store keeps beside the by-name map: by uid, by extra keys (each finds one
//! object), per namespace in uid order (for pages), and by tags (each finds every object that
//! carries it). They hold the store's own `Arc`s, so an index costs its keys, never a copy.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use kube::{Resource, ResourceExt};

/// Extra keys an object is found by, beyond namespace/name and uid; each finds one object.
pub type ExtraKeys<K> = fn(&K) -> Vec<String>;

/// Tags of an object: keys that each find every object carrying them (a scenario, a label key).
pub type Tags<K> = fn(&K) -> Vec<String>;

/// Whether a change from the first to the second version of an object is one that no reader of
/// [`crate::Shared::changes`] needs to hear of (a heartbeat's time moving on).
pub type Quiet<K> = fn(&K, &K) -> bool;

/// How a kind is indexed beyond name, uid and namespace.
pub struct Indexing<K> {
    /// The extra keys of an object.
    pub extra_keys: ExtraKeys<K>,
    /// The tags of an object.
    pub tags: Tags<K>,
    /// Which changes leave the store's change count as it is.
    pub quiet: Quiet<K>,
}

impl<K> Clone for Indexing<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K> Copy for Indexing<K> {}

impl<K> Default for Indexing<K> {
    fn default() -> Self {
        Self {
            extra_keys: nothing,
            tags: nothing,
            quiet: never,
        }
    }
}

/// No keys.
fn nothing<K>(_: &K) -> Vec<String> {
    Vec::new()
}

/// Every change counts.
fn never<K>(_: &K, _: &K) -> bool {
    false
}

/// The lookups of one kind.
pub(crate) struct Index<K> {
    by_uid: HashMap<String, Arc<K>>,
    by_extra: HashMap<String, Arc<K>>,
    by_namespace: HashMap<String, BTreeMap<String, Arc<K>>>,
    by_tag: HashMap<String, BTreeMap<String, Arc<K>>>,
    /// How many of each namespace's and tag's objects are being deleted.
    deleting: Deleting,
}

impl<K> Default for Index<K> {
    fn default() -> Self {
        Self {
            by_uid: HashMap::new(),
            by_extra: HashMap::new(),
            by_namespace: HashMap::new(),
            by_tag: HashMap::new(),
            deleting: Deleting::default(),
        }
    }
}

fn uid_of<K: Resource>(object: &K) -> String {
    object.meta().uid.clone().unwrap_or_default()
}

/// Everything an object is filed under.
#[derive(PartialEq)]
struct Filing {
    uid: String,
    extra_keys: Vec<String>,
    tags: Vec<String>,
    namespace: String,
    /// Whether it is being deleted, which [`Deleting`] counts.
    deleting: bool,
}

impl Filing {
    fn of<K: Resource>(object: &K, indexing: Indexing<K>) -> Self {
        Self {
            uid: uid_of(object),
            extra_keys: (indexing.extra_keys)(object),
            tags: (indexing.tags)(object),
            namespace: object.namespace().unwrap_or_default(),
            deleting: object.meta().deletion_timestamp.is_some(),
        }
    }
}

/// The filings of a list's objects, each worked out as its object arrives: at the end of the
/// list the store waits for its index, and the objects arrive on a thread that has time to
/// spare while the next ones are decoded.
#[derive(Default)]
pub(crate) struct Filings(Vec<Filing>);

impl Filings {
    pub(crate) fn add<K: Resource>(&mut self, object: &K, indexing: Indexing<K>) {
        self.0.push(Filing::of(object, indexing));
    }
}

impl<K: Resource> Index<K> {
    /// An index of `objects`.
    #[cfg(test)]
    pub(crate) fn of(objects: &[Arc<K>], indexing: Indexing<K>) -> Self {
        let filed = (objects.iter()).map(|object| (Filing::of(object.as_ref(), indexing), object));
        Self::filed(filed.collect())
    }

    /// An index of `objects`, what a list left in the store, with the filings made as they
    /// arrived. Each object is filed by the last filing of its uid; one without (which a list
    /// does not leave) is filed now.
    pub(crate) fn of_listed(objects: &[Arc<K>], filings: Filings, indexing: Indexing<K>) -> Self {
        let mut unfiled: HashMap<&str, &Arc<K>> = (objects.iter())
            .map(|object| (object.meta().uid.as_deref().unwrap_or_default(), object))
            .collect();
        let mut filed = Vec::with_capacity(objects.len());
        for filing in filings.0.into_iter().rev() {
            if let Some(object) = unfiled.remove(filing.uid.as_str()) {
                filed.push((filing, object));
            }
        }
        let rest = unfiled.into_values();
        filed.extend(rest.map(|object| (Filing::of(object.as_ref(), indexing), object)));
        Self::filed(filed)
    }

    fn filed(filed: Vec<(Filing, &Arc<K>)>) -> Self {
        let mut by_uid = HashMap::with_capacity(filed.len());
        let extra_keys = filed.iter().map(|(filing, _)| filing.extra_keys.len());
        let mut by_extra = HashMap::with_capacity(extra_keys.sum());
        let mut by_namespace: HashMap<String, Vec<(String, Arc<K>)>> = HashMap::new();
        let mut by_tag: HashMap<String, Vec<(String, Arc<K>)>> = HashMap::new();
        let mut deleting = Deleting::default();
        for (filing, object) in filed {
            deleting.count(&filing, 1);
            for key in filing.extra_keys {
                by_extra.insert(key, object.clone());
            }
            for tag in filing.tags {
                let listed = (filing.uid.clone(), object.clone());
                by_tag.entry(tag).or_default().push(listed);
            }
            let listed = (filing.uid.clone(), object.clone());
            by_namespace
                .entry(filing.namespace)
                .or_default()
                .push(listed);
            by_uid.insert(filing.uid, object.clone());
        }
        // Each ordered map built from its whole list at once (one sort, then filled in order),
        // not one insert at a time: this is most of a cold start's indexing.
        let ordered = |lists: HashMap<String, Vec<(String, Arc<K>)>>| {
            (lists.into_iter())
                .map(|(key, list)| (key, sorted_by_uid(list).into_iter().collect()))
                .collect()
        };
        Self {
            by_uid,
            by_extra,
            by_namespace: ordered(by_namespace),
            by_tag: ordered(by_tag),
            deleting,
        }
    }

    /// Replaces `previous` (the version the store held before) by `current`.
    // NB: most changes (every status write) leave an object filed where it was: then the new
    // version takes the old one's place under the same keys, which spares each ordered lookup
    // a removal and an insertion with their rebalancing, and a copy of the uid.
    pub(crate) fn replace(
        &mut self,
        previous: Option<&Arc<K>>,
        current: &Arc<K>,
        indexing: Indexing<K>,
    ) {
        let filing = Filing::of(current.as_ref(), indexing);
        if let Some(previous) = previous {
            let before = Filing::of(previous.as_ref(), indexing);
            if before != filing {
                self.remove_filed(before);
            }
        }
        self.insert_filed(filing, current);
    }

    /// Files `object` under `filing`, in place of what each lookup holds there.
    fn insert_filed(&mut self, filing: Filing, object: &Arc<K>) {
        if !self.by_uid.contains_key(&filing.uid) {
            self.deleting.count(&filing, 1);
        }
        for key in filing.extra_keys {
            self.by_extra.insert(key, object.clone());
        }
        for tag in filing.tags {
            let listed = self.by_tag.entry(tag).or_default();
            put(listed, &filing.uid, object);
        }
        let listed = self.by_namespace.entry(filing.namespace).or_default();
        put(listed, &filing.uid, object);
        self.by_uid.insert(filing.uid, object.clone());
    }

    /// Forgets `object`, the version the store held.
    pub(crate) fn remove(&mut self, object: &K, indexing: Indexing<K>) {
        self.remove_filed(Filing::of(object, indexing));
    }

    fn remove_filed(&mut self, filing: Filing) {
        if self.by_uid.remove(&filing.uid).is_some() {
            self.deleting.count(&filing, -1);
        }
        for key in filing.extra_keys {
            // Only if the key still finds this object: another may have taken it since.
            if self
                .by_extra
                .get(&key)
                .is_some_and(|o| uid_of(o.as_ref()) == filing.uid)
            {
                self.by_extra.remove(&key);
            }
        }
        for tag in filing.tags {
            forget_in(&mut self.by_tag, &tag, &filing.uid);
        }
        forget_in(&mut self.by_namespace, &filing.namespace, &filing.uid);
    }

    pub(crate) fn by_uid(&self, uid: &str) -> Option<Arc<K>> {
        self.by_uid.get(uid).cloned()
    }

    pub(crate) fn by_extra(&self, key: &str) -> Option<Arc<K>> {
        self.by_extra.get(key).cloned()
    }

    pub(crate) fn in_namespace(&self, namespace: &str) -> Vec<Arc<K>> {
        values(self.by_namespace.get(namespace))
    }

    pub(crate) fn tagged(&self, tag: &str) -> Vec<Arc<K>> {
        values(self.by_tag.get(tag))
    }

    pub(crate) fn tagged_any(&self, tags: &[String]) -> Vec<Arc<K>> {
        if let [tag] = tags {
            return self.tagged(tag);
        }
        let mut union: BTreeMap<&str, &Arc<K>> = BTreeMap::new();
        for objects in tags.iter().filter_map(|tag| self.by_tag.get(tag)) {
            union.extend(objects.iter().map(|(uid, object)| (uid.as_str(), object)));
        }
        union.into_values().cloned().collect()
    }

    pub(crate) fn has_tag(&self, tag: &str) -> bool {
        self.by_tag.contains_key(tag)
    }
}

/// `list` in uid order. The uids lie scattered over the heap (each made as its object arrived),
/// and comparing them where they lie was most of the indexing at the end of a large list: each
/// entry is sorted by a copy of its uid's first bytes beside it, the uids themselves compared
/// only where those are alike.
fn sorted_by_uid<K>(list: Vec<(String, Arc<K>)>) -> Vec<(String, Arc<K>)> {
    /// Bytes of a uid copied beside its entry: all of a UUID's 36 but the last four.
    const PREFIX: usize = 32;
    let prefix = |uid: &str| {
        let mut bytes = [0_u8; PREFIX];
        let taken = uid.len().min(PREFIX);
        bytes[..taken].copy_from_slice(&uid.as_bytes()[..taken]);
        bytes
    };
    let mut order: Vec<([u8; PREFIX], usize)> = (list.iter().enumerate())
        .map(|(at, (uid, _))| (prefix(uid), at))
        .collect();
    // Bytes compare as strings do; alike prefixes (a zero pad is alike a zero byte) go on to
    // the whole uids.
    order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| list[a.1].0.cmp(&list[b.1].0)));
    let mut entries: Vec<Option<(String, Arc<K>)>> = list.into_iter().map(Some).collect();
    (order.into_iter())
        .filter_map(|(_, at)| entries[at].take())
        .collect()
}

fn values<K>(objects: Option<&BTreeMap<String, Arc<K>>>) -> Vec<Arc<K>> {
    objects
        .map(|objects| objects.values().cloned().collect())
        .unwrap_or_default()
}

/// Files `object` under `uid` in `objects`, in place of the version there if any.
fn put<K>(objects: &mut BTreeMap<String, Arc<K>>, uid: &str, object: &Arc<K>) {
    match objects.get_mut(uid) {
        Some(place) => *place = object.clone(),
        None => {
            objects.insert(uid.to_owned(), object.clone());
        }
    }
}

fn forget_in<K>(groups: &mut HashMap<String, BTreeMap<String, Arc<K>>>, group: &str, uid: &str) {
    if let Some(objects) = groups.get_mut(group) {
        objects.remove(uid);
        if objects.is_empty() {
            groups.remove(group);
        }
    }
}

#[cfg(test)]
mod tests;
mod window;

use window::Deleting;
pub use window::Window;
