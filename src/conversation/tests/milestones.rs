//! The goal in force and milestones: `goal N` for organisers only, above
//! the total, audited and shown everywhere; each milestone claimed once,
//! the highest of several announced, none announced late after the goal
//! moved past it.

use super::*;
use crate::campaign::{Announce, MilestoneRule};
use crate::storage::AnnounceChat;

/// Milestones at each quarter of a goal of 4: every signature is one.
fn quarters_of(goal: u64) -> impl FnOnce(&mut Campaign) {
    move |campaign| {
        campaign.goal = goal;
        campaign.milestones = vec![
            MilestoneRule::Percent(25),
            MilestoneRule::Percent(50),
            MilestoneRule::Percent(75),
            MilestoneRule::Percent(100),
        ];
        campaign.announce = Announce {
            telegram: vec![-100],
            discord: vec![],
        };
    }
}

async fn sign_as(fixture: &TestApp, id: u64) {
    let email = format!("signer{id}@example.org");
    let replies = fixture.sign(&telegram(id), "Ann Lee", &email, "SE1 7PB").await;
    assert!(text(&replies).contains("Thank you"), "{}", text(&replies));
}

fn reached(milestones: &[crate::conversation::ReachedMilestone]) -> Vec<u64> {
    milestones.iter().map(|m| m.signatures).collect()
}

#[tokio::test]
async fn goal_is_for_organisers_above_the_total_and_audited() {
    let fixture = TestApp::sqlite().await;
    fixture.engine.register_campaigns().await.unwrap();
    sign_as(&fixture, 1).await;

    let refused = text(&fixture.say(&telegram(2), "goal 20000").await);
    assert!(
        refused.contains("only the campaign's organisers can use goal"),
        "{refused}"
    );
    assert!(text(&fixture.say(&organiser(), "goal").await).contains("The goal is 10,000 signatures, with 1 so far"));
    for not_above in ["goal 1", "goal 0", "goal lots", "/goal -5"] {
        let said = text(&fixture.say(&organiser(), not_above).await);
        assert!(
            said.contains("above the 1 signatures counted so far"),
            "{not_above}: {said}"
        );
    }
    assert_eq!(
        fixture.engine.goal_of(fixture.default_campaign()),
        10_000,
        "nothing changed"
    );

    let set = text(&fixture.say(&organiser(), "/goal 20,000").await);
    assert!(
        set.contains("is now 20,000 signatures (it was 10,000), with 1 so far"),
        "{set}"
    );
    assert_eq!(fixture.engine.goal_of(fixture.default_campaign()), 20_000);
    assert!(text(&fixture.say(&telegram(3), "total").await).contains("1 of 20,000 signatures"));
    assert!(text(&fixture.say_in_group(&telegram(3), "/sign").await).contains("1 of 20,000 signatures"));
    assert!(text(&fixture.say(&organiser(), "stats").await).contains("20,000"));

    let audit = fixture
        .storage
        .audit_log(&fixture.default_campaign().slug)
        .await
        .unwrap();
    let goal = audit
        .iter()
        .find(|entry| entry.action == "goal")
        .expect("the goal change is audited");
    assert_eq!(
        (goal.actor.clone(), goal.detail.as_str()),
        (organiser(), "from 10,000 to 20,000")
    );
}

#[tokio::test]
async fn a_goal_set_by_another_process_is_read_from_the_database() {
    let fixture = TestApp::sqlite().await;
    fixture.engine.register_campaigns().await.unwrap();
    let audit = crate::storage::AuditEntry {
        campaign: fixture.default_campaign().slug.clone(),
        actor: organiser(),
        action: "goal".into(),
        detail: String::new(),
        affected: 0,
        at: start_of_test(),
    };
    fixture.storage.set_goal(15_000, &audit).await.unwrap();
    fixture.engine.check_milestones().await.unwrap();
    assert!(text(&fixture.say(&telegram(3), "total").await).contains("0 of 15,000 signatures"));
}

