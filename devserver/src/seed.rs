//! The demo organization of the local stack: a subscription, three teams, the five
//! roles, an owner, an admin and a few employees. Written through the domain logic, so
//! the demo data obeys the same rules (and leaves the same activity) as real data.

use agentctl_shared::AppState;
use agentctl_shared::auth::Caller;
use agentctl_shared::domain::employees::{self, Employee, NewEmployee};
use agentctl_shared::domain::mcp;
use agentctl_shared::domain::organizations::{self, NewOrganization, NewOwner, Plan};
use agentctl_shared::domain::sessions::{self, SessionRequest};
use agentctl_shared::domain::teams::{self, NewTeam};
use agentctl_shared::error::Result;
use agentctl_shared::ids::SessionId;
use agentctl_shared::roles::RoleName;

pub const DEMO_SLUG: &str = "acme";

/// What the demo needs to print.
pub struct Demo {
    pub org_name: String,
    /// A session token of the demo admin.
    pub admin_token: String,
    pub admin_email: String,
    /// An unused enrollment code of a demo member (to try `agentctl login`).
    pub member_code: String,
    pub member_email: String,
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
        owner: NewOwner { email: "olivia.owner@acme.example".into(), full_name: "Olivia Owner".into() },
    };
    let created = match organizations::create(state, request).await {
        Ok(created) => created,
        Err(agentctl_shared::Error::Conflict { code: "slug_taken", .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let servers = crate::catalog::seed(state).await?;
    let owner = Caller {
        org_id: created.organization.id,
        employee_id: created.owner.id,
        session_id: SessionId::new(),
        role: RoleName::Owner,
        permissions: RoleName::Owner.default_permissions(),
    };
    let mut team_ids = Vec::new();
    for (name, description) in [
        ("Platform", "Infrastructure and developer platform"),
        ("Frontend", "Web and mobile clients"),
        ("Data", "Analytics and machine learning"),
    ] {
        let team =
            teams::create(state, &owner, NewTeam { name: name.into(), description: Some(description.into()) }).await?;
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
    for server in
        servers.iter().filter(|s| ["filesystem", "github", "fetch", "git", "context7"].contains(&s.name.as_str()))
    {
        mcp::approve(state, &owner, server.id).await?;
    }
    let admin = &staff[0];
    let code = sessions::issue_enrollment(state, &owner, admin.id).await?;
    let admin_session = sessions::exchange(state, SessionRequest { code: code.code }, Some("127.0.0.1".into())).await?;
    let member = &staff[3];
    let member_code = sessions::issue_enrollment(state, &owner, member.id).await?;
    Ok(Some(Demo {
        org_name: created.organization.name,
        admin_token: admin_session.token,
        admin_email: admin.email.clone(),
        member_code: member_code.code,
        member_email: member.email.clone(),
    }))
}
