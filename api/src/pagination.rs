//! Cursor pagination as the Director does it: `first` (1 to 100, default 100) and an opaque
//! `after` cursor; pages carry `pageInfo` and the `totalCount` of the whole filtered set, and the
//! last page's `endCursor` is empty.
//!
//! Cursors name the last item's sort key rather than an offset (the original's offsets skip or
//! repeat items when objects are added or removed between pages).

use async_graphql::SimpleObject;
use base64::Engine as _;

use crate::{
    errors::{ApiResult, invalid},
    scalars::PageCursor,
};

/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: i32 = 100;
/// Largest page size.
pub const MAX_PAGE_SIZE: i32 = 100;
/// Makes cursors opaque and recognisable.
const CURSOR_PREFIX: &str = "compass-cursor:";

/// Position in a paged result.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct PageInfo {
    /// The cursor the page started after (the `after` argument), or empty.
    pub start_cursor: PageCursor,
    /// The cursor to pass as `after` for the next page; empty on the last page.
    pub end_cursor: PageCursor,
    /// Whether another page follows.
    pub has_next_page: bool,
}

/// Checks `first` against the allowed page sizes.
pub fn page_size(first: Option<i32>) -> ApiResult<usize> {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&first) {
        return Err(invalid(
            "first",
            format!("page size must be between 1 and {MAX_PAGE_SIZE}"),
        ));
    }
    Ok(first as usize)
}

/// The cursor of an item with sort key `key`.
pub fn encode_cursor(key: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{CURSOR_PREFIX}{key}"))
}

/// The sort key a cursor names; `None` for an empty cursor (the first page).
pub fn decode_cursor(cursor: Option<&str>) -> ApiResult<Option<String>> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let bad = || invalid("after", "cursor is not correct");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    text.strip_prefix(CURSOR_PREFIX)
        .map(|key| Some(key.to_owned()))
        .ok_or_else(bad)
}

/// A page of items sorted by key.
pub struct Page<T> {
    /// The items of the page.
    pub data: Vec<T>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many items the whole (filtered) result has.
    pub total_count: i32,
}

impl<T> Page<T> {
    /// The same page with each item made into another.
    pub fn map<U>(self, into: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(into).collect(),
            page_info: self.page_info,
            total_count: self.total_count,
        }
    }
}

/// Pages `items` (sorted by their key) after the cursor `after`.
pub fn paginate<T>(
    items: Vec<(String, T)>,
    first: Option<i32>,
    after: Option<&str>,
) -> ApiResult<Page<T>> {
    Ok(paginate_by(items, |(key, _)| key, first, after)?.map(|(_, item)| item))
}

/// Pages `items`, sorted by the key `key_of` gives each, after the cursor `after`. Keys are read
/// where they are: paging a tenant's objects copies nothing of those off the page.
pub fn paginate_by<T>(
    items: Vec<T>,
    key_of: impl Fn(&T) -> &str,
    first: Option<i32>,
    after: Option<&str>,
) -> ApiResult<Page<T>> {
    let window = |start: Option<&str>, take| cut(items, &key_of, start, take);
    paginate_window(first, after, window, &key_of)
}

/// How many `items` (sorted by the key `key_of` gives each) there are, and at most `take` of them
/// after the key `start` (from the first without one): a window of a set collected whole.
pub fn cut<T>(
    items: Vec<T>,
    key_of: impl Fn(&T) -> &str,
    start: Option<&str>,
    take: usize,
) -> (usize, Vec<T>) {
    let total = items.len();
    let begin = match start {
        Some(start) => items.partition_point(|item| key_of(item) <= start),
        None => 0,
    };
    (total, items.into_iter().skip(begin).take(take).collect())
}

/// Pages a sorted set that `window` cuts itself: given the key the page starts after (none for
/// the first page) and how many items to take, it returns the size of the whole set and at most
/// that many items following the key, in key order. It is asked for one item more than the page
/// holds, which tells whether another page follows.
pub fn paginate_window<T>(
    first: Option<i32>,
    after: Option<&str>,
    window: impl FnOnce(Option<&str>, usize) -> (usize, Vec<T>),
    key_of: impl Fn(&T) -> &str,
) -> ApiResult<Page<T>> {
    let size = page_size(first)?;
    let start = decode_cursor(after)?;
    let (total, mut data) = window(start.as_deref(), size + 1);
    let has_next_page = data.len() > size;
    data.truncate(size);
    let end_cursor = PageCursor(match data.last() {
        Some(last) if has_next_page => encode_cursor(key_of(last)),
        _ => String::new(),
    });
    let page_info = PageInfo {
        start_cursor: PageCursor(after.unwrap_or_default().to_owned()),
        end_cursor,
        has_next_page,
    };
    Ok(Page {
        data,
        page_info,
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<(String, usize)> {
        (0..n).map(|i| (format!("{i:03}"), i)).collect()
    }

    #[test]
    fn ten_items_in_pages_of_three_are_three_three_three_one() {
        let mut after: Option<String> = None;
        let mut sizes = Vec::new();
        loop {
            let page = paginate(items(10), Some(3), after.as_deref()).unwrap();
            assert_eq!(page.total_count, 10);
            sizes.push(page.data.len());
            if !page.page_info.has_next_page {
                assert_eq!(
                    page.page_info.end_cursor.0, "",
                    "the last page has an empty endCursor"
                );
                break;
            }
            after = Some(page.page_info.end_cursor.0);
        }
        assert_eq!(sizes, vec![3, 3, 3, 1]);
    }

    #[test]
    fn page_sizes_outside_one_to_one_hundred_are_refused() {
        assert!(page_size(Some(0)).is_err());
        assert!(page_size(Some(101)).is_err());
        assert_eq!(page_size(None).unwrap(), 100);
        assert!(decode_cursor(Some("not a cursor")).is_err());
    }

    #[test]
    fn a_cursor_survives_items_added_before_it() {
        let first = paginate(items(10), Some(3), None).unwrap();
        let mut grown = items(10);
        grown.insert(0, ("000a".into(), 99));
        grown.sort_by(|a, b| a.0.cmp(&b.0));
        let next = paginate(grown, Some(3), Some(&first.page_info.end_cursor.0)).unwrap();
        assert_eq!(next.data, vec![3, 4, 5], "no item is repeated or skipped");
    }
}
