//! The Telegram side of the Mini App: the chat's menu button that opens
//! the form, and the one message the bot sends after a signing made in it.

use async_trait::async_trait;
use teloxide::prelude::*;
use teloxide::types::{MenuButton, WebAppInfo};
use tracing::{info, warn};

use std::sync::Arc;

use super::SanitisedError;
use super::paced::paced;
use super::render::{MAX_MESSAGE_CHARS, render};
use crate::adapter::{FollowUp, split_text};
use crate::conversation::{Engine, Reply};
use crate::domain::{Identity, Platform};
use crate::messages::{Button, Language, Message};
use crate::pace::{Pace, Priority};

/// Sets the bot's menu button (beside the message box in every private
/// chat) to open the default campaign's form, when a web server runs.
/// Failing leaves the default menu; the welcome's button still opens it.
pub async fn offer_form_in_the_menu(bot: &Bot, engine: &Engine) {
    let Some(url) = engine.form_app_url(engine.campaigns().default_campaign(), Platform::Telegram) else {
        return;
    };
    let Ok(url) = url::Url::parse(&url) else {
        return;
    };
    let button = MenuButton::WebApp {
        text: Message::Button(Button::SignWithForm).text(engine.language()),
        web_app: WebAppInfo { url },
    };
    match bot.set_chat_menu_button().menu_button(button).send().await {
        Ok(_) => info!("the chat menu button opens the signing form"),
        Err(error) => warn!(error = %SanitisedError::from(error), "could not set the chat menu button"),
    }
}

/// Sends the Mini App's thank-you to the signer's private chat with the
/// bot (whose id is the user's), with the share button.
pub struct ThanksInChat {
    bot: Bot,
    /// The bot's one pace: the thank-you is a reply, first in turn.
    pace: Arc<Pace>,
    username: String,
    language: Language,
}

impl ThanksInChat {
    /// Through `bot` in turn on `pace`, named `username` in links.
    pub fn new(bot: Bot, pace: Arc<Pace>, username: String, language: Language) -> Self {
        Self {
            bot,
            pace,
            username,
            language,
        }
    }
}

#[async_trait]
impl FollowUp for ThanksInChat {
    async fn follow_up(&self, to: &Identity, reply: &Reply) {
        let Ok(chat) = to.user_id.parse::<i64>() else {
            return;
        };
        let (text, keyboard) = render(reply, &self.username, self.language);
        // A thank-you fits one message; were it ever longer, only the
        // last part carries the buttons.
        let parts = split_text(&text, MAX_MESSAGE_CHARS);
        let last = parts.len().saturating_sub(1);
        for (i, part) in parts.into_iter().enumerate() {
            let markup = keyboard.clone().filter(|_| i == last);
            let sent = paced(&self.pace, ChatId(chat), Priority::Reply, || {
                let message = self.bot.send_message(ChatId(chat), part.clone());
                match markup.clone() {
                    Some(keyboard) => message.reply_markup(keyboard).send(),
                    None => message.send(),
                }
            })
            .await;
            if let Err(error) = sent {
                warn!(error = %SanitisedError::from(error), "could not send the Mini App's thank-you to the chat");
                return;
            }
        }
    }
}
