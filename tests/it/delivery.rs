//! The delivery pack as an organiser makes it and a recipient reads it:
//! `petition deliver` writes a PDF whose text holds the letter, the count
//! and every counted signatory with their district or country, whose pages
//! render, whose bytes are the same on a second run, and whose last line is
//! the digest `petition deliver --digest` prints.

use crate::support;

use std::path::Path;
use std::process::Command;

use chrono::{Duration, TimeZone, Utc};
use petition::config::{Secret, Settings};
use petition::domain::{Country, Email, HoldReason, Identity, Location, Platform, PostcodeDistrict, SignerName};
use petition::storage::{AuditEntry, NewSignature, ReviewAction, Selection, Storage, Usage, connect_for};

/// Signers in several scripts, in the UK and abroad: (name, district or country, in the UK).
const NAMED: &[(&str, &str, bool)] = &[
    ("Ada Lovelace", "SW1A", true),
    ("Αλέξανδρος Παπαδόπουλος", "Greece", false),
    ("Анна Каренина", "N1", true),
    ("Zoë Brontë", "France", false),
    ("José Núñez", "M1", true),
    ("Łucja Wróbel", "Poland", false),
    ("Олександр Шевченко", "E1", true),
];
/// More signers, enough to fill more than one page of the list.
const MORE: usize = 300;
const HELD_NAME: &str = "Hilda Heldback";
const INVALID_NAME: &str = "Ivan Invalidated";
const DATE: &str = "2026-12-01";

fn petition(folder: &Path) -> Command {
    support::petition_binary(folder)
}

async fn storage(folder: &Path) -> std::sync::Arc<Storage> {
    let mut settings = Settings::built_in();
    settings.database.url = Secret::new(format!("sqlite://{}", folder.join("petition.db").display()));
    connect_for(&settings.database, Usage::ShortLived).await.unwrap()
}

fn campaign() -> String {
    Settings::built_in().campaigns.default_campaign().slug.clone()
}

fn who(n: usize) -> Identity {
    Identity::new(Platform::Telegram, format!("{}", 5_000 + n))
}

/// Everyone who should be listed, in signing order.
fn expected() -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = NAMED.iter().map(|(n, p, _)| (n.to_string(), p.to_string())).collect();
    list.extend((0..MORE).map(|n| (format!("Signer Number{n}"), format!("B{}", n % 7 + 1))));
    list
}

async fn sign(storage: &Storage, n: usize, name: &str, place: &str, in_uk: bool, hold: Option<HoldReason>) {
    let at = Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0).unwrap() + Duration::minutes(97 * n as i64);
    let location = if in_uk {
        Location::Uk(PostcodeDistrict::from_trusted(place.to_owned()))
    } else {
        Location::Abroad(Country::parse(place).unwrap())
    };
    storage
        .sign(&NewSignature {
            campaign: campaign(),
            identity: who(n),
            name: SignerName::from_trusted(name.to_owned()),
            email: Some(Email::from_trusted(format!("signer{n}@example.org"))),
            location,
            updates_opt_in: false,
            consent_version: 1,
            consent_at: at,
            referral_code: None,
            created_at: at,
            hold,
        })
        .await
        .unwrap();
}

/// A database with the named and numbered signers counted, one held and
/// one invalidated.
async fn seed(folder: &Path) {
    let storage = storage(folder).await;
    let mut n = 0;
    for (i, (name, place)) in expected().iter().enumerate() {
        let in_uk = NAMED.get(i).is_none_or(|(_, _, uk)| *uk);
        sign(storage.as_ref(), n, name, place, in_uk, None).await;
        n += 1;
    }
    sign(storage.as_ref(), n, HELD_NAME, "W1", true, Some(HoldReason::Surge)).await;
    sign(storage.as_ref(), n + 1, INVALID_NAME, "E9", true, None).await;
    let selection = Selection {
        postcode_district: Some("E9".to_owned()),
        ..Selection::default()
    };
    let audit = AuditEntry {
        campaign: campaign(),
        actor: Identity::new(Platform::Console, "organiser"),
        action: "invalidate".to_owned(),
        detail: String::new(),
        affected: 0,
        at: Utc::now(),
    };
    storage
        .apply_review(&campaign(), &selection, ReviewAction::Invalidate, &audit)
        .await
        .unwrap();
    storage.close().await;
}

