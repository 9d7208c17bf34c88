//! JSON written in place. Fields answered in place ([`plain`]) write their JSON straight into
//! bytes: no GraphQL value is built for them, so none is hashed into a map, serialized later
//! or dropped. Inside an answer those bytes travel as a binary GraphQL value: the Director's
//! schema has no binary scalar, so a binary value in its answers is always JSON written in
//! place, and [`response`] writes it as it stands.
//!
//! [`plain`]: super::plain

use async_graphql::{Response, ScalarType, Value, resolver_utils::EnumType};
use serde::Serialize;

use super::answer_limit::size_of;

/// JSON being written by fields answered in place.
#[derive(Debug, Default)]
pub struct Json(Vec<u8>);

impl Json {
    /// A text.
    pub fn text(&mut self, text: &str) {
        serialize(&mut self.0, text);
    }

    /// A text if there is one, else null.
    pub fn optional_text(&mut self, text: Option<&str>) {
        match text {
            Some(text) => self.text(text),
            None => self.null(),
        }
    }

    /// Null.
    pub fn null(&mut self) {
        self.0.extend_from_slice(b"null");
    }

    /// A flag.
    pub fn boolean(&mut self, flag: bool) {
        let text: &[u8] = if flag { b"true" } else { b"false" };
        self.0.extend_from_slice(text);
    }

    /// A flag if there is one, else null.
    pub fn optional_boolean(&mut self, flag: Option<bool>) {
        match flag {
            Some(flag) => self.boolean(flag),
            None => self.null(),
        }
    }

    /// A whole number.
    pub fn number(&mut self, number: i64) {
        serialize(&mut self.0, &number);
    }

    /// A value of an enum, by its name in the schema.
    pub fn enumerated<T: EnumType>(&mut self, item: T) {
        // An enum has a handful of values: finding its name costs less than building a value.
        let name = T::items().iter().find(|known| known.value == item);
        let name = name.map_or("", |known| known.name);
        // A GraphQL name, written as it is (see `name_key`).
        self.0.push(b'"');
        self.0.extend_from_slice(name.as_bytes());
        self.0.push(b'"');
    }

    /// A value of a scalar.
    pub fn scalar<T: ScalarType>(&mut self, value: &T) {
        self.value(&value.to_value());
    }

    /// Any JSON value (a label's).
    pub fn json(&mut self, value: &serde_json::Value) {
        serialize(&mut self.0, value);
    }

    /// Opens an object; each of its keys goes through [`key`](Self::key).
    pub fn open_object(&mut self) {
        self.0.push(b'{');
    }

    /// The key of an object's entry numbered `index` from 0, before its value.
    pub fn key(&mut self, index: usize, key: &str) {
        self.separate(index);
        self.text(key);
        self.0.push(b':');
    }

    /// [`key`](Self::key) for a GraphQL name (a field's name or alias in the document): names
    /// are letters, digits and `_`, which JSON writes as they are, so they are not scanned for
    /// characters to escape. Half of what a page writes are such keys.
    pub fn name_key(&mut self, index: usize, name: &str) {
        debug_assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "{name:?} is not a GraphQL name"
        );
        self.separate(index);
        self.0.push(b'"');
        self.0.extend_from_slice(name.as_bytes());
        self.0.extend_from_slice(b"\":");
    }

    /// Closes an object.
    pub fn close_object(&mut self) {
        self.0.push(b'}');
    }

    /// Opens a list; each of its items follows [`separate`](Self::separate).
    pub fn open_list(&mut self) {
        self.0.push(b'[');
    }

    /// Before the item or entry numbered `index` from 0.
    pub fn separate(&mut self, index: usize) {
        if index > 0 {
            self.0.push(b',');
        }
    }

    /// Closes a list.
    pub fn close_list(&mut self) {
        self.0.push(b']');
    }

    /// The bytes written so far.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// A value written before (by a [`Json`] too), copied as it stands.
    pub fn raw(&mut self, json: &[u8]) {
        self.0.extend_from_slice(json);
    }

    /// What was written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// `value` as JSON, JSON written in place copied as it stands.
    fn value(&mut self, value: &Value) {
        match value {
            Value::Binary(json) => self.0.extend_from_slice(json),
            Value::List(items) => {
                self.open_list();
                for (index, item) in items.iter().enumerate() {
                    self.separate(index);
                    self.value(item);
                }
                self.close_list();
            }
            Value::Object(fields) => {
                self.open_object();
                for (index, (key, value)) in fields.iter().enumerate() {
                    self.key(index, key);
                    self.value(value);
                }
                self.close_object();
            }
            value => serialize(&mut self.0, value),
        }
    }

    /// What was written, as the value that carries it in an answer.
    pub fn into_value(self) -> Value {
        Value::Binary(self.0.into())
    }
}

