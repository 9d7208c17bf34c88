//! Table cells of CRD `additionalPrinterColumns`, computed as the apiextensions-apiserver
//! table converter computes them, and Kubernetes' human-readable ages.

use k8s_openapi::jiff::Timestamp;
use serde_json::{Number, Value};

/// The cell of a printer column of `type_` for the values its JSONPath found.
///
/// As in kube-apiserver (`cellForJSONValue`): only the first result counts; no result, `null`
/// or a value of the wrong type gives `null` (kubectl prints `<none>`). `integer` truncates
/// floats, `number` widens integers, `boolean` takes booleans, `string` prints any value (JSON
/// for objects and lists, Go's `%v` for numbers), and `date` turns an RFC 3339 timestamp into an
/// age such as `5m` relative to `now`, `<invalid>` when it does not parse and `<unknown>` for
/// the zero time. The `format` does not change cells in kube-apiserver, so it is ignored here.
pub fn cell(type_: &str, _format: &str, results: &[Value], now: Timestamp) -> Value {
    let Some(value) = results.first().filter(|v| !v.is_null()) else {
        return Value::Null;
    };
    match (type_, value) {
        ("integer", Value::Number(n)) => match n.as_i64() {
            Some(int) => Value::from(int),
            // Go truncates the float64 toward zero.
            #[allow(clippy::cast_possible_truncation)]
            None => n.as_f64().map_or(Value::Null, |f| Value::from(f as i64)),
        },
        ("number", Value::Number(n)) => n
            .as_f64()
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number),
        ("boolean", Value::Bool(b)) => Value::Bool(*b),
        ("string", value) => Value::String(text(value)),
        ("date", Value::String(stamp)) => Value::String(age(stamp, now)),
        _ => Value::Null,
    }
}

/// A value as client-go's JSONPath printer writes it: strings bare, objects and lists as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => go_number(n),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A JSON number as Go's `%v` prints it: floats use the exponent form from 1e+06 and below
/// 1e-04, with shortest digits, and integral floats print without a fraction.
fn go_number(number: &Number) -> String {
    let Some(float) = number.as_f64().filter(|_| number.is_f64()) else {
        return number.to_string();
    };
    let scientific = format!("{float:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..6).contains(&exponent) {
        return float.to_string();
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.abs())
}

/// The age of an RFC 3339 timestamp, as metav1.Time and `ConvertToHumanReadableDateType` see it.
fn age(stamp: &str, now: Timestamp) -> String {
    // Go's zero time, 0001-01-01T00:00:00Z, which empty and "null" timestamps decode to.
    const ZERO_TIME: i64 = -62_135_596_800;
    if stamp.is_empty() || stamp == "null" {
        return "<unknown>".to_owned();
    }
    match stamp.parse::<Timestamp>() {
        Ok(time) if time.as_second() == ZERO_TIME && time.subsec_nanosecond() == 0 => {
            "<unknown>".to_owned()
        }
        Ok(time) => human_duration(now.duration_since(time).as_secs()),
        Err(_) => "<invalid>".to_owned(),
    }
}

/// A duration as kubectl shows ages: Kubernetes' `duration.HumanDuration`, with about two to
/// three significant figures. For `d` seconds:
///
/// | duration            | shown as                                  | example  |
/// |---------------------|-------------------------------------------|----------|
/// | below -1s           | `<invalid>` (clock skew beyond tolerance) |          |
/// | -1s                 | `0s`                                      |          |
/// | under 2 minutes     | seconds                                   | `119s`   |
/// | under 10 minutes    | minutes and seconds (seconds omitted at 0)| `3m12s`  |
/// | under 3 hours       | minutes                                   | `179m`   |
/// | under 8 hours       | hours and minutes (minutes omitted at 0)  | `3h20m`  |
/// | under 48 hours      | hours                                     | `47h`    |
/// | under 8 days        | days and hours (hours omitted at 0)       | `2d5h`   |
/// | under 2 years       | days (a year is 365 days)                 | `729d`   |
/// | under 8 years       | years and days (days omitted at 0)        | `2y150d` |
/// | 8 years and more    | years                                     | `8y`     |
///
/// Every unit truncates; nothing rounds.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return with_remainder(minutes, "m", seconds % 60, "s");
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        return with_remainder(hours, "h", minutes % 60, "m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return with_remainder(days, "d", hours % 24, "h");
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        return with_remainder(years, "y", days % 365, "d");
    }
    format!("{years}y")
}

/// `3m12s`, or `3m` when the remainder is zero.
fn with_remainder(whole: i64, unit: &str, remainder: i64, remainder_unit: &str) -> String {
    if remainder == 0 {
        format!("{whole}{unit}")
    } else {
        format!("{whole}{unit}{remainder}{remainder_unit}")
    }
}
