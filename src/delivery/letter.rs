//! The cover letter: to the targets, from the author, dated, with the
//! statement, the count, how it was kept honest, and the period.

use chrono::NaiveDate;

use super::flow::{Block, heading, paragraph};
use super::fonts::Fonts;
use crate::campaign::Campaign;
use crate::messages::{DeliveryMessage, Language, Message};

const BODY_SIZE: f32 = 11.0;

/// What the letter says.
pub(super) struct Letter<'a> {
    pub(super) campaign: &'a Campaign,
    pub(super) date: NaiveDate,
    pub(super) count: u64,
    pub(super) period: Option<(NaiveDate, NaiveDate)>,
}

/// The letter as blocks.
pub(super) fn blocks(language: Language, fonts: &Fonts, letter: &Letter<'_>) -> Vec<Block> {
    let say = |message: DeliveryMessage<'_>| Message::Delivery(message).text(language);
    let campaign = letter.campaign;
    let mut blocks = vec![
        Block::Right {
            size: BODY_SIZE,
            text: say(DeliveryMessage::Date(letter.date)),
        },
        Block::Gap(18.0),
    ];
    blocks.extend(paragraph(
        fonts,
        false,
        BODY_SIZE,
        0.0,
        &say(DeliveryMessage::Salutation {
            targets: &campaign.targets,
        }),
    ));
    blocks.push(Block::Gap(12.0));
    blocks.push(heading(campaign.title.clone(), 15.0, 1));
    blocks.push(Block::Gap(10.0));
    blocks.extend(paragraph(fonts, false, BODY_SIZE, 0.0, &say(DeliveryMessage::WeAsk)));
    blocks.push(Block::Gap(6.0));
    blocks.extend(paragraph(fonts, true, BODY_SIZE, 18.0, &campaign.statement));
    for message in [
        DeliveryMessage::Counted {
            count: letter.count,
            period: letter.period,
        },
        DeliveryMessage::Honesty,
        DeliveryMessage::WhatFollows,
        DeliveryMessage::Closing,
    ] {
        blocks.push(Block::Gap(10.0));
        blocks.extend(paragraph(fonts, false, BODY_SIZE, 0.0, &say(message)));
    }
    blocks.push(Block::Gap(24.0));
    blocks.extend(paragraph(fonts, true, BODY_SIZE, 0.0, &campaign.author));
    if !campaign.contact.is_empty() {
        blocks.push(Block::Gap(6.0));
        blocks.extend(paragraph(
            fonts,
            false,
            BODY_SIZE,
            0.0,
            &say(DeliveryMessage::Contact {
                contact: &campaign.contact,
            }),
        ));
    }
    blocks
}
