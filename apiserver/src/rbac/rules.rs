//! What one RBAC rule allows, and whether one set of rules holds everything another grants (the
//! question escalation prevention asks). Rules are additive: there is no deny.

use k8s_openapi::api::rbac::v1::PolicyRule;

use super::attributes::{Attributes, ResourceRequest, Target};

/// The wildcard of verbs, groups, resources and non-resource URLs.
pub const ALL: &str = "*";

fn list(values: &Option<Vec<String>>) -> &[String] {
    values.as_deref().unwrap_or_default()
}

fn has(values: &[String], wanted: &str) -> bool {
    values.iter().any(|v| v == wanted)
}

fn has_or_all(values: &[String], wanted: &str) -> bool {
    values.iter().any(|v| v == ALL || v == wanted)
}

/// Whether `rule` allows the request `attributes`.
pub fn allows(rule: &PolicyRule, attributes: &Attributes) -> bool {
    if !has_or_all(&rule.verbs, &attributes.verb) {
        return false;
    }
    match &attributes.target {
        Target::Resource(request) => allows_resource(rule, request),
        Target::NonResource(path) => list(&rule.non_resource_urls)
            .iter()
            .any(|url| url_matches(url, path)),
    }
}

fn allows_resource(rule: &PolicyRule, request: &ResourceRequest) -> bool {
    if !has_or_all(list(&rule.api_groups), &request.group) {
        return false;
    }
    let combined = request.combined_resource();
    let resource_matches = list(&rule.resources).iter().any(|resource| {
        resource == ALL
            || *resource == combined
            || (!request.subresource.is_empty()
                && resource.strip_prefix("*/") == Some(request.subresource.as_str()))
    });
    let names = list(&rule.resource_names);
    resource_matches && (names.is_empty() || has(names, &request.name))
}

/// A non-resource URL pattern: exact, `*` for all, or a prefix ending in `*`.
fn url_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// Whether the rules `owner` hold grant everything `granted` grants: each verb, group,
/// resource, name and URL of every granted rule must be covered by one owner rule.
pub fn covers(owner: &[PolicyRule], granted: &PolicyRule) -> bool {
    atoms(granted)
        .iter()
        .all(|atom| owner.iter().any(|rule| rule_covers(rule, atom)))
}

/// Most single grants the rules of one written role may expand to. Each rule is checked grant by
/// grant, so a rule listing a thousand verbs, groups and resources would be a billion checks:
/// such a role is refused before it is expanded (name `*` instead).
pub const MAX_GRANTS: usize = 100_000;

/// Most missing grants a refusal lists.
const MAX_LISTED: usize = 50;

/// How many single grants `rules` expand to (saturating).
pub fn grant_count(rules: &[PolicyRule]) -> usize {
    rules.iter().fold(0usize, |total, rule| {
        let urls = list(&rule.non_resource_urls).len();
        let names = list(&rule.resource_names).len().max(1);
        let resources = list(&rule.api_groups)
            .len()
            .saturating_mul(list(&rule.resources).len())
            .saturating_mul(names);
        total.saturating_add(
            rule.verbs
                .len()
                .saturating_mul(urls.saturating_add(resources)),
        )
    })
}

/// The rules of `granted` that `owner` does not cover (at most [`MAX_LISTED`]), split into single
/// grants so the message names exactly what is missing. Call it only on rules within
/// [`MAX_GRANTS`].
pub fn uncovered(owner: &[PolicyRule], granted: &[PolicyRule]) -> Vec<PolicyRule> {
    granted
        .iter()
        .flat_map(atoms)
        .filter(|atom| !owner.iter().any(|rule| rule_covers(rule, atom)))
        .take(MAX_LISTED)
        .collect()
}

/// Splits a rule into rules of one verb, one group, one resource and one name (or one URL).
fn atoms(rule: &PolicyRule) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    for verb in &rule.verbs {
        for url in list(&rule.non_resource_urls) {
            out.push(PolicyRule {
                verbs: vec![verb.clone()],
                non_resource_urls: Some(vec![url.clone()]),
                ..PolicyRule::default()
            });
        }
        for group in list(&rule.api_groups) {
            for resource in list(&rule.resources) {
                let single = |names: Option<Vec<String>>| PolicyRule {
                    verbs: vec![verb.clone()],
                    api_groups: Some(vec![group.clone()]),
                    resources: Some(vec![resource.clone()]),
                    resource_names: names,
                    ..PolicyRule::default()
                };
                let names = list(&rule.resource_names);
                if names.is_empty() {
                    out.push(single(None));
                }
                for name in names {
                    out.push(single(Some(vec![name.clone()])));
                }
            }
        }
    }
    out
}

/// Whether `owner` covers the single-grant rule `atom`.
fn rule_covers(owner: &PolicyRule, atom: &PolicyRule) -> bool {
    let verb = &atom.verbs[0];
    if !has_or_all(&owner.verbs, verb) {
        return false;
    }
    if let Some(url) = list(&atom.non_resource_urls).first() {
        return list(&owner.non_resource_urls).iter().any(|pattern| {
            pattern == url
                || pattern
                    .strip_suffix('*')
                    .is_some_and(|prefix| url.starts_with(prefix))
        });
    }
    let group = &list(&atom.api_groups)[0];
    let resource = &list(&atom.resources)[0];
    if !has_or_all(list(&owner.api_groups), group) {
        return false;
    }
    let resources = list(&owner.resources);
    let resource_covered = has_or_all(resources, resource)
        || resource
            .split_once('/')
            .is_some_and(|(_, sub)| has(resources, &format!("*/{sub}")));
    let owner_names = list(&owner.resource_names);
    let names_covered = owner_names.is_empty()
        || list(&atom.resource_names)
            .first()
            .is_some_and(|name| has(owner_names, name));
    resource_covered && names_covered
}

