//! The string formats kube-apiserver validates in custom resources (`format` in a structural
//! schema), checked the way go-openapi's `strfmt` registry checks them. Other formats are not
//! validated.

use std::net::IpAddr;
use std::sync::LazyLock;

use base64::Engine;
use k8s_openapi::jiff::civil::Date;
use regex::Regex;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static format pattern compiles")
}

static DATE: LazyLock<Regex> = LazyLock::new(|| re(r"^\d{4}-\d{2}-\d{2}$"));
static TIME: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(\d{2}):(\d{2}):(\d{2})(\.\d+)?(z|[+-]\d{2}:\d{2})$"));
static HOSTNAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$",
    )
});
static UUID: LazyLock<[Regex; 4]> = LazyLock::new(|| {
    let hex = "[0-9a-f]";
    [
        re(&format!(
            "(?i)^{hex}{{8}}-?{hex}{{4}}-?{hex}{{4}}-?{hex}{{4}}-?{hex}{{12}}$"
        )),
        re(&format!(
            "(?i)^{hex}{{8}}-?{hex}{{4}}-?3{hex}{{3}}-?{hex}{{4}}-?{hex}{{12}}$"
        )),
        re(&format!(
            "(?i)^{hex}{{8}}-?{hex}{{4}}-?4{hex}{{3}}-?[89ab]{hex}{{3}}-?{hex}{{12}}$"
        )),
        re(&format!(
            "(?i)^{hex}{{8}}-?{hex}{{4}}-?5{hex}{{3}}-?[89ab]{hex}{{3}}-?{hex}{{12}}$"
        )),
    ]
});
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:[^<>@\s]+@[^<>@\s]+|[^<>]*<[^<>@\s]+@[^<>@\s]+>)$"));
static CREDIT_CARD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11}|6[27][0-9]{14})$",
    )
});
static SSN: LazyLock<Regex> = LazyLock::new(|| re(r"^\d{3}[- ]?\d{2}[- ]?\d{4}$"));
static HEX_COLOR: LazyLock<Regex> = LazyLock::new(|| re(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"));
static RGB_COLOR: LazyLock<Regex> = LazyLock::new(|| {
    let c = r"\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*";
    re(&format!(r"^rgb\({c},{c},{c}\)$"))
});
static GO_DURATION: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$"));
static LOOSE_DURATION: LazyLock<Regex> = LazyLock::new(|| re(r"(\d+)\s*([A-Za-zµ]+)"));

/// Whether `s` is valid for `format`; `None` when kube-apiserver does not validate the format.
/// Format names are compared as strfmt compares them: case-insensitively, ignoring `-` and `_`.
pub(super) fn valid(format: &str, s: &str) -> Option<bool> {
    let name: String = format
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    Some(match name.as_str() {
        "bsonobjectid" => s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()),
        "uri" => is_request_uri(s),
        "email" => EMAIL.is_match(s),
        "hostname" => is_hostname(s),
        "ipv4" => s.parse::<IpAddr>().is_ok() && s.contains('.'),
        "ipv6" => s.parse::<IpAddr>().is_ok() && s.contains(':'),
        "cidr" => is_cidr(s),
        "mac" => is_mac(s),
        "uuid" => UUID[0].is_match(s),
        "uuid3" => UUID[1].is_match(s),
        "uuid4" => UUID[2].is_match(s),
        "uuid5" => UUID[3].is_match(s),
        "isbn" => is_isbn10(s) || is_isbn13(s),
        "isbn10" => is_isbn10(s),
        "isbn13" => is_isbn13(s),
        "creditcard" => is_credit_card(s),
        "ssn" => SSN.is_match(s),
        "hexcolor" => HEX_COLOR.is_match(s),
        "rgbcolor" => RGB_COLOR.is_match(s),
        "byte" => base64::engine::general_purpose::STANDARD.decode(s).is_ok(),
        "password" => true,
        "date" => is_date(s),
        "datetime" => is_date_time(s),
        "duration" => is_duration(s),
        _ => return None,
    })
}

fn is_date(s: &str) -> bool {
    DATE.is_match(s) && s.parse::<Date>().is_ok()
}

/// strfmt's `IsDateTime`: a full date, `t`, and a time with seconds and a zone, case-insensitive.
fn is_date_time(s: &str) -> bool {
    let lower = s.to_lowercase();
    let Some((date, time)) = lower.split_once('t') else {
        return false;
    };
    let Some(m) = TIME.captures(time) else {
        return false;
    };
    is_date(date) && &m[1] <= "23" && &m[2] <= "59" && &m[3] <= "59"
}

/// strfmt's `ParseDuration`: a Go duration (`1h30m`), or any text holding a number with a known
/// unit (`3 days`, `2w`).
fn is_duration(s: &str) -> bool {
    const UNITS: [&str; 18] = [
        "ns", "nano", "us", "µs", "micro", "ms", "milli", "s", "sec", "m", "min", "h", "hr",
        "hour", "d", "day", "w", "week",
    ];
    GO_DURATION.is_match(s)
        || LOOSE_DURATION.captures_iter(s).any(|m| {
            let unit = m[2].to_lowercase();
            UNITS
                .iter()
                .any(|u| unit == *u || (u.len() > 2 && unit.starts_with(u)))
        })
}

/// Go's `url.ParseRequestURI`, closely enough: an absolute URI or an absolute path, without
/// control characters or spaces.
fn is_request_uri(s: &str) -> bool {
    if s.is_empty() || s.chars().any(|c| c.is_control() || c == ' ') {
        return false;
    }
    if s.starts_with('/') {
        return true;
    }
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn is_hostname(s: &str) -> bool {
    HOSTNAME.is_match(s) && s.len() <= 255 && s.split('.').all(|label| label.len() <= 63)
}

fn is_cidr(s: &str) -> bool {
    let Some((addr, bits)) = s.split_once('/') else {
        return false;
    };
    let max = match addr.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) if !addr.contains(':') => 32,
        Ok(_) => 128,
        Err(_) => return false,
    };
    !bits.is_empty()
        && bits.len() <= 3
        && bits.bytes().all(|b| b.is_ascii_digit())
        && bits.parse::<u32>().is_ok_and(|b| b <= max)
}

