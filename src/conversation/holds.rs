//! Whether a signature counts or is held for review: blocked lists, young
//! Discord accounts, velocity alerts and the surge ceiling; and the alerts
//! that tell organisers.

use chrono::{DateTime, Utc};
use tracing::warn;

use super::{Alert, Engine, EngineError, Incoming};
use crate::campaign::{Campaign, NewAccountPolicy};
use crate::domain::{Anomaly, Dimension, HoldReason, Platform};
use crate::messages::Message;
use crate::organiser;
use crate::storage::{NewSignature, StorageError};

impl Engine {
    pub(super) fn raise_alert(&self, campaign: &Campaign, text: String) {
        warn!(campaign = %campaign.slug, "{text}");
        // Nobody listening is fine: the anomaly is also in the database.
        let _ = self.alerts.send(Alert {
            campaign: campaign.slug.clone(),
            text,
        });
    }

    /// Compares the last hour's signatures per email domain, postcode
    /// district and platform with each campaign's thresholds. A crossing puts
    /// an alert in force for an hour (new signatures matching it are held),
    /// is recorded, and is announced to organisers once per hour.
    pub async fn check_velocity(&self) -> Result<Vec<Anomaly>, StorageError> {
        let now = self.clock.now();
        let mut new = Vec::new();
        for campaign in self.campaigns.iter() {
            let crossings = self
                .storage
                .velocity(
                    &campaign.slug,
                    now - chrono::Duration::hours(1),
                    campaign.limits.thresholds(),
                )
                .await?;
            for crossing in crossings {
                self.guards.activate_alert(
                    &campaign.slug,
                    crossing.dimension,
                    &crossing.value,
                    now + chrono::Duration::hours(1),
                );
                let anomaly = Anomaly {
                    campaign: campaign.slug.clone(),
                    dimension: crossing.dimension,
                    value: crossing.value,
                    count: crossing.count,
                    threshold: campaign.limits.threshold(crossing.dimension),
                    detected_at: now,
                };
                if self.storage.record_anomaly(&anomaly).await? {
                    self.raise_alert(
                        campaign,
                        organiser::describe_anomaly(self.language, &campaign.title, &anomaly),
                    );
                    new.push(anomaly);
                }
            }
        }
        Ok(new)
    }

    /// Decides whether a signature counts, is held for review, or (a young
    /// Discord account, where the campaign says so) is refused.
    pub(super) fn hold_or_refuse(
        &self,
        msg: &Incoming,
        campaign: &Campaign,
        mut signature: NewSignature,
        now: DateTime<Utc>,
    ) -> Result<NewSignature, EngineError> {
        let limits = &campaign.limits;
        // Measured for every signature, so the rate is right whatever else holds it.
        let surging = self.guards.over_surge_ceiling(&campaign.slug);
        let domain = signature.email.as_ref().map(|e| e.domain().to_owned());
        // For a Discord account younger than the minimum, the day it comes
        // of age; no other account has one.
        let of_age_on = msg
            .account_created
            .filter(|_| msg.from.platform == Platform::Discord)
            .map(|created| created + chrono::Duration::days(i64::from(limits.min_discord_account_age_days)))
            .filter(|of_age| *of_age > now);
        let young_account = of_age_on.is_some();
        if let Some(allowed_from) = of_age_on
            && limits.new_discord_accounts == NewAccountPolicy::Refuse
        {
            return Err(EngineError::AccountTooYoung {
                days: limits.min_discord_account_age_days,
                from: allowed_from,
            });
        }
        let mut values = vec![(Dimension::Platform, msg.from.platform.as_str())];
        if let Some(domain) = &domain {
            values.push((Dimension::EmailDomain, domain.as_str()));
        }
        if let Some(district) = signature.location.district() {
            values.push((Dimension::PostcodeDistrict, district));
        }
        signature.hold = if limits.blocks_identity(&msg.from) {
            Some(HoldReason::BlockedIdentity)
        } else if domain.as_deref().is_some_and(|d| limits.blocks_domain(d)) {
            Some(HoldReason::BlockedDomain)
        } else if young_account {
            Some(HoldReason::NewAccount)
        } else if let Some(dimension) = self.guards.alert_in_force(&campaign.slug, &values, now) {
            Some(HoldReason::for_velocity(dimension))
        } else if surging {
            crate::metrics::limit_hit(crate::metrics::Limit::Surge);
            self.surge_alert(campaign, now);
            Some(HoldReason::Surge)
        } else {
            None
        };
        Ok(signature)
    }

    pub(super) fn surge_alert(&self, campaign: &Campaign, now: DateTime<Utc>) {
        let mut last = self.last_surge_alert.lock().expect("surge alert lock poisoned");
        let due = last
            .get(&campaign.slug)
            .is_none_or(|at| now - *at >= chrono::Duration::minutes(1));
        if due {
            last.insert(campaign.slug.clone(), now);
            drop(last);
            self.raise_alert(
                campaign,
                self.say(Message::Surge {
                    title: &campaign.title,
                    per_second: campaign.limits.signatures_per_second,
                }),
            );
        }
    }
}
