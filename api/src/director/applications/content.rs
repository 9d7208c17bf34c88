//! The content of specs and documents: kept inline up to the Application's bound, beyond it in a
//! ConfigMap the application owns (`dataFrom`), and read back from wherever it is: inline, the
//! `dataFrom` ConfigMap, or the ConfigMap the operator fetched it into.

use compass_crds::{
    Application,
    application::{DataSource, FetchStatus},
    ids::ChildKind,
    schema::INLINE_DATA_MAX_LENGTH,
};

use super::owned::{CONTENT_KEY, Owned};
use crate::{
    errors::{ApiResult, invalid},
    scalars::Clob,
    state::Caches,
};

/// Largest content a client may send: what one ConfigMap holds (1 MiB), less room for its
/// metadata.
pub const CONTENT_MAX: usize = 1_000_000;

/// Checks the size of content a client sends.
pub fn check_size(field: &str, data: &str) -> ApiResult<()> {
    if data.len() > CONTENT_MAX {
        return Err(invalid(
            field,
            format!(
                "is {} bytes; content may be at most {CONTENT_MAX} bytes (serve larger content at a URL and give a fetchRequest)",
                data.len()
            ),
        ));
    }
    Ok(())
}

/// Where content a client sent is stored: inline when it fits in the Application, otherwise in a
/// ConfigMap added to `owned`.
pub fn store(
    data: Option<&Clob>,
    application: &str,
    owned: &mut Owned,
) -> (Option<String>, Option<DataSource>) {
    match data {
        None => (None, None),
        Some(data) if data.0.len() <= INLINE_DATA_MAX_LENGTH as usize => {
            (Some(data.0.clone()), None)
        }
        Some(data) => (None, Some(owned.config_map(application, data.0.clone()))),
    }
}

/// The fetch result the operator reported for a child.
pub fn fetch_status<'a>(
    application: &'a Application,
    kind: ChildKind,
    name: &str,
) -> Option<&'a FetchStatus> {
    let status = application.status.as_ref()?;
    let list = match kind {
        ChildKind::ApiDefinition => &status.api_definitions,
        ChildKind::EventDefinition => &status.event_definitions,
        ChildKind::Document => &status.documents,
        ChildKind::Webhook => return None,
    };
    list.iter().find(|d| d.name == name)?.fetch.as_deref()
}

/// The content of a child: inline, in its `dataFrom` ConfigMap, or as last fetched. ConfigMaps
/// are read from the cache, which holds those labelled with the application.
pub fn read(
    caches: &Caches,
    application: &Application,
    kind: ChildKind,
    name: &str,
    data: Option<&String>,
    data_from: Option<&DataSource>,
) -> Option<Clob> {
    if let Some(data) = data {
        return Some(Clob(data.clone()));
    }
    let namespace = application
        .metadata
        .namespace
        .as_deref()
        .unwrap_or_default();
    let from_config_map = |config_map: &str, key: &str| {
        caches
            .config_maps
            .get(namespace, config_map)?
            .data
            .as_ref()?
            .get(key)
            .cloned()
            .map(Clob)
    };
    if let Some(source) = data_from {
        let reference = &source.config_map_key_ref;
        return from_config_map(&reference.name, &reference.key);
    }
    let fetched = fetch_status(application, kind, name)?
        .config_map
        .as_deref()?;
    from_config_map(fetched, CONTENT_KEY)
}
