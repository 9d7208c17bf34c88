//! The hostile-tenant suite's parts: the two tenants and their data ([`setup`]), snapshots of
//! everything they own ([`snapshot`]), the attacks through GraphQL ([`graphql`]), through the
//! `Tenant` header ([`headers`]) and through the Kubernetes API ([`kubectl`], [`kube_raw`]), the
//! objects of the attacker's own that name the victim's ([`deputy`]), reads of the victim's objects
//! answered exactly as reads of absent ones ([`absent`]), and the [`Ledger`] every attempt is
//! recorded in and checked against for leaks.

pub mod absent;
pub mod deputy;
pub mod graphql;
pub mod headers;
pub mod kube_raw;
pub mod kubectl;
pub mod populate;
pub mod setup;
pub mod snapshot;

use std::collections::BTreeMap;

/// Through which door an attempt came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Door {
    /// The Director, with the attacker's token and its own `Tenant` header.
    Graphql,
    /// The Director, with the attacker's token and a spoofed or missing `Tenant` header.
    Header,
    /// `kubectl` with a tenant-limited client certificate.
    Kubectl,
    /// Hand-made requests to the Kubernetes API with that certificate.
    KubeRaw,
    /// Objects of the attacker's own naming the victim's, which the operator and the Director
    /// act on; written (as the attacker may) and read back.
    Deputy,
}

/// What an attempt tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// Reading one object or its children by a foreign id, name or key.
    Read,
    /// Listing or filtering so that only foreign objects would match.
    Filter,
    /// Changing a foreign object, or an own one through a foreign id.
    Write,
    /// Deleting a foreign object.
    Delete,
    /// Obtaining credentials or tokens for a foreign object.
    Credentials,
    /// Naming another tenant than one's own, or none.
    Spoof,
    /// Gaining rights: RBAC objects, impersonation, Tenant objects.
    Escalate,
}

/// Every attempt made, counted by door and category, and the strings that only the victim's
/// data contains: none may reach the attacker unless the attacker sent it itself.
pub struct Ledger {
    counts: BTreeMap<(Door, Category), usize>,
    markers: Vec<String>,
}

impl Ledger {
    /// An empty ledger guarding `markers` (the victim's ids, names, label values, secrets).
    pub fn new(markers: Vec<String>) -> Self {
        assert!(
            markers.iter().all(|m| m.len() >= 5),
            "markers too short to be specific"
        );
        Self {
            counts: BTreeMap::new(),
            markers,
        }
    }

    /// Records one attempt.
    pub fn record(&mut self, door: Door, category: Category) {
        *self.counts.entry((door, category)).or_default() += 1;
    }

    /// How many cross-tenant attempts were made: all but the [`Door::Deputy`] ones, which are
    /// writes the attacker may make in its own namespace.
    pub fn attempts(&self) -> usize {
        let counted = self
            .counts
            .iter()
            .filter(|((door, _), _)| *door != Door::Deputy);
        counted.map(|(_, n)| n).sum()
    }

    /// The counts, one `door/category: n` per line.
    pub fn report(&self) -> String {
        self.counts
            .iter()
            .map(|((door, category), n)| format!("{door:?}/{category:?}: {n}\n"))
            .collect()
    }

    /// The victim strings in `answer` that `request` did not contain.
    pub fn leaked<'a>(&'a self, request: &str, answer: &str) -> Vec<&'a str> {
        self.markers
            .iter()
            .filter(|m| answer.contains(m.as_str()) && !request.contains(m.as_str()))
            .map(String::as_str)
            .collect()
    }

    /// Fails the test when `answer` contains a victim string that `request` did not contain, or
    /// when `data` (what the attacker was actually given, as opposed to a refusal's wording)
    /// contains one at all.
    pub fn assert_no_leak(&self, what: &str, request: &str, answer: &str, data: &str) {
        let given = self.leaked("", data);
        assert!(
            given.is_empty(),
            "LEAK in {what}: the answer's data holds the victim's {given:?}:\n{answer}"
        );
        let named = self.leaked(request, answer);
        assert!(
            named.is_empty(),
            "LEAK in {what}: the answer holds the victim's {named:?}, which the request did not \
             name:\n{answer}"
        );
    }
}

/// Every string only the victim's data holds: its ids, namespace, external and internal id, and
/// each word containing `vsecret` (the mark of every name, label value, URL and credential given
/// to it) in the objects of `snapshot`, the decoded data of its Secrets included.
pub fn victim_markers(world: &setup::World, snapshot: &snapshot::Snapshot) -> Vec<String> {
    use base64::Engine as _;
    let secrets = format!("/namespaces/{}/secrets/", setup::VICTIM_NS);
    let mut texts: Vec<String> = snapshot.0.values().cloned().collect();
    let mut markers = world.victim.all_ids();
    for (key, text) in snapshot.0.iter().filter(|(k, _)| k.contains(&secrets)) {
        let secret: serde_json::Value = serde_json::from_str(text).unwrap();
        for value in secret["data"]
            .as_object()
            .into_iter()
            .flat_map(|d| d.values())
        {
            // Each value as the Kubernetes API shows it, and as the Director does.
            let encoded = value.as_str().unwrap();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap_or_else(|e| panic!("{key}: {e}"));
            markers.push(encoded.to_owned());
            texts.push(String::from_utf8_lossy(&decoded).into_owned());
        }
    }
    let word = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    markers.extend([setup::VICTIM_NS, setup::VICTIM_EXT].map(str::to_owned));
    markers.push(world.victim_internal_id.clone());
    for text in &texts {
        for (at, _) in text.match_indices("vsecret") {
            let start = text[..at].rfind(|c| !word(c)).map_or(0, |i| i + 1);
            let end = text[at..].find(|c| !word(c)).map_or(text.len(), |i| at + i);
            markers.push(text[start..end].to_owned());
        }
    }
    markers.sort();
    markers.dedup();
    markers
}
