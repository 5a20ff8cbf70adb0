//! What is asked of the engine outside any conversation (by the command
//! line today): closing, reopening and forgetting a campaign, its figures,
//! its export and its delivery pack. Each is named for what it does, and
//! whoever asks says who they are where an audit entry records it, so the
//! rules (the goal in force, when a pack counts as the delivery) are the
//! engine's alone.

use chrono::NaiveDate;
use tracing::info;

use crate::campaign::Campaign;
use crate::conversation::{Engine, Standing};
use crate::delivery::{self, DeliveryPack};
use crate::domain::Identity;
use crate::messages::LifecycleMessage;
use crate::organiser;
use crate::storage::{ExportRow, Recount, Reopening, Stats, StorageError};

impl Engine {
    /// The question to ask before closing `campaign`, or that it is closed
    /// already (then `true`).
    pub async fn closing_question(&self, campaign: &Campaign) -> Result<(String, bool), StorageError> {
        let title = &campaign.title;
        if matches!(self.standing(campaign), Standing::Closed(_)) {
            return Ok((self.say_lifecycle(LifecycleMessage::AlreadyClosed { title }), true));
        }
        let total = self.storage.total(&campaign.slug).await?;
        Ok((self.close_question(campaign, Some(total)).text, false))
    }

    /// Closes `campaign` now, audited as `by`'s, and says what happened.
    pub async fn close_campaign(&self, campaign: &Campaign, by: &Identity) -> Result<String, StorageError> {
        let title = &campaign.title;
        if !self.close(campaign, self.clock.now(), by).await? {
            return Ok(self.say_lifecycle(LifecycleMessage::AlreadyClosed { title }));
        }
        let total = self.storage.total(&campaign.slug).await?;
        Ok(self.say_lifecycle(LifecycleMessage::ClosedNow { title, total }))
    }

    /// Opens a closed `campaign` again, audited as `by`'s, unless it was
    /// delivered or its signers forgotten; says what happened.
    pub async fn reopen_campaign(&self, campaign: &Campaign, by: &Identity) -> Result<String, StorageError> {
        let title = &campaign.title;
        if !matches!(self.standing(campaign), Standing::Closed(_)) {
            return Ok(self.say_lifecycle(LifecycleMessage::NotClosed { title }));
        }
        Ok(self.say_lifecycle(match self.reopen(campaign, by).await? {
            Reopening::Reopened => LifecycleMessage::Reopened { title },
            Reopening::AlreadyDelivered => LifecycleMessage::AlreadyDelivered { title },
            Reopening::AlreadyAnonymised => LifecycleMessage::AlreadyAnonymisedCannotReopen { title },
        }))
    }

    /// Forgets a closed `campaign`'s signers now, or (`dry_run`, or before
    /// it is closed) says how many would be and when they are due.
    pub async fn anonymise_campaign(&self, campaign: &Campaign, dry_run: bool) -> Result<String, StorageError> {
        let title = &campaign.title;
        let due = self.anonymise_due(campaign);
        if dry_run || due.is_none() {
            let count = self.storage.signatures_to_anonymise(&campaign.slug).await?;
            return Ok(self.say_lifecycle(LifecycleMessage::WouldAnonymise { title, count, due }));
        }
        let count = self.storage.anonymise(&campaign.slug, self.clock.now()).await?;
        info!(campaign = %campaign.slug, count, "signers forgotten");
        self.refresh_lifecycles().await?;
        Ok(self.say_lifecycle(LifecycleMessage::AnonymisedNow { title, count }))
    }

    /// `campaign`'s breakdowns up to today, and the campaign as they are
    /// shown against: with the goal in force, which organisers may have
    /// raised in a chat.
    pub async fn stats_against_goal(&self, campaign: &Campaign) -> Result<(Campaign, Stats), StorageError> {
        let today = self.clock.now().date_naive();
        let stats = organiser::stats(self.storage.as_ref(), campaign, today).await?;
        let campaign = Campaign {
            goal: self.goal_of(campaign),
            ..campaign.clone()
        };
        Ok((campaign, stats))
    }

    /// `campaign`'s signatures as CSV, for delivery.
    pub async fn export_csv(&self, campaign: &Campaign) -> anyhow::Result<Vec<u8>> {
        organiser::export_csv(self.storage.as_ref(), campaign).await
    }

    /// The delivery pack for `campaign`, dated `date`. A pack made for a
    /// closed campaign is its delivery: it can no longer be reopened (one
    /// made while it is open is only a preview).
    pub async fn make_delivery_pack(&self, campaign: &Campaign, date: NaiveDate) -> anyhow::Result<DeliveryPack> {
        let rows = self.storage.export(&campaign.slug).await?;
        let pack = self.build_pack(campaign, rows, date).await?;
        self.note_delivery(campaign).await?;
        Ok(pack)
    }

    /// Makes the pack from `rows` on a blocking thread: a pack of 100,000
    /// signatures takes seconds of CPU.
    pub(in crate::conversation) async fn build_pack(
        &self,
        campaign: &Campaign,
        rows: Vec<ExportRow>,
        date: NaiveDate,
    ) -> anyhow::Result<DeliveryPack> {
        let language = self.language;
        let campaign = campaign.clone();
        tokio::task::spawn_blocking(move || delivery::build(language, &campaign, &rows, date)).await?
    }

    /// The SHA-256 digest of `campaign`'s signatory list, as the last line
    /// of its delivery pack gives it; makes no pack.
    pub async fn signatory_digest(&self, campaign: &Campaign) -> Result<String, StorageError> {
        let rows = self.storage.export(&campaign.slug).await?;
        Ok(delivery::digest(&delivery::signatories(&rows)))
    }

    /// Recomputes every campaign's totals from its signatures, correcting
    /// any drift in the stored counters, and reports what it found.
    pub async fn recount(&self) -> Result<Vec<Recount>, StorageError> {
        self.storage.recount().await
    }
}
