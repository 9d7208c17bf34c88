//! Names of the objects the agent writes: Kubernetes names derived from Compass names and ids,
//! deterministic, DNS-safe and distinct.

use sha2::{Digest, Sha256};

/// Longest object name Kubernetes accepts (a DNS-1123 subdomain).
const NAME_MAX: usize = 253;

/// The Kyma Application's name for a Director application: its name when that is a DNS-1123
/// subdomain (the Director allows no other), else the name made lower-case and DNS-safe with a
/// suffix derived from the id, so two applications never share one.
pub fn application_name(name: &str, id: &str) -> String {
    if is_dns_subdomain(name) {
        return name.to_owned();
    }
    let base = sanitize(name, 40);
    let base = if base.is_empty() { "app" } else { &base };
    format!("{base}-{}", short_hash(id, 8))
}

/// `<application>-<definition id>[-<suffix>]` when that is a valid name; otherwise a shortened,
/// DNS-safe form with a hash of the three, so names stay deterministic and distinct.
pub(super) fn object_name(application: &str, id: &str, suffix: Option<&str>) -> String {
    let suffix = suffix.map(|s| format!("-{s}")).unwrap_or_default();
    let name = format!("{application}-{id}{suffix}");
    if name.len() <= NAME_MAX && is_dns_subdomain(&name) {
        return name;
    }
    let hash = short_hash(&format!("{application}\n{id}\n{suffix}"), 16);
    format!("{}-{hash}{suffix}", sanitize(application, 100))
}

/// A service's name as Kyma's registry made it: the definition's name lower-case with every run
/// of other characters a `-`, at most 57 characters, and 5 hexadecimal digits derived from the
/// id.
pub(super) fn service_name(name: &str, id: &str) -> String {
    let base = sanitize(name, 57);
    let suffix = short_hash(id, 5);
    if base.is_empty() {
        suffix
    } else {
        format!("{base}-{suffix}")
    }
}

/// Lower-case ASCII letters and digits, every run of anything else one `-`, no `-` at either
/// end, at most `max` characters.
fn sanitize(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(max);
    out.trim_end_matches('-').to_owned()
}

/// The first `len` hexadecimal digits of the SHA-256 of `text`.
fn short_hash(text: &str, len: usize) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = compass_crds::hex::lower(&digest);
    hex.truncate(len);
    hex
}

/// Whether `name` is a DNS-1123 subdomain: dot-separated labels of lower-case letters, digits
/// and `-`, each starting and ending with a letter or digit, at most 253 characters in all.
fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= NAME_MAX
        && name.split('.').all(|label| {
            let bytes = label.as_bytes();
            !bytes.is_empty()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
                && bytes[0] != b'-'
                && bytes[bytes.len() - 1] != b'-'
        })
}
