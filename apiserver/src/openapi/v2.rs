//! `/openapi/v2`: a Swagger 2.0 document with no definitions; the schemas are in the v3
//! documents. kubectl reads v2 for one thing only: validating a `kind: List` file before sending
//! it, since a List is no resource the server could validate for it. Finding no schema for an
//! item's kind there, kubectl leaves the item to the server, which it sends each item to with
//! the validation asked for (`fieldValidation=Strict` by default), checked against the same
//! schemas as any other write. Without the document kubectl refused every List file, the
//! output of `kubectl get -o yaml` for more than one object among them.

use serde_json::{Value, json};

/// The media type of gnostic's protobuf form of the document, as answered and as newer clients
/// ask for it.
pub const PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// The form kubectl asks for. It is not a valid media type (`@`), so answers never carry it:
/// kubectl's client refuses a response whose type it cannot parse.
pub const PROTOBUF_AS_ASKED: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

/// The title kube-apiserver gives its document.
const TITLE: &str = "Kubernetes";

/// The document as JSON, for a server of `version`.
pub fn json(version: &str) -> Value {
    json!({
        "swagger": "2.0",
        "info": { "title": TITLE, "version": version },
        "paths": {},
        "definitions": {},
    })
}

/// The same document as protobuf: gnostic's `openapi.v2.Document`, with `swagger` (field 1),
/// `info` (2, its `title` 1 and `version` 2), and `paths` (8) and `definitions` (9) empty.
pub fn protobuf(version: &str) -> Vec<u8> {
    let mut info = Vec::new();
    field(&mut info, 1, TITLE.as_bytes());
    field(&mut info, 2, version.as_bytes());
    let mut document = Vec::new();
    field(&mut document, 1, b"2.0");
    field(&mut document, 2, &info);
    field(&mut document, 8, &[]);
    field(&mut document, 9, &[]);
    document
}

/// Appends a length-delimited field (a string or a message).
fn field(out: &mut Vec<u8>, number: u8, bytes: &[u8]) {
    // Field numbers under 16 fit the key's one byte: (number << 3) | wire type 2.
    out.push(number << 3 | 2);
    let mut length = bytes.len();
    while length >= 0x80 {
        out.push((length as u8 & 0x7f) | 0x80);
        length >>= 7;
    }
    out.push(length as u8);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protobuf_document_holds_the_version_and_empty_paths_and_definitions() {
        let document = protobuf("v1.33.0");
        let info = [b"\x0a\x0aKubernetes".as_slice(), b"\x12\x07v1.33.0"].concat();
        let expected = [
            b"\x0a\x032.0".as_slice(),
            &[0x12, info.len() as u8],
            &info,
            b"\x42\x00\x4a\x00",
        ]
        .concat();
        assert_eq!(document, expected);
    }

    #[test]
    fn lengths_from_128_take_more_than_one_byte() {
        let mut out = Vec::new();
        field(&mut out, 2, &[b'x'; 300]);
        assert_eq!(&out[..3], &[0x12, 0xac, 0x02]);
        assert_eq!(out.len(), 303);
    }
}