/// Go's `net.ParseMAC`: 6, 8 or 20 octets as `xx:xx…`, `xx-xx…` or `xxxx.xxxx…`.
fn is_mac(s: &str) -> bool {
    let hex = |group: &str, len: usize| {
        group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit())
    };
    for sep in [':', '-'] {
        let groups: Vec<&str> = s.split(sep).collect();
        if matches!(groups.len(), 6 | 8 | 20) && groups.iter().all(|g| hex(g, 2)) {
            return true;
        }
    }
    let groups: Vec<&str> = s.split('.').collect();
    matches!(groups.len(), 3 | 4 | 10) && groups.iter().all(|g| hex(g, 4))
}

fn digits_only(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

fn is_isbn10(s: &str) -> bool {
    let d = digits_only(s);
    let bytes = d.as_bytes();
    if bytes.len() != 10
        || !bytes[..9].iter().all(u8::is_ascii_digit)
        || !(bytes[9].is_ascii_digit() || bytes[9] == b'X')
    {
        return false;
    }
    let mut sum: u32 = (0..9)
        .map(|i| (i as u32 + 1) * u32::from(bytes[i] - b'0'))
        .sum();
    sum += 10
        * if bytes[9] == b'X' {
            10
        } else {
            u32::from(bytes[9] - b'0')
        };
    sum.is_multiple_of(11)
}

fn is_isbn13(s: &str) -> bool {
    let d = digits_only(s);
    let bytes = d.as_bytes();
    if bytes.len() != 13 || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = (0..12)
        .map(|i| [1, 3][i % 2] * u32::from(bytes[i] - b'0'))
        .sum();
    u32::from(bytes[12] - b'0') == (10 - sum % 10) % 10
}

fn is_credit_card(s: &str) -> bool {
    let d = digits_only(s);
    if !CREDIT_CARD.is_match(&d) {
        return false;
    }
    // The Luhn checksum.
    let sum: u32 = d
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let n = u32::from(b - b'0');
            if i % 2 == 1 {
                if n * 2 > 9 { n * 2 - 9 } else { n * 2 }
            } else {
                n
            }
        })
        .sum();
    sum.is_multiple_of(10)
}
