-- The seed's relational design (handbook seed-schema.md): its tables, as the sample
-- queries use them, and its indexes, verbatim.
CREATE TABLE organizations (id uuid PRIMARY KEY, name text, slug text UNIQUE, plan text, settings jsonb,
  max_employees int, max_agents_per_employee int, created_at timestamptz, updated_at timestamptz);
CREATE TABLE subscriptions (id uuid PRIMARY KEY, org_id uuid REFERENCES organizations, plan_type text,
  monthly_budget_usd numeric(12,2), current_spending_usd numeric(14,6), billing_period_start timestamptz,
  billing_period_end timestamptz, status text, created_at timestamptz);
CREATE TABLE teams (id uuid PRIMARY KEY, org_id uuid REFERENCES organizations, name text, description text, created_at timestamptz);
CREATE TABLE roles (id uuid PRIMARY KEY, name text UNIQUE, description text, permissions jsonb, created_at timestamptz);
CREATE TABLE employees (id uuid PRIMARY KEY, org_id uuid REFERENCES organizations, team_id uuid REFERENCES teams,
  role_id uuid REFERENCES roles, email text UNIQUE, full_name text, status text, preferences jsonb,
  last_login_at timestamptz, created_at timestamptz, updated_at timestamptz);
CREATE TABLE agent_catalog (id uuid PRIMARY KEY, name text UNIQUE, type text, description text, provider text,
  default_config jsonb, is_active bool, created_at timestamptz);
CREATE TABLE mcp_catalog (id uuid PRIMARY KEY, name text UNIQUE, provider text, connection_schema jsonb,
  is_approved bool, created_at timestamptz);
CREATE TABLE employee_agent_configs (id uuid PRIMARY KEY, employee_id uuid REFERENCES employees,
  agent_catalog_id uuid REFERENCES agent_catalog, name text, config_override jsonb, status text,
  sync_token text, last_sync_at timestamptz, created_at timestamptz, updated_at timestamptz);
CREATE TABLE employee_mcp_configs (id uuid PRIMARY KEY, employee_id uuid REFERENCES employees,
  mcp_catalog_id uuid REFERENCES mcp_catalog, connection_config jsonb, credentials_encrypted text,
  status text, sync_token text, last_sync_at timestamptz, created_at timestamptz, updated_at timestamptz);
CREATE TABLE agent_requests (id uuid PRIMARY KEY, employee_id uuid REFERENCES employees, request_type text,
  request_data jsonb, status text, reason text, created_at timestamptz, resolved_at timestamptz);
CREATE TABLE usage_records (id uuid PRIMARY KEY, org_id uuid REFERENCES organizations, employee_id uuid REFERENCES employees,
  agent_config_id uuid, resource_type text, quantity bigint, cost_usd numeric(12,6),
  period_start timestamptz, period_end timestamptz, metadata jsonb, created_at timestamptz);

CREATE INDEX idx_employees_org_id ON employees(org_id);
CREATE INDEX idx_employees_email ON employees(email);
CREATE INDEX idx_employee_agent_configs_employee_id ON employee_agent_configs(employee_id);
CREATE INDEX idx_employee_agent_configs_status ON employee_agent_configs(status);
CREATE INDEX idx_employee_mcp_configs_employee_id ON employee_mcp_configs(employee_id);
CREATE INDEX idx_employee_mcp_configs_status ON employee_mcp_configs(status);
CREATE INDEX idx_employee_agent_configs_sync_token ON employee_agent_configs(sync_token);
CREATE INDEX idx_employee_mcp_configs_sync_token ON employee_mcp_configs(sync_token);
CREATE INDEX idx_usage_records_org_id ON usage_records(org_id);
CREATE INDEX idx_usage_records_employee_id ON usage_records(employee_id);
CREATE INDEX idx_usage_records_period ON usage_records(period_start, period_end);
CREATE INDEX idx_agent_requests_employee_id ON agent_requests(employee_id);
CREATE INDEX idx_agent_requests_status ON agent_requests(status);
