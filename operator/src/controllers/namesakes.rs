//! The one rule for objects that claim the same thing: two Tenants with one external id, two
//! Scenarios of one name in a namespace, two LabelDefinitions of one key. The oldest claim wins
//! (by creation time, then by object name, so that objects created in the same second still have
//! one winner); the others are not Ready and name it. An object being deleted claims nothing.

use std::sync::Arc;

use kube::{Resource, ResourceExt};

/// The oldest of `rivals` (objects with the same claim as `object`, which may include `object`
/// itself) if it is older than `object`: the name of the object whose claim wins over this one.
pub fn older_claim<'a, K>(
    object: &K,
    rivals: impl IntoIterator<Item = &'a Arc<K>>,
) -> Option<String>
where
    K: Resource + 'a,
{
    let age = |k: &K| {
        (
            k.meta().creation_timestamp.clone().map(|t| t.0),
            k.name_any(),
        )
    };
    rivals
        .into_iter()
        .filter(|rival| rival.name_any() != object.name_any())
        .filter(|rival| rival.meta().deletion_timestamp.is_none())
        .filter(|rival| age(rival) < age(object))
        .min_by_key(|rival| age(rival))
        .map(|rival| rival.name_any())
}

#[cfg(test)]
mod tests {
    use compass_crds::{Tenant, TenantSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;

    fn tenant(name: &str, created: i64) -> Arc<Tenant> {
        let mut tenant = Tenant::new(
            name,
            TenantSpec {
                external_id: "ext".into(),
                display_name: None,
                provider: None,
                namespace: None,
            },
        );
        tenant.metadata.creation_timestamp =
            Some(Time(jiff::Timestamp::from_second(created).unwrap()));
        Arc::new(tenant)
    }

    #[test]
    fn the_oldest_claim_wins_and_ties_go_by_name() {
        let (a, b, c) = (tenant("a", 10), tenant("b", 5), tenant("c", 7));
        let all = [a.clone(), b.clone(), c.clone()];
        assert_eq!(older_claim(a.as_ref(), &all), Some("b".to_owned()));
        assert_eq!(older_claim(c.as_ref(), &all), Some("b".to_owned()));
        assert_eq!(older_claim(b.as_ref(), &all), None);
        let (x, y) = (tenant("x", 5), tenant("y", 5));
        assert_eq!(
            older_claim(y.as_ref(), &[x.clone(), y.clone()]),
            Some("x".into())
        );
        assert_eq!(older_claim(x.as_ref(), &[x.clone(), y]), None);
    }

    #[test]
    fn an_object_being_deleted_claims_nothing() {
        let young = tenant("young", 10);
        let mut old = (*tenant("old", 1)).clone();
        old.metadata.deletion_timestamp = Some(Time(jiff::Timestamp::from_second(20).unwrap()));
        assert_eq!(older_claim(young.as_ref(), &[Arc::new(old)]), None);
    }
}
