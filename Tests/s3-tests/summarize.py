#!/usr/bin/env python3
"""Summarises the JUnit XML files Tests/s3-tests/run.sh writes, one file per group.

    summarize.py [--markdown] [--failures] [--rgw-only FILE] [--results FILE.tsv] GROUP.xml...

Prints a table (group, tests, passed, failed, errors, skipped, and the total). With
--rgw-only (a file of test names s3-tests marks fails_on_aws, one a line), a last column
counts how many of the failed and erroring tests are such RGW-only tests. With --failures,
also lists every test that did not pass with the first line of its message, which is where a
write-up of the causes starts.
"""

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


RANK = {"passed": 0, "skipped": 1, "errors": 2, "failed": 3}


def outcomes(path):
    """(test name, outcome, message) for each test in one JUnit XML file.

    pytest writes a second <testcase> for a test whose teardown errs after it ran; a test is
    counted once, by its worst outcome (failed, then errors, skipped, passed), and a teardown
    error is added to its message.
    """
    root = ET.parse(path).getroot()
    tests = {}
    for case in root.iter("testcase"):
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed", "error": "errors", "skipped": "skipped"}[child.tag]
                text = child.get("message") or child.text or ""
                message = text.strip().splitlines()[0] if text.strip() else ""
                break
        name = case.get("name")
        if name not in tests:
            tests[name] = (outcome, message)
            continue
        old_outcome, old_message = tests[name]
        if RANK[outcome] > RANK[old_outcome]:
            old_outcome, old_message, outcome, message = outcome, message, old_outcome, old_message
        if message and message != old_message:
            old_message = f"{old_message} [also: {message}]" if old_message else message
        tests[name] = (old_outcome, old_message)
    for name, (outcome, message) in tests.items():
        yield name, outcome, message


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    parser.add_argument("--failures", action="store_true", help="list the tests that did not pass")
    parser.add_argument("--rgw-only", type=Path, help="file of fails_on_aws test names")
    parser.add_argument("--results", type=Path, help="write every test's result to this TSV file")
    parser.add_argument("xml", nargs="+", type=Path)
    args = parser.parse_args(argv)

    columns = ["tests", "passed", "failed", "errors", "skipped"]
    rgw_only = set()
    if args.rgw_only:
        rgw_only = {line.strip() for line in args.rgw_only.read_text().splitlines() if line.strip()}
        columns.append("rgw-only")
    rows, failures, results = [], [], []
    for path in args.xml:
        counts = dict.fromkeys(columns, 0)
        for name, outcome, message in outcomes(path):
            results.append((name, outcome, path.stem, message))
            counts["tests"] += 1
            counts[outcome] += 1
            if outcome != "passed":
                failures.append((path.stem, name, outcome, message))
                if outcome in ("failed", "errors") and name in rgw_only:
                    counts["rgw-only"] += 1
        rows.append([path.stem] + [counts[c] for c in columns])
    rows.append(["total"] + [sum(r[i] for r in rows) for i in range(1, len(columns) + 1)])

    if args.results:
        with open(args.results, "w") as out:
            out.write("test\toutcome\tgroup\tmessage\n")
            for name, outcome, group, message in results:
                out.write(f"{name}\t{outcome}\t{group}\t{message[:300]}\n".replace("\r", " "))

    header = ["group"] + columns
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(["---"] + ["---:"] * len(columns)) + "|")
        for r in rows:
            print("| " + " | ".join(str(v) for v in r) + " |")
    else:
        print(f"{header[0]:<10}" + "".join(f"{h:>9}" for h in header[1:]))
        for r in rows:
            print(f"{r[0]:<10}" + "".join(f"{v:>9}" for v in r[1:]))

    if args.failures:
        print()
        for group, name, outcome, message in failures:
            mark = " (fails_on_aws)" if name in rgw_only else ""
            print(f"{group}\t{outcome}\t{name}{mark}\t{message[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
