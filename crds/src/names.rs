//! A list of object names held in one piece: the status lists of the runtimes that see an
//! application and the applications a runtime sees, up to 100 names on every such object.

use std::{borrow::Cow, fmt, sync::Arc};

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{DeserializeSeed, SeqAccess, Visitor},
};

use crate::one_copy::OneCopy;

/// Object names in order, read and written as a JSON array of strings.
///
/// The names are kept as one string and the end of each name, so a list of 100 names is two
/// allocations instead of a hundred and one, and a list is held once in the process however
/// many objects carry it: the applications of a scenario are all seen by the same runtimes, so
/// 10,000 applications in ten scenarios carry ten lists, not 10,000 (the caches hold one per
/// object, and copy it with every change). A copy of a list shares it.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Names(Option<Arc<Listed>>);

/// The names of a non-empty list: all their text and the end of each name in it.
#[derive(PartialEq, Eq, Hash)]
struct Listed {
    text: Box<str>,
    ends: Box<[u32]>,
}

/// Every list held in the process.
static LISTS: OneCopy<Listed> = OneCopy::new();

impl Names {
    /// How many names there are.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |listed| listed.ends.len())
    }

    /// Whether there is no name.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The names in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        let (text, ends) = match &self.0 {
            Some(listed) => (&*listed.text, &*listed.ends),
            None => ("", &[][..]),
        };
        let mut start = 0;
        ends.iter().map(move |&end| {
            let name = &text[start..end as usize];
            start = end as usize;
            name
        })
    }

    /// The names as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

/// Names being gathered: the text so far and the end of each name.
#[derive(Default)]
struct Gathering {
    text: String,
    ends: Vec<u32>,
}

impl Gathering {
    /// Adds `name`; `false` when the names together would pass 4 GiB, which the ends cannot say
    /// (an object of the API server is at most a few MiB).
    fn push(&mut self, name: &str) -> bool {
        self.text.push_str(name);
        match u32::try_from(self.text.len()) {
            Ok(end) => {
                self.ends.push(end);
                true
            }
            Err(_) => false,
        }
    }

    fn done(self) -> Names {
        if self.ends.is_empty() {
            return Names::default();
        }
        Names(Some(LISTS.of(Listed {
            text: self.text.into_boxed_str(),
            ends: self.ends.into_boxed_slice(),
        })))
    }
}

impl<S: AsRef<str>> FromIterator<S> for Names {
    /// Gathers names in the order given.
    ///
    /// # Panics
    ///
    /// When the names together are longer than 4 GiB.
    fn from_iter<I: IntoIterator<Item = S>>(names: I) -> Self {
        let mut gathering = Gathering::default();
        for name in names {
            assert!(gathering.push(name.as_ref()), "names longer than 4 GiB");
        }
        gathering.done()
    }
}

impl fmt::Debug for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Names {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(NamesVisitor)
    }
}

struct NamesVisitor;

impl<'de> Visitor<'de> for NamesVisitor {
    type Value = Names;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Names, A::Error> {
        let mut gathering = Gathering::default();
        while seq.next_element_seed(Appended(&mut gathering))?.is_some() {}
        Ok(gathering.done())
    }
}

/// Decodes one name straight onto the end of the names gathered, never as a string of its own.
struct Appended<'a>(&'a mut Gathering);

impl<'de> DeserializeSeed<'de> for Appended<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Appended<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<(), E> {
        if self.0.push(name) {
            Ok(())
        } else {
            Err(E::custom("names longer than 4 GiB"))
        }
    }
}

impl JsonSchema for Names {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        <Vec<String>>::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        <Vec<String>>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests;
