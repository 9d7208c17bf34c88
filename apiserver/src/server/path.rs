//! Parses a resource request path into what it addresses:
//! `/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{subresource}]]` and the same under
//! `/apis/{group}/{version}`.

/// A resource request's target, before it is matched against what the server serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourcePath {
    /// API group; empty for the core group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Namespace from the path, if the path is namespaced.
    pub namespace: Option<String>,
    /// Plural resource name.
    pub plural: String,
    /// Object name, for requests on one object.
    pub name: Option<String>,
    /// Subresource, such as `status`.
    pub subresource: Option<String>,
}

/// Parses a path; `None` when it is not a resource path.
///
/// `/api/v1/namespaces/{name}` is the Namespace object itself, and `/api/v1/namespaces/{ns}/{x}`
/// is a namespaced collection unless `x` is one of the Namespace subresources (`status`,
/// `finalize`), which kube-apiserver resolves the same way.
pub fn parse(path: &str) -> Option<ResourcePath> {
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect::<Option<_>>()?;
    let (group, version, rest) = match segments.first().map(String::as_str) {
        Some("api") if segments.len() >= 3 => (String::new(), segments[1].clone(), &segments[2..]),
        Some("apis") if segments.len() >= 4 => {
            (segments[1].clone(), segments[2].clone(), &segments[3..])
        }
        _ => return None,
    };
    // No segment may be empty: `/apis//v1/secrets` is not the core group's secrets.
    if segments.iter().any(String::is_empty) {
        return None;
    }
    let namespaced_collection = rest.len() >= 3
        && rest[0] == "namespaces"
        && !(rest.len() == 3 && matches!(rest[2].as_str(), "status" | "finalize"));
    let (namespace, rest) = if namespaced_collection {
        (Some(rest[1].clone()), &rest[2..])
    } else {
        (None, rest)
    };
    let (plural, name, subresource) = match rest {
        [plural] => (plural.clone(), None, None),
        [plural, name] => (plural.clone(), Some(name.clone()), None),
        [plural, name, sub] => (plural.clone(), Some(name.clone()), Some(sub.clone())),
        _ => return None,
    };
    Some(ResourcePath {
        group,
        version,
        namespace,
        plural,
        name,
        subresource,
    })
}

/// Decodes `%XX` escapes of one path segment.
pub(crate) fn percent_decode(segment: &str) -> Option<String> {
    if !segment.contains('%') {
        return Some(segment.to_owned());
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(
        group: &str,
        version: &str,
        ns: Option<&str>,
        plural: &str,
        name: Option<&str>,
        sub: Option<&str>,
    ) -> Option<ResourcePath> {
        Some(ResourcePath {
            group: group.into(),
            version: version.into(),
            namespace: ns.map(Into::into),
            plural: plural.into(),
            name: name.map(Into::into),
            subresource: sub.map(Into::into),
        })
    }

    #[test]
    fn core_and_group_paths_parse() {
        assert_eq!(
            parse("/api/v1/namespaces"),
            p("", "v1", None, "namespaces", None, None)
        );
        assert_eq!(
            parse("/api/v1/namespaces/acme"),
            p("", "v1", None, "namespaces", Some("acme"), None)
        );
        assert_eq!(
            parse("/api/v1/namespaces/acme/status"),
            p("", "v1", None, "namespaces", Some("acme"), Some("status"))
        );
        assert_eq!(
            parse("/api/v1/namespaces/acme/secrets"),
            p("", "v1", Some("acme"), "secrets", None, None)
        );
        assert_eq!(
            parse("/apis/g.io/v1/namespaces/acme/things/a/status"),
            p(
                "g.io",
                "v1",
                Some("acme"),
                "things",
                Some("a"),
                Some("status")
            )
        );
        assert_eq!(
            parse("/apis/g.io/v1/things"),
            p("g.io", "v1", None, "things", None, None)
        );
        assert_eq!(
            parse("/apis/g.io/v1/things/a%2Db"),
            p("g.io", "v1", None, "things", Some("a-b"), None)
        );
    }

    #[test]
    fn other_paths_are_not_resource_paths() {
        assert_eq!(parse("/api"), None);
        assert_eq!(parse("/apis/g.io"), None);
        assert_eq!(parse("/api/v1"), None);
        assert_eq!(parse("/apis/g.io/v1/things/a/b/c"), None);
        assert_eq!(parse("/api/v1/namespaces//x"), None);
    }
}
