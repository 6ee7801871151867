-- The seed's row estimates for a 1,000-employee organization: 10 teams, 20 agents, 100
-- MCP servers, 3,000 agent configs, 5,000 MCP configs, 1,000,000 usage records over the
-- last 30 days, 1,000 requests (50 pending). Deterministic (setseed).
SELECT setseed(0.42);
INSERT INTO organizations VALUES ('00000000-0000-0000-0000-000000000001', 'Acme', 'acme', 'enterprise', '{}', 1000, 5, now(), now());
INSERT INTO subscriptions VALUES (gen_random_uuid(), '00000000-0000-0000-0000-000000000001', 'enterprise', 50000, 0,
  date_trunc('month', now()), date_trunc('month', now()) + interval '1 month', 'active', now());
INSERT INTO roles SELECT gen_random_uuid(), r, r, '[]', now() FROM unnest(ARRAY['owner','admin','billing','manager','member']) r;
INSERT INTO teams SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000001', 'team-' || i, '', now() FROM generate_series(1, 10) i;
INSERT INTO employees
  SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000001',
         (SELECT id FROM teams ORDER BY name OFFSET (i % 10) LIMIT 1),
         (SELECT id FROM roles WHERE name = 'member'), 'e' || i || '@acme.example', 'Employee ' || i, 'active', '{}', now(), now(), now()
  FROM generate_series(1, 1000) i;
INSERT INTO agent_catalog SELECT gen_random_uuid(), 'agent-' || i, 'claude-code', '', 'p', '{}', true, now() FROM generate_series(1, 20) i;
INSERT INTO mcp_catalog SELECT gen_random_uuid(), 'mcp-' || i, 'p', '{}', true, now() FROM generate_series(1, 100) i;
CREATE TEMP TABLE e AS SELECT id, row_number() OVER (ORDER BY email) AS n FROM employees;
CREATE TEMP TABLE a AS SELECT id, row_number() OVER (ORDER BY name) - 1 AS n FROM agent_catalog;
CREATE TEMP TABLE m AS SELECT id, row_number() OVER (ORDER BY name) - 1 AS n FROM mcp_catalog;
INSERT INTO employee_agent_configs
  SELECT gen_random_uuid(), e.id, a.id, 'cfg', '{}', 'active', md5(random()::text), now(), now(), now()
  FROM e CROSS JOIN generate_series(0, 2) k JOIN a ON a.n = (e.n + k * 7) % 20;
INSERT INTO employee_mcp_configs
  SELECT gen_random_uuid(), e.id, m.id, '{}', 'ciphertext', 'active', md5(random()::text), now(), now(), now()
  FROM e CROSS JOIN generate_series(0, 4) k JOIN m ON m.n = (e.n + k * 13) % 100;
INSERT INTO usage_records
  SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000001', e.id, NULL, 'llm_call', 1,
         round((random() * 0.05)::numeric, 6), t, t + interval '1 minute', '{}', t
  FROM (SELECT 1 + (i % 1000) AS n, now() - random() * interval '30 days' AS t FROM generate_series(1, 1000000) i) u
  JOIN e ON e.n = u.n;
INSERT INTO agent_requests
  SELECT gen_random_uuid(), e.id, 'new_agent', '{}', CASE WHEN e.n % 20 = 0 THEN 'pending' ELSE 'approved' END, 'r',
         now() - (e.n || ' minutes')::interval, NULL
  FROM e;
ANALYZE;
