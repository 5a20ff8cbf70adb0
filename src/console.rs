//! The terminal adapter: the signing conversation at a prompt, for trying the
//! bot without any token and for scripting (answers piped on standard input).
//!
//! Choices are numbered; typing the number presses the button, typing the
//! word works too.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use crate::conversation::{Choice, Engine, Incoming, Input, Link, Reply};
use crate::domain::{Identity, Platform};
use crate::messages::{Language, Localised, Message};

/// The console's own wording, in the engine's language.
fn say(language: Language, message: Message<'_>) -> Localised<'_> {
    message.in_language(language)
}

/// Runs one supporter's conversation on standard input and output until the
/// input ends (Ctrl-D) or they type `quit`. `campaign` is a start payload:
/// a campaign slug, optionally with `__` and a share code.
pub async fn run(engine: &Engine, user: &str, campaign: Option<&str>) -> anyhow::Result<()> {
    let interactive = std::io::stdin().is_terminal();
    let language = engine.language();
    let mut stdout = tokio::io::stdout();
    let mut input = BufReader::new(tokio::io::stdin());
    let mut raw = Vec::new();
    let who = Identity::new(Platform::Console, user);
    if interactive {
        stdout
            .write_all(format!("{}\n\n", say(language, Message::ConsoleIntro)).as_bytes())
            .await?;
    }
    let start = Input::Start {
        payload: campaign.map(str::to_owned),
    };
    let mut choices = show(
        &mut stdout,
        language,
        engine.handle(Incoming::private(who.clone(), start)).await,
    )
    .await?;
    loop {
        if interactive {
            stdout.write_all(b"> ").await?;
            stdout.flush().await?;
        }
        raw.clear();
        if input
            .read_until(b'\n', &mut raw)
            .await
            .context("could not read standard input")?
            == 0
        {
            break;
        }
        // A stray byte (a paste from elsewhere, a terminal in another
        // encoding) is one unreadable answer, not the end of the session.
        let Ok(line) = std::str::from_utf8(&raw) else {
            if !interactive {
                let shown = String::from_utf8_lossy(&raw);
                stdout.write_all(format!("> {}\n", shown.trim()).as_bytes()).await?;
            }
            stdout
                .write_all(format!("{}\n\n", say(language, Message::ConsoleUnreadable)).as_bytes())
                .await?;
            continue;
        };
        let line = line.trim();
        if line.eq_ignore_ascii_case("quit") || line.eq_ignore_ascii_case("exit") {
            break;
        }
        if !interactive {
            // Echo piped answers so a transcript reads as a conversation.
            stdout.write_all(format!("> {line}\n").as_bytes()).await?;
        }
        let input = pick(line, &choices).unwrap_or_else(|| Input::Text(line.to_owned()));
        let replies = engine.handle(Incoming::private(who.clone(), input)).await;
        choices = show(&mut stdout, language, replies).await?;
    }
    stdout.flush().await?;
    Ok(())
}

/// A number typed at the prompt presses that choice.
fn pick(line: &str, choices: &[Choice]) -> Option<Input> {
    let number: usize = line.parse().ok()?;
    let choice = choices.get(number.checked_sub(1)?)?;
    Some(Input::Choice(choice.data.clone()))
}

/// Prints replies; returns the choices of the last one that offered any.
async fn show(
    out: &mut (impl AsyncWrite + Unpin),
    language: Language,
    replies: Vec<Reply>,
) -> anyhow::Result<Vec<Choice>> {
    let mut choices = Vec::new();
    for reply in replies {
        let mut text = reply.text.clone();
        match &reply.link {
            Some(Link::Share { payload, .. }) => {
                text.push_str(&format!("\n\n{}", say(language, Message::ConsoleShare { payload })));
            }
            Some(Link::SignPrivately { .. }) | None => {}
        }
        if let Some(attachment) = &reply.attachment {
            let path = Path::new(&attachment.file_name);
            tokio::fs::write(path, &attachment.bytes)
                .await
                .with_context(|| format!("could not write {}", path.display()))?;
            text.push_str(&format!("\n\n{}", say(language, Message::ConsoleSaved { path })));
        }
        if !reply.choices.is_empty() {
            let listed: Vec<String> = reply
                .choices
                .iter()
                .enumerate()
                .map(|(i, c)| format!("[{}] {} ({})", i + 1, c.label, c.typed))
                .collect();
            text.push_str(&format!("\n\n{}", listed.join("   ")));
            choices = reply.choices;
        }
        out.write_all(format!("{text}\n\n").as_bytes()).await?;
    }
    out.flush().await?;
    Ok(choices)
}
