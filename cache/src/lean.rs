//! Decoding listed and watched objects without their `metadata.managedFields` and without the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation. Nothing the stores serve reads
//! either, and nothing writes a stored object back whole. Decoding managedFields into generic
//! JSON only to drop them again was the largest single cost of filling the stores (a fifth of a
//! cold start's CPU), and the annotation is a second copy of every object created with `kubectl
//! apply`: both are skipped while the object is decoded, so they are never built at all.

use std::{borrow::Cow, fmt};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use serde::{
    Deserialize, Deserializer,
    de::{
        DeserializeSeed, Error, IgnoredAny, MapAccess, SeqAccess, Visitor,
        value::{BorrowedStrDeserializer, StringDeserializer},
    },
    forward_to_deserialize_any,
};

/// The metadata field whose value is skipped.
const MANAGED_FIELDS: &str = "managedFields";

/// The annotation that is skipped: what `kubectl apply` last applied, the whole object again.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// An object as the stores' watches decode it: `K`, with `metadata.managedFields` and the
/// last-applied annotation left out.
#[derive(Clone, Debug)]
pub(crate) struct Lean<K>(pub(crate) K);

impl<K: Resource> Resource for Lean<K> {
    type DynamicType = K::DynamicType;
    type Scope = K::Scope;

    fn kind(dynamic: &Self::DynamicType) -> Cow<'_, str> {
        K::kind(dynamic)
    }

    fn group(dynamic: &Self::DynamicType) -> Cow<'_, str> {
        K::group(dynamic)
    }

    fn version(dynamic: &Self::DynamicType) -> Cow<'_, str> {
        K::version(dynamic)
    }

    fn api_version(dynamic: &Self::DynamicType) -> Cow<'_, str> {
        K::api_version(dynamic)
    }

    fn plural(dynamic: &Self::DynamicType) -> Cow<'_, str> {
        K::plural(dynamic)
    }

    fn meta(&self) -> &ObjectMeta {
        self.0.meta()
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        self.0.meta_mut()
    }
}

impl<'de, K: Deserialize<'de>> Deserialize<'de> for Lean<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        K::deserialize(Level(deserializer, Place::Object)).map(Lean)
    }
}

/// Where in the object a map is: the object itself, whose `metadata` is looked into; its
/// metadata, whose `managedFields` are skipped and whose `annotations` are looked into; or its
/// annotations, whose last-applied one is skipped.
#[derive(Clone, Copy)]
enum Place {
    Object,
    Metadata,
    Annotations,
}

impl Place {
    /// Whether this key's value is to be skipped here.
    fn skips(self, key: &str) -> bool {
        match self {
            Place::Object => false,
            Place::Metadata => key == MANAGED_FIELDS,
            Place::Annotations => key == LAST_APPLIED,
        }
    }

    /// The place this key's value is, when it is one that is looked into.
    fn inner(self, key: &str) -> Option<Place> {
        match (self, key) {
            (Place::Object, "metadata") => Some(Place::Metadata),
            (Place::Metadata, "annotations") => Some(Place::Annotations),
            _ => None,
        }
    }
}

/// A deserializer of one map (the object, its metadata or its annotations) that hands its keys
/// through its [`Place`].
struct Level<D>(D, Place);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Level<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Maps(visitor, self.1))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(Maps(visitor, self.1))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0
            .deserialize_struct(name, fields, Maps(visitor, self.1))
    }

    // Kubernetes' own kinds read their metadata as an option.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(Maps(visitor, self.1))
    }

    // An object and its metadata are maps; any other shape is refused by the visitor, as it
    // would be without this wrapper.
    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

/// A visitor that reads a map through [`Keys`], and an optional one's content through [`Level`].
struct Maps<V>(V, Place);

impl<'de, V: Visitor<'de>> Visitor<'de> for Maps<V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(formatter)
    }

    fn visit_none<E: Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Level(deserializer, self.1))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Keys {
            map,
            next: None,
            place: self.1,
        })
    }

    // Read as before: a struct may come as the sequence of its fields.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(seq)
    }
}

/// A map's entries, with the skipped ones left out and the inner places read as such.
struct Keys<A> {
    map: A,
    /// Where the value of the key just handed out is, when it is looked into.
    next: Option<Place>,
    place: Place,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Keys<A> {
    type Error = A::Error;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        loop {
            let Some(key) = self.map.next_key::<Key<'de>>()? else {
                return Ok(None);
            };
            if self.place.skips(key.as_str()) {
                self.map.next_value::<IgnoredAny>()?;
                continue;
            }
            self.next = self.place.inner(key.as_str());
            return match key {
                Key::Borrowed(key) => seed.deserialize(BorrowedStrDeserializer::new(key)),
                Key::Owned(key) => seed.deserialize(StringDeserializer::new(key)),
            }
            .map(Some);
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match self.next.take() {
            None => self.map.next_value_seed(seed),
            Some(place) => self.map.next_value_seed(PlaceSeed(seed, place)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// Reads a value through a [`Level`] at its place.
struct PlaceSeed<S>(S, Place);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for PlaceSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Level(deserializer, self.1))
    }
}

/// A map key, borrowed from the input where it can be.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(key) => key,
            Key::Owned(key) => key,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_borrowed_str<E: Error>(self, key: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(key))
    }

    fn visit_str<E: Error>(self, key: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(key.to_owned()))
    }

    fn visit_string<E: Error>(self, key: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(key))
    }
}

#[cfg(test)]
mod tests;
