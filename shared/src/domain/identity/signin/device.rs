//! The device flow's pages (RFC 8628): a person confirms in any browser the code their
//! terminal shows, then signs in at the provider.

use super::*;
use crate::AppState;
use crate::domain::identity::provider::{self};
use crate::domain::identity::{DeviceStatus, Then};
use crate::error::{Error, Result};
use crate::repo::{self};

/// A user code as people type it: letters only, upper case, at most 8.
pub fn normalise_user_code(raw: &str) -> Option<String> {
    let code: String = raw.chars().filter(|c| c.is_ascii_alphabetic()).map(|c| c.to_ascii_uppercase()).collect();
    (code.len() == 8).then_some(code)
}

/// `GET /v1/oauth/device`: the page where a person enters or confirms a user code.
pub async fn device_page(state: &AppState, user_code: Option<&str>) -> Result<Answer> {
    let Some(raw) = user_code else {
        return Ok(Answer::DeviceForm { user_code: None, organization: None, error: None });
    };
    Ok(match live_device(state, raw).await? {
        Some((code, _, org_name)) => {
            Answer::DeviceForm { user_code: Some(code), organization: Some(org_name), error: None }
        }
        None => Answer::DeviceForm { user_code: None, organization: None, error: Some(UNKNOWN_CODE) },
    })
}

const UNKNOWN_CODE: &str = "That code is unknown or has expired. Check it against your terminal.";

/// The live, pending device authorization a user code names: (code, device hash,
/// organization name).
async fn live_device(state: &AppState, raw: &str) -> Result<Option<(String, String, String)>> {
    let Some(code) = normalise_user_code(raw) else { return Ok(None) };
    let Some(device_hash) = repo::identity::device_by_user_code(&state.repo, &code).await? else { return Ok(None) };
    let Some(grant) = repo::identity::device_grant(&state.repo, &device_hash).await? else { return Ok(None) };
    if grant.expires_at <= crate::time::now() || grant.status != DeviceStatus::Pending {
        return Ok(None);
    }
    let Some(org) = repo::organizations::get(&state.repo, grant.org_id).await? else { return Ok(None) };
    Ok(Some((code, device_hash, org.name)))
}

/// `POST /v1/oauth/device`: the person confirmed (or refused) the code their terminal shows.
pub async fn device_decision(state: &AppState, raw_code: &str, approve: bool, public_url: &str) -> Result<Answer> {
    let Some((_, device_hash, _)) = live_device(state, raw_code).await? else {
        return Ok(Answer::DeviceForm { user_code: None, organization: None, error: Some(UNKNOWN_CODE) });
    };
    if !approve {
        let mut tx = state.repo.transaction();
        repo::identity::decide_device_grant(
            &mut tx,
            &device_hash,
            &DeviceStatus::Denied { reason: "you refused the sign-in in the browser".into() },
        )?;
        crate::domain::notify::commit(state, tx).await.map_err(Error::from)?;
        return Ok(message(200, "Sign-in refused", "The sign-in was refused; the terminal that asked is told so."));
    }
    let Some(grant) = repo::identity::device_grant(&state.repo, &device_hash).await? else {
        return Ok(Answer::DeviceForm { user_code: None, organization: None, error: Some(UNKNOWN_CODE) });
    };
    let Some(settings) = provider::find(state, grant.org_id).await? else {
        return Ok(message(
            400,
            "Single sign-on is off",
            "This organization no longer signs in through an identity provider.",
        ));
    };
    Ok(send_to_provider(state, &settings, Then::Device { device_hash }, public_url).await?.unwrap_or_else(|| {
        message(
            502,
            "Identity provider unreachable",
            "The organization's identity provider cannot be reached. Try again later.",
        )
    }))
}
