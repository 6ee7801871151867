//! The demo organization of the local stack: a subscription, three teams, the five
//! roles, an owner, an admin and a few employees; approved MCP servers, an org-wide and
//! a team policy, a developer with agents and MCP servers to sync, and open requests. Written through the domain logic, so
//! the demo data obeys the same rules (and leaves the same activity) as real data.

use agentctl_shared::AppState;
use agentctl_shared::auth::{Caller, Principal};
use agentctl_shared::domain::catalog;
use agentctl_shared::domain::configs::{self, CredentialsUpdate, NewAgentConfig, NewMcpConfig};
use agentctl_shared::domain::policies::{self, AttachRequest, NewPolicy, PolicySpec, Target};
use agentctl_shared::domain::requests::{self, NewRequest, RequestType};
use agentctl_shared::error::ProblemCode;
use agentctl_shared::ids::{EmployeeId, TeamId};
use agentctl_shared::policy::{PolicyType, Severity};
use serde_json::json;

use crate::catalog::Seeded;
use agentctl_shared::domain::employees::{self, Employee, NewEmployee};
use agentctl_shared::domain::identity::{self, IdentityProviderRequest};
use agentctl_shared::domain::mcp;
use agentctl_shared::domain::organizations::{self, NewOrganization, NewOwner, Plan};
use agentctl_shared::domain::sessions::{self, SessionRequest};
use agentctl_shared::domain::teams::{self, NewTeam};
use agentctl_shared::error::Result;
use agentctl_shared::roles::RoleName;

pub const DEMO_SLUG: &str = "acme";
const DEMO_OWNER_EMAIL: &str = "olivia.owner@acme.example";

/// What the demo needs to print.
pub struct Demo {
    pub org_name: String,
    /// A session token of the demo admin.
    pub admin_token: String,
    pub admin_email: String,
    /// An unused enrollment code of a demo member (to try `agentctl login`).
    pub member_code: String,
    /// An unused enrollment code of the demo admin (to sign in to the console).
    pub admin_code: String,
    pub member_email: String,
    /// A session token of one employee of every role (the admin's is `admin_token`).
    pub sessions: Vec<(RoleName, String)>,
}

