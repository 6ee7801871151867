//! An organization's identity provider: configured by its owners (it decides who can
//! sign in as any employee, owners included), read by those who read the organization.

use serde_json::json;

use super::{IdentityProvider, IdentityProviderRequest, ProviderSettings, RoleMapping, TeamMapping};
use crate::AppState;
use crate::activity::EventType;
use crate::auth::Caller;
use crate::error::{Error, ProblemCode, Result};
use crate::ids::OrgId;
use crate::repo::{self, StoreError};
use crate::roles::{Permission, RoleName};
use crate::validate::{self, Validator};
use crate::vault::Owner;

const MAX_DOMAINS: usize = 20;
const MAX_SCOPES: usize = 10;
const MAX_TEAM_MAPPINGS: usize = 100;
const MAX_ROLE_MAPPINGS: usize = 50;
/// The scopes always asked for.
pub const BASE_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// Where the provider sends people back: register it there.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{public_url}/v1/oauth/callback")
}

impl ProviderSettings {
    pub fn view(&self, public_url: &str) -> IdentityProvider {
        IdentityProvider {
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            allowed_domains: self.allowed_domains.clone(),
            extra_scopes: self.extra_scopes.clone(),
            groups_claim: self.groups_claim.clone(),
            team_mappings: self.team_mappings.clone(),
            role_mappings: self.role_mappings.clone(),
            allow_owner_mapping: self.allow_owner_mapping,
            just_in_time: self.just_in_time,
            default_role: self.default_role,
            redirect_uri: redirect_uri(public_url),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// The provider's client secret, decrypted.
    pub async fn client_secret(&self, state: &AppState) -> Result<String> {
        let secret =
            state.vault.open(&Owner::IdentityProvider { org_id: self.org_id }, &self.client_secret_encrypted).await?;
        secret.as_str().map(str::to_string).ok_or_else(|| Error::internal("the stored client secret is not text"))
    }
}

/// The organization's provider, if it has one.
pub async fn find(state: &AppState, org: OrgId) -> Result<Option<ProviderSettings>> {
    Ok(repo::identity::provider(&state.repo, org).await?)
}

pub async fn get(state: &AppState, caller: &Caller, public_url: &str) -> Result<IdentityProvider> {
    caller.require(Permission::OrgRead)?;
    let settings = find(state, caller.org_id).await?.ok_or(Error::NotFound("identity provider"))?;
    Ok(settings.view(public_url))
}

/// Sets (or replaces) the organization's provider, after checking that its discovery
/// document can be read and names the same issuer.
pub async fn put(
    state: &AppState,
    caller: &Caller,
    request: IdentityProviderRequest,
    public_url: &str,
) -> Result<IdentityProvider> {
    caller.require(Permission::OwnersManage)?;
    let before = find(state, caller.org_id).await?;
    let mut v = Validator::new();
    let issuer = v.check("issuer", request.issuer, |raw| issuer(state, raw));
    let client_id = v.check("client_id", request.client_id, token_text(256));
    let secret = v.check_opt("client_secret", request.client_secret, token_text(1024));
    if before.is_none() && secret.as_ref().is_some_and(Option::is_none) {
        v.error("client_secret", "is required when the identity provider is first configured");
    }
    let domains = v.check("allowed_domains", request.allowed_domains, domains);
    let scopes = v.check("extra_scopes", request.extra_scopes, scopes);
    let groups_claim = v.check_opt("groups_claim", request.groups_claim, token_text(64));
    let teams = v.check("team_mappings", request.team_mappings, |m| at_most(m, MAX_TEAM_MAPPINGS, team_mapping));
    if !request.allow_owner_mapping && request.role_mappings.iter().any(|m| m.role == RoleName::Owner) {
        v.error("role_mappings", "a mapping to owner needs allow_owner_mapping: true (an owner's explicit choice)");
    }
    let roles = v.check("role_mappings", request.role_mappings, |m| at_most(m, MAX_ROLE_MAPPINGS, role_mapping));
    if request.default_role == RoleName::Owner {
        v.error("default_role", "people created at sign-in cannot be owners; map a claim to the owner role instead");
    }
    let (issuer, client_id, secret, allowed_domains, extra_scopes, groups_claim, team_mappings, role_mappings) =
        v.finish(|| Some((issuer?, client_id?, secret?, domains?, scopes?, groups_claim?, teams?, roles?)))?;

    let teams: Vec<_> = team_mappings.iter().map(|m| m.team_id).collect();
    let found = if teams.is_empty() { Vec::new() } else { repo::teams::all(&state.repo, caller.org_id).await? };
    if let Some(missing) = team_mappings.iter().find(|m| !found.iter().any(|t| t.id == m.team_id)) {
        return Err(Error::invalid("team_mappings", format!("no team {} in this organization", missing.team_id)));
    }
    state.oidc.discover(&issuer).await.map_err(|e| Error::invalid("issuer", e.to_string()))?;

    let owner = Owner::IdentityProvider { org_id: caller.org_id };
    let client_secret_encrypted = match (secret, &before) {
        (Some(secret), _) => state.vault.seal(&owner, &serde_json::Value::String(secret)).await?,
        (None, Some(before)) => before.client_secret_encrypted.clone(),
        (None, None) => unreachable!("validated above"),
    };
    let now = crate::time::now();
    let settings = ProviderSettings {
        org_id: caller.org_id,
        issuer,
        client_id,
        client_secret_encrypted,
        allowed_domains,
        extra_scopes,
        groups_claim: groups_claim.unwrap_or_else(|| "groups".into()),
        team_mappings,
        role_mappings,
        allow_owner_mapping: request.allow_owner_mapping,
        just_in_time: request.just_in_time,
        default_role: request.default_role,
        created_at: before.as_ref().map_or(now, |b| b.created_at),
        updated_at: now,
    };
    let mut tx = state.repo.transaction();
    repo::identity::put_provider(&mut tx, &settings, before.as_ref())?;
    let payload = json!({
        "issuer": settings.issuer,
        "client_id": settings.client_id,
        "client_secret_changed": before.is_none() || before.as_ref().is_some_and(|b| b.client_secret_encrypted != settings.client_secret_encrypted),
        "just_in_time": settings.just_in_time,
        "allow_owner_mapping": settings.allow_owner_mapping,
    });
    crate::domain::log(
        state,
        &mut tx,
        caller.org_id,
        &caller.principal(),
        EventType::IdentityProviderConfigured,
        payload,
    )?;
    crate::domain::notify::commit(state, tx).await.map_err(changed_meanwhile)?;
    Ok(settings.view(public_url))
}

/// Removes the provider: nobody signs in through it any more (sessions already started
/// live on; enrollment codes remain).
pub async fn delete(state: &AppState, caller: &Caller) -> Result<()> {
    caller.require(Permission::OwnersManage)?;
    let before = find(state, caller.org_id).await?.ok_or(Error::NotFound("identity provider"))?;
    let mut tx = state.repo.transaction();
    repo::identity::delete_provider(&mut tx, caller.org_id);
    let payload = json!({ "issuer": before.issuer });
    crate::domain::log(
        state,
        &mut tx,
        caller.org_id,
        &caller.principal(),
        EventType::IdentityProviderRemoved,
        payload,
    )?;
    crate::domain::notify::commit(state, tx).await.map_err(changed_meanwhile)
}

fn changed_meanwhile(e: StoreError) -> Error {
    match e {
        StoreError::ConditionFailed(_) => {
            Error::conflict(ProblemCode::ConcurrentUpdate, "the identity provider changed meanwhile; retry")
        }
        e => e.into(),
    }
}

/// An issuer URL: one agentctl may call, without query or fragment.
fn issuer(state: &AppState, raw: String) -> std::result::Result<String, String> {
    let raw = raw.trim().to_string();
    if raw.len() > 512 {
        return Err("must be at most 512 characters".into());
    }
    let url = state.oidc.check_url(&raw).map_err(|e| e.to_string())?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(raw)
}

/// Printable ASCII without spaces (client ids, secrets, claim names): 1..=max.
fn token_text(max: usize) -> impl Fn(String) -> std::result::Result<String, String> {
    move |raw| {
        if raw.is_empty() || raw.len() > max || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("must be 1 to {max} printable ASCII characters without spaces"));
        }
        Ok(raw)
    }
}

