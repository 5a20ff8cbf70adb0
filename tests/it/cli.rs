//! The `petition` binary as a newcomer and an organiser use it: a scripted
//! console session, stats and export from the command line, configuration
//! errors, and what happens with no bot token.

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

fn petition(folder: &Path) -> Command {
    support::petition_binary(folder)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const SIGNING: &str = "sign\nAda Lovelace\nada@example.org\nSW1A 1AA\nyes\nconfirm\n";

#[test]
fn a_scripted_console_session_signs_and_stats_then_shows_a_total_of_one() {
    let folder = tempfile::tempdir().unwrap();
    let mut console = petition(folder.path());
    console.arg("console");
    let session = support::run_with_input(console, SIGNING);
    assert!(session.status.success(), "{}", stderr(&session));
    let transcript = stdout(&session);
    assert!(
        transcript.contains("Keep the human trafficking unit open"),
        "{transcript}"
    );
    assert!(
        transcript.contains("> confirm"),
        "piped answers are echoed: {transcript}"
    );
    assert!(transcript.contains("Thank you, Ada Lovelace!"), "{transcript}");

    let mut stats = petition(folder.path());
    stats.arg("stats");
    let stats = stats.output().unwrap();
    assert!(stats.status.success(), "{}", stderr(&stats));
    let text = stdout(&stats);
    assert!(text.contains("Total: 1 of 10,000 signatures"), "{text}");
    assert!(text.contains("SW1A: 1"), "{text}");

    let mut recount = petition(folder.path());
    recount.arg("recount");
    let recount = recount.output().unwrap();
    assert!(recount.status.success(), "{}", stderr(&recount));
    assert_eq!(stdout(&recount).trim(), "keep-the-unit-open: 1 counted; no drift");

    let mut json = petition(folder.path());
    json.args(["stats", "--json", "--campaign", "keep-the-unit-open"]);
    let json = json.output().unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    assert_eq!(parsed["total"], 1);
    assert_eq!(parsed["by_platform"][0]["label"], "console");

    let mut export = petition(folder.path());
    export.args(["export", "--output", "signatures.csv"]);
    let export = export.output().unwrap();
    assert!(export.status.success(), "{}", stderr(&export));
    let csv = std::fs::read_to_string(folder.path().join("signatures.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "name,postcode_district,country,platform,signed_at");
    assert!(lines[1].starts_with("Ada Lovelace,SW1A,,console,"), "{csv}");
    assert_eq!(lines.len(), 2);
    assert!(!csv.contains("ada@example.org"), "exports for delivery carry no emails");
}

#[test]
fn console_choices_can_be_picked_by_number() {
    let folder = tempfile::tempdir().unwrap();
    let mut console = petition(folder.path());
    console.args(["console", "--as", "numbers"]);
    // 1 = Sign the petition; at the consent step 1 = Yes; the console is not
    // asked about updates (none can reach it); at the review 1 = Confirm.
    let session = support::run_with_input(console, "1\nAda Lovelace\nada@example.org\nSW1A 1AA\n1\n1\n");
    let transcript = stdout(&session);
    assert!(transcript.contains("[1] Sign the petition (sign)"), "{transcript}");
    assert!(transcript.contains("Thank you, Ada Lovelace!"), "{transcript}");
}

#[test]
fn a_line_that_is_not_utf8_is_asked_again_and_the_signing_goes_on() {
    let folder = tempfile::tempdir().unwrap();
    let mut console = petition(folder.path());
    console.args(["console", "--as", "garbled"]);
    let mut input = b"sign\nAda Lovelace\n".to_vec();
    input.extend_from_slice(b"ada@exam\xFF\xFEple.org\n\xC3\n");
    input.extend_from_slice(b"ada@example.org\nSW1A 1AA\nyes\nconfirm\n");
    let session = support::run_with_input(console, input);
    assert!(session.status.success(), "{}", stderr(&session));
    let transcript = stdout(&session);
    assert_eq!(
        transcript.matches("Please type that again").count(),
        2,
        "each unreadable line is answered: {transcript}"
    );
    assert!(transcript.contains("Thank you, Ada Lovelace!"), "{transcript}");
    assert!(transcript.contains("Email: ada@example.org"), "{transcript}");

    let mut stats = petition(folder.path());
    stats.arg("stats");
    let text = stdout(&stats.output().unwrap());
    assert!(text.contains("Total: 1 of 10,000 signatures"), "{text}");
}

#[test]
fn organiser_commands_at_the_console_depend_on_who_you_are() {
    let folder = tempfile::tempdir().unwrap();
    let mut supporter = petition(folder.path());
    supporter.args(["console", "--as", "someone"]);
    let refused = stdout(&support::run_with_input(supporter, "stats\nexport\n"));
    assert!(
        refused.contains("only the campaign's organisers can use stats"),
        "{refused}"
    );
    assert!(
        refused.contains("only the campaign's organisers can use export"),
        "{refused}"
    );
    assert!(
        !folder
            .path()
            .read_dir()
            .unwrap()
            .any(|f| f.unwrap().path().extension().is_some_and(|e| e == "csv"))
    );

    let mut organiser = petition(folder.path());
    organiser.args(["console", "--as", "organiser"]);
    let allowed = stdout(&support::run_with_input(organiser, "stats\nexport\n"));
    assert!(
        allowed.contains("Stats for \"Keep the human trafficking unit open\""),
        "{allowed}"
    );
    assert!(allowed.contains("Saved as keep-the-unit-open-signatures-"), "{allowed}");
}

#[test]
fn running_without_any_token_explains_what_to_set() {
    let folder = tempfile::tempdir().unwrap();
    let output = petition(folder.path()).output().unwrap();
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("TELEGRAM_BOT_TOKEN"), "{message}");
    assert!(message.contains("DISCORD_BOT_TOKEN"), "{message}");
    assert!(message.contains("petition console"), "{message}");
}

#[test]
fn an_invalid_setting_stops_start_up_naming_the_key() {
    let folder = tempfile::tempdir().unwrap();
    let mut zero_goal = petition(folder.path());
    zero_goal
        .args(["stats"])
        .env("PETITION_CAMPAIGNS__KEEP-THE-UNIT-OPEN__GOAL", "0");
    let output = zero_goal.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`campaigns.keep-the-unit-open.goal` must be at least 1"),
        "{}",
        stderr(&output)
    );

    let mut wrong_type = petition(folder.path());
    wrong_type
        .args(["stats"])
        .env("PETITION_CONVERSATION__ABANDON_AFTER_HOURS", "soon");
    let output = wrong_type.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("conversation.abandon_after_hours"), "{message}");
    assert!(
        message.contains("PETITION_"),
        "the message says where the value came from: {message}"
    );

    let mut typo = petition(folder.path());
    typo.args(["stats"]).env("PETITION_ORGANISER__TELEGRAM_USERS", "[1]");
    let output = typo.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("organiser"), "{}", stderr(&output));

    let mut webhook_without_secret = petition(folder.path());
    webhook_without_secret
        .args(["stats"])
        .env("PETITION_TELEGRAM__WEBHOOK_URL", "https://bot.example.org/telegram");
    let output = webhook_without_secret.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`telegram.webhook_secret` must be set"),
        "{}",
        stderr(&output)
    );

    let mut missing = petition(folder.path());
    missing.args(["--config", "nowhere.toml", "stats"]);
    let output = missing.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("nowhere.toml"), "{}", stderr(&output));
}

