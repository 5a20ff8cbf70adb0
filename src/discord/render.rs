//! Engine replies as Discord messages: text split under 2,000 characters,
//! choices as buttons (five to a row), the campaign as an embed with a
//! progress bar, and forms as modals. What the adapter adds is worded by
//! the catalogue in the language it is given, the engine's.

use serenity::all::{ButtonStyle, InputTextStyle};
use serenity::builder::{CreateActionRow, CreateButton, CreateEmbed, CreateEmbedFooter, CreateInputText, CreateModal};

use crate::conversation::{Form, Link, Reply, Summary};
use crate::messages::{Button, FormLabel, Language, Message};

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
    /// The modal an organiser writes an update in.
    pub const UPDATE_MODAL: &str = "update-form";
    /// Its one field.
    pub const UPDATE_TEXT: &str = "update-text";
}

/// The buttons for a reply: its choices, then the adapter's own.
pub fn components(reply: &Reply, language: Language) -> Vec<CreateActionRow> {
    let label = |button: Button| Message::Button(button).text(language);
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
                .label(label(Button::OpenForm))
                .style(ButtonStyle::Primary),
        );
    }
    if let Some(Link::SignPrivately { .. }) = reply.link {
        buttons.extend([
            CreateButton::new(ids::SIGN)
                .label(label(Button::SignHere))
                .style(ButtonStyle::Primary),
            CreateButton::new(ids::ARTICLE)
                .label(label(Button::Article))
                .style(ButtonStyle::Secondary),
            CreateButton::new(ids::DM)
                .label(label(Button::SignByDirectMessage))
                .style(ButtonStyle::Secondary),
        ]);
    }
    buttons
        .chunks(BUTTONS_PER_ROW)
        .take(MOST_ROWS)
        .map(|row| CreateActionRow::Buttons(row.to_vec()))
        .collect()
}

/// The text of a reply, with what Discord has no link for spelled out in
/// `language`.
pub fn text(reply: &Reply, language: Language) -> String {
    match &reply.link {
        Some(Link::Share { code, .. }) => format!(
            "{}\n\n{}",
            reply.text,
            Message::DiscordShare { code }.in_language(language)
        ),
        _ => reply.text.clone(),
    }
}

/// Kept here for code that drew the bar through this module before every
/// platform shared it.
pub use crate::messages::progress_bar;

/// The campaign as an embed, worded in `language`.
pub fn summary_embed(summary: &Summary, language: Language) -> CreateEmbed {
    let addressed_to = Message::SummaryAddressedTo {
        addressed_to: &summary.addressed_to,
    };
    let progress = Message::Progress {
        total: summary.total,
        goal: summary.goal,
    };
    let footer = Message::SummaryFooter {
        author: &summary.author,
        goal: summary.goal,
    };
    CreateEmbed::new()
        .title(truncate(&summary.title, 256))
        // The "> " is Discord markup (a block quote), not wording.
        .description(truncate(
            &format!("{}\n\n> {}", addressed_to.in_language(language), summary.statement),
            4096,
        ))
        .field(
            Message::SummarySignatures.text(language),
            format!(
                "{}\n{}",
                progress_bar(summary.total, summary.goal),
                progress.in_language(language)
            ),
            false,
        )
        .footer(CreateEmbedFooter::new(footer.text(language)))
}

/// The signing form, worded in `language`: at most 5 inputs, title and
/// labels at most 45 characters, as Discord requires.
pub fn modal(campaign_title: &str, form: &Form, language: Language) -> CreateModal {
    let input = |id: &str, label: FormLabel, value: &str, max: u16| {
        let label = Message::FormLabel(label).text(language);
        let mut input = CreateInputText::new(InputTextStyle::Short, label, id).max_length(max);
        if !value.is_empty() {
            input = input.value(value);
        }
        input
    };
    let email = FormLabel::Email {
        optional: form.email_optional,
    };
    let title = Message::FormTitle { title: campaign_title }.text(language);
    CreateModal::new(ids::MODAL, truncate(&title, 45)).components(vec![
        CreateActionRow::InputText(
            input(ids::NAME, FormLabel::Name, &form.name, 100)
                .min_length(2)
                .required(true),
        ),
        CreateActionRow::InputText(input(ids::EMAIL, email, &form.email, 254).required(!form.email_optional)),
        CreateActionRow::InputText(
            input(ids::LOCATION, FormLabel::Where, &form.location, 60)
                .placeholder(Message::WhereExample.text(language))
                .required(true),
        ),
    ])
}

/// The box an organiser writes an update in: one paragraph field of up
/// to `max_chars` (and Discord's 4,000).
pub fn long_answer_modal(max_chars: usize, language: Language) -> CreateModal {
    let label = Message::FormLabel(FormLabel::Update).text(language);
    let max = u16::try_from(max_chars.clamp(1, 4000)).unwrap_or(4000);
    let title = Message::Update(crate::messages::UpdateMessage::FormTitle).text(language);
    CreateModal::new(ids::UPDATE_MODAL, truncate(&title, 45)).components(vec![CreateActionRow::InputText(
        CreateInputText::new(InputTextStyle::Paragraph, truncate(&label, 45), ids::UPDATE_TEXT)
            .max_length(max)
            .required(true),
    )])
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
    fn the_form_fits_discords_limits_as_worded() {
        let language = Language::English;
        for label in [
            FormLabel::Name,
            FormLabel::Email { optional: true },
            FormLabel::Email { optional: false },
            FormLabel::Where,
        ] {
            let label = Message::FormLabel(label).text(language);
            assert!((1..=45).contains(&label.chars().count()), "{label:?}");
        }
        let example = Message::WhereExample.text(language);
        assert!((1..=100).contains(&example.chars().count()), "{example:?}");
    }

    #[test]
    fn long_titles_are_cut_to_discords_limits() {
        let cut = truncate(&"x".repeat(50), 45);
        assert_eq!(cut.chars().count(), 45);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short", 45), "short");
    }
}