/// A rule as kube-apiserver prints it in escalation errors:
/// `{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`.
pub fn describe(rule: &PolicyRule) -> String {
    let quoted = |values: &[String]| -> String {
        let items: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        format!("[{}]", items.join(" "))
    };
    let mut parts = Vec::new();
    for (label, values) in [
        ("APIGroups", list(&rule.api_groups)),
        ("Resources", list(&rule.resources)),
        ("ResourceNames", list(&rule.resource_names)),
        ("NonResourceURLs", list(&rule.non_resource_urls)),
    ] {
        if !values.is_empty() {
            parts.push(format!("{label}:{}", quoted(values)));
        }
    }
    parts.push(format!("Verbs:{}", quoted(&rule.verbs)));
    format!("{{{}}}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: &[&str], resources: &[&str], names: &[&str], verbs: &[&str]) -> PolicyRule {
        let owned = |v: &[&str]| Some(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        PolicyRule {
            api_groups: owned(groups),
            resources: owned(resources),
            resource_names: (!names.is_empty()).then(|| owned(names)).flatten(),
            verbs: verbs.iter().map(|s| (*s).to_owned()).collect(),
            non_resource_urls: None,
        }
    }

    fn urls(urls: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            non_resource_urls: Some(urls.iter().map(|s| (*s).to_owned()).collect()),
            verbs: verbs.iter().map(|s| (*s).to_owned()).collect(),
            ..PolicyRule::default()
        }
    }

    fn request(method: &str, path: &str) -> Attributes {
        Attributes::from_request(method, path, None)
    }

    #[test]
    fn verbs_groups_resources_and_names_must_all_match() {
        let read = rule(&[""], &["configmaps"], &[], &["get", "list"]);
        assert!(allows(
            &read,
            &request("GET", "/api/v1/namespaces/a/configmaps")
        ));
        assert!(allows(
            &read,
            &request("GET", "/api/v1/namespaces/a/configmaps/x")
        ));
        assert!(!allows(
            &read,
            &request("DELETE", "/api/v1/namespaces/a/configmaps/x")
        ));
        assert!(!allows(
            &read,
            &request("GET", "/api/v1/namespaces/a/secrets")
        ));
        assert!(!allows(&read, &request("GET", "/apis/g.io/v1/configmaps")));
        let one = rule(&[""], &["configmaps"], &["x"], &["get"]);
        assert!(allows(
            &one,
            &request("GET", "/api/v1/namespaces/a/configmaps/x")
        ));
        assert!(!allows(
            &one,
            &request("GET", "/api/v1/namespaces/a/configmaps/y")
        ));
    }

    #[test]
    fn subresources_match_by_full_name_or_star_prefix() {
        let status = rule(&["g.io"], &["apps/status"], &[], &["patch"]);
        let path = "/apis/g.io/v1/namespaces/a/apps/x/status";
        assert!(allows(&status, &request("PATCH", path)));
        assert!(!allows(
            &status,
            &request("PATCH", "/apis/g.io/v1/namespaces/a/apps/x")
        ));
        let any_status = rule(&["*"], &["*/status"], &[], &["*"]);
        assert!(allows(&any_status, &request("PATCH", path)));
        let main = rule(&["g.io"], &["apps"], &[], &["patch"]);
        assert!(!allows(&main, &request("PATCH", path)));
    }

    #[test]
    fn non_resource_urls_match_exactly_or_by_trailing_star() {
        let discovery = urls(&["/apis", "/apis/*", "/version"], &["get"]);
        assert!(allows(&discovery, &request("GET", "/apis")));
        assert!(allows(&discovery, &request("GET", "/apis/g.io/v1")));
        assert!(allows(&discovery, &request("GET", "/version")));
        assert!(!allows(&discovery, &request("GET", "/version/x")));
        assert!(!allows(&discovery, &request("POST", "/apis")));
        assert!(!allows(&discovery, &request("GET", "/api/v1/secrets")));
    }

    #[test]
    fn coverage_splits_grants_and_honours_wildcards_and_names() {
        let admin = [rule(&["*"], &["*"], &[], &["*"])];
        let wanted = rule(
            &["", "g.io"],
            &["secrets", "apps/status"],
            &[],
            &["get", "patch"],
        );
        assert!(covers(&admin, &wanted));
        let reader = [rule(&[""], &["secrets"], &[], &["get"])];
        let missing = uncovered(&reader, std::slice::from_ref(&wanted));
        assert_eq!(missing.len(), 7);
        assert_eq!(
            describe(&missing[0]),
            r#"{APIGroups:[""], Resources:["apps/status"], Verbs:["get"]}"#
        );
        let named = [rule(&[""], &["secrets"], &["a"], &["get"])];
        assert!(covers(&named, &rule(&[""], &["secrets"], &["a"], &["get"])));
        assert!(!covers(&named, &rule(&[""], &["secrets"], &[], &["get"])));
        let any_status = [rule(&["g.io"], &["*/status"], &[], &["patch"])];
        assert!(covers(
            &any_status,
            &rule(&["g.io"], &["apps/status"], &[], &["patch"])
        ));
        let all_urls = [urls(&["/api/*"], &["get"])];
        assert!(covers(&all_urls, &urls(&["/api/v1"], &["get"])));
        assert!(!covers(&all_urls, &urls(&["/apis"], &["get"])));
    }
}
