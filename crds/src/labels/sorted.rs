//! Labels kept as a list sorted by key: read and written as a JSON object, looked up by binary
//! search, and a few dozen bytes for the one or two labels an object usually carries, where a
//! sorted map allocates a node of eleven entries for the first.

use std::{collections::BTreeMap, fmt};

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{MapAccess, Visitor},
};
use serde_json::Value;

/// Labels of an application or runtime: each key maps to any JSON value, one value per key,
/// in key order.
#[derive(Clone, Default, PartialEq)]
pub struct Labels(Vec<(String, Value)>);

impl Labels {
    /// No labels.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many labels there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no label.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(held, _)| held.as_str().cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).ok().map(|at| &self.0[at].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Sets `key` to `value`; the value it replaces, if any.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.position(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                self.0.insert(at, (key, value));
                None
            }
        }
    }

    /// Removes `key`; its value, if it had one.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.position(key).ok().map(|at| self.0.remove(at).1)
    }

    /// The keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &String> + '_ {
        self.0.iter().map(|(key, _)| key)
    }

    /// The labels in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&String, &Value)> + '_ {
        self.0.iter().map(|(key, value)| (key, value))
    }

    /// Sorts `labels` by key, keeping the last value given for a key, as a map filled in that
    /// order would.
    fn sorted(mut labels: Vec<(String, Value)>) -> Self {
        // After the reversal the last value of a key comes first among its equals (the sort is
        // stable), and `dedup_by` keeps the first of each run.
        labels.reverse();
        labels.sort_by(|(a, _), (b, _)| a.cmp(b));
        labels.dedup_by(|later, kept| later.0 == kept.0);
        labels.shrink_to_fit();
        Self(labels)
    }
}

impl FromIterator<(String, Value)> for Labels {
    /// The labels given; of several values for one key, the last.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(labels: I) -> Self {
        Self::sorted(labels.into_iter().collect())
    }
}

impl<const N: usize> From<[(String, Value); N]> for Labels {
    fn from(labels: [(String, Value); N]) -> Self {
        labels.into_iter().collect()
    }
}

impl From<BTreeMap<String, Value>> for Labels {
    fn from(labels: BTreeMap<String, Value>) -> Self {
        // Already in key order, one value per key.
        Self(labels.into_iter().collect())
    }
}

impl From<Labels> for BTreeMap<String, Value> {
    fn from(labels: Labels) -> Self {
        labels.0.into_iter().collect()
    }
}

impl Extend<(String, Value)> for Labels {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, labels: I) {
        for (key, value) in labels {
            self.insert(key, value);
        }
    }
}

impl IntoIterator for Labels {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(LabelsVisitor)
    }
}

struct LabelsVisitor;

impl<'de> Visitor<'de> for LabelsVisitor {
    type Value = Labels;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
        let mut labels = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(label) = map.next_entry()? {
            labels.push(label);
        }
        Ok(Labels::sorted(labels))
    }
}

#[cfg(test)]
mod tests;