/// Seeds the demo organization. Returns `None` when the slug exists already (a dev
/// server restarted against a running emulator keeps its data).
pub async fn demo(state: &AppState) -> Result<Option<Demo>> {
    let request = NewOrganization {
        name: "Acme Corp".into(),
        slug: DEMO_SLUG.into(),
        plan: Plan::Pro,
        settings: Some(serde_json::json!({ "default_agent": "claude-code" })),
        max_employees: None,
        max_agents_per_employee: None,
        monthly_budget_usd: Some("5000.00".parse().expect("a decimal")),
        owner: NewOwner { email: DEMO_OWNER_EMAIL.into(), full_name: "Olivia Owner".into() },
    };
    let created = match organizations::create(state, &Principal::Platform, request).await {
        Ok(created) => created,
        Err(agentctl_shared::Error::Conflict { code: ProblemCode::SlugTaken, .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let catalog = crate::catalog::seed(state).await?;
    let owner = Caller::acting_as(created.organization.id, created.owner.id, RoleName::Owner);
    let mut team_ids = Vec::new();
    for (name, description) in [
        ("Platform", "Infrastructure and developer platform"),
        ("Frontend", "Web and mobile clients"),
        ("Data", "Analytics and machine learning"),
    ] {
        let team = teams::create(
            state,
            &owner,
            NewTeam { name: name.into(), description: Some(description.into()), team_source: None },
        )
        .await?;
        team_ids.push(team.id);
    }
    let people = [
        ("alice.admin@acme.example", "Alice Admin", RoleName::Admin, None),
        ("bob.billing@acme.example", "Bob Billing", RoleName::Billing, None),
        ("carol.manager@acme.example", "Carol Manager", RoleName::Manager, Some(team_ids[0])),
        ("dave.dev@acme.example", "Dave Developer", RoleName::Member, Some(team_ids[0])),
        ("erin.frontend@acme.example", "Erin Frontend", RoleName::Member, Some(team_ids[1])),
        ("frank.data@acme.example", "Frank Data", RoleName::Member, Some(team_ids[2])),
    ];
    let mut staff: Vec<Employee> = Vec::new();
    for (email, name, role, team_id) in people {
        let request =
            NewEmployee { email: email.into(), full_name: name.into(), role: Some(role), team_id, preferences: None };
        staff.push(employees::create(state, &owner, request).await?);
    }
    // The organization approves the servers it allows its employees.
    for server in catalog
        .servers
        .iter()
        .filter(|s| ["filesystem", "github", "fetch", "git", "context7"].contains(&s.name.as_str()))
    {
        mcp::approve(state, &owner, server.id).await?;
    }
    let developer = &staff[3];
    policies(state, &owner, team_ids[0]).await?;
    configurations(state, &owner, developer.id, &catalog).await?;
    open_requests(state, &staff, &catalog).await?;
    // Sessions for the owner, Alice (admin), Bob (billing), Carol (manager), Erin (member).
    let mut signed_in = Vec::new();
    for (role, employee) in [
        (RoleName::Owner, created.owner.id),
        (RoleName::Admin, staff[0].id),
        (RoleName::Billing, staff[1].id),
        (RoleName::Manager, staff[2].id),
        (RoleName::Member, staff[4].id),
    ] {
        let code = sessions::issue_enrollment(state, &owner, employee).await?;
        let session = sessions::exchange(
            state,
            SessionRequest { code: code.code, device_name: Some("demo seed".into()) },
            Some("127.0.0.1".into()),
        )
        .await?;
        signed_in.push((role, session.token));
    }
    let admin = &staff[0];
    let member = &staff[3];
    let member_code = sessions::issue_enrollment(state, &owner, member.id).await?;
    let admin_code = sessions::issue_enrollment(state, &owner, admin.id).await?;
    Ok(Some(Demo {
        org_name: created.organization.name,
        admin_token: signed_in[1].1.clone(),
        admin_email: admin.email.clone(),
        member_code: member_code.code,
        admin_code: admin_code.code,
        member_email: member.email.clone(),
        sessions: signed_in,
    }))
}

/// An org-wide policy (keep agents out of SSH keys and cloud credentials) and one for
/// the Platform team (no destructive shell commands).
async fn policies(state: &AppState, owner: &Caller, platform_team: TeamId) -> Result<()> {
    let by = Principal::Employee(owner.clone());
    let rules = [
        ("Protect credentials", PolicyType::Filesystem, json!({ "deny": ["~/.ssh/**", "~/.aws/**"] }), Target::Org),
        (
            "No destructive shell",
            PolicyType::Shell,
            json!({ "deny": ["rm -rf /", "git push --force"] }),
            Target::Team(platform_team),
        ),
    ];
    for (name, policy_type, rules, target) in rules {
        let new = NewPolicy {
            name: name.into(),
            description: None,
            is_public: None,
            policy_type,
            rules,
            severity: Severity::Block,
        };
        let policy = catalog::create::<PolicySpec>(state, &by, new).await?;
        policies::attach(state, &by, target, policy.id, AttachRequest::default()).await?;
    }
    Ok(())
}

/// The developer's agents (Claude Code, Codex) and MCP servers (filesystem, fetch, and
/// github with a demo token in the vault).
/// Requests waiting in the approval queue: a developer wants an MCP server the
/// organization has not approved, another an agent, a third more budget.
async fn open_requests(state: &AppState, staff: &[Employee], catalog: &Seeded) -> Result<()> {
    let server = |name: &str| catalog.servers.iter().find(|s| s.name == name).map(|s| s.id);
    let agent = |name: &str| catalog.agents.iter().find(|a| a.name == name).map(|a| a.id);
    let wanted = [
        (
            &staff[3],
            RequestType::NewMcp,
            server("memory").map(|id| json!({ "server_id": id })),
            "Keep context between sessions",
        ),
        (
            &staff[4],
            RequestType::NewAgent,
            agent("Cursor").map(|id| json!({ "agent_id": id })),
            "Pairing on the web app",
        ),
        (&staff[5], RequestType::IncreaseBudget, Some(json!({ "amount_usd": "500.00" })), "Model evaluation sprint"),
    ];
    for (employee, request_type, request_data, reason) in wanted {
        let Some(request_data) = request_data else { continue };
        let caller = Caller::acting_as(employee.org_id, employee.id, employee.role);
        let request = NewRequest { request_type, request_data, reason: Some(reason.into()) };
        requests::submit(state, &caller, request).await?;
    }
    Ok(())
}

async fn configurations(state: &AppState, owner: &Caller, developer: EmployeeId, catalog: &Seeded) -> Result<()> {
    for agent in catalog.agents.iter().filter(|a| ["Claude Code", "Codex"].contains(&a.name.as_str())) {
        let new = NewAgentConfig { agent_id: agent.id, name: None, status: None, config_override: None };
        configs::create_agent_config(state, owner, developer, new).await?;
    }
    let connections = [
        ("filesystem", json!({ "root": "~/src" }), None),
        ("fetch", json!({}), None),
        ("github", json!({}), Some(json!({ "token": "ghp_demo_not_a_real_token" }))),
    ];
    for (name, connection, credentials) in connections {
        let Some(server) = catalog.servers.iter().find(|s| s.name == name) else { continue };
        let new = NewMcpConfig { server_id: server.id, status: None, connection_config: Some(connection) };
        let config = configs::create_mcp_config(state, owner, developer, new).await?;
        if let Some(credentials) = credentials {
            configs::set_credentials(state, owner, developer, config.id, CredentialsUpdate { credentials }).await?;
        }
    }
    Ok(())
}

/// Points the demo organization at the local identity provider (every start: its port
/// or client may have changed), signing people of `acme.example` in, and creating those
/// the demo does not know yet just in time.
pub async fn single_sign_on(state: &AppState, provider: &LocalProvider, public_url: &str) -> Result<()> {
    let org = agentctl_shared::repo::organizations::id_by_slug(&state.repo, DEMO_SLUG)
        .await?
        .ok_or(agentctl_shared::Error::NotFound("demo organization"))?;
    let owner = agentctl_shared::repo::employees::id_by_email(&state.repo, org, DEMO_OWNER_EMAIL)
        .await?
        .ok_or(agentctl_shared::Error::NotFound("demo owner"))?;
    let request = IdentityProviderRequest {
        issuer: provider.issuer.clone(),
        client_id: provider.client_id.clone(),
        client_secret: Some(provider.client_secret.clone()),
        allowed_domains: vec!["acme.example".into()],
        extra_scopes: vec![],
        groups_claim: None,
        team_mappings: vec![],
        role_mappings: vec![],
        allow_owner_mapping: false,
        just_in_time: true,
        default_role: RoleName::Member,
    };
    let caller = Caller::acting_as(org, owner, RoleName::Owner);
    identity::provider::put(state, &caller, request, public_url).await.map(drop)
}

/// The local identity provider's client for the dev server (scripts/dev.sh).
pub struct LocalProvider {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}
