//! JSON pointers (RFC 6901) as evanphx/json-patch v4 resolves them, the library kube-apiserver
//! applies JSON patches with: `~1` and `~0` escapes, negative array indices counted from the end,
//! and `-` for "after the last element" when adding.

use serde_json::Value;

/// A parsed JSON pointer: the reference tokens, unescaped.
#[derive(Debug)]
pub(super) struct Pointer {
    tokens: Vec<String>,
}

impl Pointer {
    /// Parses a pointer; `None` unless it is empty (the whole document) or starts with `/`.
    pub(super) fn parse(path: &str) -> Option<Self> {
        if path.is_empty() {
            return Some(Self { tokens: Vec::new() });
        }
        let rest = path.strip_prefix('/')?;
        // NB: `~1` first, then `~0`, so that `~01` decodes to `~1` and not to `/`.
        let tokens = rest
            .split('/')
            .map(|token| token.replace("~1", "/").replace("~0", "~"))
            .collect();
        Some(Self { tokens })
    }

    /// Whether the pointer names the whole document.
    pub(super) fn is_root(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The last reference token: the member name or index inside the parent.
    pub(super) fn last(&self) -> &str {
        self.tokens.last().map_or("", String::as_str)
    }

    /// The container holding the pointed-to location, if every step on the way exists and is
    /// an object or an array (v4 `findObject`); `None` for the root pointer.
    pub(super) fn parent_mut<'a>(&self, doc: &'a mut Value) -> Option<&'a mut Value> {
        let (_, steps) = self.tokens.split_last()?;
        let mut current = doc;
        for token in steps {
            current = match current {
                Value::Object(map) => map.get_mut(token)?,
                Value::Array(items) => {
                    let index = existing_index(token, items.len()).ok()?;
                    &mut items[index]
                }
                _ => return None,
            };
        }
        matches!(current, Value::Object(_) | Value::Array(_)).then_some(current)
    }
}

/// Parses an array index the way Go's `strconv.Atoi` does (an optional sign, then digits).
fn parse_index(token: &str) -> Result<i64, String> {
    token
        .parse::<i64>()
        .map_err(|_| format!("value was not a proper array index: '{token}'"))
}

fn invalid_index(index: i64) -> String {
    format!("Unable to access invalid index: {index}: invalid index")
}

/// Resolves `token` to the index of an existing element of an array of `len` elements.
pub(super) fn existing_index(token: &str, len: usize) -> Result<usize, String> {
    let raw = parse_index(token)?;
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let index = if raw < 0 { raw + len } else { raw };
    if index < 0 || index >= len {
        return Err(invalid_index(raw));
    }
    usize::try_from(index).map_err(|_| invalid_index(raw))
}

/// Resolves `token` to an insertion position in an array of `len` elements: `0..=len`, `-` for
/// the end, and negative indices counted from the end of the grown array (v4 `partialArray.add`).
pub(super) fn insertion_index(token: &str, len: usize) -> Result<usize, String> {
    if token == "-" {
        return Ok(len);
    }
    let raw = parse_index(token)?;
    let grown = i64::try_from(len).unwrap_or(i64::MAX) + 1;
    let index = if raw < 0 { raw + grown } else { raw };
    if index < 0 || index >= grown {
        return Err(invalid_index(raw));
    }
    usize::try_from(index).map_err(|_| invalid_index(raw))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn escapes_decode_in_rfc_order() {
        let pointer = Pointer::parse("/metadata/annotations/example.com~1a~01").unwrap();
        assert_eq!(pointer.last(), "example.com/a~1");
        assert!(Pointer::parse("metadata").is_none());
        assert!(Pointer::parse("").unwrap().is_root());
    }

    #[test]
    fn parent_walks_objects_and_arrays() {
        let mut doc = json!({"spec": {"items": [{"name": "a"}]}});
        let pointer = Pointer::parse("/spec/items/0/name").unwrap();
        assert_eq!(
            pointer.parent_mut(&mut doc).cloned(),
            Some(json!({"name": "a"}))
        );
        let pointer = Pointer::parse("/spec/items/-1/name").unwrap();
        assert!(pointer.parent_mut(&mut doc).is_some());
        let pointer = Pointer::parse("/spec/missing/name").unwrap();
        assert!(pointer.parent_mut(&mut doc).is_none());
        let pointer = Pointer::parse("/spec/items/0/name/x").unwrap();
        assert!(pointer.parent_mut(&mut doc).is_none());
    }

    #[test]
    fn indices_are_checked_against_bounds() {
        assert_eq!(existing_index("1", 2), Ok(1));
        assert_eq!(existing_index("-1", 2), Ok(1));
        assert!(existing_index("2", 2).is_err());
        assert!(existing_index("-", 2).is_err());
        assert_eq!(insertion_index("-", 2), Ok(2));
        assert_eq!(insertion_index("2", 2), Ok(2));
        assert_eq!(insertion_index("-1", 2), Ok(2));
        assert_eq!(
            insertion_index("3", 2),
            Err("Unable to access invalid index: 3: invalid index".to_owned())
        );
    }
}
