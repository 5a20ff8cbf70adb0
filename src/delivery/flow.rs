//! Text that flows down pages: the letter and the summary are lists of
//! blocks, each a known height, cut into pages where the body is full.

use std::num::NonZeroU16;

use chrono::NaiveDate;
use krilla::tagging::Tag;

use super::fonts::Fonts;
use super::page::{BODY_BOTTOM, BODY_TOP, BODY_WIDTH, GREY, MARGIN, Pen, wrap};
use super::summary;

/// Line height as a multiple of the text's size.
const LEADING: f32 = 1.4;

/// What a line is in the pack's structure.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// A heading of this level (1 the highest).
    Heading(u16),
    /// The first line of a paragraph.
    Paragraph,
    /// A later line of the paragraph begun before.
    MoreOfTheParagraph,
}

/// One piece of a page, drawn from its top.
pub(super) enum Block {
    /// A line of text.
    Line {
        bold: bool,
        size: f32,
        lightness: u8,
        indent: f32,
        text: String,
        role: Role,
    },
    /// A line of text ending at the right margin.
    Right { size: f32, text: String },
    /// Space.
    Gap(f32),
    /// The chart of signatures per day, and what it shows in words.
    Chart(Vec<(NaiveDate, u64)>, String),
    /// A row of a table in columns: each cell a label and a count.
    TableRow(Vec<(String, String)>),
}

impl Block {
    fn height(&self) -> f32 {
        match self {
            Block::Line { size, .. } | Block::Right { size, .. } => size * LEADING,
            Block::Gap(height) => *height,
            Block::Chart(..) => summary::CHART_HEIGHT,
            Block::TableRow(_) => summary::TABLE_ROW_HEIGHT,
        }
    }

    fn draw(&self, pen: &mut Pen<'_, '_>, top: f32) {
        let fonts = pen.fonts;
        match self {
            Block::Line {
                bold,
                size,
                lightness,
                indent,
                text,
                role,
            } => {
                match role {
                    Role::Heading(level) => {
                        pen.structure.close_all();
                        let level = NonZeroU16::new(*level).unwrap_or(NonZeroU16::MIN);
                        pen.structure.open(Tag::Hn(level, Some(text.clone())));
                    }
                    Role::Paragraph => {
                        pen.structure.close_all();
                        pen.structure.open(Tag::P);
                    }
                    Role::MoreOfTheParagraph => {}
                }
                let face = if *bold { &fonts.bold } else { &fonts.regular };
                pen.text(face, *size, MARGIN + indent, top + size, *lightness, text);
            }
            Block::Right { size, text } => {
                pen.structure.close_all();
                pen.structure.open(Tag::P);
                pen.text_right(&fonts.regular, *size, MARGIN + BODY_WIDTH, top + size, 0, text);
            }
            Block::Gap(_) => {}
            Block::Chart(days, described) => {
                pen.figure(described.clone(), |pen| summary::draw_chart(pen, top, days));
            }
            Block::TableRow(cells) => {
                pen.structure.close_all();
                pen.structure.open(Tag::P);
                summary::draw_table_row(pen, top, cells);
            }
        }
    }
}

/// A paragraph as lines of `size` points, wrapped to the body (less `indent`).
pub(super) fn paragraph(fonts: &Fonts, bold: bool, size: f32, indent: f32, text: &str) -> Vec<Block> {
    let face = if bold { &fonts.bold } else { &fonts.regular };
    wrap(face, size, text, BODY_WIDTH - indent)
        .into_iter()
        .enumerate()
        .map(|(i, text)| Block::Line {
            bold,
            size,
            lightness: 0,
            indent,
            text,
            role: if i == 0 {
                Role::Paragraph
            } else {
                Role::MoreOfTheParagraph
            },
        })
        .collect()
}

/// A heading line of `level` (1 the highest).
pub(super) fn heading(text: String, size: f32, level: u16) -> Block {
    Block::Line {
        bold: true,
        size,
        lightness: 0,
        indent: 0.0,
        text,
        role: Role::Heading(level),
    }
}

/// A grey line.
pub(super) fn note(text: String, size: f32) -> Block {
    Block::Line {
        bold: false,
        size,
        lightness: GREY,
        indent: 0.0,
        text,
        role: Role::Paragraph,
    }
}

/// Blocks cut into pages; a gap that would open a page is dropped.
pub(super) fn paginate(blocks: Vec<Block>) -> Vec<Vec<Block>> {
    let room = BODY_BOTTOM - BODY_TOP;
    let mut pages: Vec<Vec<Block>> = vec![Vec::new()];
    let mut used = 0.0;
    for block in blocks {
        let height = block.height();
        if used + height > room && used > 0.0 {
            pages.push(Vec::new());
            used = 0.0;
            if matches!(block, Block::Gap(_)) {
                continue;
            }
        }
        used += height;
        pages.last_mut().expect("there is always a page").push(block);
    }
    pages
}

/// Draws one page of blocks.
pub(super) fn draw(pen: &mut Pen<'_, '_>, blocks: &[Block]) {
    let mut top = BODY_TOP;
    for block in blocks {
        block.draw(pen, top);
        top += block.height();
    }
    // A paragraph cut by the page ends here, and goes on as another.
    pen.structure.close_all();
}