#[tokio::test]
async fn each_milestone_is_claimed_once_and_several_at_once_are_announced_as_the_highest() {
    let fixture = TestApp::sqlite_with_campaign(quarters_of(4)).await;
    fixture.engine.register_campaigns().await.unwrap();
    let mut heard = fixture.engine.subscribe_milestones();
    assert!(fixture.engine.check_milestones().await.unwrap().is_empty());

    sign_as(&fixture, 1).await;
    assert_eq!(reached(&fixture.engine.check_milestones().await.unwrap()), vec![1]);
    assert!(fixture.engine.check_milestones().await.unwrap().is_empty(), "once");
    let first = heard.try_recv().expect("subscribers hear of it");
    assert_eq!((first.signatures, first.goal), (1, 4));
    assert!(
        first.text.contains("has reached 1 signatures, 25% of the way to 4"),
        "{}",
        first.text
    );

    sign_as(&fixture, 2).await;
    sign_as(&fixture, 3).await;
    assert_eq!(reached(&fixture.engine.check_milestones().await.unwrap()), vec![3]);
    let chat = AnnounceChat::new(Platform::Telegram, -100);
    let queued = fixture
        .storage
        .pending_announcement(&fixture.default_campaign().slug, &chat)
        .await
        .unwrap()
        .expect("queued for the announcement chat");
    assert_eq!(queued.signatures, 3);

    // A withdrawal and a new signature cross 3 again: not a new milestone.
    fixture.say(&telegram(3), "withdraw").await;
    fixture.say(&telegram(3), "yes").await;
    assert_eq!(fixture.total().await, 2);
    fixture.engine.check_milestones().await.unwrap();
    sign_as(&fixture, 4).await;
    assert!(fixture.engine.check_milestones().await.unwrap().is_empty());
}

#[tokio::test]
async fn after_the_goal_is_raised_milestones_continue_toward_it_and_none_is_announced_late() {
    let fixture = TestApp::sqlite_with_campaign(quarters_of(4)).await;
    fixture.engine.register_campaigns().await.unwrap();
    for id in 1..=4 {
        sign_as(&fixture, id).await;
    }
    let reached_goal = fixture.engine.check_milestones().await.unwrap();
    assert_eq!(reached(&reached_goal), vec![4]);
    assert!(reached_goal[0].text.contains("has reached its goal of 4 signatures"));

    // Toward 10: 3 (25%), 5, 8 and 10. The total is past 3 already.
    fixture.say(&organiser(), "goal 10").await;
    assert!(
        fixture.engine.check_milestones().await.unwrap().is_empty(),
        "3 is not announced late"
    );
    sign_as(&fixture, 5).await;
    assert_eq!(reached(&fixture.engine.check_milestones().await.unwrap()), vec![5]);
}

#[tokio::test]
async fn the_progress_message_shows_the_total_against_the_goal_in_force_with_a_sign_link() {
    let fixture = TestApp::sqlite_with_campaign(quarters_of(4)).await;
    fixture.engine.register_campaigns().await.unwrap();
    sign_as(&fixture, 1).await;
    let progress = fixture
        .engine
        .progress_now(&fixture.default_campaign().slug)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((progress.total, progress.goal), (1, 4));
    assert_eq!(
        progress.reply.text,
        format!(
            "Keep the human trafficking unit open\n\n1 of 4 signatures (25% of the goal).\n{}{} 25%",
            "▰".repeat(5),
            "▱".repeat(15)
        )
    );
    assert_eq!(
        progress.reply.link,
        Some(crate::conversation::Link::SignPrivately {
            payload: fixture.default_campaign().slug.clone()
        })
    );
}

#[tokio::test]
async fn progress_here_is_for_organisers_and_asks_for_a_new_message() {
    let fixture = TestApp::sqlite().await;
    fixture.engine.register_campaigns().await.unwrap();
    let chat = AnnounceChat::new(Platform::Telegram, -200);
    let (accepted, reply) = fixture.engine.progress_here(&telegram(2), &[], chat.clone()).await;
    assert!(
        !accepted && reply.text.contains("only the campaign's organisers"),
        "{}",
        reply.text
    );
    assert!(
        fixture
            .storage
            .progress_messages(Platform::Telegram)
            .await
            .unwrap()
            .is_empty()
    );

    let (accepted, _) = fixture.engine.progress_here(&organiser(), &[], chat.clone()).await;
    assert!(accepted);
    let kept = fixture.storage.progress_messages(Platform::Telegram).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].chat.clone(), kept[0].message_id.clone()), (chat, None));
}