#[test]
fn a_secret_in_a_bad_setting_is_never_echoed() {
    let folder = tempfile::tempdir().unwrap();
    let mut bad = petition(folder.path());
    bad.args(["stats"])
        .env("DATABASE_URL", "mysql://user:hunter2@db/petition");
    let output = bad.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("database.url"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

#[test]
fn environment_variables_override_the_config_files() {
    let folder = tempfile::tempdir().unwrap();
    let mut stats = petition(folder.path());
    stats
        .args(["stats"])
        .env("PETITION_CAMPAIGNS__KEEP-THE-UNIT-OPEN__GOAL", "500");
    let output = stats.output().unwrap();
    assert!(
        stdout(&output).contains("Total: 0 of 500 signatures"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn an_organiser_can_run_their_own_campaign_by_config_alone() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("ours.toml"),
        r#"
default_campaign = "save-the-library"

[campaigns.save-the-library]
title = "Save the Elm Street library"
targets = ["the council"]
statement = "We ask the council to keep the Elm Street library open."
author = "Friends of Elm Street"
summary = "The council plans to close our library."
goal = 250
require_email = false
article = "The library has served us for 90 years."
privacy = "We keep your name and area."

[campaigns.save-the-library.consent]
version = 1
wording = "You agree that we store your name and area."
"#,
    )
    .unwrap();
    let mut console = petition(folder.path());
    console.args(["--config", "ours.toml", "console"]);
    let transcript = stdout(&support::run_with_input(
        console,
        "sign\nAda Lovelace\nskip\nSW1A 1AA\nyes\nconfirm\n",
    ));
    assert!(transcript.contains("Save the Elm Street library"), "{transcript}");
    assert!(transcript.contains("A petition to the council"), "{transcript}");
    assert!(transcript.contains("Email: not given"), "{transcript}");
    assert!(transcript.contains("1 of 250 signatures"), "{transcript}");

    let mut stats = petition(folder.path());
    stats.args(["--config", "ours.toml", "stats", "--campaign", "keep-the-unit-open"]);
    let output = stats.output().unwrap();
    assert!(
        stdout(&output).contains("Total: 0 of 10,000"),
        "both campaigns stay configured"
    );
}

/// A setting that must stop start-up without its value being shown.
struct Leak {
    /// What the case is about, for failure messages.
    case: &'static str,
    /// Written to `local.toml` and passed with `--config`, if set.
    file: Option<&'static str>,
    /// Environment variables set for the run.
    env: &'static [(&'static str, &'static str)],
    /// What must not appear anywhere in the output.
    secret: &'static str,
    /// What the message must say instead: the key or the place, and the problem.
    mentions: &'static [&'static str],
}

const LEAKS: &[Leak] = &[
    Leak {
        case: "a TOML syntax error on a line holding a password in a URL",
        file: Some("[database]\nurl = postgres://petition:Tr0ub4dor-and-3@db.example.org/petition\n"),
        env: &[],
        secret: "Tr0ub4dor",
        mentions: &["local.toml", "TOML syntax error at line 2, column 7"],
    },
    Leak {
        case: "an unterminated string holding a token",
        file: Some(
            "[telegram]\napi_url = \"https://api.telegram.org\"\ntoken = \"123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\n",
        ),
        env: &[],
        secret: "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        mentions: &["local.toml", "TOML syntax error at line 3"],
    },
    Leak {
        case: "an unknown enum value that looks like a secret, from the environment",
        file: None,
        env: &[(
            "PETITION_CAMPAIGNS__KEEP-THE-UNIT-OPEN__LIMITS__NEW_DISCORD_ACCOUNTS",
            "sk_live_51HqLyjWDarjtT1zdp7dc",
        )],
        secret: "sk_live_51HqLyjWDarjtT1zdp7dc",
        mentions: &[
            "campaigns.keep-the-unit-open.limits.new_discord_accounts",
            "`hold`",
            "`refuse`",
        ],
    },
    Leak {
        case: "an unknown enum value that looks like a secret, from a file",
        file: Some("[campaigns.keep-the-unit-open.limits]\nnew_discord_accounts = \"sk_live_51HqLyjWDarjtT1zdp7dc\"\n"),
        env: &[],
        secret: "sk_live_51HqLyjWDarjtT1zdp7dc",
        mentions: &["campaigns.keep-the-unit-open.limits.new_discord_accounts", "`hold`"],
    },
    Leak {
        case: "a secret where a number belongs",
        file: None,
        env: &[(
            "PETITION_DATABASE__MAX_CONNECTIONS",
            "postgres://petition:Tr0ub4dor-and-3@db.example.org/petition",
        )],
        secret: "Tr0ub4dor",
        mentions: &["database.max_connections", "expected u32"],
    },
    Leak {
        case: "a numeric token, which is the wrong type",
        file: Some("[telegram]\napi_url = \"https://api.telegram.org\"\ntoken = 8123456789\n"),
        env: &[],
        secret: "8123456789",
        mentions: &["telegram.token", "local.toml"],
    },
    Leak {
        case: "a number too large for its setting",
        file: None,
        env: &[("PETITION_DATABASE__MAX_CONNECTIONS", "98765432109876")],
        secret: "98765432109876",
        mentions: &["database.max_connections", "u32"],
    },
    Leak {
        case: "a misspelt key holding a password",
        file: Some("[database]\nurl = \"sqlite://petition.db\"\npasword = \"Tr0ub4dor-and-3\"\n"),
        env: &[],
        secret: "Tr0ub4dor",
        mentions: &["database.pasword"],
    },
    Leak {
        case: "a default campaign that is not configured",
        file: None,
        env: &[("PETITION_DEFAULT_CAMPAIGN", "Tr0ub4dor-and-3")],
        secret: "Tr0ub4dor",
        mentions: &["default_campaign", "keep-the-unit-open"],
    },
    Leak {
        case: "a database URL with an unsupported scheme",
        file: None,
        env: &[(
            "DATABASE_URL",
            "mysql://petition:Tr0ub4dor-and-3@db.example.org/petition",
        )],
        secret: "Tr0ub4dor",
        mentions: &["database.url"],
    },
    Leak {
        case: "a pseudonym key that is too short",
        file: None,
        env: &[("PETITION_LOGGING__PSEUDONYM_KEY", "Tr0ub4dor-and-3")],
        secret: "Tr0ub4dor",
        mentions: &["logging.pseudonym_key", "at least 32 characters"],
    },
    Leak {
        case: "a token given as a list",
        file: None,
        env: &[(
            "PETITION_TELEGRAM__TOKEN",
            "[\"123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\"]",
        )],
        secret: "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        mentions: &["telegram.token"],
    },
];

#[test]
fn config_errors_name_the_key_and_never_echo_the_value() {
    let folder = tempfile::tempdir().unwrap();
    // Every case runs, so one failure shows every leak at once.
    let mut failures = Vec::new();
    for leak in LEAKS {
        let mut command = petition(folder.path());
        if let Some(contents) = leak.file {
            std::fs::write(folder.path().join("local.toml"), contents).unwrap();
            command.args(["--config", "local.toml"]);
        }
        command.arg("stats").envs(leak.env.iter().copied());
        let output = command.output().unwrap();
        let printed = format!("{}{}", stdout(&output), stderr(&output));
        if output.status.success() {
            failures.push(format!("{}: start-up went ahead\n{printed}", leak.case));
        }
        if printed.contains(leak.secret) {
            failures.push(format!("{}: the value is echoed\n{printed}", leak.case));
        }
        for mention in leak.mentions {
            if !stderr(&output).contains(mention) {
                failures.push(format!("{}: no {mention:?} in\n{printed}", leak.case));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn close_with_yes_asks_nothing_and_closes() {
    let folder = tempfile::tempdir().unwrap();
    let mut close = petition(folder.path());
    close.args(["close", "--yes"]);
    let output = support::run_with_input(close, "");
    assert!(output.status.success(), "{}", stderr(&output));
    let said = stdout(&output);
    assert!(!said.contains("(yes or no)"), "nothing is asked with --yes: {said}");
    assert!(said.contains("closed"), "{said}");
}

#[test]
fn an_update_file_that_is_empty_or_not_a_file_is_refused_saying_so() {
    let folder = tempfile::tempdir().unwrap();
    let blank = folder.path().join("blank.txt");
    std::fs::write(&blank, "\n  \n").unwrap();
    let mut update = petition(folder.path());
    update.args(["update", "--yes", "--message-file"]).arg(&blank);
    let output = support::run_with_input(update, "");
    assert!(!output.status.success());
    assert!(stderr(&output).contains("That update is empty"), "{}", stderr(&output));

    // A device that never ends, and a pipe nobody writes to: refused at
    // once, without reading.
    let fifo = folder.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for source in [Path::new("/dev/zero"), fifo.as_path()] {
        let mut update = petition(folder.path());
        update.args(["update", "--yes", "--message-file"]).arg(source);
        let output = support::run_with_input(update, "");
        assert!(!output.status.success());
        assert!(
            stderr(&output).contains("is not a regular file"),
            "{}: {}",
            source.display(),
            stderr(&output)
        );
    }

    let large = folder.path().join("large.txt");
    std::fs::write(&large, "a".repeat(20_000)).unwrap();
    let mut update = petition(folder.path());
    update.args(["update", "--yes", "--message-file"]).arg(&large);
    let output = support::run_with_input(update, "");
    assert!(!output.status.success());
    assert!(stderr(&output).contains("is larger than 16 KiB"), "{}", stderr(&output));
}

#[test]
fn discord_addresses_are_checked_at_start_up_by_key() {
    let folder = tempfile::tempdir().unwrap();
    for (key, variable, value) in [
        ("discord.api_url", "PETITION_DISCORD__API_URL", "garbage"),
        (
            "discord.gateway_url",
            "PETITION_DISCORD__GATEWAY_URL",
            "https://gateway.example.org",
        ),
        ("discord.gateway_url", "PETITION_DISCORD__GATEWAY_URL", "nonsense"),
    ] {
        let mut stats = petition(folder.path());
        stats.args(["stats"]).env(variable, value);
        let output = stats.output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{value}");
        let message = stderr(&output);
        assert!(message.contains(&format!("`{key}`")), "{message}");
        assert!(!message.contains(value), "the value is never echoed: {message}");
    }
}

#[test]
fn a_stray_petition_variable_is_named_with_how_to_fix_it() {
    let folder = tempfile::tempdir().unwrap();
    let mut stats = petition(folder.path());
    stats.args(["stats"]).env("PETITION_BIN", "/usr/local/bin/petition");
    let output = stats.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("`PETITION_BIN`"), "{message}");
    assert!(message.contains("unset it"), "{message}");
    assert!(
        !message.contains("/usr/local/bin"),
        "the value is never echoed: {message}"
    );

    let mut nested = petition(folder.path());
    nested.args(["stats"]).env("PETITION_TELEGRAM__TOKN", "x");
    let output = nested.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`PETITION_TELEGRAM__TOKN`"),
        "{}",
        stderr(&output)
    );

    // A campaign's key whose slug has hyphens, as the README shows: the
    // shell cannot export such a name, but `env` can set it.
    let mut hyphens = Command::new("env");
    hyphens
        .arg("PETITION_CAMPAIGNS__KEEP-THE-UNIT-OPEN__GOAL=0")
        .arg(env!("CARGO_BIN_EXE_petition"))
        .arg("stats")
        .current_dir(folder.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", folder.path().join("petition.db").display()),
        );
    let output = hyphens.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`campaigns.keep-the-unit-open.goal` must be at least 1"),
        "{}",
        stderr(&output)
    );
}
