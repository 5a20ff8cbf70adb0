//! Engine replies as Telegram messages: text split under Telegram's limit
//! (by the adapters' shared [`crate::adapter::split_text`]), choices as
//! inline buttons, links as `t.me` deep links.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo};
use url::Url;

use crate::conversation::{Link, Reply};
use crate::messages::{Button, Language, Message};

/// Longest text Telegram accepts in one message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Longest caption on a document, in characters.
pub const MAX_CAPTION_CHARS: usize = 1024;
/// Buttons on one keyboard row.
const BUTTONS_PER_ROW: usize = 2;

/// Kept here for code that split text through this module before the
/// adapters shared [`crate::adapter::split_text`].
pub use crate::adapter::split_text;

/// The `t.me` link that opens a private chat with the bot, carrying a
/// start payload.
pub fn deep_link(bot_username: &str, payload: &str) -> Url {
    let mut url = Url::parse("https://t.me/").expect("a valid base");
    url.set_path(bot_username);
    url.query_pairs_mut().append_pair("start", payload);
    url
}

/// The text and keyboard of a reply, for `bot_username`, with what the
/// adapter adds worded in `language`. A share link is written into the text
/// (so it can be copied) and offered as a button that opens Telegram's share
/// sheet.
pub fn render(reply: &Reply, bot_username: &str, language: Language) -> (String, Option<InlineKeyboardMarkup>) {
    let mut text = reply.text.clone();
    // Telegram has no forms: typing them all in one message is quickest.
    if reply.takes_details {
        text.push_str(&format!("\n\n{}", Message::SignInOneMessage.in_language(language)));
    }
    let mut rows: Vec<Vec<InlineKeyboardButton>> = reply
        .choices
        .chunks(BUTTONS_PER_ROW)
        .map(|row| {
            row.iter()
                .map(|choice| InlineKeyboardButton::callback(choice.label.clone(), choice.data.clone()))
                .collect()
        })
        .collect();
    match &reply.link {
        Some(Link::Share { payload, .. }) => {
            let link = deep_link(bot_username, payload);
            let your_link = Message::YourLink { link: link.as_str() };
            text.push_str(&format!("\n\n{}", your_link.in_language(language)));
            let invitation = Message::ShareInvitation.text(language);
            let share = Url::parse_with_params(
                "https://t.me/share/url",
                &[("url", link.as_str()), ("text", invitation.as_str())],
            )
            .expect("a valid share URL");
            rows.push(vec![InlineKeyboardButton::url(
                Message::Button(Button::Share).text(language),
                share,
            )]);
        }
        Some(Link::SignPrivately { payload }) => {
            rows.push(vec![InlineKeyboardButton::url(
                Message::Button(Button::SignInPrivate).text(language),
                deep_link(bot_username, payload),
            )]);
        }
        None => {}
    }
    // Telegram opens a web app button only in a private chat, which is
    // where the engine offers the form.
    if let Some(url) = reply.form_app.as_deref().and_then(|url| Url::parse(url).ok()) {
        rows.insert(
            0,
            vec![InlineKeyboardButton::web_app(
                Message::Button(Button::SignWithForm).text(language),
                WebAppInfo { url },
            )],
        );
    }
    let keyboard = (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows));
    (text, keyboard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_links_carry_the_payload() {
        assert_eq!(
            deep_link("PetitionBot", "keep-the-unit-open__ABCDEFGH").as_str(),
            "https://t.me/PetitionBot?start=keep-the-unit-open__ABCDEFGH"
        );
    }
}
