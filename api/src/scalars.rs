//! The Director's custom scalars, with the names and wire forms of the original schema.

use std::collections::BTreeMap;

use async_graphql::{
    InputValueError, InputValueResult, Name, Scalar, ScalarType, Value as GqlValue,
};
use serde_json::Value;

/// Any JSON value (a label value).
#[derive(Clone, Debug, PartialEq)]
pub struct Any(pub Value);

#[Scalar(name = "Any")]
impl ScalarType for Any {
    fn parse(value: GqlValue) -> InputValueResult<Self> {
        exact_json(value).map(Self).map_err(InputValueError::custom)
    }

    fn to_value(&self) -> GqlValue {
        value_of(&self.0)
    }
}

/// The GraphQL value of JSON, converted in place: every label of every application on a page
/// passes through here, and going through serde (`Value::from_json`) took a copy of the JSON
/// first and cost several times as much.
pub(crate) fn value_of(json: &Value) -> GqlValue {
    match json {
        Value::Null => GqlValue::Null,
        Value::Bool(flag) => GqlValue::Boolean(*flag),
        Value::Number(number) => GqlValue::Number(number.clone()),
        Value::String(text) => GqlValue::String(text.clone()),
        Value::Array(items) => GqlValue::List(items.iter().map(value_of).collect()),
        Value::Object(fields) => GqlValue::Object(
            fields
                .iter()
                .map(|(key, value)| (Name::new(key), value_of(value)))
                .collect(),
        ),
    }
}

/// JSON from a GraphQL value, refusing numbers that would not be stored as written: an integer
/// beyond the 64-bit range arrives as the nearest float (`2^64+1` as `18446744073709551616.0`),
/// and storing that silently would change the value.
fn exact_json(value: GqlValue) -> Result<Value, String> {
    let json = value.into_json().map_err(|e| e.to_string())?;
    check_exact(&json)?;
    Ok(json)
}

fn check_exact(value: &Value) -> Result<(), String> {
    // 2^64 and -2^63: every integer between fits u64 or i64 and is kept exactly.
    const BEYOND_U64: f64 = 18_446_744_073_709_551_616.0;
    const BELOW_I64: f64 = -9_223_372_036_854_775_808.0;
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && !(BELOW_I64..BEYOND_U64).contains(&f) => Err(format!(
                "the number {n} is beyond the 64-bit integer range and would not be stored as \
                 written; send it as a string"
            )),
            _ => Ok(()),
        },
        Value::Array(items) => items.iter().try_for_each(check_exact),
        Value::Object(fields) => fields.values().try_for_each(check_exact),
        _ => Ok(()),
    }
}

/// A large text: a spec or document body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clob(pub String);

