"""The console in a real browser: Debian's Chromium driven by Playwright (no browser
download), against a dev server that tests/tests/e2e/browser.rs set up. Signs in through the
local identity provider, checks every page with axe-core (no serious or critical
violation), approves a request with the keyboard alone, assigns an MCP server to a group,
attaches a policy and reads it in a member's effective policy, sets a budget and watches
usage move the overview, ends a person's sessions, and tries what an attacker would: a
cross-site form, markup and right-to-left text in names, another organization's ids. Any
Content-Security-Policy violation or script error fails the run. Prints one line per
check and exits non-zero on a failure.

Usage: console.py '<json: see tests/tests/e2e/browser.rs>'
"""

import json
import re
import sys
import time

from playwright.sync_api import sync_playwright

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def axe(page, axe_source, name):
    # Evaluated through the DevTools protocol, which the page's CSP does not govern.
    page.evaluate(axe_source + ";0")
    result = page.evaluate("async () => (await axe.run(document)).violations.map(v => [v.id, v.impact, v.nodes.length])")
    serious = [v for v in result if v[1] in ("serious", "critical")]
    check(not serious, f"axe on {name}: no serious or critical violation {serious}")


def tab_to(page, selector, limit=60):
    """Presses Tab until the focused element matches `selector` (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return True
    return False


def main():
    cfg = json.loads(sys.argv[1])
    url = cfg["url"]
    axe_source = open(cfg["axe"], encoding="utf-8").read()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=cfg["chromium"], args=FLAGS)
        context = browser.new_context()
        page = context.new_page()
        problems = []
        not_found = url + "/console/people/" + cfg["other_person"]
        # What goes wrong on the console's own pages (the identity provider's are its own;
        # the 404 asked for below is the answer wanted).
        def ours(text):
            expected = page.url == not_found and "status of 404" in text
            if page.url.startswith(url) and not expected:
                problems.append(f"{page.url}: {text}")

        page.on("console", lambda m: ours(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: ours(str(e)))
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        page.goto(url + "/console/login")
        axe(page, axe_source, "the sign-in page")
        page.get_by_label("Organization").fill(cfg["org"])
        page.get_by_role("button", name="Continue").click()
        # The local identity provider's login and consent forms.
        page.wait_for_selector("input[name=login]")
        page.fill("input[name=login]", cfg["login"])
        page.fill("input[name=password]", "any")
        page.click("button[type=submit]")
        for _ in range(3):
            if page.url.startswith(url + "/console"):
                break
            page.wait_for_load_state()
            if page.locator("button[type=submit]").count():
                page.click("button[type=submit]")
        page.wait_for_url(url + "/console")
        check(page.get_by_role("heading", name="Overview").is_visible(), "signed in through the identity provider")

        pages = [
            ("the overview", "overview", "/console"),
            ("approvals", "approvals", "/console/approvals"),
            ("a request", "request", "/console/approvals/" + cfg["request_id"]),
            ("people", "people", "/console/people"),
            ("assignments", "assignments", "/console/assignments"),
            ("the catalog", "catalog", "/console/catalog"),
            ("the fleet", "fleet", "/console/fleet"),
            ("usage", "usage", "/console/usage"),
            ("activity", "activity", "/console/activity"),
            ("settings", "settings", "/console/settings"),
            ("policies", "policies", "/console/policies"),
            ("a policy", "policy", "/console/policies/" + cfg["policy_id"]),
            ("a new policy", "policy-new", "/console/policies/new?type=rate_limit"),
            ("teams", "teams", "/console/teams"),
            ("a team", "team", "/console/teams/" + cfg["group_id"]),
            ("a person", "person", "/console/people/" + cfg["member_id"]),
            ("a new catalog entry", "catalog-new", "/console/catalog/mcp-servers/new"),
            ("people who never synced", "fleet-never-synced", "/console/fleet?view=never_synced"),
            ("webhooks", "webhooks", "/console/settings/webhooks"),
            ("model prices", "prices", "/console/settings/prices"),
        ]
        for name, file, path in pages:
            page.goto(url + path)
            check(page.locator("main h1").count() == 1, f"{name} renders")
            axe(page, axe_source, name)
            if cfg.get("screenshots"):
                page.screenshot(path=f"{cfg['screenshots']}/{file}.png", full_page=True)

        # Approve with the keyboard alone: from the queue to the request, a comment, Approve.
        page.goto(url + "/console/approvals")
        check(tab_to(page, f"a[href='/console/approvals/{cfg['request_id']}']"), "the request is reachable by Tab")
        page.keyboard.press("Enter")
        page.wait_for_url(url + "/console/approvals/" + cfg["request_id"])
        check(tab_to(page, "textarea[name=comment]"), "the comment is reachable by Tab")
        page.keyboard.type("approved from the keyboard")
        check(tab_to(page, "button[value=approve]"), "Approve is reachable by Tab")
        page.keyboard.press("Enter")
        page.wait_for_url("**/console/approvals?decided=*")
        check(page.get_by_role("status").is_visible(), "the decision is confirmed")

        # The device that reported a drifted file needs attention in the fleet.
        page.goto(url + "/console/fleet?attention=drifted")
        check(page.get_by_role("link", name=cfg["drifted_person"]).count() == 1, "the drifted device is in the fleet")

        # An MCP server to a directory group, approved on the way, in one form.
        page.goto(url + "/console/assignments")
        page.check(f"input[name=target][value='{cfg['group_id']}']")
        page.check(f"input[name=server][value='{cfg['server_id']}']")
        page.check("input[name=approve]")
        page.get_by_role("button", name="Assign", exact=True).click()
        page.wait_for_selector("text=1 assigned")
        check(True, "the server is assigned to the group")
        page.goto(url + "/console/assignments")
        page.locator("td a[href^='/console/assignments/']").first.click()
        page.wait_for_selector("h2:has-text('People')")
        axe(page, axe_source, "an assignment")
        if cfg.get("screenshots"):
            page.screenshot(path=f"{cfg['screenshots']}/assignment.png", full_page=True)

        # A policy for the whole organization, then read in a member's effective policy.
        page.goto(url + "/console/policies/" + cfg["policy_id"])
        page.get_by_role("button", name="Apply to the whole organization").click()
        page.wait_for_selector("td:has-text('The whole organization')")
        page.goto(url + "/console/people/" + cfg["member_id"])
        check(page.locator("table td", has_text="No curl").count() >= 1, "the attached policy is in the effective policy")

        # A budget, then usage: the overview's figures and chart move.
        page.goto(url + "/console/settings")
        page.fill("#monthly_budget_usd", "100")
        page.get_by_role("button", name="Save the budget").click()
        spent = lambda: page.locator("section[aria-labelledby=budget] p").first.inner_text()
        chart = lambda: page.locator("section[aria-labelledby=daily] svg").first.inner_html()
        # The form is sent in the background (htmx): the overview shows the budget once saved.
        deadline = time.time() + 30
        while time.time() < deadline:
            page.goto(url + "/console")
            if "of $100 (" in spent():
                break
            time.sleep(0.25)
        before, chart_before = spent(), chart()
        check("of $100 (" in before, f"the budget is set ({before})")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        event = {"v": 1, "event_id": "browser-1", "resource_type": "llm_call", "quantity": 1, "cost_usd": "2.50",
                 "period_start": now, "period_end": now}
        answer = context.request.post(url + "/v1/usage", data=json.dumps({"events": [event]}),
                                      headers={"authorization": "Bearer " + cfg["member_token"], "content-type": "application/json"})
        check(answer.status == 202, f"usage is accepted ({answer.status})")
        # The usage processor consumes the queue beside the rest of the suite: it may take a while.
        deadline = time.time() + 120
        while time.time() < deadline:
            page.goto(url + "/console")
            if spent() != before:
                break
            time.sleep(0.5)
        check("$2.5" in spent(), f"the overview shows the spending ({spent()})")
        check(chart() != chart_before, "the daily chart moved")

        # Ending a person's sessions (the token is refused: browser.rs checks).
        page.goto(url + "/console/people/" + cfg["frank_id"])
        page.get_by_role("button", name=re.compile("End every session of")).click()
        page.wait_for_selector("text=No live session")
        check(True, "the person's sessions are ended")

        # Another organization's ids are not found.
        answer = page.goto(not_found)
        check(answer.status == 404, f"another organization's person is not found ({answer.status})")

        # Right-to-left text in a name stays text, isolated from what surrounds it.
        page.goto(url + "/console/people")
        check(page.locator("bdi", has_text=cfg["rtl_name"]).count() == 1, "a right-to-left name shows as isolated text")

        # Markup in a name is text, and nothing runs.
        page.goto(url + "/console/people")
        check(page.get_by_text(cfg["hostile_name"], exact=True).count() == 1, "a name with markup shows as text")

        # A form on another site posting to the console is refused, and the session lives on.
        attacker = context.new_page()
        attacker.set_content(f'<form method="post" action="{url}/console/logout"><button>win</button></form>')
        with attacker.expect_navigation():
            attacker.click("button")
        check("Form refused" in attacker.content(), "a cross-site form is refused")
        page.goto(url + "/console")
        check(page.url == url + "/console", "the session survives the cross-site form")

        check(not dialogs, f"no script ran ({dialogs})")
        check(not problems, f"no CSP violation or script error ({problems})")
        browser.close()
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
