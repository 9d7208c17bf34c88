//! Verdicts of pure checks, and how they become conditions: each check sets its own condition,
//! and `Ready` takes the reason and message of the first check that fails.

use compass_crds::conditions::READY;

use super::status::Conditions;

/// The outcome of one check, as a condition reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the check passed.
    pub holds: bool,
    /// CamelCase reason.
    pub reason: &'static str,
    /// What is wrong and what to do, or what holds.
    pub message: String,
}

impl Verdict {
    /// A passed check.
    pub fn pass(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            holds: true,
            reason,
            message: message.into(),
        }
    }

    /// A failed check.
    pub fn fail(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            holds: false,
            reason,
            message: message.into(),
        }
    }
}

/// Sets each check's condition, then `Ready`: False with the first failed verdict's reason and
/// message, or True with `ready`.
pub fn set_with_summary(conditions: &mut Conditions, checks: &[(&str, &Verdict)], ready: Verdict) {
    for (type_, verdict) in checks {
        conditions.set(
            type_,
            verdict.holds,
            verdict.reason,
            verdict.message.clone(),
        );
    }
    let summary = summary(checks.iter().map(|(_, v)| *v), ready);
    conditions.set(READY, summary.holds, summary.reason, summary.message);
}

/// The first failed verdict, or `ready` when every one passed.
pub fn summary<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>, ready: Verdict) -> Verdict {
    verdicts
        .into_iter()
        .find(|v| !v.holds)
        .cloned()
        .unwrap_or(ready)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failure_decides() {
        let ok = Verdict::pass("Fine", "fine");
        let bad = Verdict::fail("Broken", "fix it");
        let worse = Verdict::fail("Worse", "later");
        assert_eq!(
            summary([&ok, &bad, &worse], Verdict::pass("Ready", "ok")),
            bad
        );
        assert_eq!(summary([&ok], Verdict::pass("Ready", "ok")).reason, "Ready");
    }
}
