//! The command line's definition and the flags whose parsing is the product's own.

use clap::CommandFactory;

use super::*;

#[test]
fn command_line_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn expiries_take_a_unit() {
    assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("8h"), Ok(Duration::from_secs(8 * 3600)));
    assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
    assert!(parse_duration("8").unwrap_err().contains("unit"));
    assert!(parse_duration("h").is_err());
}

#[test]
fn controller_concurrency_defaults_to_16_and_refuses_zero_naming_the_flag() {
    let Command::Operator(operator) = Cli::try_parse_from(["compass", "operator"])
        .expect("the defaults")
        .command
    else {
        panic!("not the operator command");
    };
    assert_eq!(operator.controllers.concurrency, 16);
    let refused = Cli::try_parse_from(["compass", "up", "--controller-concurrency", "0"])
        .expect_err("no controller works at concurrency 0")
        .to_string();
    assert!(
        refused.contains("--controller-concurrency") && refused.contains("1..=256"),
        "{refused}"
    );
}

/// One-time tokens are URL-safe base64: one in 64 starts with `-`, and must still be taken
/// as the flag's value (the agent test failed on such a token).
#[test]
fn a_token_starting_with_a_hyphen_is_the_token() {
    let agent = Cli::try_parse_from(["compass", "agent", "--token", "-jX9_a", "--tenant", "t"])
        .expect("a token starting with a hyphen");
    let Command::Agent(agent) = agent.command else {
        panic!("not the agent command");
    };
    assert_eq!(agent.token.as_deref(), Some("-jX9_a"));
    assert_eq!(agent.tenant.as_deref(), Some("t"));

    let connect =
        Cli::try_parse_from(["compass", "connect", "--token", "-Zq", "--url", "https://c"])
            .expect("a bare token starting with a hyphen");
    let Command::Connect(connect) = connect.command else {
        panic!("not the connect command");
    };
    assert_eq!(connect.token.as_deref(), Some("-Zq"));
}