/// The JSON of `response` as sent: what async-graphql writes for it (data, then extensions and
/// errors when there are any), JSON written in place copied as it stands.
pub fn response(response: &Response) -> Vec<u8> {
    // About the answer's size, so that a large answer is not copied as it grows.
    let mut written = Json(Vec::with_capacity(size_of(&response.data) + 64));
    written.0.extend_from_slice(br#"{"data":"#);
    written.value(&response.data);
    let Json(mut out) = written;
    if !response.extensions.is_empty() {
        out.extend_from_slice(br#","extensions":"#);
        serialize(&mut out, &response.extensions);
    }
    if !response.errors.is_empty() {
        out.extend_from_slice(br#","errors":"#);
        serialize(&mut out, &response.errors);
    }
    out.push(b'}');
    out
}

/// `value` with the JSON written in place in it read back into GraphQL values (an enum's as
/// its text, as the JSON has it): for merging the answers of a field asked twice, and for
/// reading answers in tests.
pub fn unwritten(value: Value) -> Value {
    match value {
        // Written here, so valid JSON.
        Value::Binary(json) => serde_json::from_slice(&json).unwrap_or_default(),
        Value::List(items) => Value::List(items.into_iter().map(unwritten).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| (key, unwritten(value)))
                .collect(),
        ),
        value => value,
    }
}

/// `value` serialized onto `out`.
fn serialize<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing to memory cannot fail, and GraphQL's and JSON's map keys are strings.
    let _ = serde_json::to_writer(out, value);
}

#[cfg(test)]
mod tests {
    use async_graphql::{Name, ServerError, indexmap::IndexMap};
    use serde_json::json;

    use super::*;

    /// A response holding every kind of value, some of it written in place.
    fn response_with_written_json() -> Response {
        let mut written = Json::default();
        written.open_object();
        written.key(0, "say \"hi\"\n");
        written.text("ünïcode \u{1} \\");
        written.key(1, "n");
        written.number(-7);
        written.key(2, "none");
        written.optional_boolean(None);
        written.close_object();
        let object = IndexMap::from([
            (Name::new("written"), written.into_value()),
            (Name::new("flag"), Value::Boolean(true)),
            (
                Name::new("list"),
                Value::List(vec![Value::from(1), Value::Null]),
            ),
        ]);
        let mut response = Response::new(Value::Object(object));
        response.errors.push(ServerError::new("refused", None));
        response
    }

    #[test]
    fn an_answer_is_written_as_async_graphql_writes_it_with_written_json_as_it_stands() {
        let response = response_with_written_json();
        let written = self::response(&response);
        let json: serde_json::Value = serde_json::from_slice(&written).unwrap();
        assert_eq!(
            json["data"],
            json!({
                "written": { "say \"hi\"\n": "ünïcode \u{1} \\", "n": -7, "none": null },
                "flag": true,
                "list": [1, null],
            })
        );
        // The same bytes as async-graphql's own serialization, once read back.
        let Response { data, errors, .. } = response;
        let mut read_back = Response::new(unwritten(data));
        read_back.errors = errors;
        assert_eq!(written, serde_json::to_vec(&read_back).unwrap());
    }

    #[test]
    fn read_back_keeps_the_order_written() {
        let mut written = Json::default();
        written.open_object();
        for (index, key) in ["z", "a", "m"].into_iter().enumerate() {
            written.key(index, key);
            written.number(index as i64);
        }
        written.close_object();
        let Value::Object(object) = unwritten(written.into_value()) else {
            panic!("not an object");
        };
        let keys: Vec<_> = object.keys().map(Name::as_str).collect();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn a_name_is_written_as_a_key_as_an_escaped_key_would_be() {
        let (mut named, mut escaped) = (Json::default(), Json::default());
        for (index, name) in ["__typename", "aliased_Name1", "x"].into_iter().enumerate() {
            named.name_key(index, name);
            escaped.key(index, name);
        }
        assert_eq!(named.0, escaped.0);
        assert_eq!(named.0, br#""__typename":,"aliased_Name1":,"x":"#);
    }
}
