//! What the server reads of an object's metadata without parsing the object: its uid, labels,
//! owners and whether it is being deleted or held by finalizers.

use std::{collections::BTreeMap, fmt};

use serde::{
    Deserialize,
    de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor},
};
use serde_json::Value;

/// The parts of an object's metadata the server looks at without parsing the whole object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetaSummary {
    /// `metadata.uid`.
    pub uid: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// uids of `metadata.ownerReferences`.
    pub owners: Vec<String>,
    /// Whether `metadata.finalizers` is non-empty.
    pub has_finalizers: bool,
    /// Whether `metadata.deletionTimestamp` is set.
    pub deleting: bool,
}

impl MetaSummary {
    /// Reads the summary from an object, as [`of_json`](Self::of_json) reads it from the JSON.
    pub fn of(object: &Value) -> Self {
        SummaryFields::deserialize(&object["metadata"])
            .unwrap_or_default()
            .into()
    }

    /// Reads the summary from an object's JSON without building the object: only `metadata` is
    /// decoded, and reading stops there (loading the store at startup does this for every
    /// object, and skipping the spec and status after the metadata was most of its time).
    pub fn of_json(json: &[u8]) -> Self {
        let mut found = None;
        // Stopping after `metadata` leaves the object's closing brace unread, which the decoder
        // reports as an error: only what was found counts. The JSON was checked when stored.
        let _ =
            MetadataOnly(&mut found).deserialize(&mut serde_json::Deserializer::from_slice(json));
        found.unwrap_or_default().into()
    }
}

impl From<SummaryFields> for MetaSummary {
    fn from(metadata: SummaryFields) -> Self {
        Self {
            uid: metadata.uid.unwrap_or_default(),
            labels: (metadata.labels.unwrap_or_default().into_iter())
                .filter_map(|(k, v)| match v {
                    Value::String(v) => Some((k, v)),
                    _ => None,
                })
                .collect(),
            owners: (metadata.owner_references.unwrap_or_default().into_iter())
                .filter_map(|r| r.uid)
                .collect(),
            has_finalizers: metadata.finalizers.is_some_and(|f| !f.is_empty()),
            deleting: metadata.deletion_timestamp.is_some(),
        }
    }
}

/// Reads a member's name: whether it is `metadata`, without keeping the name.
struct IsMetadata;

impl<'de> DeserializeSeed<'de> for IsMetadata {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for IsMetadata {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E>(self, name: &str) -> Result<bool, E> {
        Ok(name == "metadata")
    }
}

/// Decodes an object's members up to its `metadata` into the place given, and stops there.
struct MetadataOnly<'a>(&'a mut Option<SummaryFields>);

impl<'de> DeserializeSeed<'de> for MetadataOnly<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MetadataOnly<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<(), A::Error> {
        while let Some(is_metadata) = members.next_key_seed(IsMetadata)? {
            if is_metadata {
                *self.0 = Some(members.next_value()?);
                return Ok(());
            }
            members.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// The members of `metadata` a summary is made of, decoded alike from JSON and from an object.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SummaryFields {
    uid: Option<String>,
    // Each may be null as well as absent.
    labels: Option<BTreeMap<String, Value>>,
    owner_references: Option<Vec<OwnerUid>>,
    finalizers: Option<Vec<serde::de::IgnoredAny>>,
    deletion_timestamp: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct OwnerUid {
    uid: Option<String>,
}
