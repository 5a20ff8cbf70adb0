//! Organiser commands and group chats through the engine, on both databases:
//! who may see breakdowns and exports, and that groups never see personal data.

use crate::support;

use crate::support::on_both_databases;
use crate::support::{TestApp, discord, telegram, text_of};
use petition::conversation::{Incoming, Input, Link, Visibility};
use petition::domain::{ChatKind, SignerName};

const ORGANISER: u64 = 1000;

#[on_both_databases]
async fn stats_and_export_are_refused_to_non_organisers(app: TestApp) {
    app.sign(&telegram(1), "Ada Lovelace", "ada@example.org", "SW1A 1AA")
        .await;
    for who in [telegram(2), discord(ORGANISER)] {
        for command in ["stats", "/export"] {
            let replies = app.say(&who, command).await;
            let text = text_of(&replies);
            assert!(text.contains("only the campaign's organisers"), "{text}");
            assert!(!text.contains("SW1A"), "{text}");
            assert!(replies.iter().all(|r| r.attachment.is_none()));
        }
    }
    // A Discord server admin whose roles are not listed is not an organiser.
    let admin = app
        .engine
        .handle(Incoming {
            from: discord(3),
            roles: vec!["123".into()],
            chat: ChatKind::Private,
            input: Input::Text("export".into()),
            account_created: None,
        })
        .await;
    assert!(admin[0].attachment.is_none());
}

#[on_both_databases]
async fn an_organiser_gets_stats_and_a_csv_export_in_private(app: TestApp) {
    app.sign(&telegram(1), "Ada Lovelace", "ada@example.org", "SW1A 1AA")
        .await;
    app.sign(&discord(2), "Bo Diddley", "bo@example.org", "N1 9GU").await;
    let organiser = telegram(ORGANISER);
    let stats = text_of(&app.say(&organiser, "stats").await);
    assert!(stats.contains("Total: 2 of 10,000 signatures"), "{stats}");
    assert!(stats.contains("Telegram: 1"), "{stats}");
    assert!(stats.contains("Discord: 1"), "{stats}");
    assert!(stats.contains("2026-11-03: 2"), "{stats}");
    assert!(stats.contains("SW1A: 1"), "{stats}");
    assert!(stats.contains("N1: 1"), "{stats}");
    assert!(!stats.contains("Ada"), "stats carry no names: {stats}");

    let export = app.say(&organiser, "export").await;
    assert_eq!(export[0].visibility, Visibility::Private);
    let attachment = export[0].attachment.as_ref().expect("a CSV file");
    assert_eq!(attachment.media_type, "text/csv");
    assert_eq!(attachment.file_name, "keep-the-unit-open-signatures-2026-11-03.csv");
    let csv = String::from_utf8(attachment.bytes.clone()).unwrap();
    assert_eq!(
        csv,
        "name,postcode_district,country,platform,signed_at\n\
         Ada Lovelace,SW1A,,telegram,2026-11-03T14:00:00Z\n\
         Bo Diddley,N1,,discord,2026-11-03T14:00:00Z\n"
    );
}

#[on_both_databases]
async fn organiser_commands_are_refused_in_groups_even_to_organisers(app: TestApp) {
    app.sign(&telegram(1), "Ada Lovelace", "ada@example.org", "SW1A 1AA")
        .await;
    for command in ["/stats", "/export"] {
        let replies = app.say_in_group(&telegram(ORGANISER), command).await;
        assert_eq!(replies.len(), 1);
        assert!(
            replies[0].text.contains("only work in a private chat"),
            "{}",
            replies[0].text
        );
        assert!(replies[0].attachment.is_none());
        assert!(!replies[0].text.contains("SW1A"));
    }
}

#[on_both_databases]
async fn a_discord_role_listed_in_config_makes_an_organiser(app: TestApp) {
    let app = app
        .restart_with(|settings| settings.organisers.discord_roles = vec![777])
        .await;
    let replies = app
        .engine
        .handle(Incoming {
            from: discord(5),
            roles: vec!["1".into(), "777".into()],
            chat: ChatKind::Private,
            input: Input::Text("stats".into()),
            account_created: None,
        })
        .await;
    assert!(text_of(&replies).contains("Stats for"), "{}", text_of(&replies));
}

#[on_both_databases]
async fn a_group_sign_command_points_to_a_private_chat_without_personal_data(app: TestApp) {
    app.sign(&telegram(1), "Ada Lovelace", "ada@example.org", "SW1A 1AA")
        .await;
    let member = telegram(2);
    for command in ["/sign", "/start", "/petition"] {
        let replies = app.say_in_group(&member, command).await;
        assert_eq!(replies.len(), 1, "{command}");
        let reply = &replies[0];
        assert_eq!(reply.visibility, Visibility::Public);
        assert!(reply.text.contains("Keep the human trafficking unit open"));
        assert!(reply.text.contains("1 of 10,000 signatures"), "{}", reply.text);
        assert!(!reply.text.contains("Ada"), "{}", reply.text);
        assert!(reply.choices.is_empty(), "no in-group buttons that ask for data");
        assert_eq!(
            reply.link,
            Some(Link::SignPrivately {
                payload: "keep-the-unit-open".into()
            })
        );
    }
    assert!(
        app.conversation(&member).await.is_none(),
        "nothing is started in a group"
    );
    for private_only in ["/status", "/mydata", "/withdraw"] {
        let text = text_of(&app.say_in_group(&telegram(1), private_only).await);
        assert!(text.contains("only do that in a private chat"), "{text}");
        assert!(!text.contains("Ada"), "{text}");
    }
    assert!(
        app.say_in_group(&member, "Ada Lovelace").await.is_empty(),
        "chatter is ignored"
    );
    assert!(app.say_in_group(&member, "yes").await.is_empty());
}

#[on_both_databases]
async fn anyone_may_ask_for_the_total(app: TestApp) {
    app.sign(&telegram(1), "Ada Lovelace", "ada@example.org", "SW1A 1AA")
        .await;
    assert!(text_of(&app.say(&telegram(9), "total").await).contains("1 of 10,000 signatures"));
    let public = app.say_in_group(&telegram(9), "/total").await;
    assert_eq!(public[0].visibility, Visibility::Public);
    assert!(public[0].text.contains("1 of 10,000 signatures"));
}

#[on_both_databases]
async fn exported_cells_that_look_like_formulas_are_escaped(app: TestApp) {
    // Names are refused with these prefixes at the door; the export escapes
    // them anyway, in case data arrives by another route.
    let mut signature = petition::storage::NewSignature {
        campaign: app.campaign(),
        identity: telegram(1),
        name: SignerName::from_trusted("=HYPERLINK(\"http://x\")".into()),
        email: None,
        location: petition::domain::Location::Abroad(petition::domain::Country::from_trusted("@home".into())),
        updates_opt_in: false,
        consent_version: 1,
        consent_at: support::test_start(),
        referral_code: None,
        created_at: support::test_start(),
        hold: None,
    };
    app.storage.sign(&signature).await.unwrap();
    signature.identity = telegram(2);
    signature.name = SignerName::from_trusted("+44 Person".into());
    app.storage.sign(&signature).await.unwrap();
    let csv = petition::organiser::export_csv(app.storage.as_ref(), app.settings.campaigns.default_campaign())
        .await
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\",,'@home,telegram"),
        "{csv}"
    );
    assert!(csv.contains("'+44 Person,,'@home,telegram"), "{csv}");
}
