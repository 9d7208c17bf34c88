//! Flags of the API's accounting, shared by `compass up` and `compass api`: where audit lines go,
//! how large the audit file grows, and the rate limit of each kind of consumer.

use clap::Args;
use compass_api::{
    audit::AuditSink,
    rate_limit::{KindLimit, RateLimitConfig},
};

/// What the API records and how much it admits of each consumer.
#[derive(Debug, Args)]
pub struct AuditLimitArgs {
    /// Where audit lines go (one JSON object per mutation or refusal): a file, `-` for standard
    /// output, or `off`. `compass up` writes `audit.log` in its data directory by default,
    /// `compass api` standard output.
    #[arg(long, env = "COMPASS_AUDIT_LOG", value_name = "PATH|-|off")]
    pub audit_log: Option<String>,

    /// Size at which the audit file is renamed to `<file>.1` (replacing the older one) and begun
    /// anew: bytes, or a number with `Ki`, `Mi` or `Gi`.
    #[arg(long, env = "COMPASS_AUDIT_LOG_MAX_BYTES", default_value = "64Mi", value_parser = parse_bytes)]
    pub audit_log_max_bytes: u64,

    /// Rate limit of one kind of consumer, per consumer: `<kind>=<per second>/<burst>` or
    /// `<kind>=off`, kind one of `user`, `application`, `runtime`, `integration_system`
    /// (repeatable, or comma-separated in the variable). Defaults: `user=50/100`,
    /// `application=20/40`, `runtime=20/40`, `integration_system=50/100`.
    #[arg(
        long = "rate-limit",
        env = "COMPASS_RATE_LIMITS",
        value_delimiter = ',',
        value_name = "KIND=RATE/BURST"
    )]
    pub rate_limits: Vec<KindLimit>,
}

impl AuditLimitArgs {
    /// The audit sink: as given, else `default`.
    pub fn sink(&self, default: AuditSink) -> AuditSink {
        match &self.audit_log {
            Some(arg) => AuditSink::from_arg(arg, self.audit_log_max_bytes),
            None => default,
        }
    }

    /// The defaults with the limits given over them.
    pub fn rate_limits(&self) -> RateLimitConfig {
        let mut config = RateLimitConfig::default();
        for limit in &self.rate_limits {
            config.set(*limit);
        }
        config
    }
}

/// Parses `1048576`, `512Ki`, `64Mi` or `1Gi`.
fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(split) => text.split_at(split),
        None => (text, ""),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a number of bytes (optionally with Ki, Mi or Gi)"))?;
    let unit: u64 = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        _ => return Err(format!("{text:?}: the unit must be Ki, Mi or Gi")),
    };
    match number.checked_mul(unit) {
        Some(0) => Err(format!("{text:?}: the bound must be more than zero")),
        Some(bytes) => Ok(bytes),
        None => Err(format!("{text:?} is too large")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn byte_bounds_take_binary_units() {
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("64Mi"), Ok(64 << 20));
        assert_eq!(parse_bytes("1Gi"), Ok(1 << 30));
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("5MB").is_err());
    }

    #[test]
    fn audit_and_rate_limit_flags_parse() {
        let cli = super::super::Cli::try_parse_from([
            "compass",
            "up",
            "--audit-log",
            "-",
            "--rate-limit",
            "user=5/10",
            "--rate-limit",
            "runtime=off",
        ])
        .unwrap();
        let super::super::Command::Up(up) = cli.command else {
            panic!("up parses as up")
        };
        assert_eq!(
            up.settings.audit_limits.sink(AuditSink::Off),
            AuditSink::Stdout
        );
        let limits = up.settings.audit_limits.rate_limits();
        assert_eq!(limits.runtime, compass_api::rate_limit::Limit::Off);
        assert_eq!(
            limits.user,
            compass_api::rate_limit::Limit::Bucket {
                per_second: 5.0,
                burst: 10
            }
        );
        assert_eq!(limits.application, RateLimitConfig::default().application);
        let bad = super::super::Cli::try_parse_from(["compass", "up", "--rate-limit", "robot=1/1"]);
        assert!(bad.is_err());
    }
}
