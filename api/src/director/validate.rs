//! Input rules of the original Director, checked before anything is written so that an error names
//! the GraphQL argument (`in.name`) rather than the custom resource's field path. The API server's
//! schema checks the same rules again for every other door.

use std::sync::LazyLock;

use regex::Regex;

use crate::errors::{ApiResult, invalid};

/// Longest application, runtime, integration system, template and placeholder name.
pub const NAME_MAX: usize = 36;
/// Longest description.
pub const DESCRIPTION_MAX: usize = 2000;
/// Longest provider name, URL, document kind, fetch filter, label key and version string.
pub const LONG_MAX: usize = 256;
/// Longest document title and display name.
pub const SHORT_MAX: usize = 128;
/// Longest API and event definition name.
pub const DEFINITION_NAME_MAX: usize = 100;
/// Longest API and event definition group.
pub const GROUP_MAX: usize = 36;

static DNS_SUBDOMAIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(compass_crds::schema::OBJECT_NAME_PATTERN).expect("a valid regex"));

/// The original's name rule: required, at most 36 characters, a DNS-1123 subdomain (lower-case
/// letters, digits, `-` and `.`), not starting with a digit.
pub fn name(field: &str, value: &str) -> ApiResult<()> {
    if value.is_empty() {
        return Err(invalid(field, "cannot be empty"));
    }
    if value.chars().count() > NAME_MAX {
        return Err(invalid(
            field,
            format!("must be at most {NAME_MAX} characters"),
        ));
    }
    if value.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(invalid(field, "cannot start with a digit"));
    }
    if !DNS_SUBDOMAIN.is_match(value) {
        return Err(invalid(
            field,
            "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
        ));
    }
    Ok(())
}

/// At most `max` characters.
pub fn max_length(field: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    Ok(())
}

/// At most `max` characters, when given.
pub fn optional_max_length(field: &str, value: Option<&str>, max: usize) -> ApiResult<()> {
    value.map_or(Ok(()), |v| max_length(field, v, max))
}

/// Between 1 and `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.is_empty() {
        return Err(invalid(field, "cannot be empty"));
    }
    max_length(field, value, max)
}

/// Printable ASCII, 1 to `max` characters: API and event definition names.
pub fn printable(field: &str, value: &str, max: usize) -> ApiResult<()> {
    required(field, value, max)?;
    if !value.chars().all(|c| (' '..='~').contains(&c)) {
        return Err(invalid(
            field,
            "must contain only printable ASCII characters",
        ));
    }
    Ok(())
}

/// An absolute http or https URL of at most 256 characters.
pub fn url(field: &str, value: &str) -> ApiResult<()> {
    required(field, value, LONG_MAX)?;
    let parsed =
        url::Url::parse(value).map_err(|e| invalid(field, format!("is not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid(field, "must be an absolute http or https URL"));
    }
    Ok(())
}

/// A URL, when given.
pub fn optional_url(field: &str, value: Option<&str>) -> ApiResult<()> {
    value.map_or(Ok(()), |v| url(field, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_original_rule() {
        assert!(name("in.name", "crm-prod.eu").is_ok());
        for bad in [
            "",
            "Upper",
            "1starts-with-digit",
            "has space",
            &"a".repeat(37),
        ] {
            let message = name("in.name", bad).unwrap_err().message;
            assert!(message.contains("in.name"), "{message}");
        }
    }

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(url("in.url", "https://crm.example.com/api").is_ok());
        assert!(url("in.url", "ftp://x").is_err());
        assert!(url("in.url", "not a url").is_err());
        assert!(printable("in.name", "Orders API v1", 100).is_ok());
        assert!(printable("in.name", "caf\u{e9}", 100).is_err());
    }
}
