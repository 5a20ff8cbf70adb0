//! Signatures as both databases write them into a batch and read them back,
//! and the duplicate check the writers run.

use super::{Connection, Dialect, Row, Sql};
use crate::domain::{Dimension, Email, HoldReason, Identity, Platform, ShareCode, SignerName};
use crate::storage::{
    DuplicateMatch, NewSignature, PriorSignature, Signature, SignatureStatus, StorageError, StorageResult, db,
    location_from_columns,
};

pub(super) fn platform_of<D: Dialect>(row: &Row<D>, column: &str) -> StorageResult<Platform> {
    D::text(row, column).parse().map_err(StorageError::Corrupt)
}

pub(super) fn dimension_of<D: Dialect>(row: &Row<D>) -> StorageResult<Dimension> {
    let value = D::text(row, "dimension");
    Dimension::parse(&value).ok_or_else(|| StorageError::Corrupt(format!("unknown dimension {value:?}")))
}

/// The earlier signature that turns `signature` away, if one does: by the
/// same account first, else by the same email. Holds nothing that
/// identifies the earlier account.
pub(crate) async fn prior_signature<D: Dialect>(
    connection: &mut Connection<D>,
    signature: &NewSignature,
) -> StorageResult<Option<PriorSignature>> {
    let row = Sql::<D>::new(
        "SELECT platform, created_at, (platform = $2 AND platform_user_id = $3) AS same_identity
         FROM signatures
         WHERE campaign = $1 AND ((platform = $2 AND platform_user_id = $3) OR email = $4)
         ORDER BY same_identity DESC LIMIT 1",
    )
    .text(&signature.campaign)
    .text(signature.identity.platform.as_str())
    .text(&signature.identity.user_id)
    .maybe_text(signature.email.as_ref().map(Email::as_str))
    .fetch_optional(connection)
    .await
    .map_err(db("looking for an earlier signature"))?;
    row.map(|row| {
        Ok(PriorSignature {
            platform: platform_of::<D>(&row, "platform")?,
            signed_at: D::time(&row, "created_at")?,
            matched_by: if D::boolean(&row, "same_identity") {
                DuplicateMatch::Identity
            } else {
                DuplicateMatch::Email
            },
        })
    })
    .transpose()
}

/// The columns of a signature row, in the order the batch statements take
/// them from each JSON row.
pub(crate) type SignatureRow<'a, T> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    bool,
    u32,
    T,
    Option<&'a str>,
    &'a str,
    T,
    &'static str,
    Option<&'static str>,
    Option<&'a str>,
);

/// A signature as a JSON row for the batch statements: campaign, platform,
/// platform user id, name, email, postcode district, country, updates
/// opt-in, consent version, consent time, referral code, share code,
/// created time, status, hold reason, email domain.
pub(crate) fn signature_row<'a, D: Dialect>(
    signature: &'a NewSignature,
    code: &'a ShareCode,
) -> SignatureRow<'a, D::JsonTime> {
    (
        signature.campaign.as_str(),
        signature.identity.platform.as_str(),
        signature.identity.user_id.as_str(),
        signature.name.as_str(),
        signature.email.as_ref().map(Email::as_str),
        signature.location.district(),
        signature.location.country(),
        signature.updates_opt_in,
        signature.consent_version,
        D::json_time(signature.consent_at),
        signature.referral_code.as_ref().map(ShareCode::as_str),
        code.as_str(),
        D::json_time(signature.created_at),
        if signature.hold.is_some() { "held" } else { "counted" },
        signature.hold.map(HoldReason::as_str),
        signature.email.as_ref().map(Email::domain),
    )
}

/// A stored signature read back from a row of `campaign, platform,
/// platform_user_id, name, email, postcode_district, country,
/// updates_opt_in, consent_version, consent_at, referral_code, share_code,
/// created_at, status, hold_reason, updates_wording`.
pub(crate) fn signature_from_row<D: Dialect>(row: &Row<D>) -> StorageResult<Signature> {
    Ok(Signature {
        campaign: D::text(row, "campaign"),
        identity: Identity::new(platform_of::<D>(row, "platform")?, D::text(row, "platform_user_id")),
        name: SignerName::from_trusted(D::text(row, "name")),
        email: D::maybe_text(row, "email").map(Email::from_trusted),
        location: location_from_columns(D::maybe_text(row, "postcode_district"), D::maybe_text(row, "country"))?,
        updates_opt_in: D::boolean(row, "updates_opt_in"),
        updates_wording: u32::try_from(D::int(row, "updates_wording"))
            .map_err(|_| StorageError::Corrupt("a stored updates wording is out of range".into()))?,
        consent_version: u32::try_from(D::int(row, "consent_version"))
            .map_err(|_| StorageError::Corrupt("a stored consent version is out of range".into()))?,
        consent_at: D::time(row, "consent_at")?,
        referral_code: D::maybe_text(row, "referral_code").and_then(|code| ShareCode::parse(&code)),
        share_code: ShareCode::parse(&D::text(row, "share_code"))
            .ok_or_else(|| StorageError::Corrupt("a stored share code is malformed".into()))?,
        created_at: D::time(row, "created_at")?,
        status: SignatureStatus::from_columns(&D::text(row, "status"), D::maybe_text(row, "hold_reason").as_deref())?,
    })
}

/// The signature each key of a batched lookup asked for, from the rows the
/// lookup found (as `signature_from_row` reads them).
pub(crate) fn signatures_answering<D: Dialect>(
    keys: &[(String, Identity)],
    rows: &[Row<D>],
) -> StorageResult<Vec<Option<Signature>>> {
    let found = rows.iter().map(signature_from_row::<D>).collect::<StorageResult<_>>()?;
    Ok(crate::storage::group_read::signatures_by_key(keys, found))
}