fn deliver(folder: &Path, extra: &[&str]) -> String {
    let output = petition(folder)
        .args(["deliver", "--date", DATE])
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The PDF's text, every run of whitespace as one space.
fn pdf_text(pdf: &Path) -> String {
    let output = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed; scripts/test installs it");
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The 64 hex digits after the digest line's colon.
fn printed_digest(text: &str) -> String {
    let at = text.find("NFC): ").expect("the pack ends with the digest") + "NFC): ".len();
    text[at..at + 64].to_owned()
}

fn thousands(n: usize) -> String {
    petition::organiser::thousands(n as u64)
}

#[tokio::test]
async fn the_pack_holds_the_letter_the_count_and_every_signatory_with_their_district() {
    let folder = tempfile::tempdir().unwrap();
    seed(folder.path()).await;
    deliver(folder.path(), &["--output", "pack.pdf"]);
    let text = pdf_text(&folder.path().join("pack.pdf"));

    let shipped = Settings::built_in();
    let campaign = shipped.campaigns.default_campaign();
    for target in &campaign.targets {
        assert!(text.contains(target.as_str()), "the letter is addressed to {target}");
    }
    assert!(text.contains(&campaign.statement), "the statement is in the letter");
    assert!(text.contains(&campaign.author), "the letter is from the author");
    assert!(text.contains("1 December 2026"), "the letter is dated");
    let total = expected().len();
    assert!(
        text.contains(&format!("{} signatures were counted", thousands(total))),
        "held and invalidated signatures are not counted"
    );
    assert!(
        text.contains("3 November 2026 and"),
        "the period starts with the first signature"
    );
    assert!(
        text.contains("held for review"),
        "the letter says how the count was kept honest"
    );

    for (i, (name, place)) in expected().iter().enumerate() {
        let entry = format!("{} {name} {place}", thousands(i + 1));
        assert!(text.contains(&entry), "{entry} is listed");
    }
    for absent in [HELD_NAME, INVALID_NAME, "example.org", "Telegram", "5000"] {
        assert!(!text.contains(absent), "{absent} is not in the pack");
    }
    assert!(text.contains("By postcode district"));
    assert!(text.contains("Greece 1"), "countries are tallied");
    let last = text.rfind("page ").unwrap();
    let numbering: Vec<&str> = text[last..].split(' ').take(4).collect();
    assert_eq!(numbering[0], "page");
    assert_eq!(numbering[1], numbering[3], "the last page is page N of N");
    assert!(text.contains(&format!("page 1 of {}", numbering[3])));
}

#[tokio::test]
async fn every_page_renders_with_ink_on_it() {
    let folder = tempfile::tempdir().unwrap();
    seed(folder.path()).await;
    deliver(folder.path(), &["--output", "pack.pdf"]);
    // Kept where cargo keeps test output, to look at when a layout changes.
    let sample = Path::new(env!("CARGO_TARGET_TMPDIR")).join("delivery-sample.pdf");
    std::fs::copy(folder.path().join("pack.pdf"), sample).unwrap();
    // Only the body (below the title, above the page number), at 50 dpi:
    // the frame alone would make an empty page look printed.
    let rendered = Command::new("pdftoppm")
        .args(["-r", "50", "-gray", "-x", "39", "-y", "52", "-W", "335", "-H", "490"])
        .arg(folder.path().join("pack.pdf"))
        .arg(folder.path().join("page"))
        .status()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(rendered.success());
    let mut pages: Vec<_> = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "pgm"))
        .collect();
    pages.sort();
    assert!(
        pages.len() >= 4,
        "letter, summary and two pages of signatories: {}",
        pages.len()
    );
    for page in pages {
        let bytes = std::fs::read(&page).unwrap();
        // A binary PGM: "P5", width, height, maximum, then one byte a pixel.
        let header_end = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| b.is_ascii_whitespace())
            .nth(3)
            .map(|(i, _)| i + 1)
            .unwrap();
        let pixels = &bytes[header_end..];
        let ink = pixels.iter().filter(|p| **p < 128).count();
        assert!(
            ink * 300 > pixels.len(),
            "{} has text on it ({ink} dark pixels)",
            page.display()
        );
    }
}

