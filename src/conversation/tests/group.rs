//! Group chats: commands answered in public without personal data, and
//! everything else left to a private chat.

use super::*;
use crate::conversation::{Link, Visibility};

#[tokio::test]
async fn sign_in_a_group_presents_the_campaign_publicly_and_links_to_a_private_chat() {
    let fixture = TestApp::sqlite().await;
    fixture
        .sign(&telegram(1), "Ann Lee", "ann@example.org", "SE1 7PB")
        .await;
    for command in ["/sign", "/start", "/petition"] {
        let replies = fixture.say_in_group(&telegram(2), command).await;
        let reply = &replies[0];
        assert_eq!(
            reply.text,
            "Keep the human trafficking unit open\n\nA petition to the Commissioner of the Metropolitan Police and the Mayor of London. 1 of 10,000 signatures (0% of the goal).\n\nSign it in a private chat with me: your details are never shown here."
        );
        assert_eq!(reply.visibility, Visibility::Public);
        assert!(reply.choices.is_empty());
        assert_eq!(
            reply.link,
            Some(Link::SignPrivately {
                payload: "keep-the-unit-open".into()
            })
        );
        let summary = reply.summary.as_ref().unwrap();
        assert_eq!(
            (summary.addressed_to.as_str(), summary.total),
            ("the Commissioner of the Metropolitan Police and the Mayor of London", 1)
        );
    }
    assert!(
        fixture.conversation(&telegram(2)).await.is_none(),
        "nothing starts in a group"
    );
}

#[tokio::test]
async fn the_total_in_a_group_is_public() {
    let fixture = TestApp::sqlite().await;
    let replies = fixture.say_in_group(&telegram(1), "/total").await;
    assert_eq!(
        replies[0].text,
        "\"Keep the human trafficking unit open\": 0 of 10,000 signatures (0% of the goal)."
    );
    assert_eq!(replies[0].visibility, Visibility::Public);
}

#[tokio::test]
async fn organiser_commands_in_a_group_show_nothing_even_to_organisers() {
    let fixture = TestApp::sqlite().await;
    for command in ["/stats", "/export"] {
        let replies = fixture.say_in_group(&organiser(), command).await;
        assert_eq!(
            replies[0].text,
            "Organiser commands only work in a private chat with me, so nothing is shown here."
        );
        assert!(replies[0].attachment.is_none());
    }
}

#[tokio::test]
async fn personal_commands_in_a_group_point_to_a_private_chat() {
    let fixture = TestApp::sqlite().await;
    for command in ["/status", "/mydata", "/withdraw", "/help"] {
        let replies = fixture.say_in_group(&telegram(1), command).await;
        assert_eq!(
            replies[0].text,
            "To keep your details private, I only do that in a private chat with me."
        );
        assert!(replies[0].link.is_some(), "{command}");
    }
}

#[tokio::test]
async fn chatter_and_unknown_commands_in_a_group_are_ignored() {
    let fixture = TestApp::sqlite().await;
    for said in ["Ann Lee", "yes", "/nonsense"] {
        assert!(fixture.say_in_group(&telegram(1), said).await.is_empty(), "{said}");
    }
}

#[tokio::test]
async fn a_flood_in_a_group_is_ignored_without_a_word() {
    let fixture = TestApp::sqlite_with_campaign(|campaign| {
        campaign.limits.message_burst = 1;
        campaign.limits.messages_per_minute = 1;
    })
    .await;
    assert!(!fixture.say_in_group(&telegram(1), "/total").await.is_empty());
    assert!(fixture.say_in_group(&telegram(1), "/total").await.is_empty());
}

#[tokio::test]
async fn a_group_gets_an_answer_to_the_commands_the_table_places_anywhere_and_only_a_pointer_to_the_rest() {
    use crate::domain::{COMMANDS, Place};
    use crate::messages::Message;
    let fixture = TestApp::sqlite().await;
    let pointers = [Message::OnlyInPrivate, Message::OrganiserCommandsInPrivate]
        .map(|pointer| pointer.text(fixture.engine.language()));
    // A name of more than one word is typed in a group as its first word.
    for command in COMMANDS.iter().filter(|command| !command.name.contains(' ')) {
        let replies = fixture.say_in_group(&telegram(2), &format!("/{}", command.name)).await;
        let texts: Vec<&str> = replies.iter().map(|reply| reply.text.as_str()).collect();
        assert!(
            replies.iter().all(|reply| reply.visibility == Visibility::Public),
            "/{}",
            command.name
        );
        match command.place {
            Place::Anywhere => assert!(
                texts.len() == 1 && !pointers.iter().any(|pointer| pointer == texts[0]),
                "/{} is answered in a group: {texts:?}",
                command.name
            ),
            // Kept to a private chat: a pointer there, or (for what a group
            // must not see asked, and what the adapters answer) nothing.
            Place::Private | Place::Group => assert!(
                texts.iter().all(|text| pointers.iter().any(|pointer| pointer == text)),
                "/{} is not answered in a group: {texts:?}",
                command.name
            ),
        }
    }
}
