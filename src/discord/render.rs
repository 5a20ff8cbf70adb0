//! Engine replies as Discord messages: text split under 2,000 characters,
//! choices as buttons (five to a row), the campaign as an embed with a
//! progress bar, and forms as modals.

use serenity::all::{ButtonStyle, InputTextStyle};
use serenity::builder::{CreateActionRow, CreateButton, CreateEmbed, CreateEmbedFooter, CreateInputText, CreateModal};

use crate::conversation::{Form, Link, Reply, Summary};
use crate::organiser::{progress, thousands};

/// Longest message content Discord accepts, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Discord allows five buttons to a row, five rows to a message.
const BUTTONS_PER_ROW: usize = 5;
const MOST_ROWS: usize = 5;

/// `custom_id`s of the adapter's own buttons; engine choices are `c:` plus
/// the choice's data.
pub mod ids {
    /// Opens the signing form.
    pub const SIGN: &str = "sign";
    /// Opens the form again, with what was already given.
    pub const FORM: &str = "form";
    /// Shows the article.
    pub const ARTICLE: &str = "article";
    /// Moves the conversation to a direct message.
    pub const DM: &str = "dm";
    /// The signing form's modal.
    pub const MODAL: &str = "signing-form";
    /// Prefix of buttons that carry an engine choice.
    pub const CHOICE_PREFIX: &str = "c:";
    /// The form's fields.
    pub const NAME: &str = "name";
    /// See [`NAME`].
    pub const EMAIL: &str = "email";
    /// See [`NAME`].
    pub const LOCATION: &str = "location";
}

/// The buttons for a reply: its choices, then the adapter's own.
pub fn components(reply: &Reply) -> Vec<CreateActionRow> {
    let mut buttons: Vec<CreateButton> = reply
        .choices
        .iter()
        .map(|choice| {
            CreateButton::new(format!("{}{}", ids::CHOICE_PREFIX, choice.data))
                .label(truncate(&choice.label, 80))
                .style(ButtonStyle::Secondary)
        })
        .collect();
    if reply.form.is_some() {
        buttons.insert(
            0,
            CreateButton::new(ids::FORM)
                .label("Open the form")
                .style(ButtonStyle::Primary),
        );
    }
    if let Some(Link::SignPrivately { .. }) = reply.link {
        buttons.extend([
            CreateButton::new(ids::SIGN).label("Sign").style(ButtonStyle::Primary),
            CreateButton::new(ids::ARTICLE)
                .label("Read the article")
                .style(ButtonStyle::Secondary),
            CreateButton::new(ids::DM)
                .label("Sign by direct message")
                .style(ButtonStyle::Secondary),
        ]);
    }
    buttons
        .chunks(BUTTONS_PER_ROW)
        .take(MOST_ROWS)
        .map(|row| CreateActionRow::Buttons(row.to_vec()))
        .collect()
}

/// The text of a reply, with what Discord has no link for spelled out.
pub fn text(reply: &Reply) -> String {
    match &reply.link {
        Some(Link::Share { code, .. }) => format!("{}\n\nOn Discord, friends can use `/sign code:{code}`.", reply.text),
        _ => reply.text.clone(),
    }
}

/// "▰▰▰▱▱▱▱▱▱▱ 30%".
pub fn progress_bar(total: u64, goal: u64) -> String {
    const CELLS: u64 = 20;
    let filled = (total.min(goal) * CELLS).checked_div(goal).unwrap_or(CELLS);
    let percent = total.saturating_mul(100).checked_div(goal).unwrap_or(100);
    format!(
        "{}{} {percent}%",
        "▰".repeat(filled as usize),
        "▱".repeat((CELLS - filled) as usize)
    )
}

/// The campaign as an embed.
pub fn summary_embed(summary: &Summary) -> CreateEmbed {
    CreateEmbed::new()
        .title(truncate(&summary.title, 256))
        .description(truncate(
            &format!("A petition to {}:\n\n> {}", summary.addressed_to, summary.statement),
            4096,
        ))
        .field(
            "Signatures",
            format!(
                "{}\n{}",
                progress_bar(summary.total, summary.goal),
                progress(summary.total, summary.goal)
            ),
            false,
        )
        .footer(CreateEmbedFooter::new(format!(
            "Started by {}. Your details are never shown here. Goal: {}",
            summary.author,
            thousands(summary.goal)
        )))
}

/// The signing form: at most 5 inputs, title and labels at most 45
/// characters, as Discord requires.
pub fn modal(campaign_title: &str, form: &Form) -> CreateModal {
    let input = |id: &str, label: &str, value: &str, max: u16| {
        let mut input = CreateInputText::new(InputTextStyle::Short, label, id).max_length(max);
        if !value.is_empty() {
            input = input.value(value);
        }
        input
    };
    let email_label = if form.email_optional {
        "Email (optional, never published)"
    } else {
        "Email (never published)"
    };
    CreateModal::new(ids::MODAL, truncate(&format!("Sign: {campaign_title}"), 45)).components(vec![
        CreateActionRow::InputText(
            input(ids::NAME, "Your name, as it will appear", &form.name, 100)
                .min_length(2)
                .required(true),
        ),
        CreateActionRow::InputText(input(ids::EMAIL, email_label, &form.email, 254).required(!form.email_optional)),
        CreateActionRow::InputText(
            input(
                ids::LOCATION,
                "UK postcode, or your country if abroad",
                &form.location,
                60,
            )
            .placeholder("SW1A 1AA, or France")
            .required(true),
        ),
    ])
}

/// At most `limit` characters, with an ellipsis if cut.
pub fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(limit - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_bar_fills_towards_the_goal() {
        assert_eq!(progress_bar(0, 100), format!("{} 0%", "▱".repeat(20)));
        assert_eq!(
            progress_bar(50, 100),
            format!("{}{} 50%", "▰".repeat(10), "▱".repeat(10))
        );
        assert_eq!(progress_bar(150, 100), format!("{} 150%", "▰".repeat(20)));
    }

    #[test]
    fn long_titles_are_cut_to_discords_limits() {
        let cut = truncate(&"x".repeat(50), 45);
        assert_eq!(cut.chars().count(), 45);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short", 45), "short");
    }
}