#[tokio::test]
async fn the_same_data_and_date_give_the_same_bytes_and_the_digest_in_the_pack() {
    let folder = tempfile::tempdir().unwrap();
    seed(folder.path()).await;
    deliver(folder.path(), &["--output", "first.pdf"]);
    deliver(folder.path(), &["--output", "second.pdf"]);
    let first = std::fs::read(folder.path().join("first.pdf")).unwrap();
    assert_eq!(first, std::fs::read(folder.path().join("second.pdf")).unwrap());

    let digest = deliver(folder.path(), &["--digest"]).trim().to_owned();
    assert_eq!(digest.len(), 64);
    assert_eq!(printed_digest(&pdf_text(&folder.path().join("first.pdf"))), digest);

    let storage = storage(folder.path()).await;
    storage.withdraw(&campaign(), &who(0)).await.unwrap();
    storage.close().await;
    let after = deliver(folder.path(), &["--digest"]).trim().to_owned();
    assert_ne!(after, digest, "a withdrawn signature changes the digest");
    deliver(folder.path(), &["--output", "after.pdf"]);
    let text = pdf_text(&folder.path().join("after.pdf"));
    assert_eq!(printed_digest(&text), after);
    assert!(!text.contains("Ada Lovelace"), "the withdrawn signer is not listed");
    assert!(
        text.contains("1 Αλέξανδρος Παπαδόπουλος Greece"),
        "the list is renumbered"
    );
}

fn pdfs_in(folder: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "pdf"))
        .collect()
}

#[tokio::test]
async fn organisers_get_the_pack_in_a_private_chat_and_nobody_else_does() {
    let folder = tempfile::tempdir().unwrap();
    seed(folder.path()).await;
    let console = |who: &str| {
        let mut console = petition(folder.path());
        console.args(["console", "--as", who]);
        String::from_utf8(support::run_with_input(console, "deliver\n").stdout).unwrap()
    };
    let refused = console("someone");
    assert!(
        refused.contains("only the campaign's organisers can use deliver"),
        "{refused}"
    );
    assert!(pdfs_in(folder.path()).is_empty());

    let allowed = console("organiser");
    assert!(allowed.contains("The delivery pack for"), "{allowed}");
    let pdfs = pdfs_in(folder.path());
    assert_eq!(pdfs.len(), 1, "{allowed}");
    let name = pdfs[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("keep-the-unit-open-delivery-"), "{name}");
    let text = pdf_text(&pdfs[0]);
    assert!(text.contains(&format!("{} signatures were counted", thousands(expected().len()))));
    assert!(text.contains("Анна Каренина N1"));
}

/// Each word `pdftotext` finds on the pack's pages, with where it starts.
fn words_with_positions(pdf: &Path) -> Vec<(String, f64, f64)> {
    let output = Command::new("pdftotext")
        .args(["-bbox", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed; scripts/test installs it");
    let html = String::from_utf8(output.stdout).unwrap();
    html.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line.strip_prefix("<word xMin=\"")?;
            let (x, rest) = rest.split_once('"')?;
            let rest = rest.strip_prefix(" yMin=\"")?;
            let (y, rest) = rest.split_once('"')?;
            let word = rest.split_once('>')?.1.strip_suffix("</word>")?;
            Some((word.to_owned(), x.parse().ok()?, y.parse().ok()?))
        })
        .collect()
}

#[tokio::test]
async fn names_mixing_directions_and_in_chinese_are_printed_as_written_and_kept_in_the_text() {
    let folder = tempfile::tempdir().unwrap();
    let storage = storage(folder.path()).await;
    for (n, name) in ["ابن سينا Avicenna", "David כהן", "李小龙"].iter().enumerate() {
        sign(storage.as_ref(), n, name, "SW1A", true, None).await;
    }
    storage.close().await;
    deliver(folder.path(), &["--output", "pack.pdf"]);
    let pdf = folder.path().join("pack.pdf");
    // Kept where cargo keeps test output, to look at.
    let _ = std::fs::copy(&pdf, Path::new(env!("CARGO_TARGET_TMPDIR")).join("pack-scripts.pdf"));
    let text = pdf_text(&pdf);
    assert!(text.contains("李小龙"), "every character is in the text: {text}");
    let words = words_with_positions(&pdf);
    let at = |wanted: &str| {
        words
            .iter()
            .rev()
            .find(|(word, _, _)| word == wanted)
            .unwrap_or_else(|| panic!("{wanted} is not among {words:?}"))
            .clone()
    };
    // Latin runs read left to right whatever the line's direction...
    let avicenna = at("Avicenna");
    let david = at("David");
    // ...and a right-to-left name's Latin part sits left of its Arabic,
    // while a left-to-right name's Hebrew sits right of its Latin.
    let arabic = words
        .iter()
        .filter(|(word, _, y)| {
            (y - avicenna.2).abs() < 1.0 && word.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
        })
        .map(|(_, x, _)| *x)
        .fold(f64::NAN, f64::min);
    assert!(
        avicenna.1 < arabic,
        "Avicenna at {}, the Arabic at {arabic}",
        avicenna.1
    );
    let hebrew = words
        .iter()
        .filter(|(word, _, y)| {
            (y - david.2).abs() < 1.0 && word.chars().any(|c| ('\u{0590}'..='\u{05FF}').contains(&c))
        })
        .map(|(_, x, _)| *x)
        .fold(f64::NAN, f64::min);
    assert!(david.1 < hebrew, "David at {}, the Hebrew at {hebrew}", david.1);
}

