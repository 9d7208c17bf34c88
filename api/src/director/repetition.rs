//! How many times a document can ask for the same field of one object: aliases give a field
//! several response keys, and a key under an aliased field repeats with it, so along a path the
//! counts multiply. A document that repeats no field more than a few times can be answered
//! charged item by item (see [`super::charged`]): an item's own fields cannot hold more than that
//! many copies of what it stores before it is charged. Any other runs with every field charged.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};

/// Most selection sets looked at before a document counts as repeating too much: fragments
/// spread within fragments could otherwise make the walk itself long.
const STEPS: usize = 10_000;
/// Deepest selection set looked at (the schema's depth limit is lower): a fragment spread
/// inside a field of its own would otherwise be walked without end.
const DEPTH: usize = 32;

/// Whether no field of `document` is asked for more than `times` times along any path.
pub(super) fn at_most(document: &ExecutableDocument, times: usize) -> bool {
    let mut walk = Walk {
        document,
        times,
        steps: 0,
        fragments: Vec::new(),
    };
    document
        .operations
        .iter()
        .all(|(_, operation)| walk.merged(&[&operation.node.selection_set.node], 1, 0))
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    times: usize,
    steps: usize,
    /// The fragments spread on the way here, so that a cycle (which validation refuses later)
    /// does not loop.
    fragments: Vec<&'a str>,
}

/// The field answered under one response key, its occurrences' selections merged.
struct Keyed<'a> {
    name: &'a str,
    selections: Vec<&'a SelectionSet>,
}

impl<'a> Walk<'a> {
    /// Whether the fields under `sets` (the selections of one field, merged), itself asked
    /// `above` times, stay within the bound.
    fn merged(&mut self, sets: &[&'a SelectionSet], above: usize, depth: usize) -> bool {
        self.steps += 1;
        if self.steps > STEPS || depth > DEPTH {
            return false;
        }
        let mut fields = Vec::new();
        if !sets.iter().all(|set| self.gather(set, &mut fields)) {
            return false;
        }
        // By response key: a set of thousands of aliases is looked up, not searched.
        let mut keyed: HashMap<&str, Keyed<'a>> = HashMap::new();
        for field in fields {
            let key = field.response_key().node.as_str();
            let name = field.name.node.as_str();
            let same = keyed.entry(key).or_insert_with(|| Keyed {
                name,
                selections: Vec::new(),
            });
            same.selections.push(&field.selection_set.node);
        }
        let mut keys_of: HashMap<&str, usize> = HashMap::new();
        for field in keyed.values() {
            *keys_of.entry(field.name).or_default() += 1;
        }
        keyed.values().all(|field| {
            let times = above.saturating_mul(keys_of[field.name]);
            times <= self.times && self.merged(&field.selections, times, depth + 1)
        })
    }

    /// The fields of `set` with its fragments' fields, into `fields`; false on a fragment that
    /// spreads itself.
    fn gather(&mut self, set: &'a SelectionSet, fields: &mut Vec<&'a Field>) -> bool {
        for selection in &set.items {
            let gathered = match &selection.node {
                Selection::Field(field) => {
                    fields.push(&field.node);
                    true
                }
                Selection::InlineFragment(fragment) => {
                    self.gather(&fragment.node.selection_set.node, fields)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    // An unknown fragment is validation's to refuse.
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    if self.fragments.contains(&name) {
                        return false;
                    }
                    self.fragments.push(name);
                    let gathered = self.gather(&fragment.node.selection_set.node, fields);
                    self.fragments.pop();
                    gathered
                }
            };
            if !gathered {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn at_most_4(query: &str) -> bool {
        at_most(&parse_query(query).unwrap(), 4)
    }

    #[test]
    fn plain_queries_repeat_nothing() {
        let page = concat!(
            "{ applications { data { id name labels ",
            "apiDefinitions { data { id spec { data } } } } } }"
        );
        assert!(at_most_4(page));
        // The same key twice is one field, merged.
        assert!(at_most_4("{ application(id: 1) { name name } }"));
    }

    #[test]
    fn aliases_count_and_multiply_along_a_path() {
        assert!(at_most_4("{ a { x: d y: d z: d w: d } }"));
        assert!(!at_most_4("{ a { x: d y: d z: d w: d v: d } }"));
        assert!(at_most_4("{ p: a { x: d y: d } q: a { x: d y: d } }"));
        assert!(!at_most_4("{ p: a { x: d y: d z: d } q: a { x: d } }"));
    }

    #[test]
    fn selections_under_one_key_are_merged_before_counting() {
        // One `a`, its five occurrences merged: five names for `d`.
        assert!(!at_most_4(
            "{ a { x: d } a { y: d } a { z: d } a { w: d } a { v: d } }"
        ));
        assert!(at_most_4("{ a { x: d } a { y: d } a { x: d } }"));
    }

    #[test]
    fn fragments_are_counted_where_they_are_spread() {
        let query = "{ a { x: d ...F ... on A { y: d } } } fragment F on A { z: d w: d }";
        assert!(at_most_4(query));
        let query =
            "{ a { v: d ...F ... on A { y: d } } x: a { ...F } } fragment F on A { z: d w: d }";
        assert!(!at_most_4(query));
    }

    #[test]
    fn cycles_and_long_walks_count_as_too_many() {
        assert!(!at_most_4("{ a { ...F } } fragment F on A { b { ...F } }"));
        // Each fragment spreads the next twice: 2^20 sets to walk.
        let mut query = String::from("{ a { ...F0 } }");
        for i in 0..20 {
            query.push_str(&format!(
                " fragment F{i} on A {{ b {{ ...F{} }} c {{ ...F{} }} }}",
                i + 1,
                i + 1
            ));
        }
        query.push_str(" fragment F20 on A { d }");
        assert!(!at_most(&parse_query(&query).unwrap(), usize::MAX));
    }
}
