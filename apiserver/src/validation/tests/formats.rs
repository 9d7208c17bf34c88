//! String formats: each format kube-apiserver validates accepts a good value and rejects a bad
//! one; unknown formats are not validated.

use serde_json::json;

use super::spec_errors;

const CASES: &[(&str, &str, &str)] = &[
    ("date-time", "2024-01-02T03:04:05Z", "2024-01-02 03:04:05"),
    (
        "date-time",
        "2024-01-02t03:04:05.5+01:00",
        "2024-01-02T25:04:05Z",
    ),
    ("date", "2024-02-29", "2023-02-29"),
    ("byte", "aGVsbG8=", "not base64!"),
    ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123"),
    (
        "uuid3",
        "a3bb189e-8bf9-3888-9912-ace4e6543002",
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    ),
    (
        "uuid4",
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        "123e4567-e89b-12d3-a456-426614174000",
    ),
    (
        "uuid5",
        "74738ff5-5367-5958-9aee-98fffdcd1876",
        "a3bb189e-8bf9-3888-9912-ace4e6543002",
    ),
    ("ipv4", "10.0.0.1", "10.0.0.256"),
    ("ipv6", "fe80::1", "10.0.0.1"),
    ("cidr", "10.0.0.0/8", "10.0.0.0/33"),
    ("cidr", "fd00::/64", "fd00::"),
    ("mac", "00:1a:2b:3c:4d:5e", "00:1a:2b"),
    ("email", "ops@example.com", "not-an-email"),
    ("hostname", "api.example.com", "-bad-.example"),
    ("uri", "https://example.com/x", "example.com"),
    ("duration", "1h30m", "soon"),
    ("duration", "3 days", "h"),
    ("bsonobjectid", "507f1f77bcf86cd799439011", "507f"),
    ("hexcolor", "#ff0000", "#ff00"),
    ("rgbcolor", "rgb(255, 0, 0)", "rgb(256,0,0)"),
    ("isbn10", "0-306-40615-2", "0-306-40615-3"),
    ("isbn13", "978-0-306-40615-7", "978-0-306-40615-8"),
    ("isbn", "0306406152", "12345"),
    ("creditcard", "4111 1111 1111 1111", "4111 1111 1111 1112"),
    ("ssn", "123-45-6789", "12-345-6789"),
];

#[test]
fn every_validated_format_accepts_good_values_and_rejects_bad_ones() {
    for (format, good, bad) in CASES {
        let props = json!({"v": {"type": "string", "format": format}});
        let accepted = spec_errors(props.clone(), json!({"v": good}));
        assert!(
            accepted.is_empty(),
            "{format} rejected {good}: {accepted:?}"
        );
        let rejected = spec_errors(props, json!({"v": bad}));
        let expected = format!(
            "spec.v: Invalid value: {bad:?}: spec.v in body must be of type {format}: {bad:?}"
        );
        assert_eq!(rejected, [expected], "{format} accepted {bad}");
    }
}

#[test]
fn format_names_are_matched_like_strfmt_and_unknown_formats_pass() {
    let props = json!({
        "a": {"type": "string", "format": "DateTime"},
        "b": {"type": "string", "format": "k8s-short-name"},
        "c": {"type": "string", "format": "password"},
        "d": {"type": "integer", "format": "int32"},
    });
    let errors = spec_errors(
        props,
        json!({"a": "nope", "b": "anything", "c": "x", "d": 1}),
    );
    assert_eq!(
        errors,
        [r#"spec.a: Invalid value: "nope": spec.a in body must be of type DateTime: "nope""#]
    );
}
