//! The page around every console view: navigation by what the role may see, the assets,
//! and the shapes every page reuses (CSRF field, pager, problem). maud escapes every
//! interpolated value.

use agentctl_shared::Name;
use agentctl_shared::http::Problem;
use agentctl_shared::roles::Permission;
use agentctl_wire::policy::{Enforcement, Support};
use maud::{DOCTYPE, Markup, html};

use crate::assets;
use crate::session::Signed;

/// The console's sections, in the navigation's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Overview,
    Approvals,
    People,
    Assignments,
    Catalog,
    Policies,
    Fleet,
    Usage,
    Activity,
    Settings,
}

impl Section {
    const ALL: [Section; 10] = [
        Section::Overview,
        Section::Approvals,
        Section::People,
        Section::Assignments,
        Section::Catalog,
        Section::Policies,
        Section::Fleet,
        Section::Usage,
        Section::Activity,
        Section::Settings,
    ];

    fn href(self) -> &'static str {
        match self {
            Section::Overview => "/console",
            Section::Approvals => "/console/approvals",
            Section::People => "/console/people",
            Section::Assignments => "/console/assignments",
            Section::Catalog => "/console/catalog",
            Section::Policies => "/console/policies",
            Section::Fleet => "/console/fleet",
            Section::Usage => "/console/usage",
            Section::Activity => "/console/activity",
            Section::Settings => "/console/settings",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Section::Overview => "Overview",
            Section::Approvals => "Approvals",
            Section::People => "People",
            Section::Assignments => "Assignments",
            Section::Catalog => "Catalog",
            Section::Policies => "Policies",
            Section::Fleet => "Fleet",
            Section::Usage => "Usage",
            Section::Activity => "Activity",
            Section::Settings => "Settings",
        }
    }

    /// What a role needs to see the section (the domain checks again on every call).
    fn permission(self) -> Option<Permission> {
        match self {
            Section::Overview => None,
            Section::Approvals => Some(Permission::RequestsDecide),
            Section::People | Section::Assignments | Section::Fleet => Some(Permission::EmployeesRead),
            Section::Catalog => Some(Permission::CatalogRead),
            Section::Policies => Some(Permission::PoliciesRead),
            Section::Usage => Some(Permission::UsageRead),
            Section::Activity => Some(Permission::ActivityRead),
            Section::Settings => Some(Permission::SubscriptionRead),
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        // No inline styles or evaluated attributes: the Content-Security-Policy allows neither.
        meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}"#;
        title { (title) " · agentctl" }
        link rel="stylesheet" href=(assets::STYLESHEET);
        link rel="icon" href=(assets::ICON) type="image/svg+xml";
        script src=(assets::HTMX) defer {}
    }
}

/// A signed-in page of `section`.
pub fn page(signed: &Signed, section: Section, title: &str, body: Markup) -> Markup {
    let caller = &signed.caller;
    html! {
        (DOCTYPE)
        html lang="en" {
            head { (head(title)) }
            body hx-boost="true" {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console" { "agentctl" }
                    nav aria-label="Console" {
                        ul {
                            @for s in Section::ALL {
                                @if s.permission().is_none_or(|p| caller.can(p)) {
                                    li {
                                        @if s == section {
                                            a href=(s.href()) aria-current="page" { (s.label()) }
                                        } @else {
                                            a href=(s.href()) { (s.label()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    form method="post" action="/console/logout" {
                        (csrf(signed))
                        span.muted { (caller.role.as_str()) " · " }
                        button.secondary type="submit" { "Sign out" }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page outside a session (sign-in, messages).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { (head(title)) }
            body {
                main.login id="main" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The hidden field every state-changing form carries.
pub fn csrf(signed: &Signed) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed.csrf); }
}

/// A problem the domain answered, as a page of its own.
pub fn problem_page(problem: &Problem) -> Markup {
    bare(
        &problem.title,
        html! {
            (problem_box(problem))
            p { a href="/console" { "Back to the console" } }
        },
    )
}

/// A problem's detail and its field errors, each naming its field.
pub fn problem_box(problem: &Problem) -> Markup {
    html! {
        div.problem role="alert" {
            p { (problem.detail) }
            @if !problem.errors.is_empty() {
                ul {
                    @for error in &problem.errors {
                        li { code { (error.field) } " " (error.message) }
                    }
                }
            }
        }
    }
}

/// The link to the next page of a list, if there is one, keeping the list's `filters`.
pub fn pager(path: &str, filters: &[(&str, String)], next_cursor: Option<&str>) -> Markup {
    let next = next_cursor.map(|cursor| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(filters.iter().map(|(name, value)| (*name, value.as_str())));
        query.append_pair("cursor", cursor);
        format!("{path}?{}", query.finish())
    });
    html! {
        @if let Some(next) = next {
            p.pager { a href=(next) { "Next page" } }
        }
    }
}

/// A time as people read it (UTC, to the minute).
pub fn when(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What each client enforces of a policy type.
pub fn enforcement(enforcement: &Enforcement) -> Markup {
    html! {
        ul {
            @for client in &enforcement.clients {
                li {
                    (client.client.as_str()) ": "
                    @match client.support {
                        Support::Enforced => span.state-ok { "enforced" },
                        Support::Partial => span.state-warn { "partly" },
                        Support::None => span.state-bad { "not enforced" },
                    }
                    " " span.muted { (client.how) }
                }
            }
        }
    }
}

/// An event type as the API names it (`request.approved`).
pub fn event_name(event: agentctl_wire::activity::EventType) -> String {
    serde_json::to_value(event).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
