//! Structured logs to stderr, plain or JSON, filtered like `RUST_LOG`.

use tracing_subscriber::{EnvFilter, filter::LevelFilter};

use crate::cli::LogFormat;

/// Left out unless the filter names kube-runtime: the span kube-runtime opens around every
/// reconcile. Recording its fields (the object and why it is reconciled, formatted) and entering
/// it on every poll cost about 4 % of the operator's CPU in a burst of changes, and the
/// controllers' own logs name the object they are about. `COMPASS_LOG=info,kube_runtime=info`
/// brings it back.
const QUIET_BY_DEFAULT: &str = "kube_runtime::controller=warn";

/// Structured logs to stderr, filtered like RUST_LOG.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: redirected logs and log collectors get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(with_defaults(filter))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Plain => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// `filter` with [`QUIET_BY_DEFAULT`], unless it says something of kube-runtime itself or lets
/// nothing as detailed as the span through anyway.
fn with_defaults(filter: EnvFilter) -> EnvFilter {
    let names_kube_runtime = filter.to_string().contains("kube_runtime");
    let detailed = filter
        .max_level_hint()
        .is_none_or(|level| level >= LevelFilter::INFO);
    match QUIET_BY_DEFAULT.parse() {
        Ok(quiet) if detailed && !names_kube_runtime => filter.add_directive(quiet),
        _ => filter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reconcile_span_is_left_out_unless_the_filter_names_kube_runtime_or_is_quieter() {
        let filtered = |filter: &str| with_defaults(EnvFilter::new(filter)).to_string();
        assert_eq!(filtered("info"), "kube_runtime::controller=warn,info");
        assert_eq!(
            filtered("compass=debug"),
            "kube_runtime::controller=warn,compass=debug"
        );
        assert_eq!(
            filtered("info,kube_runtime=debug"),
            "kube_runtime=debug,info"
        );
        assert_eq!(filtered("off"), "off");
        assert_eq!(filtered("warn"), "warn");
    }
}
