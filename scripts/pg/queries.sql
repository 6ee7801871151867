-- name: employee's agent configs (sync)
SELECT eac.id, eac.name, ac.type AS agent_type, ac.provider, eac.status, eac.last_sync_at
FROM employee_agent_configs eac JOIN agent_catalog ac ON eac.agent_catalog_id = ac.id
WHERE eac.employee_id = (SELECT id FROM employees WHERE email = 'e500@acme.example') AND eac.status = 'active';
-- name: employee's MCP configs (sync)
SELECT emc.id, mc.name, mc.provider, emc.connection_config, emc.credentials_encrypted, emc.sync_token
FROM employee_mcp_configs emc JOIN mcp_catalog mc ON emc.mcp_catalog_id = mc.id
WHERE emc.employee_id = (SELECT id FROM employees WHERE email = 'e500@acme.example') AND emc.status = 'active';
-- name: org spending vs budget
SELECT s.monthly_budget_usd, s.current_spending_usd, (s.current_spending_usd / s.monthly_budget_usd * 100) AS usage_pct
FROM subscriptions s WHERE s.org_id = '00000000-0000-0000-0000-000000000001' AND s.status = 'active';
-- name: pending approval requests
SELECT ar.id, ar.request_type, e.full_name AS requester, ar.reason, ar.created_at
FROM agent_requests ar JOIN employees e ON ar.employee_id = e.id
WHERE e.org_id = '00000000-0000-0000-0000-000000000001' AND ar.status = 'pending' ORDER BY ar.created_at ASC;
-- name: team usage analytics, one month (the seed's query)
SELECT t.name AS team_name, COUNT(DISTINCT e.id) AS employee_count, COUNT(DISTINCT eac.id) AS total_agents, SUM(ur.cost_usd) AS total_cost_usd
FROM teams t JOIN employees e ON e.team_id = t.id
LEFT JOIN employee_agent_configs eac ON eac.employee_id = e.id
LEFT JOIN usage_records ur ON ur.employee_id = e.id
WHERE t.org_id = '00000000-0000-0000-0000-000000000001' AND ur.period_start >= now() - interval '30 days'
GROUP BY t.id, t.name ORDER BY total_cost_usd DESC;
