//! The guards of conditional writes: each conditional item of a transaction names the
//! guard it checks, and a cancelled transaction reports the guard that failed
//! ([`super::StoreError::ConditionFailed`]), so the domain answers with the right problem.

/// What a conditional write protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// A new organization's item.
    Org,
    /// An organization's slug is unique.
    Slug,
    /// The organization has a seat left.
    Capacity,
    /// An organization's limit stays at or above what is in use.
    LimitBelowCount,
    /// A team name is unique in its organization.
    TeamName,
    /// The team exists (and is the one read).
    Team,
    /// A team is deleted only without members.
    TeamMembers,
    /// An email is unique in its organization.
    Email,
    /// The employee is the one read.
    EmployeeStale,
    /// An enrollment code is unused and unexpired.
    EnrollmentCode,
    /// A session exists (and is not a duplicate).
    Session,
    /// The role table version read.
    RoleVersion,
    /// A catalog name is unique in its scope.
    CatalogName,
    /// The catalog entry exists (and is the one read).
    CatalogEntry,
    /// A catalog entry is deleted only when unreferenced.
    CatalogReferenced,
    /// An entry referenced by the write still exists.
    CatalogReferenceMissing,
    /// An agent-tool link is the one read.
    AgentTool,
    /// A policy attachment is the one read.
    PolicyLink,
    /// A scope's policies fit in its sync set.
    PolicySpace,
    /// A scope's assignments and assigned entries fit in its sync set.
    AssignmentSpace,
    /// One assignment of an entry per target.
    Assignment,
    /// An assigned entry is the one read (content and assignment count).
    AssignedEntry,
    /// An organization approves an MCP server once.
    McpApproved,
    /// An MCP configuration's server is approved for the organization.
    McpNotApproved,
    /// The approval to revoke exists.
    McpApproval,
    /// The employee has an agent slot left.
    AgentLimit,
    /// A configuration is the one read.
    ConfigChanged,
    /// One open request per employee and thing asked for.
    RequestOpen,
    /// The open-request guard being released.
    RequestGuard,
    /// A request is the version read.
    RequestChanged,
    /// An approver decides a request once.
    ApproverDecided,
    /// The subscription exists.
    Subscription,
    /// A new organization's subscription.
    SubscriptionExists,
    /// The budget is the one read.
    BudgetChanged,
    /// The recorded budget threshold is the one read.
    BudgetThresholdMoved,
    /// The price table is the version the edit replaces.
    PriceTableMoved,
    /// A new telemetry token (its random value is new).
    TelemetryToken,
    /// A telemetry series is at the value read (cumulative metrics).
    TelemetrySeriesMoved,
    /// A usage event is counted once.
    UsageDuplicate,
    /// The billing period is the one read.
    BillingPeriodMoved,
    /// A usage rollup.
    Rollup,
    /// A closed billing period's spending.
    ClosedPeriod,
    /// An employee's spend cap is recorded once a month.
    SpendCapRecorded,
    /// An employee's spend cap raise is the one read.
    SpendCapRaised,
    /// A rate limit breach is recorded once per window.
    RateLimitRecorded,
    /// An activity entry is recorded once.
    ActivityRecorded,
    /// The identity provider settings are the version read.
    IdentityProvider,
    /// A person of the identity provider is linked to one employee.
    IdentityLink,
    /// The owner who stays active while another stops being one is unchanged.
    OwnerRemains,
    /// An employee is linked to one person of each identity provider.
    EmployeeIdentityLink,
    /// A sign-in returns from the identity provider once.
    SignIn,
    /// An authorization code is exchanged once.
    AuthorizationCode,
    /// A device authorization is decided once, and polled as read.
    DeviceGrant,
    /// A user code names one live device authorization.
    UserCode,
    /// A refresh token is used once.
    RefreshToken,
    /// A SCIM token exists (and is new when created).
    ScimToken,
    /// What SCIM said of a user is the version read.
    ScimUser,
    /// A SCIM `userName` is unique in its organization.
    ScimUserName,
    /// What SCIM said of a group.
    ScimGroup,
    /// An employee's membership of a directory group.
    GroupMembership,
    /// A webhook exists and is the version read.
    Webhook,
    /// A delivery is created once and each attempt recorded once.
    Delivery,
    /// An employee is granted a tool once.
    ToolGrant,
}
