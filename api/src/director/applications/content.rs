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
    director::plain::Json,
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
pub fn read(caches: &Caches, application: &Application, source: Source<'_>) -> Option<Clob> {
    with(caches, application, source, |text| {
        text.map(|text| Clob(text.to_owned()))
    })
}

/// [`read`]'s content written as a JSON text (null for none) straight from where it is stored:
/// a specification may run to megabytes.
pub fn write(caches: &Caches, application: &Application, source: Source<'_>, out: &mut Json) {
    with(caches, application, source, |text| out.optional_text(text));
}

/// The ConfigMap and key holding content not stored inline: its `dataFrom` reference, else
/// the ConfigMap its last download went to; `None` for content stored nowhere else.
pub fn config_map_key<'a>(
    application: &'a Application,
    source: &Source<'a>,
) -> Option<(&'a str, &'a str)> {
    match source.data_from {
        Some(from) => {
            let reference = &from.config_map_key_ref;
            Some((reference.name.as_str(), reference.key.as_str()))
        }
        None => fetch_status(application, source.kind, source.name)
            .and_then(|fetched| fetched.config_map.as_deref())
            .map(|config_map| (config_map, CONTENT_KEY)),
    }
}

/// Where a child's content is: the child, and its inline data or `dataFrom` reference.
pub struct Source<'a> {
    /// The kind of child.
    pub kind: ChildKind,
    /// Its name among the application's children of its kind.
    pub name: &'a str,
    /// Its inline content.
    pub data: Option<&'a str>,
    /// The ConfigMap key holding its content.
    pub data_from: Option<&'a DataSource>,
}

/// [`read`]'s content handed to `show` where it is stored, not copied.
fn with<R>(
    caches: &Caches,
    application: &Application,
    source: Source<'_>,
    show: impl FnOnce(Option<&str>) -> R,
) -> R {
    if let Some(data) = source.data {
        return show(Some(data));
    }
    let namespace = application
        .metadata
        .namespace
        .as_deref()
        .unwrap_or_default();
    let config_map = config_map_key(application, &source)
        .and_then(|(name, key)| Some((caches.config_maps.get(namespace, name)?, key)));
    show(
        config_map
            .as_ref()
            .and_then(|(config_map, key)| config_map.data.as_ref()?.get(*key).map(String::as_str)),
    )
}