fn domains(raw: Vec<String>) -> std::result::Result<Vec<String>, String> {
    if raw.is_empty() || raw.len() > MAX_DOMAINS {
        return Err(format!("must list 1 to {MAX_DOMAINS} domains"));
    }
    let mut domains = Vec::new();
    for domain in raw {
        let domain = domain.trim().to_ascii_lowercase();
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if !labels_ok || !domain.contains('.') || domain.len() > 253 {
            return Err(format!("{domain:?} is not a domain name"));
        }
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    Ok(domains)
}

fn scopes(raw: Vec<String>) -> std::result::Result<Vec<String>, String> {
    if raw.len() > MAX_SCOPES {
        return Err(format!("must list at most {MAX_SCOPES} scopes"));
    }
    let mut scopes = Vec::new();
    for scope in raw {
        // RFC 6749 §3.3 scope-token characters.
        let ok = !scope.is_empty()
            && scope.len() <= 64
            && scope.bytes().all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !ok {
            return Err(format!("{scope:?} is not a scope"));
        }
        if !BASE_SCOPES.contains(&scope.as_str()) && !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes)
}

fn at_most<T>(
    items: Vec<T>,
    max: usize,
    check: impl Fn(T) -> std::result::Result<T, String>,
) -> std::result::Result<Vec<T>, String> {
    if items.len() > max {
        return Err(format!("must list at most {max} mappings"));
    }
    items.into_iter().map(check).collect()
}

fn team_mapping(mapping: TeamMapping) -> std::result::Result<TeamMapping, String> {
    let group = validate::name(256)(mapping.group).map_err(|e| format!("group {e}"))?;
    Ok(TeamMapping { group, ..mapping })
}

fn role_mapping(mapping: RoleMapping) -> std::result::Result<RoleMapping, String> {
    let claim = token_text(64)(mapping.claim).map_err(|e| format!("claim {e}"))?;
    let value = validate::name(256)(mapping.value).map_err(|e| format!("value {e}"))?;
    Ok(RoleMapping { claim, value, ..mapping })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_and_checked() {
        assert_eq!(domains(vec![" Acme.Example ".into(), "acme.example".into()]).unwrap(), ["acme.example"]);
        for bad in ["localhost", "-a.example", "a..example", "a b.example", "ex@mple.com"] {
            assert!(domains(vec![bad.into()]).is_err(), "{bad}");
        }
        assert!(domains(vec![]).is_err());
    }

    #[test]
    fn scopes_skip_the_base_ones() {
        assert_eq!(scopes(vec!["openid".into(), "groups".into(), "groups".into()]).unwrap(), ["groups"]);
        assert!(scopes(vec!["two words".into()]).is_err());
        assert!(scopes(vec!["quote\"".into()]).is_err());
    }
}
