"""Runs the seed's sample queries (queries.sql) against the loaded PostgreSQL database with
EXPLAIN (ANALYZE, BUFFERS): median execution time of RUNS runs, and rows read (rows the
scans produced plus the rows their filters removed, times loops).

Usage: python3 run.py PSQL_ARGS... (passed to psql)"""

import json
import statistics
import subprocess
import sys

RUNS = 5
SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan")


def queries(path):
    name, lines = None, []
    for line in open(path):
        if line.startswith("-- name: "):
            if name:
                yield name, " ".join(lines)
            name, lines = line[len("-- name: "):].strip(), []
        elif not line.startswith("--"):
            lines.append(line.strip())
    if name:
        yield name, " ".join(lines)


def rows_read(node):
    total = 0
    if node["Node Type"] in SCANS:
        read = node["Actual Rows"] + node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
        total += read * node["Actual Loops"]
    for child in node.get("Plans", []):
        total += rows_read(child)
    return total


def explain(psql, sql):
    out = subprocess.run(psql + ["-At", "-c", f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)[0]


def main():
    psql = ["psql"] + sys.argv[1:]
    print(f"{'query':<62} {'median':>10} {'rows read':>12} {'rows out':>9}")
    for name, sql in queries(sys.argv[0].rsplit("/", 1)[0] + "/queries.sql"):
        plans = [explain(psql, sql) for _ in range(RUNS)]
        median = statistics.median(p["Execution Time"] for p in plans)
        plan = plans[-1]["Plan"]
        print(f"{name:<62} {median:>8.2f}ms {rows_read(plan):>12,} {plan['Actual Rows']:>9,}")


if __name__ == "__main__":
    main()
