//! Signing in to the console through the organization's identity provider: the same
//! browser flow as agentctl's, ending in a console session instead of a code.

use super::{Answer, NOT_CONFIGURED, Then, capitalised, configured, message, send_to_provider};
use crate::AppState;
use crate::domain::employees;
use crate::domain::sessions::{self, CONSOLE_DEVICE, Opening, SignInMethod};
use crate::error::Result;
use crate::ids::{EmployeeId, OrgId};

/// Sends the person to the provider of the organization `slug` names.
pub async fn console(state: &AppState, slug: &str, public_url: &str) -> Result<Answer> {
    let Some(settings) = configured(state, Some(slug.trim())).await? else {
        return Ok(message(400, "Single sign-on unavailable", capitalised(NOT_CONFIGURED)));
    };
    Ok(send_to_provider(state, &settings, Then::Console, public_url).await?.unwrap_or_else(|| {
        message(502, "Identity provider unreachable", "The identity provider cannot be reached. Try again later.")
    }))
}

/// Opens the console session of someone the provider just signed in (a transaction of
/// its own: the sign-in's may have changed the employee).
pub(super) async fn console_session(
    state: &AppState,
    org: OrgId,
    employee: EmployeeId,
    ip_address: Option<String>,
) -> Result<Answer> {
    let employee = employees::find(state, org, employee).await?;
    let mut tx = state.repo.transaction();
    let opening = Opening { device_name: Some(CONSOLE_DEVICE.into()), ip_address, method: SignInMethod::SingleSignOn };
    let token = sessions::open_console(state, &mut tx, &employee, opening, crate::time::now()).await?;
    crate::domain::notify::commit(state, tx).await.map_err(sessions::opening_error)?;
    Ok(Answer::Console { token })
}
