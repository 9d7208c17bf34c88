//! Field selectors, parsed as apimachinery's `fields.ParseSelector` parses `?fieldSelector=`:
//! `a=b`, `a==b`, `a!=b`, comma for AND, and backslash escapes of `,`, `=` and `\` in values.
//! The caller resolves field values, and rejects the fields its kind does not support.

use std::fmt;

use super::SelectorError;

/// How a [`FieldTerm`] compares a field with its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldOperator {
    /// `field=value`.
    Equals,
    /// `field==value`, the same as `=`.
    DoubleEquals,
    /// `field!=value`.
    NotEquals,
}

/// One condition of a field selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldTerm {
    /// The field, such as `metadata.name`.
    pub field: String,
    /// The comparison.
    pub operator: FieldOperator,
    /// The value, unescaped.
    pub value: String,
}

impl fmt::Display for FieldTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.operator {
            FieldOperator::Equals => "=",
            FieldOperator::DoubleEquals => "==",
            FieldOperator::NotEquals => "!=",
        };
        write!(f, "{}{op}{}", self.field, escape(&self.value))
    }
}

/// A parsed field selector. The empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    /// In the order apimachinery keeps them: sorted by their text.
    terms: Vec<FieldTerm>,
}

impl FieldSelector {
    /// Parses `?fieldSelector=` (after query decoding).
    pub fn parse(selector: &str) -> Result<Self, SelectorError> {
        let mut parts = split_terms(selector);
        parts.sort_unstable();
        let mut terms = Vec::with_capacity(parts.len());
        for part in parts.into_iter().filter(|p| !p.is_empty()) {
            let (field, operator, raw) = split_term(part).ok_or_else(|| {
                SelectorError(format!(
                    "invalid selector: '{selector}'; can't understand '{part}'"
                ))
            })?;
            terms.push(FieldTerm {
                field: field.to_owned(),
                operator,
                value: unescape(raw)?,
            });
        }
        Ok(Self { terms })
    }

    /// Whether the selector has no terms and so matches everything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms.
    #[cfg(test)]
    pub fn terms(&self) -> &[FieldTerm] {
        &self.terms
    }

    /// The fields the selector uses, in term order, so the caller can reject unsupported ones.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().map(|t| t.field.as_str())
    }

    /// Fails with `field label not supported: <field>` (a 400 once turned into an
    /// [`ApiError`](crate::errors::ApiError)) for the first field not in `supported`.
    #[cfg(test)]
    pub fn check_supported(&self, supported: &[&str]) -> Result<(), SelectorError> {
        match self.fields().find(|f| !supported.contains(f)) {
            Some(field) => Err(SelectorError(format!("field label not supported: {field}"))),
            None => Ok(()),
        }
    }

    /// The value the selector requires `field` to equal, if one term says so; lets the caller
    /// look up `metadata.name=x` directly instead of scanning.
    pub fn exact_match(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.field == field && t.operator != FieldOperator::NotEquals)
            .map(|t| t.value.as_str())
    }

    /// Whether an object matches; `resolve` gives a field's value. A field it cannot resolve
    /// counts as the empty string, as in apimachinery's `fields.Set`.
    pub fn matches(&self, resolve: &dyn Fn(&str) -> Option<String>) -> bool {
        self.terms.iter().all(|term| {
            let actual = resolve(&term.field).unwrap_or_default();
            match term.operator {
                FieldOperator::Equals | FieldOperator::DoubleEquals => actual == term.value,
                FieldOperator::NotEquals => actual != term.value,
            }
        })
    }
}

impl std::str::FromStr for FieldSelector {
    type Err = SelectorError;

    fn from_str(selector: &str) -> Result<Self, Self::Err> {
        Self::parse(selector)
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.terms.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// Splits on commas that are not escaped; the escapes stay in the terms.
fn split_terms(selector: &str) -> Vec<&str> {
    if selector.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in selector.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' => {
                terms.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&selector[start..]);
    terms
}

/// Splits a term at the first operator; field names have no escapes.
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    // `==` before `=`, so the value does not start with `=`.
    const OPERATORS: [(&str, FieldOperator); 3] = [
        ("!=", FieldOperator::NotEquals),
        ("==", FieldOperator::DoubleEquals),
        ("=", FieldOperator::Equals),
    ];
    term.char_indices().find_map(|(i, _)| {
        OPERATORS.iter().find_map(|(text, op)| {
            term[i..]
                .starts_with(text)
                .then(|| (&term[..i], *op, &term[i + text.len()..]))
        })
    })
}

/// Undoes the `\\`, `\,` and `\=` escapes; bare `,` and `=` are errors.
fn unescape(value: &str) -> Result<String, SelectorError> {
    let mut out = String::with_capacity(value.len());
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(SelectorError(format!(
                    "invalid field selector: invalid escape sequence: \\{c}"
                )));
            }
            out.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ',' | '=' => {
                return Err(SelectorError(format!(
                    "invalid field selector: unescaped character in value: {c}"
                )));
            }
            _ => out.push(c),
        }
    }
    if escaped {
        return Err(SelectorError(
            "invalid field selector: invalid escape sequence: \\".to_owned(),
        ));
    }
    Ok(out)
}

/// Escapes a value for printing.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace('=', "\\=")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(name: &'static str) -> impl Fn(&str) -> Option<String> {
        move |field| match field {
            "metadata.name" => Some(name.to_owned()),
            "metadata.namespace" => Some("default".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn every_operator_matches_as_kube_does() {
        let w1 = resolver("w1");
        for (selector, expected) in [
            ("metadata.name=w1", true),
            ("metadata.name==w1", true),
            ("metadata.name!=w1", false),
            ("metadata.name=w2", false),
            ("metadata.name!=w2,metadata.namespace=default", true),
            ("metadata.name=w1,metadata.namespace=other", false),
            ("status.phase=", true),
            ("", true),
        ] {
            let parsed = FieldSelector::parse(selector).unwrap();
            assert_eq!(parsed.matches(&w1), expected, "{selector}");
        }
    }

    #[test]
    fn escapes_allow_commas_and_equals_in_values() {
        let parsed = FieldSelector::parse(r"metadata.name=a\,b\=c\\d").unwrap();
        assert_eq!(parsed.terms()[0].value, r"a,b=c\d");
        assert!(parsed.matches(&|_| Some(r"a,b=c\d".to_owned())));
        assert_eq!(parsed.to_string(), r"metadata.name=a\,b\=c\\d");
    }

    #[test]
    fn malformed_selectors_are_worded_like_kube() {
        let error = |s: &str| FieldSelector::parse(s).unwrap_err().to_string();
        assert_eq!(
            error("metadata.name"),
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'"
        );
        assert_eq!(
            error(r"a=b\x"),
            r"invalid field selector: invalid escape sequence: \x"
        );
        assert_eq!(
            error("a=b=c"),
            "invalid field selector: unescaped character in value: ="
        );
        assert_eq!(
            error(r"a=b\"),
            r"invalid field selector: invalid escape sequence: \"
        );
    }

    #[test]
    fn the_caller_sees_which_fields_are_used() {
        let parsed = FieldSelector::parse("spec.x=1,metadata.name=w1").unwrap();
        assert_eq!(
            parsed.fields().collect::<Vec<_>>(),
            ["metadata.name", "spec.x"]
        );
        assert_eq!(parsed.exact_match("metadata.name"), Some("w1"));
        let error = parsed
            .check_supported(&["metadata.name", "metadata.namespace"])
            .unwrap_err()
            .to_api_error();
        assert_eq!(error.code, 400);
        assert_eq!(error.message, "field label not supported: spec.x");
    }
}
