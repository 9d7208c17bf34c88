//! A GraphQL query sent by `GET`, its parameters in the URL as GraphQL over HTTP has them:
//! `query`, `operationName`, `variables` and `extensions` (the last two JSON objects). Clients
//! caching answers by URL send queries so, persisted queries by hash among them; a browser
//! opening the same path gets the playground instead.

use axum::http::{HeaderMap, Uri, header};
use serde_json::{Map, Value};

/// The parameters a query sent by `GET` is read from; any other is left alone (a client may
/// add its own, a cache buster say).
const PARAMETERS: [&str; 4] = ["query", "operationName", "variables", "extensions"];

/// Whether `uri` asks for a query rather than the playground: it names `query` or
/// `extensions`, and the caller is not a browser. Reads parameter names only, so that nothing
/// of a request is parsed before its caller is admitted.
pub(super) fn names_query(uri: &Uri, headers: &HeaderMap) -> bool {
    let Some(query_string) = uri.query() else {
        return false;
    };
    !is_browser(headers)
        && form_urlencoded::parse(query_string.as_bytes())
            .any(|(name, _)| name == "query" || name == "extensions")
}

/// The GraphQL request in `uri`'s parameters, or the parameter and the rule it breaks.
pub(super) fn request_of(uri: &Uri) -> Result<async_graphql::Request, String> {
    let query_string = uri.query().unwrap_or_default();
    let mut fields = Map::new();
    for (name, value) in form_urlencoded::parse(query_string.as_bytes()) {
        let Some(name) = PARAMETERS.iter().find(|known| **known == name) else {
            continue;
        };
        let value = match *name {
            "variables" | "extensions" => json_object(name, &value)?,
            _ => Value::String(value.into_owned()),
        };
        if fields.insert((*name).to_owned(), value).is_some() {
            return Err(format!("the URL parameter {name} may be given once"));
        }
    }
    serde_json::from_value(Value::Object(fields))
        .map_err(|error| format!("the URL parameters are not a GraphQL request: {error}"))
}

/// A browser navigating asks for HTML first; a GraphQL client asks for JSON or anything.
fn is_browser(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|kind| kind.trim().starts_with("text/html"))
}

/// The parameter `name`'s text as a JSON object; empty text or `null` is none given.
fn json_object(name: &str, text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str(text) {
        Ok(Value::Object(object)) => Ok(Value::Object(object)),
        Ok(Value::Null) => Ok(Value::Object(Map::new())),
        Ok(_) => Err(format!("the URL parameter {name} must be a JSON object")),
        Err(error) => Err(format!(
            "the URL parameter {name} must be a JSON object: {error}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn uri(query_string: &str) -> Uri {
        format!("/director/graphql?{query_string}").parse().unwrap()
    }

    fn accepting(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        headers
    }

    #[test]
    fn every_parameter_is_read_and_others_left_alone() {
        let sent = uri(
            "query=query+Q(%24id%3A+ID!)+%7B+application(id%3A+%24id)+%7B+id+%7D+%7D\
            &operationName=Q&variables=%7B%22id%22%3A%22a%22%7D&v=3\
            &extensions=%7B%22persistedQuery%22%3A%7B%22version%22%3A1%7D%7D",
        );
        assert!(names_query(&sent, &accepting("application/json")));
        let got = request_of(&sent).unwrap();
        assert_eq!(
            got.query,
            "query Q($id: ID!) { application(id: $id) { id } }"
        );
        assert_eq!(got.operation_name.as_deref(), Some("Q"));
        assert_eq!(
            got.variables.into_value().into_json().unwrap(),
            serde_json::json!({ "id": "a" })
        );
        assert!(got.extensions.contains_key("persistedQuery"));
    }

    #[test]
    fn a_browser_or_a_url_without_a_query_gets_the_playground() {
        assert!(!names_query(
            &uri("query=%7B+a+%7D"),
            &accepting("text/html,*/*")
        ));
        assert!(!names_query(&uri("tab=2"), &accepting("*/*")));
        let bare: Uri = "/director/graphql".parse().unwrap();
        assert!(!names_query(&bare, &HeaderMap::new()));
        // A hash alone is a query too.
        let hashed = uri("extensions=%7B%22persistedQuery%22%3A%7B%7D%7D");
        assert!(names_query(&hashed, &accepting("*/*")));
    }

    #[test]
    fn a_malformed_parameter_is_named() {
        for (sent, named) in [
            (
                "query=%7Ba%7D&variables=%5B1%5D",
                "variables must be a JSON object",
            ),
            (
                "query=%7Ba%7D&variables=%7Bx",
                "variables must be a JSON object:",
            ),
            (
                "query=%7Ba%7D&extensions=3",
                "extensions must be a JSON object",
            ),
            ("query=%7Ba%7D&query=%7Bb%7D", "query may be given once"),
        ] {
            let error = request_of(&uri(sent)).unwrap_err();
            assert!(error.contains(named), "{sent}: {error}");
        }
        assert!(request_of(&uri("query=%7Ba%7D&variables=&extensions=null")).is_ok());
    }
}
