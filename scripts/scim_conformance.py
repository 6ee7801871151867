"""SCIM conformance of agentctl's /scim/v2 with scim2-tester (PyPI).

    scim_conformance.py BASE_URL TOKEN

Runs every check scim2-tester has against the SCIM endpoints at BASE_URL (…/scim/v2)
with the SCIM token TOKEN; prints each result that is not a success, then a line
`N passed, N failed, N skipped`; exits 1 on any ERROR or CRITICAL result.
"""

import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

FAILING = {Status.ERROR, Status.CRITICAL}
PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    client = SyncSCIMClient(httpx2.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}))
    results = check_server(client)
    for result in results:
        if result.status not in PASSING:
            title = getattr(result, "title", "?")
            resource = getattr(result, "resource_type", None) or ""
            print(f"{result.status.name:9} {resource:6} {title}: {result.reason}")
    passed = sum(r.status in PASSING for r in results)
    failed = sum(r.status in FAILING for r in results)
    others = len(results) - passed - failed
    print(f"{passed} passed, {failed} failed, {others} deviations or skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
