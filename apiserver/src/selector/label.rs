//! Label selectors, parsed exactly as apimachinery's `labels.Parse` parses `?labelSelector=`:
//! the same lexer, the same grammar and the same error wording.

use std::fmt;

// Only the matching the tests exercise reads labels from JSON; the server matches the store's
// string labels.
#[cfg(test)]
use serde_json::{Map, Value};

use super::SelectorError;
use super::label_parser::parse_requirements;

/// How a [`Requirement`] relates a label to its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// `key`: the label is set.
    Exists,
    /// `!key`: the label is not set.
    DoesNotExist,
    /// `key=value`.
    Equals,
    /// `key==value`.
    DoubleEquals,
    /// `key!=value`; also true when the label is not set.
    NotEquals,
    /// `key in (a,b)`.
    In,
    /// `key notin (a,b)`; also true when the label is not set.
    NotIn,
    /// `key>5`: the label is an integer greater than the value.
    GreaterThan,
    /// `key<5`: the label is an integer less than the value.
    LessThan,
}

/// One condition of a selector; a selector matches when all of them do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub(super) key: String,
    pub(super) operator: Operator,
    /// Sorted and without duplicates, as apimachinery keeps them.
    pub(super) values: Vec<String>,
}

impl Requirement {
    /// The operator.
    #[cfg(test)]
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted; empty for `Exists` and `DoesNotExist`.
    #[cfg(test)]
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether a label set (looked up by key) satisfies this requirement.
    fn matches(&self, label: Option<&str>) -> bool {
        let has = |value: &str| self.values.iter().any(|v| v == value);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => label.is_some_and(has),
            Operator::NotIn | Operator::NotEquals => !label.is_some_and(has),
            Operator::Exists => label.is_some(),
            Operator::DoesNotExist => label.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(Ok(actual)), [bound]) = (label.map(str::parse::<i64>), &self.values[..])
                else {
                    return false;
                };
                match bound.parse::<i64>() {
                    Ok(bound) if self.operator == Operator::GreaterThan => actual > bound,
                    Ok(bound) => actual < bound,
                    Err(_) => false,
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.values.join(",");
        match self.operator {
            Operator::Exists => write!(f, "{}", self.key),
            Operator::DoesNotExist => write!(f, "!{}", self.key),
            Operator::Equals => write!(f, "{}={values}", self.key),
            Operator::DoubleEquals => write!(f, "{}=={values}", self.key),
            Operator::NotEquals => write!(f, "{}!={values}", self.key),
            Operator::In => write!(f, "{} in ({values})", self.key),
            Operator::NotIn => write!(f, "{} notin ({values})", self.key),
            Operator::GreaterThan => write!(f, "{}>{values}", self.key),
            Operator::LessThan => write!(f, "{}<{values}", self.key),
        }
    }
}

/// A parsed label selector. The empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// Sorted by key, as apimachinery sorts them.
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses `?labelSelector=` (after query decoding, so `+` is already a space).
    pub fn parse(selector: &str) -> Result<Self, SelectorError> {
        let mut requirements = parse_requirements(selector).map_err(SelectorError)?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Self { requirements })
    }

    /// Whether the selector has no requirements and so matches everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The requirements, sorted by key.
    #[cfg(test)]
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether labels (an object's `metadata.labels`) match. Values that are not strings
    /// count as absent; validation never stores them.
    #[cfg(test)]
    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        self.requirements
            .iter()
            .all(|r| r.matches(labels.get(&r.key).and_then(Value::as_str)))
    }

    /// Whether labels held as strings match: the store keeps every object's labels this way, so
    /// lists and watches select without parsing objects.
    pub fn matches_strings(&self, labels: &std::collections::BTreeMap<String, String>) -> bool {
        self.requirements
            .iter()
            .all(|r| r.matches(labels.get(&r.key).map(String::as_str)))
    }

    /// Whether an object matches, reading its `metadata.labels`.
    #[cfg(test)]
    pub fn matches_object(&self, object: &Value) -> bool {
        let empty = Map::new();
        let labels = object
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        self.matches(labels)
    }
}

impl std::str::FromStr for LabelSelector {
    type Err = SelectorError;

    fn from_str(selector: &str) -> Result<Self, Self::Err> {
        Self::parse(selector)
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.requirements.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests;