#[tokio::test]
async fn the_cover_letter_says_how_to_reach_the_organisers_when_configured() {
    let folder = tempfile::tempdir().unwrap();
    let storage = storage(folder.path()).await;
    sign(storage.as_ref(), 0, "Ada Lovelace", "SW1A", true, None).await;
    storage.close().await;
    let output = petition(folder.path())
        .args(["deliver", "--date", DATE, "--output", "pack.pdf"])
        .env(
            "PETITION_CAMPAIGNS__KEEP-THE-UNIT-OPEN__CONTACT",
            "keep-the-unit@example.org",
        )
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = pdf_text(&folder.path().join("pack.pdf"));
    assert!(
        text.contains("Mary Honeyball MEP To reach the organisers: keep-the-unit@example.org"),
        "under the author's name: {text}"
    );
    // None configured (as shipped): nothing printed.
    deliver(folder.path(), &["--output", "plain.pdf"]);
    assert!(!pdf_text(&folder.path().join("plain.pdf")).contains("To reach the organisers"));
}

/// `pdfinfo` run on the pack with `flags`, its output as text.
fn pdfinfo(pdf: &Path, flags: &[&str]) -> String {
    let output = Command::new("pdfinfo")
        .args(flags)
        .arg(pdf)
        .output()
        .expect("pdfinfo (poppler-utils) is installed; scripts/test installs it");
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

/// What a screen reader follows: the pack is a tagged PDF/UA-1 document in
/// English whose headings, paragraphs and one numbered list of signatories
/// come in reading order, with the chart described in words and the page
/// furniture left out.
#[tokio::test]
async fn a_screen_reader_finds_headings_one_numbered_list_and_the_chart_described() {
    let folder = tempfile::tempdir().unwrap();
    seed(folder.path()).await;
    deliver(folder.path(), &["--output", "pack.pdf"]);
    let pdf = folder.path().join("pack.pdf");

    assert!(pdfinfo(&pdf, &[]).lines().any(|l| l == "Tagged:          yes"));
    let metadata = pdfinfo(&pdf, &["-meta"]);
    assert!(metadata.contains("<pdfuaid:part>1</pdfuaid:part>"), "{metadata}");
    assert!(
        metadata.contains("<dc:language><rdf:Bag><rdf:li>en-GB</rdf:li>"),
        "{metadata}"
    );
    let raw = std::fs::read(&pdf).unwrap();
    let has = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"/Lang(en"), "the document says its language");
    assert!(
        has(b"/Alt(A bar chart of the signatures counted each day"),
        "the chart is described"
    );
    assert!(has(b"/Outlines"), "the pack has bookmarks");

    let structure = pdfinfo(&pdf, &["-struct-text"]);
    let headings: Vec<&str> = structure
        .lines()
        .filter(|line| line.starts_with("  H1 ") || line.starts_with("  H2 "))
        .collect();
    assert_eq!(
        headings,
        [
            "  H1 \"Keep the human trafficking unit open\" (block)",
            "  H1 \"Where the signatures came from\" (block)",
            "  H2 \"Signatures per day\" (block)",
            "  H2 \"By postcode district\" (block)",
            "  H2 \"Outside the UK, by country\" (block)",
            "  H1 \"Signatories\" (block)",
        ]
    );
    assert!(structure.contains("  Figure\n"));
    // The list spans pages but is one list, with an item for each signatory.
    assert_eq!(structure.matches("\n  L (block)").count(), 1, "{structure}");
    assert_eq!(structure.matches("\n    LI (block)").count(), expected().len());
    // Each item reads its number, then the name, then the place.
    let mut items = structure.split("    LI (block)\n").skip(1);
    let first: Vec<&str> = items.next().unwrap().lines().map(str::trim).collect();
    assert_eq!(first, ["LBody (block)", "\"1\"", "\"Ada Lovelace\"", "\"SW1A\""]);
    // The digest follows the list; the page numbers are not read at all.
    let after_list = &structure[structure.rfind("LBody").unwrap()..];
    assert!(after_list.contains("SHA-256 of this list"));
    assert!(!structure.contains("page 1 of"), "the page furniture is an artifact");
}
