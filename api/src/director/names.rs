//! Names the Director keeps and gives. Objects' names are Kubernetes object names, so no update
//! may change one (applications, runtimes, integration systems and templates refuse it alike);
//! webhooks are named after their type, in applications and in templates' inputs alike.

use crate::{
    director::enums::ApplicationWebhookType,
    errors::{ApiResult, invalid},
};

/// Refuses an update that would change an object's name (the argument `field`, such as
/// `in.name`): names are the objects' names, which Kubernetes never renames.
pub fn refuse_rename(field: &str, current: &str, wanted: &str) -> ApiResult<()> {
    if current != wanted {
        return Err(invalid(
            field,
            format!(
                "cannot rename {current} to {wanted}: names are Kubernetes object names and cannot change; register a new object instead"
            ),
        ));
    }
    Ok(())
}

/// The name a new webhook of `type_` gets: its type in kebab case, then `-2`, `-3`... when an
/// earlier webhook has it. Names stay once given, so a webhook's id survives updates.
pub fn webhook_name<'a>(
    type_: ApplicationWebhookType,
    taken: impl Iterator<Item = &'a str> + Clone,
) -> String {
    let base = match type_ {
        ApplicationWebhookType::ConfigurationChanged => "configuration-changed",
    };
    let free = |candidate: &str| !taken.clone().any(|t| t == candidate);
    if free(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| free(candidate))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhooks_are_named_after_their_type_and_numbered() {
        let kind = ApplicationWebhookType::ConfigurationChanged;
        assert_eq!(webhook_name(kind, [].into_iter()), "configuration-changed");
        assert_eq!(
            webhook_name(kind, ["configuration-changed"].into_iter()),
            "configuration-changed-2"
        );
        assert_eq!(
            webhook_name(
                kind,
                ["configuration-changed", "configuration-changed-3"].into_iter()
            ),
            "configuration-changed-2"
        );
    }
}
