//! Engine replies as Telegram messages: text split under Telegram's limit
//! (by the adapters' shared [`crate::adapter::split_text`]), choices as
//! inline buttons, links as `t.me` deep links.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
use url::Url;

use crate::conversation::{Link, Reply};

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

/// The text and keyboard of a reply, for `bot_username`. A share link is
/// written into the text (so it can be copied) and offered as a button that
/// opens Telegram's share sheet.
pub fn render(reply: &Reply, bot_username: &str) -> (String, Option<InlineKeyboardMarkup>) {
    let mut text = reply.text.clone();
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
            text.push_str(&format!("\n\nYour link: {link}"));
            let share = Url::parse_with_params(
                "https://t.me/share/url",
                &[("url", link.as_str()), ("text", "Please sign this petition too")],
            )
            .expect("a valid share URL");
            rows.push(vec![InlineKeyboardButton::url("Share the petition", share)]);
        }
        Some(Link::SignPrivately { payload }) => {
            rows.push(vec![InlineKeyboardButton::url(
                "Sign in a private chat",
                deep_link(bot_username, payload),
            )]);
        }
        None => {}
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