#[Scalar(name = "CLOB")]
impl ScalarType for Clob {
    fn parse(value: GqlValue) -> InputValueResult<Self> {
        match value {
            GqlValue::String(text) => Ok(Self(text)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> GqlValue {
        GqlValue::String(self.0.clone())
    }
}

/// Labels: label keys mapped to any JSON value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labels(pub BTreeMap<String, Value>);

#[Scalar(name = "Labels")]
impl ScalarType for Labels {
    fn parse(value: GqlValue) -> InputValueResult<Self> {
        match exact_json(value).map_err(InputValueError::custom)? {
            Value::Object(map) => Ok(Self(map.into_iter().collect())),
            Value::Null => Ok(Self::default()),
            other => Err(InputValueError::custom(format!(
                "labels must be an object, not {other}"
            ))),
        }
    }

    fn to_value(&self) -> GqlValue {
        let fields = self
            .0
            .iter()
            .map(|(key, value)| (Name::new(key), value_of(value)));
        GqlValue::Object(fields.collect())
    }
}

/// Multi-valued string maps: HTTP headers or query parameters.
fn parse_multimap(value: GqlValue) -> Result<BTreeMap<String, Vec<String>>, String> {
    match value.into_json().map_err(|e| e.to_string())? {
        Value::Object(map) => map
            .into_iter()
            .map(|(key, values)| match values {
                Value::Array(items) => items
                    .into_iter()
                    .map(|item| match item {
                        Value::String(s) => Ok(s),
                        other => Err(format!("values of {key} must be strings, not {other}")),
                    })
                    .collect::<Result<Vec<String>, _>>()
                    .map(|v| (key, v)),
                Value::String(single) => Ok((key, vec![single])),
                other => Err(format!("{key} must be a list of strings, not {other}")),
            })
            .collect(),
        other => Err(format!("expected an object, not {other}")),
    }
}

fn multimap_value(map: &BTreeMap<String, Vec<String>>) -> GqlValue {
    GqlValue::from_json(serde_json::to_value(map).unwrap_or(Value::Null)).unwrap_or(GqlValue::Null)
}

/// HTTP headers: names mapped to lists of values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpHeaders(pub BTreeMap<String, Vec<String>>);

#[Scalar(name = "HttpHeaders")]
impl ScalarType for HttpHeaders {
    fn parse(value: GqlValue) -> InputValueResult<Self> {
        parse_multimap(value)
            .map(Self)
            .map_err(InputValueError::custom)
    }

    fn to_value(&self) -> GqlValue {
        multimap_value(&self.0)
    }
}

/// Query parameters: names mapped to lists of values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryParams(pub BTreeMap<String, Vec<String>>);

#[Scalar(name = "QueryParams")]
impl ScalarType for QueryParams {
    fn parse(value: GqlValue) -> InputValueResult<Self> {
        parse_multimap(value)
            .map(Self)
            .map_err(InputValueError::custom)
    }

    fn to_value(&self) -> GqlValue {
        multimap_value(&self.0)
    }
}

/// A JSON Schema, sent and returned as stringified JSON (a JSON object is accepted too).
#[derive(Clone, Debug, PartialEq)]
pub struct JsonSchema(pub Value);

#[Scalar(name = "JSONSchema")]
impl ScalarType for JsonSchema {
    fn parse(value: GqlValue) -> InputValueResult<Self> {
        match value {
            GqlValue::String(text) => serde_json::from_str(&text)
                .map(Self)
                .map_err(|e| InputValueError::custom(format!("the schema is not valid JSON: {e}"))),
            other => Ok(Self(other.into_json().map_err(InputValueError::custom)?)),
        }
    }

    fn to_value(&self) -> GqlValue {
        GqlValue::String(self.0.to_string())
    }
}

/// An opaque pagination cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageCursor(pub String);

#[Scalar(name = "PageCursor")]
impl ScalarType for PageCursor {
    fn parse(value: GqlValue) -> InputValueResult<Self> {
        match value {
            GqlValue::String(text) => Ok(Self(text)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> GqlValue {
        GqlValue::String(self.0.clone())
    }
}

/// A point in time, RFC 3339.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timestamp(pub jiff::Timestamp);

#[Scalar(name = "Timestamp")]
impl ScalarType for Timestamp {
    fn parse(value: GqlValue) -> InputValueResult<Self> {
        match value {
            GqlValue::String(text) => text
                .parse()
                .map(Self)
                .map_err(|e| InputValueError::custom(format!("not an RFC 3339 timestamp: {e}"))),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> GqlValue {
        GqlValue::String(self.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_converts_as_through_serde() {
        let json = serde_json::json!({
            "tier": ["gold", 1, -2.5, true, null, { "nested": { "b": 1, "a": [] } }],
            "big": 18446744073709551615u64,
        });
        assert_eq!(value_of(&json), GqlValue::from_json(json.clone()).unwrap());
        let labels = Labels(json.as_object().unwrap().clone().into_iter().collect());
        assert_eq!(labels.to_value(), GqlValue::from_json(json).unwrap());
    }
}
