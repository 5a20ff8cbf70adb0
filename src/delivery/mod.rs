//! The delivery pack: a PDF to print and hand over, made from a campaign
//! and its counted signatures.
//!
//! - a cover letter ([`letter`]) to the campaign's targets, from its author;
//! - a summary ([`summary`]): signatures per day, by postcode district, by country;
//! - the signatories ([`signatories`]), numbered in signing order, with name
//!   and district or country only, ending with the [`digest`] of the list.
//!
//! Every page has the campaign's title at the top and "page N of M" at the
//! foot. The pack depends only on its inputs (the date included), so the
//! same data and date give the same bytes.

use chrono::{Datelike, NaiveDate};
use krilla::configure::{Accessibility, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::metadata::{DateTime, Metadata};
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::{Document, SerializeSettings};

use crate::campaign::Campaign;
use crate::messages::{DeliveryMessage, Language, Message};
use crate::storage::ExportRow;

mod digest;
mod flow;
mod fonts;
mod letter;
mod page;
mod signatories;
mod structure;
mod summary;

pub use digest::{canonical_line, digest};

/// A signatory as the pack prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signatory<'a> {
    /// Their name.
    pub name: &'a str,
    /// Their postcode district, or outside the UK their country.
    pub place: &'a str,
    /// Whether `place` is a UK postcode district.
    pub in_uk: bool,
    /// The UTC day they signed.
    pub day: NaiveDate,
}

/// The export's rows (counted signatures in signing order) as signatories.
pub fn signatories(rows: &[ExportRow]) -> Vec<Signatory<'_>> {
    rows.iter()
        .map(|row| Signatory {
            name: &row.name,
            place: row
                .postcode_district
                .as_deref()
                .or(row.country.as_deref())
                .unwrap_or(""),
            in_uk: row.postcode_district.is_some(),
            day: row.signed_at.date_naive(),
        })
        .collect()
}

/// A made pack.
#[derive(Debug, Clone)]
pub struct DeliveryPack {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// The digest of its signatory list (see [`digest`]).
    pub digest: String,
    /// Signatures counted in it.
    pub signatures: u64,
    /// Its pages.
    pub pages: usize,
}

/// The pack's file name: `SLUG-delivery-YYYY-MM-DD.pdf`.
pub fn file_name(campaign: &Campaign, date: NaiveDate) -> String {
    format!("{}-delivery-{}.pdf", campaign.slug, date.format("%Y-%m-%d"))
}

/// A page of the pack, planned before any is drawn so each knows the total.
enum Planned {
    Flow(Vec<flow::Block>),
    List(signatories::ListPage),
}

/// Makes the pack for `campaign` from its export `rows`, dated `date`.
pub fn build(
    language: Language,
    campaign: &Campaign,
    rows: &[ExportRow],
    date: NaiveDate,
) -> anyhow::Result<DeliveryPack> {
    let fonts = fonts::Fonts::load()?;
    let list = signatories(rows);
    let digest = digest(&list);
    // By time, not signing order: a clock step could put the two a moment apart.
    let days = || list.iter().map(|s| s.day);
    let period = days().min().zip(days().max());
    let letter = letter::Letter {
        campaign,
        date,
        count: list.len() as u64,
        period,
    };
    let mut plan: Vec<Planned> = flow::paginate(letter::blocks(language, &fonts, &letter))
        .into_iter()
        .map(Planned::Flow)
        .collect();
    // Each part's first page, for the outline a reader moves about by.
    let say = |message: DeliveryMessage<'_>| Message::Delivery(message).text(language);
    let mut parts = vec![(campaign.title.clone(), 0)];
    parts.push((say(DeliveryMessage::SummaryTitle), plan.len()));
    plan.extend(
        flow::paginate(summary::blocks(language, &list))
            .into_iter()
            .map(Planned::Flow),
    );
    parts.push((say(DeliveryMessage::SignatoriesTitle), plan.len()));
    plan.extend(signatories::plan(list.len()).into_iter().map(Planned::List));

    // A tagged PDF (PDF/UA-1) that krilla checks as it writes: a pack that
    // is not is an error, not a file.
    let configuration = ConfigurationBuilder::new()
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .map_err(|error| anyhow::anyhow!("the pack's PDF settings do not fit together: {error:?}"))?;
    let mut document = Document::new_with(SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    });
    let mut structure = structure::Structure::default();
    let pages = plan.len();
    for (index, planned) in plan.iter().enumerate() {
        let settings = PageSettings::from_wh(page::WIDTH, page::HEIGHT).expect("A4 is a valid size");
        let mut pdf_page = document.start_page_with(settings);
        let mut surface = pdf_page.surface();
        let mut pen = page::Pen::new(&mut surface, &fonts, &mut structure);
        let page_of = Message::Delivery(DeliveryMessage::PageOf { page: index + 1, pages }).text(language);
        pen.frame(&campaign.title, &page_of);
        match planned {
            Planned::Flow(blocks) => flow::draw(&mut pen, blocks),
            Planned::List(page) => signatories::draw(&mut pen, language, page, &list, &digest),
        }
        surface.finish();
        pdf_page.finish();
    }
    document.set_tag_tree(structure.finish(language.tag()));
    let mut outline = Outline::new();
    for (title, first_page) in parts {
        let top_of_the_page = krilla::geom::Point::from_xy(0.0, 0.0);
        outline.push_child(OutlineNode::new(
            title,
            XyzDestination::new(first_page, top_of_the_page),
        ));
    }
    document.set_outline(outline);
    document.set_metadata(
        Metadata::new()
            .title(campaign.title.clone())
            .language(language.tag().to_owned())
            .authors(vec![campaign.author.clone()])
            .creator("petition deliver".to_owned())
            // The day only, from the caller: a clock read here would make
            // every run's bytes differ.
            .creation_date(
                DateTime::new(date.year().clamp(0, u16::MAX as i32) as u16)
                    .month(date.month() as u8)
                    .day(date.day() as u8),
            ),
    );
    let pdf = document
        .finish()
        .map_err(|error| anyhow::anyhow!("the delivery pack could not be written: {error:?}"))?;
    Ok(DeliveryPack {
        pdf,
        digest,
        signatures: list.len() as u64,
        pages,
    })
}
